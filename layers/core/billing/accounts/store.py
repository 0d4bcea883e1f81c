"""The merchant's objects in the table: item layouts, keys, the key index, and their writes.

Items:
  ACCT#<account> / ACCOUNT          the account (versioned; `dunning` once it set its own)
  APIKEY#<sha256> / APIKEY          one secret key; gsi1: ACCT#<account>#KEYS / <createdAt>#<keyId>
  <scope>#BRANDING / BRANDING       the branding of one account and mode (versioned)
  DOMAIN#<domain> / DOMAIN          a portal domain's claim: the one account and mode that set it
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from billing.accounts.records import (
    DEFAULT_ACCENT,
    DEFAULT_CURRENCY,
    DEFAULT_SESSION_MINUTES,
    Account,
    ApiKey,
    Branding,
    DunningSettings,
)
from billing.kernel.errors import Conflict
from billing.kernel.scope import Mode, Scope
from billing.store.repository import (
    Cancelled,
    Delete,
    Item,
    Operation,
    Put,
    Table,
    Update,
    holds,
    stored_as,
    versioned_set,
)

ACCOUNT_SK = "ACCOUNT"
API_KEY_SK = "APIKEY"
BRANDING_SK = "BRANDING"
CREATE = "attribute_not_exists(pk)"


def _changed(before: Item, after: Item) -> dict[str, Any]:
    """The attributes `after` sets to another value than `before` (the key and version aside)."""
    return {k: v for k, v in after.items() if k not in ("pk", "sk", "version") and before.get(k) != v}


# ------------------------------------------------------------------ accounts
def account_pk(account_id: str) -> str:
    return f"ACCT#{account_id}"


def account_key(account_id: str) -> tuple[str, str]:
    return account_pk(account_id), ACCOUNT_SK


def account_to_item(account: Account) -> Item:
    pk, sk = account_key(account.id)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "account",
        "id": account.id,
        "name": account.name,
        "legalName": account.legal_name,
        "country": account.country,
        "address": account.address,
        "taxId": account.tax_id,
        "defaultCurrency": account.default_currency,
        "defaultSessionMinutes": account.default_session_minutes,
        "createdAt": account.created_at,
        "version": account.version,
    }
    if account.dunning is not None:  # (an account that never set its own keeps the item it had)
        item["dunning"] = {
            "retryDays": list(account.dunning.retry_days),
            "afterRetries": account.dunning.after_retries,
        }
    return item


def account_from_item(item: Mapping[str, Any]) -> Account:
    # Rows written before a null meant "back to the default" may hold null in the defaulted fields.
    minutes = item.get("defaultSessionMinutes")
    return Account(
        id=item["id"],
        name=item["name"],
        legal_name=item.get("legalName"),
        country=item.get("country"),
        address=item.get("address"),
        tax_id=item.get("taxId"),
        default_currency=item.get("defaultCurrency") or DEFAULT_CURRENCY,
        default_session_minutes=DEFAULT_SESSION_MINUTES if minutes is None else int(minutes),
        dunning=_dunning_from_stored(item.get("dunning")),
        created_at=item["createdAt"],
        version=int(item["version"]),
    )


def _dunning_from_stored(stored: Mapping[str, Any] | None) -> DunningSettings | None:
    if not stored:
        return None
    return DunningSettings(
        retry_days=tuple(int(days) for days in stored["retryDays"]), after_retries=stored["afterRetries"]
    )


def get_account(table: Table, account_id: str) -> Account | None:
    item = table.get(*account_key(account_id))
    return account_from_item(item) if item is not None else None


def insert_account(account: Account) -> Put:
    return Put(account_to_item(account), condition=CREATE)


def save_account(table: Table, before: Account, after: Account, *, conflict_message: str) -> Account:
    """`after` written over `before`: a SET of the changed attributes and the next version,
    conditional on the version `before` was read at (one UpdateItem)."""
    changes = _changed(account_to_item(before), account_to_item(after))
    stored = table.update(
        *account_key(before.id),
        **versioned_set(changes, before.version),
        conflict_message=conflict_message,
        already=holds(changes, version=before.version + 1),
    )
    return account_from_item(stored)


# ------------------------------------------------------------------ API keys
def keys_partition(account_id: str) -> str:
    return f"{account_pk(account_id)}#KEYS"


def api_key_key(key_hash: str) -> tuple[str, str]:
    return f"APIKEY#{key_hash}", API_KEY_SK


def api_key_to_item(key: ApiKey) -> Item:
    pk, sk = api_key_key(key.key_hash)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "api_key",
        "id": key.id,
        "account": key.account_id,
        "mode": key.mode,
        "prefix": key.prefix,
        "last4": key.last4,
        "createdAt": key.created_at,
        "gsi1pk": keys_partition(key.account_id),
        "gsi1sk": f"{key.created_at}#{key.id}",
    }
    if key.revoked_at is not None:
        item["revokedAt"] = key.revoked_at
    return item


def api_key_from_item(item: Mapping[str, Any]) -> ApiKey:
    return ApiKey(
        id=item["id"],
        account_id=item["account"],
        mode=cast(Mode, item["mode"]),
        key_hash=str(item["pk"]).removeprefix("APIKEY#"),
        prefix=item["prefix"],
        last4=item["last4"],
        created_at=item["createdAt"],
        revoked_at=item.get("revokedAt"),
    )


def get_api_key(table: Table, key_hash: str) -> ApiKey | None:
    """The key with this hash, from an eventually consistent read (authentication's one read)."""
    item = table.get(*api_key_key(key_hash), consistent=False)
    return api_key_from_item(item) if item is not None else None


def api_keys_of(table: Table, account_id: str) -> list[ApiKey]:
    """Every key of the account, oldest first."""
    return [api_key_from_item(i) for i in table.query_all(keys_partition(account_id), index="gsi1")]


def insert_api_key(key: ApiKey) -> Put:
    return Put(api_key_to_item(key), condition=CREATE)


def put_api_key(table: Table, key: ApiKey) -> None:
    """A new key on its own (one PutItem)."""
    item = api_key_to_item(key)
    table.put(item, condition=CREATE, already=stored_as(item))


def save_revocation(table: Table, key: ApiKey, *, conflict_message: str) -> None:
    """`key.revoked_at` set on the stored key, unless it is gone or already revoked (one UpdateItem)."""
    assert key.revoked_at is not None
    table.update(
        *api_key_key(key.key_hash),
        expression="SET revokedAt = :now",
        condition="attribute_exists(pk) AND attribute_not_exists(revokedAt)",
        values={":now": key.revoked_at},
        conflict_message=conflict_message,
        already=holds({"revokedAt": key.revoked_at}),
    )


# ------------------------------------------------------------------ branding
def branding_key(scope: Scope) -> tuple[str, str]:
    return scope.key("BRANDING"), BRANDING_SK


def branding_to_item(scope: Scope, branding: Branding) -> Item:
    pk, sk = branding_key(scope)
    return {
        "pk": pk,
        "sk": sk,
        "type": "branding",
        "logo": branding.logo,
        "accentColor": branding.accent_color,
        "supportUrl": branding.support_url,
        "privacyUrl": branding.privacy_url,
        "termsUrl": branding.terms_url,
        "portalDomain": branding.domain,
        "domainToken": branding.domain_token,
        "domainVerifiedAt": branding.domain_verified_at,
        "updatedAt": branding.updated_at,
        "version": branding.version,
    }


def branding_from_item(item: Mapping[str, Any]) -> Branding:
    """The stored branding; an attribute it lacks has its default."""
    return Branding(
        logo=item.get("logo"),
        accent_color=item.get("accentColor") or DEFAULT_ACCENT,
        support_url=item.get("supportUrl"),
        privacy_url=item.get("privacyUrl"),
        terms_url=item.get("termsUrl"),
        domain=item.get("portalDomain"),
        domain_token=item.get("domainToken"),
        domain_verified_at=item.get("domainVerifiedAt"),
        updated_at=item.get("updatedAt"),
        version=int(item.get("version") or 0),
    )


def get_branding(table: Table, scope: Scope) -> Branding | None:
    item = table.get(*branding_key(scope))
    return branding_from_item(item) if item is not None else None


def save_branding(table: Table, scope: Scope, before: Branding, after: Branding, *, conflict_message: str) -> Branding:
    """`after` written over `before` in one write: the first one a PutItem that no branding is
    stored yet, the next ones a SET of the changed attributes conditional on the version read."""
    if not before.stored:
        item = branding_to_item(scope, after)
        table.put(item, condition=CREATE, conflict_message=conflict_message, already=stored_as(item))
        return after
    changes = _changed(branding_to_item(scope, before), branding_to_item(scope, after))
    stored = table.update(
        *branding_key(scope),
        **versioned_set(changes, before.version),
        conflict_message=conflict_message,
        already=holds(changes, version=before.version + 1),
    )
    return branding_from_item(stored)


def branding_write(scope: Scope, before: Branding, after: Branding) -> Put | Update:
    """`save_branding`'s write as a transaction's operation (the same conditions)."""
    if not before.stored:
        return Put(branding_to_item(scope, after), condition=CREATE)
    changes = _changed(branding_to_item(scope, before), branding_to_item(scope, after))
    return Update(*branding_key(scope), **versioned_set(changes, before.version))


# ------------------------------------------------------------------ portal domains
# Claims: one item per domain (`account`, `mode`, `claimedAt`, `claimedEpoch`; `verifiedAt` once verified).
# An account may take a domain no one holds, one it holds itself, or one another account set
# but has not verified for `hold` seconds (so that setting someone's domain and never proving
# it cannot keep it from its owner). A verification proves the domain is the caller's: it takes
# any claim not verified. A verified claim is held until its account changes or removes the domain.
_CLAIMABLE = "attribute_not_exists(pk) OR (#account = :account AND #mode = :mode)"
_OURS = "#account = :account AND #mode = :mode"
_CLAIM_NAMES = {"#account": "account", "#mode": "mode"}


def domain_key(domain: str) -> tuple[str, str]:
    return f"DOMAIN#{domain}", "DOMAIN"


def get_domain_claim(table: Table, domain: str) -> Item | None:
    return table.get(*domain_key(domain))


def _claim(scope: Scope, domain: str, *, now: str, epoch: int, verified: bool, hold: int) -> Put:
    pk, sk = domain_key(domain)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "portal_domain",
        "account": scope.account_id,
        "mode": scope.mode,
        "claimedAt": now,
        "claimedEpoch": epoch,
    }
    values: dict[str, Any] = {":account": scope.account_id, ":mode": scope.mode}
    if verified:
        item["verifiedAt"] = now
        condition = f"{_CLAIMABLE} OR attribute_not_exists(verifiedAt)"
    else:
        condition = f"{_CLAIMABLE} OR (attribute_not_exists(verifiedAt) AND claimedEpoch < :cutoff)"
        values[":cutoff"] = epoch - hold
    return Put(item, condition=condition, names=_CLAIM_NAMES, values=values)


