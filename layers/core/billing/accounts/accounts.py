"""Accounts (the merchant, shown as the seller on invoices) and their secret keys.

The items and their keys are `billing.accounts.store`'s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec
from msgspec.structs import replace

from billing.accounts import keys
from billing.accounts import store as account_store
from billing.accounts.records import (
    DEFAULT_CURRENCY,
    DEFAULT_SESSION_MINUTES,
    Account,
    AfterRetries,
    ApiKey,
    DunningSettings,
)
from billing.kernel import clock, config
from billing.kernel.countries import validate_country
from billing.kernel.errors import AuthenticationFailed, InvalidRequest, NotFound
from billing.kernel.ids import new_id
from billing.kernel.scope import Scope
from billing.store.repository import Table, UnitOfWork

# Fields that always hold a value: null sets them back to these (the account's name is kept).
DEFAULTS = {"defaultCurrency": DEFAULT_CURRENCY, "defaultSessionMinutes": DEFAULT_SESSION_MINUTES}
# Wire name -> record field, in the order the wire form shows them.
ACCOUNT_FIELDS = {
    "name": "name",
    "legalName": "legal_name",
    "country": "country",
    "address": "address",
    "taxId": "tax_id",
    "defaultCurrency": "default_currency",
    "defaultSessionMinutes": "default_session_minutes",
}


class Caller(msgspec.Struct, frozen=True):
    """Who is calling the merchant API: an account, in test or live mode, with one key."""

    account_id: str
    mode: keys.Mode
    key_id: str

    @property
    def livemode(self) -> bool:
        return self.mode == "live"

    @property
    def scope(self) -> Scope:
        return Scope(self.account_id, self.mode)


class NewKey(msgspec.Struct, frozen=True):
    key_id: str
    secret: str  # shown once, never stored
    mode: keys.Mode


# ------------------------------------------------------------------ accounts
def create_account(
    name: str, *, country: str | None = None, mode: keys.Mode = "test", table: Table
) -> tuple[Account, NewKey]:
    """A new account and its first secret key, written together."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidRequest("An account needs a name of 1 to 200 characters.", param="name")
    if country is not None:
        try:
            country = validate_country(country)
        except ValueError as error:
            raise InvalidRequest(str(error), param="country") from None
    now = clock.now()
    account = Account(id=new_id("acct"), name=name, country=country, created_at=clock.to_wire(now), version=1)
    key, new_key = _new_key(account.id, mode, now)
    UnitOfWork(table, None).add(account_store.insert_account(account), account_store.insert_api_key(key)).commit()
    return account, new_key


def get_account(account_id: str, *, table: Table) -> Account:
    account = account_store.get_account(table, account_id)
    if account is None:
        raise NotFound("No such account.")
    return account


