"""The payment gateway an account connects itself, one per mode (test and live apart).

Connecting checks the keys (`stripekeys.verify`: their shapes, then one call to the gateway) and
stores them sealed (`secretbox`, a key that is not in the table); after that the secrets are
never answered nor logged: `to_wire` shows the type, the publishable key and the secret key's
last 4. `Connection.gateway()` opens them for the adapter of one request.
"""

from __future__ import annotations

from typing import Any

from billing.customers.records import Customer
from billing.kernel import clock, config
from billing.kernel.errors import Conflict, InvalidRequest, NotFound
from billing.kernel.ids import new_id
from billing.kernel.scope import RequestInfo, Scope
from billing.payments import secretbox, stripekeys
from billing.payments import store as payment_store
from billing.payments.gateway import Gateway
from billing.payments.gateway import require as require_gateway
from billing.payments.records import GatewayConnection
from billing.store.repository import Table, UnitOfWork

TYPES = ("stripe",)


class GatewayKeysUnreadable(Conflict):
    """The stored secrets do not open (the deployment's key material was changed): only
    connecting the gateway again can fix it."""

    code = "payment_gateway_reconnect_required"


class Connection:
    """A stored connection of one scope; its secrets stay sealed until `gateway()`."""

    def __init__(self, scope: Scope, record: GatewayConnection) -> None:
        self.scope = scope
        self.record = record

    @property
    def id(self) -> str:
        return self.record.id

    def gateway(self) -> Gateway:
        # Imported here: the `stripe` package costs ~200 ms, and most requests never need it.
        from billing.payments.stripegateway import StripeGateway

        settings = config.settings()
        return StripeGateway(
            self._open(self.record.sealed_secret_key, "secretKey"),
            self.record.publishable_key,
            self._open(self.record.sealed_webhook_secret, "webhookSecret"),
            api_base=settings.stripe_api_base,
            script_url=settings.stripe_js_url,
        )

    def _open(self, sealed: str, field: str) -> str:
        try:
            return secretbox.open_sealed(sealed, scope=self.scope, field=field)
        except secretbox.Unsealable:
            raise GatewayKeysUnreadable(
                "The connected payment gateway's keys can no longer be read (the deployment's key material "
                "changed); connect the gateway again with POST /v1/payment_gateway."
            ) from None


def connect(
    scope: Scope,
    *,
    type: str,
    secret_key: str,
    publishable_key: str,
    webhook_secret: str,
    table: Table,
    request: RequestInfo | None = None,
) -> Connection:
    """The keys checked with the gateway, sealed and stored; a previous connection of this scope
    is replaced (methods saved under it keep their gateway IDs)."""
    if type not in TYPES:
        raise InvalidRequest(f"type must be one of: {', '.join(TYPES)}.", param="type")
    stripekeys.verify(
        secret_key,
        publishable_key,
        webhook_secret,
        livemode=scope.livemode,
        api_base=config.settings().stripe_api_base,
    )
    record = GatewayConnection(
        id=new_id("gwc"),
        type="stripe",
        publishable_key=publishable_key,
        secret_key_last4=secret_key[-4:],
        sealed_secret_key=secretbox.seal(secret_key, scope=scope, field="secretKey"),
        sealed_webhook_secret=secretbox.seal(webhook_secret, scope=scope, field="webhookSecret"),
        connected_at=clock.to_wire(clock.now()),
    )
    table.memo.pop(_memo_key(scope), None)
    UnitOfWork(table, request).add(payment_store.save_gateway_connection(scope, record)).commit()
    return Connection(scope, record)


def get(scope: Scope, *, table: Table) -> Connection | None:
    """The scope's connection (read once per request: every money path of a request asks)."""
    key = _memo_key(scope)
    if key not in table.memo:
        record = payment_store.get_gateway_connection(table, scope)
        table.memo[key] = Connection(scope, record) if record is not None else None
    found: Connection | None = table.memo[key]
    return found


def _memo_key(scope: Scope) -> tuple[str, ...]:
    return ("gateway_connection", scope.account_id, scope.mode)


def require_connection(scope: Scope, *, table: Table) -> Connection:
    found = get(scope, table=table)
    if found is None:
        raise NotFound(f"No payment gateway is connected in {scope.mode} mode.")
    return found


def disconnect(scope: Scope, *, table: Table, request: RequestInfo | None = None) -> Connection:
    """The scope's connection removed (a 404 when there is none). Live mode then refuses to move
    money (409 `payment_gateway_not_configured`); test mode falls back to the simulator."""
    found = require_connection(scope, table=table)
    table.memo.pop(_memo_key(scope), None)
    try:
        UnitOfWork(table, request).add(payment_store.remove_gateway_connection(scope, found.record)).commit()
    except Conflict:
        require_connection(scope, table=table)  # removed meanwhile: a 404 as well
        raise  # replaced meanwhile by a new connection, which stays
    return found


def webhook_path(account_id: str) -> str:
    """Where the gateway sends this account's events (public; its signature is the authentication)."""
    return f"/v1/gateway_webhooks/{account_id}/stripe"


def to_wire(connection: Connection, scope: Scope, webhook_url: str) -> dict[str, Any]:
    record = connection.record
    return {
        "id": record.id,
        "object": "payment_gateway",
        "type": record.type,
        "publishableKey": record.publishable_key,
        "secretKeyLast4": record.secret_key_last4,
        "webhookUrl": webhook_url,
        "connectedAt": record.connected_at,
        "livemode": scope.livemode,
    }


def customer_ref(scope: Scope, customer: Customer, *, table: Table) -> str:
    """The gateway's customer for ours: created once per connection, then read. Two requests
    racing to create it agree (the mapping is put once; the loser reads the winner's; the
    gateway customer it made is left unused)."""
    connection = get(scope, table=table)
    if connection is None:
        return require_gateway(scope).ensure_customer(customer.id, customer.email, customer.name, None)
    known = payment_store.get_gateway_customer(table, scope, connection.id, customer.id)
    if known is not None:
        return known
    made = connection.gateway().ensure_customer(customer.id, customer.email, customer.name, None)
    try:
        payment_store.put_gateway_customer(table, scope, connection.id, customer.id, made)
    except Conflict:
        winner = payment_store.get_gateway_customer(table, scope, connection.id, customer.id)
        if winner is None:
            raise
        return winner
    return made
