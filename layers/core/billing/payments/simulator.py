"""The test-mode simulator: the gateway of a test scope with no gateway connected. Methods are
saved from the documented test tokens and numbers only (`billing.payments.paymentmethods`);
each charge succeeds, is declined or fails as its method's test token says. It never moves money
and is never used in live mode."""

from __future__ import annotations

from billing.kernel.errors import InvalidRequest
from billing.payments.gateway import ChargeRequest, ChargeResult, GatewayEvent, MethodType, SavedMethod, SetupSession

NOT_HERE = "The test-mode simulator takes test tokens and test card numbers only; connect a payment gateway for this."


class Simulator:
    name = "simulator"

    def ensure_customer(self, customer_id: str, email: str | None, name: str | None, existing: str | None) -> str:
        return customer_id

    def attach_method(self, customer_ref: str, method_ref: str) -> SavedMethod:
        raise InvalidRequest(NOT_HERE, param="token", code="token_invalid")

    def start_setup(self, customer_ref: str, method_type: MethodType, idempotency_key: str) -> SetupSession:
        raise InvalidRequest(NOT_HERE, code="payment_gateway_required")

    def finish_setup(self, setup_ref: str, customer_ref: str) -> SavedMethod:
        raise InvalidRequest(NOT_HERE, code="payment_gateway_required")

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
        raise InvalidRequest(NOT_HERE, code="payment_gateway_required")

    def detach(self, method_ref: str) -> None:
        return None

    def charge(self, request: ChargeRequest) -> ChargeResult:
        if request.livemode:  # never: `gateway.for_scope` gives the simulator to test scopes only
            raise InvalidRequest(NOT_HERE, code="payment_gateway_required")
        if request.test_behavior == "decline":
            return ChargeResult(status="declined", code="card_declined", message="Your card was declined.")
        if request.test_behavior == "fail":
            return ChargeResult(
                status="failed", code="processing_error", message="The payment could not be processed; try again later."
            )
        return ChargeResult(status="succeeded")

    def payment(self, reference: str) -> ChargeResult:
        raise InvalidRequest(NOT_HERE, code="payment_gateway_required")

    def payment_client_secret(self, reference: str) -> str:
        raise InvalidRequest(NOT_HERE, code="payment_gateway_required")

    def verify_event(self, payload: bytes, signature: str | None) -> GatewayEvent:
        raise InvalidRequest(NOT_HERE, code="payment_gateway_required")


SIMULATOR = Simulator()
