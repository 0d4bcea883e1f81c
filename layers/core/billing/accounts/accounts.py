"""Accounts (the merchant, shown as the seller on invoices) and their secret keys.

Items:
  ACCT#<account> / ACCOUNT          the account's business details (versioned)
  APIKEY#<sha256> / APIKEY          one secret key; gsi1: ACCT#<account>#KEYS / <createdAt>#<keyId>
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from billing.accounts import keys
from billing.kernel import clock, config
from billing.kernel.countries import validate_country
from billing.kernel.errors import AuthenticationFailed, InvalidRequest, NotFound
from billing.kernel.ids import new_id
from billing.kernel.scope import Scope
from billing.store.repository import Item, Put, Table, UnitOfWork, holds, stored_as, versioned_set

DEFAULT_SESSION_MINUTES = 30
# Fields that always hold a value: null sets them back to these (the account's name is kept).
DEFAULTS = {"defaultCurrency": "usd", "defaultSessionMinutes": DEFAULT_SESSION_MINUTES}
ACCOUNT_FIELDS = ("name", "legalName", "country", "address", "taxId", "defaultCurrency", "defaultSessionMinutes")


def account_pk(account_id: str) -> str:
    return f"ACCT#{account_id}"


@dataclass(frozen=True)
class Caller:
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


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret: str  # shown once, never stored
    mode: keys.Mode


# ------------------------------------------------------------------ accounts
def create_account(
    name: str, *, country: str | None = None, mode: keys.Mode = "test", table: Table
) -> tuple[Item, NewKey]:
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
    account_id = new_id("acct")
    account: Item = {
        "pk": account_pk(account_id),
        "sk": "ACCOUNT",
        "type": "account",
        "id": account_id,
        "name": name,
        "legalName": None,
        "country": country,
        "address": None,
        "taxId": None,
        **DEFAULTS,
        "createdAt": clock.to_wire(now),
        "version": 1,
    }
    key_item, new_key = _key_item(account_id, mode, now)
    UnitOfWork(table, None).add(
        Put(account, condition="attribute_not_exists(pk)"),
        Put(key_item, condition="attribute_not_exists(pk)"),
    ).commit()
    return account, new_key


def get_account(account_id: str, *, table: Table) -> Item:
    item = table.get(account_pk(account_id), "ACCOUNT")
    if item is None:
        raise NotFound("No such account.")
    return item


def update_account(account_id: str, changes: Mapping[str, Any], *, table: Table) -> Item:
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
    return table.update(
        current["pk"],
        "ACCOUNT",
        **versioned_set(changes, current["version"]),
        conflict_message="The account was changed by another request; retry.",
        already=holds(changes, version=current["version"] + 1),
    )


def account_to_wire(item: Item, *, livemode: bool) -> dict[str, Any]:
    wire = {"id": item["id"], "object": "account"}
    wire.update({field: item.get(field) for field in ACCOUNT_FIELDS})
    wire["createdAt"] = item["createdAt"]
    wire["livemode"] = livemode
    return wire


# ------------------------------------------------------------------ keys
def _key_item(account_id: str, mode: keys.Mode, now: Any) -> tuple[Item, NewKey]:
    secret = keys.generate(mode)
    parsed = keys.parse(secret)
    assert parsed is not None
    key_id = new_id("key")
    created = clock.to_wire(now)
    item: Item = {
        "pk": f"APIKEY#{parsed.hash}",
        "sk": "APIKEY",
        "type": "api_key",
        "id": key_id,
        "account": account_id,
        "mode": mode,
        "prefix": parsed.prefix,
        "last4": parsed.last4,
        "createdAt": created,
        "gsi1pk": f"{account_pk(account_id)}#KEYS",
        "gsi1sk": f"{created}#{key_id}",
    }
    return item, NewKey(key_id=key_id, secret=secret, mode=mode)


def add_key(account_id: str, mode: keys.Mode, *, table: Table) -> NewKey:
    get_account(account_id, table=table)
    item, new_key = _key_item(account_id, mode, clock.now())
    table.put(item, condition="attribute_not_exists(pk)", already=stored_as(item))
    return new_key


def _key_items(account_id: str, table: Table) -> list[Item]:
    return table.query_all(f"{account_pk(account_id)}#KEYS", index="gsi1")


def list_keys(account_id: str, *, table: Table) -> list[dict[str, Any]]:
    """Every key of the account, showing only its prefix and last 4 characters."""
    return [
        {
            "id": i["id"],
            "mode": i["mode"],
            "display": f"{i['prefix']}…{i['last4']}",
            "createdAt": i["createdAt"],
            "revokedAt": i.get("revokedAt"),
        }
        for i in _key_items(account_id, table)
    ]


def revoke_key(account_id: str, key_id: str, *, table: Table) -> None:
    match = next((i for i in _key_items(account_id, table) if i["id"] == key_id), None)
    if match is None:
        raise NotFound(f"No key {key_id} on this account.", param="key")
    now = clock.to_wire(clock.now())
    table.update(
        match["pk"],
        "APIKEY",
        expression="SET revokedAt = :now",
        condition="attribute_exists(pk) AND attribute_not_exists(revokedAt)",
        values={":now": now},
        conflict_message="The key is already revoked.",
        already=holds({"revokedAt": now}),
    )
    _key_cache.forget(match["pk"])


class _KeyCache:
    """Resolved keys per warm container, for `key_cache_seconds` (revocations land after it)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    def get(self, pk: str, ttl: float) -> Caller | None:
        with self._lock:
            entry = self._entries.get(pk)
        if entry and time.monotonic() - entry[0] < ttl:
            return entry[1]
        return None

    def put(self, pk: str, caller: Caller) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[pk] = (time.monotonic(), caller)

    def forget(self, pk: str) -> None:
        with self._lock:
            self._entries.pop(pk, None)

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
    pk = f"APIKEY#{parsed.hash}"
    ttl = config.settings().key_cache_seconds
    cached = _key_cache.get(pk, ttl) if ttl > 0 else None
    if cached:
        return cached
    item = table.get(pk, "APIKEY", consistent=False)
    if item is None or item.get("revokedAt"):
        raise AuthenticationFailed("Invalid API key.")
    caller = Caller(account_id=item["account"], mode=item["mode"], key_id=item["id"])
    if ttl > 0:
        _key_cache.put(pk, caller)
    return caller
