"""The hosted invoice page: `/i/<token>`, opened without a portal session.

The token is the invoice's hosted link (`billing.invoicing.hostedlinks`); an unknown, replaced
or lapsed one is the same "link expired" page (404). The page shows the invoice in the account's
brand and the invoice's language (else the browser's), its PDF, and, while it is open, paying
it: with the customer's saved method, or with a new card in the gateway's own fields (and the
3-D Secure step when the bank asks), reusing `static/gateway.js`. Viewing changes nothing.

Forms carry a CSRF token bound to the link (`hostedinvoices.csrf_token`) in a hidden field; the
GET also sets it in a `__Host-` SameSite=Strict cookie, and a POST needs both (403 otherwise).
The token is in the path: the portal logs no path (API Gateway's access log has the route key,
the local gateway masks it), and every page is `no-store` and `no-referrer` (`security`).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from billing.accounts import accounts, branding
from billing.accounts.records import Branding
from billing.invoicing import hostedinvoices, invoices, wording
from billing.invoicing.hostedinvoices import HostedInvoice, LinkUnavailable
from billing.kernel.errors import BillingError, Conflict, InvalidRequest
from billing.kernel.scope import RequestInfo
from billing.payments import gateway, paymentmethods
from billing.portal import hostedpayments, portalsessions
from billing.subscriptions import settlement
from portal_site import forms, hosted, i18n
from portal_site.billing_details import TAX_ID_TYPES
from portal_site.pages import CsrfRejected, table_of
from portal_site.pages import request_info as portal_request_info
from portal_site.rendering import N_, page

COOKIE_PREFIX = "__Host-vinr_invoice_"
COOKIE_SECONDS = 24 * 3600
SETUP_ID = re.compile(r"^seti_[A-Za-z0-9]{1,64}\Z")
PROBLEMS = {
    "payment_method_missing": N_("There is no saved payment method to charge. Pay with a card instead."),
    "card_declined": N_("The payment was declined. Try another payment method."),
    "processing_error": N_("The payment could not be processed. Please try again later."),
    "payment_failed": N_("The payment failed. Try another payment method."),
    "payment_intent_authentication_failure": N_(
        "Your bank did not confirm the payment. Try again, or use another payment method."
    ),
    "invoice_payment_processing": N_("A payment of this invoice is already being processed."),
    "card_exists": N_("You have already added this card."),
    "setup_incomplete": N_("Your card was not saved. Enter your card details again."),
    "busy": N_("That did not work; please try again."),
}


class Opened:
    """A hosted invoice as a request opened it: the link's invoice and its account's brand."""

    def __init__(self, request: Request, found: HostedInvoice, brand: Branding) -> None:
        self.request = request
        self.found = found
        self.brand = brand
        self.token = request.path_params["token"]
        self.table = table_of(request)

    @property
    def path(self) -> str:
        return f"/i/{self.token}"

    @property
    def cookie_name(self) -> str:
        return COOKIE_PREFIX + self.found.link_hash[:16]

    @property
    def csrf(self) -> str:
        return hostedinvoices.csrf_token(self.found.link_hash)

    def request_info(self) -> RequestInfo:
        """A payment from this page is audited like a portal change (no session: the link's page)."""
        return portal_request_info(self.request)


def _open(request: Request) -> Opened:
    """The link's invoice, on a host that serves its account (the platform's portal or the
    account's own domain); anything else is the expired page."""
    table = table_of(request)
    found = hostedinvoices.open_link(request.path_params["token"], table=table)
    brand = branding.get_branding(found.scope, table=table)
    host = portalsessions.hostname(request.headers.get("host"))
    if not host or host not in {portalsessions.default_portal_host(), brand.portal_domain}:
        raise LinkUnavailable()
    return Opened(request, found, brand)


async def _checked(request: Request) -> tuple[Opened, Any]:
    opened = _open(request)
    form = await request.form()
    submitted = (forms.single(form, "csrf"), request.cookies.get(opened.cookie_name))
    if not hostedinvoices.csrf_valid(opened.found.link_hash, *submitted):
        raise CsrfRejected()
    return opened, form


def _brand_context(opened: Opened) -> dict[str, Any]:
    scope = opened.found.scope
    snapshot = branding.portal_snapshot(opened.brand)
    logo = f"/assets/logo/{scope.account_id}/{scope.mode}/{snapshot['logoHash']}" if snapshot["logoHash"] else None
    account = accounts.get_account(scope.account_id, table=opened.table)
    return {"brand": snapshot, "merchant": account.name, "profile": {}, "logo_url": logo, "return_url": None}


def _render(opened: Opened, *, status: int = 200, problem: str | None = None) -> Response:
    request, scope, invoice = opened.request, opened.found.scope, opened.found.invoice
    locale = i18n.negotiate(invoice.locale, request.headers.get("accept-language"))
    gettext = i18n.gettext_for(locale)
    is_open = invoice.status == "open"
    unavailable = is_open and not gateway.connected(scope, opened.table)
    payable = is_open and not unavailable and invoice.payment_pending != "processing"
    fields = hosted.fields_for(scope, opened.table) if payable else None
    saved = hostedpayments.saved_method(scope, invoice, table=opened.table) if payable else None
    response = page(
        request,
        "hosted_invoice.html",
        None,
        status=status,
        **_brand_context(opened),
        **i18n.template_helpers(locale),
        invoice=invoices.to_wire(invoice, scope),
        invoice_path=opened.path,
        descriptions=[wording.line_description(line, locale) for line in invoice.lines],
        discount_label=wording.discount_label(invoice, locale),
        reverse_charge_note=wording.reverse_charge_note(invoice, locale),
        payable=payable,
        payments_unavailable=unavailable,
        payment_pending=invoice.payment_pending if is_open else None,
        saved_method=saved,
        hosted=fields,
        tax_id_types=TAX_ID_TYPES,
        csrf=opened.csrf,
        notice=request.query_params.get("done"),  # (invoices_detail.html words it)
        problem=gettext(PROBLEMS[problem]) if problem else None,
    )
    response.set_cookie(
        opened.cookie_name,
        opened.csrf,
        max_age=COOKIE_SECONDS,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return hosted.allow_gateway(response) if fields is not None else response


async def show(request: Request) -> Response:
    """GET /i/{token}: the invoice; nothing is changed by looking at it."""
    return _render(_open(request))


def _filename(number: str | None, invoice_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", number or invoice_id) + ".pdf"


async def download(request: Request) -> Response:
    """GET /i/{token}/pdf: the API's PDF, in the invoice's language."""
    opened = _open(request)
    scope, invoice = opened.found.scope, opened.found.invoice
    from billing.invoicing import pdf  # reportlab: loaded by the PDF routes only

    locale = i18n.negotiate(invoice.locale, request.headers.get("accept-language"))
    document = pdf.invoice_document(scope, invoice, locale, table=opened.table)
    return Response(
        document,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{_filename(invoice.number, invoice.id)}"'},
    )


def _after_attempt(opened: Opened, after: Any) -> Response:
    """Paid or processing: back to the page with its banner; waiting for the bank: back to the
    page, which offers the authentication; failed: the page with why."""
    if after.status == "paid":
        return RedirectResponse(f"{opened.path}?done=invoice_paid", status_code=303)
    if after.payment_pending == "processing":
        return RedirectResponse(f"{opened.path}?done=payment_processing", status_code=303)
    if after.payment_pending == "requires_action":
        return RedirectResponse(opened.path, status_code=303)
    failure = str(after.last_payment_error.code if after.last_payment_error is not None else None)
    reopened = Opened(opened.request, HostedInvoice(opened.found.scope, after, opened.found.link_hash), opened.brand)
    return _render(reopened, status=402, problem=failure if failure in PROBLEMS else "payment_failed")


def _refused(opened: Opened, refused: BillingError) -> Response:
    unknown = "busy" if isinstance(refused, Conflict) else "payment_failed"
    code = refused.code if refused.code in PROBLEMS else unknown
    return _render(opened, status=402 if code == "payment_failed" else 409, problem=code)


async def pay(request: Request) -> Response:
    """POST /i/{token}/pay: charges the saved method (`POST /v1/invoices/{id}/pay`'s path)."""
    opened, _ = await _checked(request)
    scope, invoice = opened.found.scope, opened.found.invoice
    if invoice.status != "open" or not gateway.connected(scope, opened.table):
        return RedirectResponse(opened.path, status_code=303)
    if hostedpayments.saved_method(scope, invoice, table=opened.table) is None:
        return _render(opened, status=402, problem="payment_method_missing")
    try:
        after = hostedpayments.pay_with_saved_method(scope, invoice.id, opened.request_info(), table=opened.table)
    except (InvalidRequest, Conflict) as refused:
        return _refused(opened, refused)
    return _after_attempt(opened, after)


async def card_setup(request: Request) -> Response:
    """POST /i/{token}/card/setup (the page's script): a SetupIntent for the customer, as JSON."""
    opened, _ = await _checked(request)
    scope, invoice = opened.found.scope, opened.found.invoice
    if invoice.status != "open" or not paymentmethods.uses_gateway(scope, table=opened.table):
        return hosted.refusal(InvalidRequest("No payment gateway's fields take cards here.", param="type"))
    try:
        setup = paymentmethods.start_setup(scope, invoice.customer, "card", table=opened.table)
    except BillingError as refused:
        return hosted.refusal(refused)
    return hosted.secret_answer(setup.client_secret, setup.publishable_key)


async def pay_with_card(request: Request) -> Response:
    """POST /i/{token}/card: the card the gateway's fields saved (the form carries only the
    SetupIntent's ID), attached to the customer and charged for the invoice."""
    opened, form = await _checked(request)
    scope, invoice = opened.found.scope, opened.found.invoice
    if invoice.status != "open":
        return RedirectResponse(opened.path, status_code=303)
    setup_ref = forms.single(form, "setup_intent") or ""
    if not SETUP_ID.match(setup_ref):
        return _render(opened, status=400, problem="setup_incomplete")
    try:
        after = hostedpayments.pay_with_new_card(scope, invoice, setup_ref, opened.request_info(), table=opened.table)
    except paymentmethods.CardDeclined:
        return _render(opened, status=402, problem="card_declined")
    except paymentmethods.DuplicatePaymentMethod:
        return _render(opened, status=409, problem="card_exists")
    except (InvalidRequest, Conflict) as refused:
        return _refused(opened, refused)
    return _after_attempt(opened, after)


async def payment_secret(request: Request) -> Response:
    """POST /i/{token}/authentication (the page's script): the payment's client secret for the
    gateway's 3-D Secure flow, as JSON."""
    opened, _ = await _checked(request)
    fields = hosted.fields_for(opened.found.scope, opened.table)
    if fields is None:
        return hosted.refusal(InvalidRequest("No payment gateway asks for authentication here.", param="id"))
    try:
        secret = settlement.client_secret(opened.found.scope, opened.found.invoice, table=opened.table)
    except BillingError as refused:
        return hosted.refusal(refused)
    return hosted.secret_answer(secret, fields.publishable_key)


async def complete_payment(request: Request) -> Response:
    """POST /i/{token}/complete: after the customer authenticated, the payment's state asked of
    the gateway and recorded."""
    opened, _ = await _checked(request)
    scope, invoice = opened.found.scope, opened.found.invoice
    after = settlement.complete_payment(scope, invoice.id, opened.request_info(), table=opened.table)
    if after.status not in ("open", "paid"):
        return RedirectResponse(opened.path, status_code=303)
    return _after_attempt(opened, after)


async def link_unavailable(request: Request, _: Exception) -> Response:
    """An unknown, replaced or lapsed link (or one on another account's host): one answer."""
    return page(request, "hosted_invoice_expired.html", None, status=404)


ROUTES: list[BaseRoute] = [
    Route("/i/{token}", show, methods=["GET"]),
    Route("/i/{token}/pdf", download, methods=["GET"]),
    Route("/i/{token}/pay", pay, methods=["POST"]),
    Route("/i/{token}/card/setup", card_setup, methods=["POST"]),
    Route("/i/{token}/card", pay_with_card, methods=["POST"]),
    Route("/i/{token}/authentication", payment_secret, methods=["POST"]),
    Route("/i/{token}/complete", complete_payment, methods=["POST"]),
]