def _release(scope: Scope, domain: str) -> Delete:
    return Delete(
        *domain_key(domain),
        condition=_OURS,
        names=_CLAIM_NAMES,
        values={":account": scope.account_id, ":mode": scope.mode},
    )


def save_branding_and_domain(
    table: Table,
    scope: Scope,
    before: Branding,
    after: Branding,
    *,
    now: str,
    epoch: int,
    hold: int,
    release: str | None,
    conflict_message: str,
    taken_message: str,
) -> Branding:
    """`after` written over `before` in one transaction with the claim of `after.domain` (new, or
    verified when `after` is) and, given `release`, the deletion of this scope's claim on that
    domain. A claim another account holds cancels it all: Conflict naming `portalDomain`."""
    operations: list[Operation] = [branding_write(scope, before, after)]
    if after.domain:
        verified = bool(after.domain_verified_at)
        operations.append(_claim(scope, after.domain, now=now, epoch=epoch, verified=verified, hold=hold))
    if release:
        operations.append(_release(scope, release))
    try:
        table.transact(operations, conflict_message=conflict_message)
    except Cancelled as error:
        if after.domain and error.reasons[1][0] == "ConditionalCheckFailed":
            raise Conflict(taken_message, param="portalDomain", code="portal_domain_taken") from None
        raise
    return after
