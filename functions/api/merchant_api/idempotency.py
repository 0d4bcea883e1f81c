"""`Idempotency-Key` on POST and DELETE: a retried request answers what the first one did.

Powertools idempotency with DynamoDB persistence in the main table. The key is scoped to the
account and mode; the request's method, path, query and body are its fingerprint, so reusing a
key for a different request is refused instead of answered with another request's result. The
body is compared by its meaning (`canonical_json`): a retry from another serialiser, with the
keys in another order or other spacing, is the same request and answers as the first did, with
`Idempotent-Replayed: true` as every replay.

Powertools saves the answer after the change has committed, in a write of its own. So that a
failure of that write can never let a retry commit the change twice, the change's own
transaction also marks the key's record carried out (the request's `IdempotencyMark`), with a
stand-in answer that the saved answer then replaces. When only the answer's save fails, the
caller still gets the real answer; a retry gets the stand-in (409
`idempotency_answer_unavailable`), never a second change.

The saved answer is sealed (AES-256-GCM, `billing.payments.secretbox`, under key material
that is not in the table, bound to the account, mode and record), since answers hold secrets
a second read never shows: a portal session's link, a webhook endpoint's `whsec_` secret, an
invoice's hosted link. A replay opens it and answers the same body (docs/api-guide.md).

Imported by the first keyed POST or DELETE (`request.idempotent_requests`), never at a cold start:
Powertools' idempotency errors become the API's own here, as no handler for them is registered.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyItemAlreadyExistsError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import STATUS_CONSTANTS, DataRecord

from billing.kernel import config
from billing.kernel.errors import Conflict, InvalidRequest, ServiceUnavailable
from billing.kernel.scope import IdempotencyMark, Scope
from billing.payments import secretbox
from billing.store import repository
from merchant_api.auth import caller

logger = Logger(service="api")
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
_CONFIG = IdempotencyConfig(
    event_key_jmespath="key",
    payload_validation_jmespath="fingerprint",
    expires_after_seconds=24 * 3600,
    use_local_cache=False,
)


RECORDS_PARTITION = "IDEMPOTENCY"
_ANSWER_UNAVAILABLE = Conflict(
    "The request with this Idempotency-Key was carried out, but its answer is not available (it may still be "
    "being saved); retry shortly, or retrieve the objects it changed.",
    code="idempotency_answer_unavailable",
)

_STAND_IN = {"status": _ANSWER_UNAVAILABLE.status, "body": json.dumps(_ANSWER_UNAVAILABLE.envelope())}


class _Persistence(DynamoDBPersistenceLayer):
    def record_key(self, request: dict[str, str]) -> str:
        """The sort key of the request's record (the hash of its account, mode and key)."""
        return str(self._get_hashed_idempotency_key(request))

    def carried_out_op(self, request: dict[str, str]) -> repository.Update:
        """The mark that commits with the change: the record completed, answering the stand-in.
        Only an in-progress record takes it, so a second commit under the key fails its condition."""
        return repository.Update(
            RECORDS_PARTITION,
            self.record_key(request),
            "SET #status = :completed, #data = :data",
            condition="#status = :inprogress",
            names={"#status": self.status_attr, "#data": self.data_attr},
            values={
                ":completed": STATUS_CONSTANTS["COMPLETED"],
                ":inprogress": STATUS_CONSTANTS["INPROGRESS"],
                ":data": json.dumps(_STAND_IN, sort_keys=True),
            },
        )

    def _put_record(self, data_record: DataRecord) -> None:
        try:
            super()._put_record(data_record)
        except IdempotencyItemAlreadyExistsError as error:
            if not _own_earlier_put(error, data_record):
                raise

    def _delete_record(self, data_record: DataRecord) -> None:
        # Powertools deletes the record when the request fails, so that it may be retried. A record
        # that a committed change already marked carried out stays (a request that took an expired
        # key over and then failed must not free the key for a second commit).
        with contextlib.suppress(Conflict):
            repository.Table(self.table_name).delete(
                RECORDS_PARTITION,
                data_record.idempotency_key,
                condition="#status = :inprogress",
                names={"#status": self.status_attr},
                values={":inprogress": STATUS_CONSTANTS["INPROGRESS"]},
            )


def _own_earlier_put(error: IdempotencyItemAlreadyExistsError, data_record: DataRecord) -> bool:
    """Whether the in-progress record in the way is this request's own, put by an earlier attempt
    of the same PutItem whose answer was lost (botocore retried it; the retry then failed its
    condition on the record it had put, which would answer 409 `idempotency_in_progress` to a
    request that holds the key). It is when the call was retried and the stored record is in
    progress with this request's payload and both its expiry times to the second and the
    millisecond. Should another request's record ever match as well, the change's transaction
    still commits only once: its mark takes an in-progress record only."""
    old = error.old_data_record
    return (
        old is not None
        and repository.retried_condition_failure(error.__cause__)
        and old.status == STATUS_CONSTANTS["INPROGRESS"]
        and old.payload_hash == data_record.payload_hash
        and old.expiry_timestamp == data_record.expiry_timestamp
        and old.in_progress_expiry_timestamp == data_record.in_progress_expiry_timestamp
    )


@lru_cache(maxsize=1)
def _persistence(table_name: str) -> _Persistence:
    return _Persistence(
        table_name=table_name,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=RECORDS_PARTITION,
        expiry_attr="expiresAt",
        boto3_client=repository.client("dynamodb"),
    )


