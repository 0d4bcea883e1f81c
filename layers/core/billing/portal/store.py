"""Where portal sessions and portal configurations are kept: their keys, indexes, item layouts
and writes.

Session: pk `PSESS#<bps>`, sk `PORTAL_SESSION`. Keyed by its ID alone (the portal learns nothing
but the ID from the URL); it names its account and mode. `expiresAt` (epoch seconds) is the
TTL attribute. `usedAt`, `cookieHash` and `revokedAt` exist only once set: the exchange and the
revocation are conditional on their absence.

Configuration: pk `<scope>#PCONF#<bpc>`, sk `PORTAL_CONFIGURATION` (versioned); gsi2
`<scope>#PCONFS` / `<bpc>` (the list, newest first; the default's sort key is `bpc_`, so it is
listed last).

Login page pointer: pk `PLOGIN#<bpc>`, sk `PORTAL_LOGIN`, naming the configuration's account and
mode (the public sign-in page learns nothing but the configuration's ID from its URL).

Sign-in code: pk `<scope>#SIGNIN#<email key>`, sk `SIGNIN_CODE` (the email key is an HMAC of the
lowercased address, so an address typed on the page is never kept): the code's HMAC, the customer
it signs in (absent for an unknown address), `attempts`, `expiresAt` (TTL, and checked). One per
address and scope: a new code replaces the old.

Rate counter: pk `RATE#<bucket>#<window>`, sk `RATE`: `hits`, added to only below the limit;
`expiresAt` (TTL) after the window. The window is in the key, so a counter never outlives it.

The customer's view is read from the customer's bundle (gsi1, see `billing.customers.store`),
each item decoded by the store of its area. What minting a session checks (the customer, the
configuration, the account, its branding, a flow's subscription) is read in one BatchGetItem,
each item decoded by the store of its area too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from billing.accounts import store as account_store
from billing.customers import store as customer_store
from billing.customers.records import Customer
from billing.events import store as event_store
from billing.invoicing import store as invoice_store
from billing.kernel.errors import Conflict
from billing.kernel.scope import Scope
from billing.payments import store as payment_store
from billing.portal.records import CustomerView, Flow, MintReads, PortalConfiguration, PortalSession, default_id
from billing.store.listing import page
from billing.store.repository import Delete, Item, Put, Table, Update, holds, versioned_set
from billing.subscriptions import store as subscription_store

LOGIN_PAGE_SK = "PORTAL_LOGIN"
SIGNIN_CODE_SK = "SIGNIN_CODE"
RATE_SK = "RATE"
SESSION_SK = "PORTAL_SESSION"
SESSION_PREFIX = "PSESS"
CONFIGURATION_SK = "PORTAL_CONFIGURATION"
T = TypeVar("T")


# ------------------------------------------------------------------ sessions
def session_key(session_id: str) -> tuple[str, str]:
    return f"{SESSION_PREFIX}#{session_id}", SESSION_SK


def _flow_to_stored(flow: Flow | None) -> dict[str, Any] | None:
    return None if flow is None else {"type": flow.type, "subscription": flow.subscription}


def _flow_from_stored(stored: Mapping[str, Any] | None) -> Flow | None:
    return None if not stored else Flow(type=stored["type"], subscription=stored.get("subscription"))


def session_to_item(session: PortalSession) -> Item:
    pk, sk = session_key(session.id)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "portal_session",
        "id": session.id,
        "account": session.account,
        "mode": session.mode,
        "customer": session.customer,
        "configuration": session.configuration,
        "branding": session.branding,
        "merchantName": session.merchant_name,
        "returnUrl": session.return_url,
        "locale": session.locale,
        "flow": _flow_to_stored(session.flow),
        "secretHash": session.secret_hash,
        "createdAt": session.created_at,
        "expiresAt": session.expires_at,
    }
    # Absent until set (the exchange and the revocation are conditional on their absence).
    for name, value in (
        ("usedAt", session.used_at),
        ("cookieHash", session.cookie_hash),
        ("revokedAt", session.revoked_at),
    ):
        if value is not None:
            item[name] = value
    return item


def session_from_item(item: Mapping[str, Any]) -> PortalSession:
    return PortalSession(
        id=item["id"],
        account=item["account"],
        mode=item["mode"],
        customer=item["customer"],
        configuration=item["configuration"],
        branding=item.get("branding") or {},
        merchant_name=item.get("merchantName"),
        return_url=item["returnUrl"],
        locale=item["locale"],
        flow=_flow_from_stored(item.get("flow")),
        secret_hash=item["secretHash"],
        created_at=item["createdAt"],
        expires_at=int(item["expiresAt"]),
        used_at=item.get("usedAt"),
        cookie_hash=item.get("cookieHash"),
        revoked_at=item.get("revokedAt"),
    )


def get_session(table: Table, session_id: str) -> PortalSession | None:
    item = table.get(*session_key(session_id))
    return session_from_item(item) if item is not None else None


def insert_session(session: PortalSession) -> Put:
    return Put(session_to_item(session), condition="attribute_not_exists(pk)")


def insert_signed_in_session(session: PortalSession) -> Put:
    """A session opened by a sign-in code: already exchanged (`usedAt`, `cookieHash` set)."""
    if not session.used_at or not session.cookie_hash:
        raise ValueError("a signed-in session is stored with its cookie's hash")
    return insert_session(session)


def spend_link(
    table: Table,
    session_id: str,
    *,
    secret_hash: str,
    cookie_hash: str,
    used_at: str,
    now: int,
    domain: str | None,
) -> PortalSession:
    """The link's exchange, as one conditional update: the secret matches, the link is unused,
    not revoked and not expired at `now` (epoch seconds), and, given a `domain`, the session's
    brand is served on it. It stores `used_at` and the cookie's hash; a failed condition is a
    Conflict."""
    pk, sk = session_key(session_id)
    condition = (
        "attribute_exists(pk) AND secretHash = :secret AND attribute_not_exists(usedAt)"
        " AND attribute_not_exists(revokedAt) AND expiresAt > :epoch"
    )
    values: dict[str, Any] = {":now": used_at, ":cookie": cookie_hash, ":secret": secret_hash, ":epoch": now}
    names = None
    if domain is not None:
        condition += " AND #branding.#domain = :host"
        names, values[":host"] = {"#branding": "branding", "#domain": "portalDomain"}, domain
    item = table.update(
        pk,
        sk,
        expression="SET usedAt = :now, cookieHash = :cookie",
        condition=condition,
        names=names,
        values=values,
        already=holds({"cookieHash": cookie_hash}),  # this request's own token: spent by it
    )
    return session_from_item(item)


def revoke_session(table: Table, session_id: str, *, revoked_at: str, conflict_message: str) -> PortalSession:
    """`revoked_at` set once; revoked by this request or another, it is done."""
    pk, sk = session_key(session_id)
    item = table.update(
        pk,
        sk,
        expression="SET revokedAt = :now",
        condition="attribute_not_exists(revokedAt)",
        values={":now": revoked_at},
        conflict_message=conflict_message,
        already=lambda stored: bool(stored.get("revokedAt")),
    )
    return session_from_item(item)


# ------------------------------------------------------------------ configurations
def configuration_key(scope: Scope, configuration_id: str) -> tuple[str, str]:
    return scope.key("PCONF", configuration_id), CONFIGURATION_SK


def list_sort_key(scope: Scope, configuration_id: str) -> str:
    """Time-sortable IDs sort as themselves; the default (whose ID is not) sorts before them all."""
    return "bpc_" if configuration_id == default_id(scope) else configuration_id


def configuration_to_item(scope: Scope, configuration: PortalConfiguration) -> Item:
    pk, sk = configuration_key(scope, configuration.id)
    return {
        "pk": pk,
        "sk": sk,
        "type": "portal_configuration",
        "id": configuration.id,
        "isDefault": configuration.is_default,
        "name": configuration.name,
        "businessProfile": configuration.business_profile,
        "features": configuration.features,
        "metadata": configuration.metadata,
        "loginPage": configuration.login_page,
        "createdAt": configuration.created_at,
        "updatedAt": configuration.updated_at,
        "version": configuration.version,
        "gsi2pk": scope.key("PCONFS"),
        "gsi2sk": list_sort_key(scope, configuration.id),
    }


def configuration_from_item(item: Mapping[str, Any]) -> PortalConfiguration:
    return PortalConfiguration(
        id=item["id"],
        is_default=bool(item["isDefault"]),
        name=item.get("name"),
        business_profile=item["businessProfile"],
        features=item["features"],
        metadata=dict(item.get("metadata") or {}),
        login_page=dict(item.get("loginPage") or {"enabled": False}),
        created_at=item["createdAt"],
        updated_at=item["updatedAt"],
        version=int(item["version"]),
    )


def get_configuration(table: Table, scope: Scope, configuration_id: str) -> PortalConfiguration | None:
    item = table.get(*configuration_key(scope, configuration_id))
    return configuration_from_item(item) if item is not None else None


def insert_configuration(scope: Scope, configuration: PortalConfiguration) -> Put:
    return Put(configuration_to_item(scope, configuration), condition="attribute_not_exists(pk)")


def update_configuration(scope: Scope, before: PortalConfiguration, after: PortalConfiguration) -> Update:
    """`SET` of the attributes `after` changes and the next version, only over the version
    `before` was read at (no lost updates)."""
    if after.id != before.id:
        raise ValueError("update_configuration does not change the configuration's ID")
    old, new = configuration_to_item(scope, before), configuration_to_item(scope, after)
    changes = {name: value for name, value in new.items() if name != "version" and old.get(name) != value}
    pk, sk = configuration_key(scope, before.id)
    return Update(pk, sk, **versioned_set(changes, before.version))


def configuration_page(
    table: Table,
    scope: Scope,
    *,
    limit: int,
    starting_after: str | None,
    to_wire: Callable[[PortalConfiguration], dict[str, Any]],
    ending_before: str | None = None,
) -> dict[str, Any]:
    """Newest first, then the default once it exists."""
    return page(
        table,
        index="gsi2",
        partition=scope.key("PCONFS"),
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        primary_key=lambda configuration_id: configuration_key(scope, configuration_id),
        to_wire=lambda item: to_wire(configuration_from_item(item)),
    )


# ------------------------------------------------------------------ minting a session
def mint_reads(
    table: Table, scope: Scope, *, customer_id: str, configuration_id: str, subscription_id: str | None
) -> MintReads:
    """What minting a session reads, in one consistent BatchGetItem: the customer, the
    configuration `configuration_id`, the account, its branding and, given, the subscription."""
    keys = {
        "customer": customer_store.customer_key(scope, customer_id),
        "configuration": configuration_key(scope, configuration_id),
        "account": account_store.account_key(scope.account_id),
        "branding": account_store.branding_key(scope),
    }
    if subscription_id:
        keys["subscription"] = subscription_store.sub_key(scope, subscription_id)
    found = table.batch_get(keys.values())

    def decoded(name: str, from_item: Callable[[Item], T]) -> T | None:
        item = found.get(keys[name]) if name in keys else None
        return from_item(item) if item is not None else None

    return MintReads(
        customer=decoded("customer", customer_store.customer_from_item),
        configuration=decoded("configuration", configuration_from_item),
        account=decoded("account", account_store.account_from_item),
        branding=decoded("branding", account_store.branding_from_item),
        subscription=decoded("subscription", subscription_store.from_item),
    )


# ------------------------------------------------------------------ the customer's view
VIEW_ITEMS = 100  # bundle items the customer's view reads in its first Query
KIND_ITEMS = 50  # the newest items of a kind that first Query did not reach, read on their own
# The bundle's kinds by sort key, in the order a newest-first Query meets them.
_KINDS = (subscription_store.BUNDLE_PREFIX, payment_store.PREFIX, invoice_store.BUNDLE_PREFIX)


def _bundle(table: Table, scope: Scope, customer_id: str) -> list[Item]:
    """The customer's bundle (gsi1), bounded: one Query of at most `VIEW_ITEMS` items from the
    top sort key down (subscriptions, payment methods, invoices, each newest first, then the
    customer), which is all of it for nearly every customer. When the bundle holds more (10,000
    invoices), what that Query reached of the kind it stopped in is kept (the newest), each kind
    it did not reach is read by its own Query of `KIND_ITEMS`, and the customer by its key: at
    most about 200 items, whatever the customer holds. Older invoices are the invoice list's
    pages (`GET /invoices?after=`)."""
    partition = customer_store.bundle_partition(scope, customer_id)
    items, last = table.query(partition, index="gsi1", limit=VIEW_ITEMS, forward=False)
    if last is None:
        return items
    stop = str(last["gsi1sk"])
    for kind in _KINDS:
        if kind < stop and not stop.startswith(kind):  # below where the Query stopped: not read
            more, _ = table.query(partition, index="gsi1", prefix=kind, limit=KIND_ITEMS, forward=False)
            items.extend(more)
    customer = table.get(*customer_store.customer_key(scope, customer_id), consistent=False)
    return items + ([customer] if customer is not None else [])


def customer_view(table: Table, scope: Scope, customer_id: str) -> CustomerView | None:
    """One customer with its newest payment methods, subscriptions and invoices, from a bounded
    read of its index partition (`_bundle`); None when there is no such customer."""
    items = _bundle(table, scope, customer_id)
    found = next((item for item in items if item.get("gsi1sk") == customer_store.BUNDLE_SK), None)
    if found is None:
        return None

    def newest_first(prefix: str) -> list[Item]:
        return sorted(
            (i for i in items if str(i.get("gsi1sk", "")).startswith(prefix)), key=lambda i: i["id"], reverse=True
        )

    return CustomerView(
        customer=customer_store.customer_from_item(found),
        payment_methods=tuple(payment_store.from_item(i) for i in newest_first(payment_store.PREFIX)),
        subscriptions=tuple(subscription_store.from_item(i) for i in newest_first(subscription_store.BUNDLE_PREFIX)),
        invoices=tuple(invoice_store.from_item(i) for i in newest_first(invoice_store.BUNDLE_PREFIX)),
    )


# ------------------------------------------------------------------ the login page and its codes
def login_page_key(configuration_id: str) -> tuple[str, str]:
    return f"PLOGIN#{configuration_id}", LOGIN_PAGE_SK


def login_page_pointer(scope: Scope, configuration_id: str) -> Put:
    pk, sk = login_page_key(configuration_id)
    return Put({"pk": pk, "sk": sk, "type": "portal_login_page", "account": scope.account_id, "mode": scope.mode})


def login_page_scope(table: Table, configuration_id: str) -> Scope | None:
    item = table.get(*login_page_key(configuration_id))
    return Scope(item["account"], item["mode"]) if item is not None else None


def _code_key(scope: Scope, email_key: str) -> tuple[str, str]:
    return scope.key("SIGNIN", email_key), SIGNIN_CODE_SK


def put_code(
    table: Table,
    scope: Scope,
    email_key: str,
    *,
    code_hash: str,
    customer: str | None,
    created_at: str,
    expires_at: int,
) -> None:
    """The address's code, replacing any earlier one (written alike for an unknown address)."""
    pk, sk = _code_key(scope, email_key)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "type": "portal_signin_code",
        "codeHash": code_hash,
        "attempts": 0,
        "createdAt": created_at,
        "expiresAt": expires_at,
    }
    if customer is not None:
        item["customer"] = customer
    table.put(item)


