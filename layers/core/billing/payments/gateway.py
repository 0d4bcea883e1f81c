"""The payment gateway port: what the core asks of whichever processor moves a scope's money.

Two adapters: the simulator (`billing.payments.simulator`, test mode only: the documented test
tokens and numbers, nothing else) and Stripe (`billing.payments.stripegateway`, the account's own
keys, connected through `billing.payments.connections`). Which one a scope uses is `for_scope`:
the scope's connected gateway, else the simulator in test mode, else none, and everything that
would take or move money is refused (live mode fails closed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

import msgspec

from billing.kernel.errors import Conflict, ServiceUnavailable
from billing.kernel.scope import Scope
from billing.payments.records import Card, SepaDebit

if TYPE_CHECKING:
    from billing.store.repository import Table

NOT_CONFIGURED = "payment_gateway_not_configured"
NOT_CONFIGURED_MESSAGE = "Live payments need a connected payment gateway; none is connected for this account."

# succeeded: the money moved. processing: it will be known later (SEPA settles in days), from
# the gateway's event. requires_action: the customer must authenticate (3-D Secure) on session.
# declined: the issuer or bank said no. failed: the gateway could not process it.
ChargeStatus = Literal["succeeded", "processing", "requires_action", "declined", "failed"]
MethodType = Literal["card", "sepa_debit"]


class PaymentGatewayNotConfigured(Conflict):
    code = NOT_CONFIGURED


class GatewayUnavailable(ServiceUnavailable):
    """The gateway did not answer, or answered with its own fault: nothing is known to have moved."""

    code = "payment_gateway_unavailable"


class ChargeRequest(msgspec.Struct, frozen=True, kw_only=True):
    amount: int  # minor units, > 0
    currency: str
    customer_ref: str | None  # the gateway's customer (Stripe: cus_…); None for the simulator
    method_ref: str  # the gateway's payment method (Stripe: pm_…); the simulator's: our pm_ ID
    idempotency_key: str  # the same key for a retry of the same attempt: the gateway charges once
    off_session: bool  # nobody is there to authenticate (a renewal, a dunning retry)
    invoice_id: str
    account_id: str
    livemode: bool
    method_type: MethodType | None = None  # known to the caller: spares the gateway a lookup
    # The simulator's behaviour of the method (its test token's); ignored by real gateways.
    test_behavior: str = "succeed"


class ChargeResult(msgspec.Struct, frozen=True, kw_only=True):
    status: ChargeStatus
    reference: str | None = None  # the gateway's payment (Stripe: pi_…)
    code: str | None = None  # decline or failure code (card_declined, insufficient_funds, …)
    message: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


class SetupSession(msgspec.Struct, frozen=True, kw_only=True):
    """What the browser needs to save a method in the gateway's own fields."""

    reference: str  # Stripe: seti_…
    client_secret: str  # handed to the browser once, never stored or logged
    publishable_key: str
    script_url: str  # the gateway's browser library (Stripe.js)


class SavedMethod(msgspec.Struct, frozen=True, kw_only=True):
    """A method the gateway holds for a customer, as the core records it (never the number)."""

    reference: str  # Stripe: pm_…
    card: Card | None = None
    sepa_debit: SepaDebit | None = None
    fingerprint: str  # the gateway's fingerprint of the number (peppered again before it is kept)


class GatewayEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An outcome the gateway reports later, verified: a payment settled, failed or authenticated."""

    id: str  # the gateway's event ID (Stripe: evt_…): each is settled once
    type: str
    reference: str | None = None  # the payment it is about (pi_…)
    status: ChargeStatus | None = None
    code: str | None = None
    message: str | None = None
    invoice_id: str | None = None  # from the payment's metadata
    account_id: str | None = None


class Gateway(Protocol):
    """A processor behind one scope. Adapters raise `GatewayUnavailable` when the processor
    cannot be reached, `CardDeclined` (402) when it refuses a method being saved."""

    name: str

    def ensure_customer(self, customer_id: str, email: str | None, name: str | None, existing: str | None) -> str:
        """The gateway's customer for ours (created once; `existing` when there is one)."""
        ...

    def attach_method(self, customer_ref: str, method_ref: str) -> SavedMethod:
        """A method the gateway already holds (created by its own fields or a test ID such as
        Stripe's `pm_card_visa`) attached to the customer."""
        ...

    def start_setup(self, customer_ref: str, method_type: MethodType, idempotency_key: str) -> SetupSession: ...

    def finish_setup(self, setup_ref: str, customer_ref: str) -> SavedMethod:
        """The method a setup saved, once the gateway says it succeeded for this customer."""
        ...

    def save_sepa_debit(
        self,
        customer_ref: str,
        *,
        iban: str,
        name: str,
        email: str,
        ip: str | None,
        user_agent: str | None,
        idempotency_key: str,
    ) -> SavedMethod:
        """A SEPA mandate accepted in a plain form (an IBAN is not card data): saved server-side."""
        ...

    def detach(self, method_ref: str) -> None: ...

    def charge(self, request: ChargeRequest) -> ChargeResult: ...

    def payment(self, reference: str) -> ChargeResult:
        """A payment's state now (after the customer authenticated, say)."""
        ...

    def payment_client_secret(self, reference: str) -> str:
        """The secret the browser needs to authenticate a payment (3-D Secure); never stored."""
        ...

    def verify_event(self, payload: bytes, signature: str | None) -> GatewayEvent:
        """The gateway's webhook, its signature checked with the gateway's own library; raises
        `InvalidRequest` when it does not verify."""
        ...


def for_scope(scope: Scope, table: Table) -> Gateway | None:
    """The gateway that moves this scope's money: the account's connected one for this mode,
    else the simulator in test mode, else None (live mode without a gateway)."""
    from billing.payments import connections  # the connection store reads the table

    connection = connections.get(scope, table=table)
    if connection is not None:
        return connection.gateway()
    if not scope.livemode:
        from billing.payments.simulator import SIMULATOR

        return SIMULATOR
    return None


def connected(scope: Scope, table: Table | None = None) -> bool:
    """Whether money can move in this scope (test mode always can: the simulator at least)."""
    if not scope.livemode:
        return True
    return table is not None and for_scope(scope, table) is not None


def require(scope: Scope, table: Table | None = None) -> Gateway:
    """The scope's gateway; a 409 where none can move money (live mode without a connection)."""
    found = for_scope(scope, table) if table is not None else None
    if found is None and not scope.livemode:
        from billing.payments.simulator import SIMULATOR

        found = SIMULATOR
    if found is None:
        raise PaymentGatewayNotConfigured(NOT_CONFIGURED_MESSAGE)
    return found