def _canonical_number(number: Decimal) -> str:
    """One spelling for each number: `1`, `1.0`, `1e0` and `10E-1` are all `1`; `0.50` is `0.5`."""
    if not number.is_finite():
        return str(number)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _canonical(value: Any) -> str:
    if isinstance(value, dict):
        members = (f"{json.dumps(key, ensure_ascii=False)}:{_canonical(value[key])}" for key in sorted(value))
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return _canonical_number(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _canonical_number(Decimal(value))
    return json.dumps(value, ensure_ascii=False)


def canonical_json(body: str | None) -> str:
    """The body as its meaning: keys sorted, no insignificant whitespace, each number spelled one
    way, strings with their escapes resolved. A body that is not JSON is kept as it is (the
    request is refused anyway; the same bytes retried get the same refusal)."""
    if not body:
        return ""
    try:
        parsed = json.loads(body, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, RecursionError):
        return body
    return _canonical(parsed)


def fingerprint(method: str, path: str, query: Mapping[str, str] | None, body: str | None) -> str:
    """What a key's requests must share: the method, path, query parameters (in any order) and
    the body's canonical JSON."""
    query_text = "&".join(f"{json.dumps(k)}={json.dumps(v)}" for k, v in sorted((query or {}).items()))
    return hashlib.sha256(f"{method} {path}?{query_text}\n{canonical_json(body)}".encode()).hexdigest()


def _stored(response: Response[Any]) -> dict[str, Any]:
    body = response.body if isinstance(response.body, str) else json.dumps(response.body, separators=(",", ":"))
    return {"status": response.status_code, "body": body}


def _answer_field(record_key: str) -> str:
    """What a sealed answer is bound to besides its account and mode: its own record, so an
    answer copied to another key's record does not open."""
    return f"idempotency-answer:{record_key}"


def _sealed(answer: dict[str, Any], scope: Scope, record_key: str) -> dict[str, Any]:
    """The answer as it is saved: its status, and its body sealed."""
    return {
        "status": answer["status"],
        "sealedBody": secretbox.seal(answer["body"], scope=scope, field=_answer_field(record_key)),
    }


def _opened(stored: dict[str, Any], scope: Scope, record_key: str) -> dict[str, Any]:
    """A saved answer as it is answered. The stand-in the change's mark saves holds no secret
    and is not sealed; an answer that does not open (other key material) is not available."""
    if "sealedBody" not in stored:
        return stored
    try:
        body = secretbox.open_sealed(stored["sealedBody"], scope=scope, field=_answer_field(record_key))
    except secretbox.Unsealable:
        logger.warning("idempotency answer does not open; the key answers the stand-in")
        return _STAND_IN
    return {"status": stored["status"], "body": body}


def answer_once(app: BaseRouter, key: str, next_middleware: Callable[..., Response[Any]]) -> Response[Any]:
    """The request under `key` (a POST or DELETE): carried out once, and answered as it first was."""
    event = app.current_event
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(f"Idempotency-Key is at most {MAX_KEY_LENGTH} characters.", param="Idempotency-Key")
    who = caller(app)
    request_fingerprint = fingerprint(event.http_method, event.path, event.query_string_parameters, event.body)
    persistence = _persistence(config.settings().table_name)
    _CONFIG.register_lambda_context(app.lambda_context)

    scope = Scope(account_id=who.account_id, mode=who.mode)
    keyed = {"key": f"{who.account_id}#{who.mode}#{key}", "fingerprint": request_fingerprint}
    answered: list[dict[str, Any]] = []
    marks: list[IdempotencyMark] = []

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=_CONFIG)
    def run(request: dict[str, str]) -> dict[str, Any]:
        mark = IdempotencyMark(persistence.carried_out_op(request))
        marks.append(mark)
        app.append_context(idempotency_mark=mark)  # `request.info` hands it to the services
        answered.append(_stored(next_middleware(app)))
        try:
            return _sealed(answered[0], scope, persistence.record_key(request))
        except Exception:
            # The change has committed: the caller gets its answer all the same, and the key keeps
            # the stand-in rather than an answer in the clear (key material unavailable).
            logger.exception("idempotency answer not sealed; the key answers the stand-in")
            return _STAND_IN

    try:
        saved = run(request=keyed)
        # Powertools is configured by the first run, so the record's key is known after it only.
        stored = answered[0] if answered else _opened(saved, scope, persistence.record_key(keyed))
    except IdempotencyValidationError as error:
        raise InvalidRequest(
            "This Idempotency-Key was used with a different request; use a new key for a new request.",
            param="Idempotency-Key",
            code="idempotency_key_reused",
        ) from error
    except IdempotencyAlreadyInProgressError as error:
        raise Conflict(
            "A request with this Idempotency-Key is still in progress; retry shortly.", code="idempotency_in_progress"
        ) from error
    except IdempotencyPersistenceLayerError as error:
        if not (answered and marks[0].committed):
            raise ServiceUnavailable(
                "The data store did not answer in time; retry the request with the same Idempotency-Key."
            ) from error
        # The change committed with its mark; only the answer's own save failed.
        logger.warning(
            "idempotency answer not saved; the key answers the stand-in", extra={"status": answered[0]["status"]}
        )
        stored = answered[0]
    headers = {"Idempotency-Key": key}
    if not answered and stored["body"] != _STAND_IN["body"]:
        headers[REPLAYED_HEADER] = "true"  # the first request's answer (the stand-in is no answer)
    return Response(
        status_code=int(stored["status"]),
        content_type=content_types.APPLICATION_JSON,
        body=stored["body"],
        headers=headers,
    )