def update_account(account_id: str, changes: Mapping[str, Any], *, table: Table) -> Account:
    """Apply `changes` (wire field names) to the account, conditional on its version. A null
    sets a field with a default back to it; a null name is no change."""
    unknown = set(changes) - set(ACCOUNT_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown field {sorted(unknown)[0]}.", param=sorted(unknown)[0])
    changes = {
        field: DEFAULTS[field] if value is None and field in DEFAULTS else value
        for field, value in changes.items()
        if not (field == "name" and value is None)
    }
    current = get_account(account_id, table=table)
    if not changes:
        return current
    after = replace(
        current, version=current.version + 1, **{ACCOUNT_FIELDS[field]: value for field, value in changes.items()}
    )
    return account_store.save_account(
        table, current, after, conflict_message="The account was changed by another request; retry."
    )


def account_to_wire(account: Account, *, livemode: bool) -> dict[str, Any]:
    wire: dict[str, Any] = {"id": account.id, "object": "account"}
    wire.update({field: getattr(account, name) for field, name in ACCOUNT_FIELDS.items()})
    wire["createdAt"] = account.created_at
    wire["livemode"] = livemode
    return wire


# ------------------------------------------------------------------ dunning
MAX_RETRIES = 4
MAX_RETRY_DAY = 60
AFTER_RETRIES: tuple[AfterRetries, ...] = ("unpaid", "canceled")
DUNNING_FIELDS = ("retryDays", "afterRetries")


def get_dunning(account_id: str, *, table: Table) -> DunningSettings:
    """How the account retries a failed renewal (the defaults until it sets its own)."""
    return get_account(account_id, table=table).dunning_settings


def update_dunning(account_id: str, changes: Mapping[str, Any], *, table: Table) -> DunningSettings:
    """Applies `changes` (`retryDays`, `afterRetries`; a null sets one back to its default) to the
    account's dunning settings, conditional on the account's version. Subscriptions already being
    retried keep the schedule they started with."""
    unknown = set(changes) - set(DUNNING_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown field {sorted(unknown)[0]}.", param=sorted(unknown)[0])
    current = get_account(account_id, table=table)
    settings = current.dunning_settings
    if "retryDays" in changes:
        days = changes["retryDays"]
        retry_days = DunningSettings().retry_days if days is None else valid_retry_days(days)
        settings = replace(settings, retry_days=retry_days)
    if "afterRetries" in changes:
        after = changes["afterRetries"]
        settings = replace(
            settings, after_retries=DunningSettings().after_retries if after is None else valid_after(after)
        )
    if settings == current.dunning:
        return settings
    after_account = replace(current, dunning=settings, version=current.version + 1)
    saved = account_store.save_account(
        table, current, after_account, conflict_message="The account was changed by another request; retry."
    )
    return saved.dunning_settings


def valid_retry_days(days: Any) -> tuple[int, ...]:
    """1 to 4 retries, each 1 to 60 days after the first failure, each day once (kept ascending)."""
    if not isinstance(days, list | tuple) or not all(type(day) is int for day in days):
        raise _invalid("retryDays", "retryDays must be a list of whole numbers of days.")
    if not 1 <= len(days) <= MAX_RETRIES:
        raise _invalid("retryDays", f"retryDays takes 1 to {MAX_RETRIES} retries; got {len(days)}.")
    if not all(1 <= day <= MAX_RETRY_DAY for day in days):
        raise _invalid("retryDays", f"Each retry is 1 to {MAX_RETRY_DAY} days after the first failure.")
    if len(set(days)) != len(days):
        raise _invalid("retryDays", "retryDays names each day once (days after the first failure).")
    return tuple(sorted(days))


def valid_after(after: Any) -> AfterRetries:
    for choice in AFTER_RETRIES:
        if after == choice:
            return choice
    raise _invalid("afterRetries", "afterRetries is 'unpaid' or 'canceled'.")


def _invalid(param: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, param=param, code="parameter_invalid")


def dunning_to_wire(settings: DunningSettings, *, livemode: bool) -> dict[str, Any]:
    return {
        "object": "dunning_settings",
        "retryDays": list(settings.retry_days),
        "afterRetries": settings.after_retries,
        "livemode": livemode,
    }


# ------------------------------------------------------------------ keys
def _new_key(account_id: str, mode: keys.Mode, now: datetime) -> tuple[ApiKey, NewKey]:
    secret = keys.generate(mode)
    parsed = keys.parse(secret)
    assert parsed is not None
    key = ApiKey(
        id=new_id("key"),
        account_id=account_id,
        mode=mode,
        key_hash=parsed.hash,
        prefix=parsed.prefix,
        last4=parsed.last4,
        created_at=clock.to_wire(now),
    )
    return key, NewKey(key_id=key.id, secret=secret, mode=mode)


def add_key(account_id: str, mode: keys.Mode, *, table: Table) -> NewKey:
    get_account(account_id, table=table)
    key, new_key = _new_key(account_id, mode, clock.now())
    account_store.put_api_key(table, key)
    return new_key


def list_keys(account_id: str, *, table: Table) -> list[dict[str, Any]]:
    """Every key of the account, showing only its prefix and last 4 characters."""
    return [
        {"id": k.id, "mode": k.mode, "display": k.display, "createdAt": k.created_at, "revokedAt": k.revoked_at}
        for k in account_store.api_keys_of(table, account_id)
    ]


def revoke_key(account_id: str, key_id: str, *, table: Table) -> None:
    match = next((k for k in account_store.api_keys_of(table, account_id) if k.id == key_id), None)
    if match is None:
        raise NotFound(f"No key {key_id} on this account.", param="key")
    revoked = replace(match, revoked_at=clock.to_wire(clock.now()))
    account_store.save_revocation(table, revoked, conflict_message="The key is already revoked.")
    _key_cache.forget(match.key_hash)


class _KeyCache:
    """Resolved keys per warm container, for `key_cache_seconds` (revocations land after it)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str, ttl: float) -> Caller | None:
        with self._lock:
            entry = self._entries.get(key_hash)
        if entry and time.monotonic() - entry[0] < ttl:
            return entry[1]
        return None

    def put(self, key_hash: str, caller: Caller) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key_hash] = (time.monotonic(), caller)

    def forget(self, key_hash: str) -> None:
        with self._lock:
            self._entries.pop(key_hash, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_key_cache = _KeyCache()


def clear_key_cache() -> None:
    _key_cache.clear()


def authenticate(authorization: str | None, *, table: Table) -> Caller:
    """The caller behind an `Authorization: Bearer sk_…` header, or AuthenticationFailed."""
    if not authorization:
        raise AuthenticationFailed(
            "No API key provided. Send it as 'Authorization: Bearer sk_test_…'.", code="missing_api_key"
        )
    scheme, _, raw = authorization.strip().partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw:
        raise AuthenticationFailed("Malformed Authorization header; expected 'Bearer sk_…'.")
    if keys.is_publishable(raw):
        raise AuthenticationFailed("A publishable key cannot call the secret API; use a secret key (sk_…).")
    parsed = keys.parse(raw)
    if parsed is None:
        raise AuthenticationFailed("Invalid API key.")
    ttl = config.settings().key_cache_seconds
    cached = _key_cache.get(parsed.hash, ttl) if ttl > 0 else None
    if cached:
        return cached
    key = account_store.get_api_key(table, parsed.hash)
    if key is None or key.revoked:
        raise AuthenticationFailed("Invalid API key.")
    caller = Caller(account_id=key.account_id, mode=key.mode, key_id=key.id)
    if ttl > 0:
        _key_cache.put(parsed.hash, caller)
    return caller