def spend_code_attempt(table: Table, scope: Scope, email_key: str, *, now: int, max_attempts: int) -> Item | None:
    """One attempt counted against the address's code: the code item, or None when there is no
    live code left to try (none, expired at `now`, or its attempts used up)."""
    pk, sk = _code_key(scope, email_key)
    try:
        return table.update(
            pk,
            sk,
            expression="ADD attempts :one",
            condition="attribute_exists(pk) AND attempts < :max AND expiresAt > :now",
            values={":one": 1, ":max": max_attempts, ":now": now},
        )
    except Conflict:
        return None


def use_code(scope: Scope, email_key: str, code_hash: str) -> Delete:
    """The code, spent with the session it opens: a second use of it fails the transaction."""
    pk, sk = _code_key(scope, email_key)
    return Delete(pk, sk, condition="codeHash = :hash", values={":hash": code_hash})


def count_hit(table: Table, bucket: str, *, window: int, now: int, limit: int) -> bool:
    """One more hit in `bucket`'s fixed window of `window` seconds: False once `limit` is reached."""
    start = now - now % window
    try:
        table.update(
            f"RATE#{bucket}#{start}",
            RATE_SK,
            expression="ADD hits :one SET expiresAt = :end",
            condition="attribute_not_exists(hits) OR hits < :limit",
            values={":one": 1, ":limit": limit, ":end": start + window},
        )
    except Conflict:
        return False
    return True


def customers_with_email(table: Table, scope: Scope, email: str, *, limit: int) -> list[Customer]:
    """The customers whose address is `email`, compared case-insensitively (the index may hold a
    customer whose address has changed since: the stored address decides)."""
    items, _ = table.query(customer_store.email_partition(scope, email), index="gsi3", limit=limit, forward=False)
    wanted = email.casefold()
    found = [customer_store.customer_from_item(item) for item in items]
    return [c for c in found if (c.email or "").casefold() == wanted]


def latest_event_id(table: Table, scope: Scope, customer_id: str) -> str | None:
    """The ID (time-sortable) of the customer's newest event still kept, if there is one."""
    items, _ = table.query(event_store.customer_partition(scope, customer_id), index="gsi3", limit=1, forward=False)
    return str(items[0]["gsi3sk"]) if items else None
