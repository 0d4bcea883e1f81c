"""Which payment processor a scope's payments go through. Test mode has the simulator (the test
tokens and numbers of `billing.payments.testtokens`); live mode has none until a gateway can be
connected, so everything that would take or move money there is refused (fails closed)."""

from __future__ import annotations

from billing.kernel.errors import Conflict
from billing.kernel.scope import Scope

NOT_CONFIGURED = "payment_gateway_not_configured"
NOT_CONFIGURED_MESSAGE = "Live payments need a connected payment gateway; none is connected for this account."


class PaymentGatewayNotConfigured(Conflict):
    code = NOT_CONFIGURED


def connected(scope: Scope) -> bool:
    """Whether money can move in this scope: test mode's simulator, yes; live mode, not yet."""
    return not scope.livemode


def require(scope: Scope) -> None:
    """Refuses (409) what would attach a method or charge in a scope without a gateway."""
    if not connected(scope):
        raise PaymentGatewayNotConfigured(NOT_CONFIGURED_MESSAGE)
