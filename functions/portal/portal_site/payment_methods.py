"""Payment methods: add a card or a SEPA mandate, remove one, make one the default, pay an open
invoice (authenticating it when the bank asks: 3-D Secure).

The configuration's `paymentMethodUpdate.types` decides which kinds can be added. With a payment
gateway connected (`hosted.fields`), a card is typed into the gateway's own fields
(`static/gateway.js`: Stripe.js confirms a SetupIntent), so the portal only ever receives the
SetupIntent's ID (`paymentmethods.details_from_setup`); the IBAN of a SEPA mandate (not card data)
is posted in a plain form and handed to the gateway (`paymentmethods.save_iban`). Without one
(test mode's simulator), the card and IBAN are typed into the portal's own fields and checked by
the billing core (`paymentmethods.details_from_card` / `details_from_iban`: documented test numbers
only). Either way only brand/last4/expiry (bank code/last4/country and the mandate) and the keyed
fingerprint are stored, by `paymentmethods.attach`, the path the merchant API takes (which refuses
a card or account the customer already has, by its fingerprint). A card number, CVC or IBAN is
never logged, never put in an event and never shown again: a form that comes back with errors is
empty in those fields.

Every object is read through the session's customer: another customer's, another account's
or an unknown ID is the same 404.

In live mode without a connected gateway (`billing.payments.gateway`) the pages say that payment
changes are unavailable instead of showing the forms and the pay buttons, and a post that would
add a method or pay is a 409 with the same sentence (the core refuses it too).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from billing.customers import customers
from billing.invoicing.records import Invoice
from billing.kernel import clock
from billing.kernel.errors import BillingError, Conflict, InvalidRequest, NotFound
from billing.kernel.scope import RequestInfo
from billing.payments import gateway, instruments, paymentmethods
from billing.payments.records import PaymentMethod
from billing.payments.testtokens import Behavior
from billing.portal import customerview
from billing.portal.portalconfigs import PAYMENT_METHOD_TYPES
from billing.portal.records import CustomerView
from billing.subscriptions import collection, settlement
from portal_site import forms, hosted
from portal_site.invoices import own_invoice
from portal_site.pages import SignedIn, checked_form, done, signed_in
from portal_site.rendering import N_, page

PATH = "/payment-methods"
CARD_TEMPLATE, SEPA_TEMPLATE = "payment_methods_card.html", "payment_methods_sepa.html"
FLOW = "payment_method_update"
PM_ID = re.compile(r"^pm_[A-Za-z0-9]{1,40}\Z")
SETUP_ID = re.compile(r"^seti_[A-Za-z0-9]{1,64}\Z")
# MM/YY, MM/YYYY, MM-YY, MM YY or MMYY
EXPIRY = re.compile(r"^\s*([0-9]{1,2})\s*[/\-. ]?\s*([0-9]{2}|[0-9]{4})\s*\Z")
NAME_MAX_LENGTH = 200
# Longer than anything valid, short enough that nothing big reaches a check.
RAW_LIMITS = {"number": 40, "expiry": 16, "cvc": 8, "iban": 64}

NOTICES = {
    "card_added": N_("Your card was added."),
    "sepa_added": N_("Your bank account was added for SEPA Direct Debit."),
    "default_changed": N_("Your default payment method was changed."),
    "removed": N_("The payment method was removed."),
    "invoice_paid": N_("The invoice was paid."),
    "payment_processing": N_(
        "Your payment is being processed. A debit from a bank account can take a few days to complete."
    ),
}
MESSAGES = {
    "name_missing": N_("Enter the name on the card."),
    "holder_missing": N_("Enter the account holder's name."),
    "name_too_long": N_("This is too long: use at most %(count)s characters."),
    "number_missing": N_("Enter your card number."),
    "invalid_number": N_("Enter a valid card number, as it is printed on your card."),
    "card_declined": N_("Your card was declined. Try another card."),
    "card_exists": N_("You have already added this card."),
    "expiry_missing": N_("Enter the expiry date as month and year, like 08/29."),
    "invalid_expiry": N_("Enter the expiry date as month and year, like 08/29."),
    "invalid_expiry_month": N_("The expiry month must be between 01 and 12."),
    "expired_card": N_("Your card has expired. Use a card that is still valid."),
    "cvc_missing": N_("Enter the security code."),
    "invalid_cvc": N_("Enter the 3-digit security code from the back of your card."),
    "invalid_cvc_amex": N_("Enter the 4-digit security code from the front of your card."),
    "iban_missing": N_("Enter your IBAN."),
    "invalid_iban": N_("Enter a valid IBAN, like DE89 3704 0044 0532 0130 00."),
    "iban_exists": N_("You have already added this bank account."),
    "mandate_missing": N_("Accept the mandate to pay by SEPA Direct Debit."),
    "test_card_required": N_("Only test cards work in test mode. Use a test card number, like 4242 4242 4242 4242."),
    "test_iban_required": N_("Only test IBANs work in test mode. Use a test IBAN, like DE89 3704 0044 0532 0130 00."),
    "setup_incomplete": N_("Your card was not saved. Enter your card details again."),
    "iban_declined": N_("This bank account was refused. Check the IBAN or use another bank account."),
    "email_missing": N_(
        "A debit from a bank account needs your email address, for its notices. Add one to your billing details first."
    ),
    "invalid": N_("Check this value."),
}
# Errors shown on the list page (a change that could not be made).
PROBLEMS = {
    "payment_method_required": N_(
        "This payment method pays for an active subscription, so it cannot be removed. "
        "Add another payment method first."
    ),
    "card_declined": N_("The payment was declined. Try another payment method."),
    "processing_error": N_("The payment could not be processed. Please try again later."),
    "payment_method_missing": N_("Add a payment method to pay this invoice."),
    "invoice_not_open": N_("This invoice is no longer open."),
    "payment_failed": N_("The payment failed. Try another payment method."),
    "payment_intent_authentication_failure": N_(
        "Your bank did not confirm the payment. Try again, or use another payment method."
    ),
    "invoice_payment_processing": N_("A payment of this invoice is already being processed."),
    "busy": N_("That did not work; please try again."),
    gateway.NOT_CONFIGURED: N_(
        "Payment changes are unavailable: payment methods cannot be added and invoices cannot be paid online yet."
    ),
}
CARD_FIELDS = ("name", "number", "expiry", "cvc")
SEPA_FIELDS = ("holder", "iban", "mandate")


# ------------------------------------------------------------------ helpers
def _types(settings: Mapping[str, Any]) -> list[str]:
    """The kinds of method the configuration lets the customer add (all when it names none)."""
    types = settings.get("types")
    return list(PAYMENT_METHOD_TYPES if types is None else types)


def _require_type(who: SignedIn, kind: str) -> None:
    if kind not in _types(who.require("paymentMethodUpdate")):
        raise HTTPException(404)


def _charged_with(found: CustomerView, invoice: Invoice) -> PaymentMethod | None:
    """The method `collection.pay_invoice` charges: the subscription's own, else the default."""
    sub = next((s for s in found.subscriptions if s.id == invoice.subscription), None)
    pm_id = (sub.default_payment_method if sub is not None else None) or found.customer.default_payment_method
    return next((pm for pm in found.payment_methods if pm.id == pm_id), None)


def _unavailable(who: SignedIn, gettext: forms.Gettext) -> Markup | None:
    """The sentence shown instead of the forms and pay buttons when money cannot move (live mode
    without a connected gateway)."""
    if gateway.connected(who.scope, who.table):
        return None
    return forms.say(gettext, PROBLEMS[gateway.NOT_CONFIGURED])


def _render_list(request: Request, who: SignedIn, *, status: int = 200, problem: str | None = None) -> Response:
    settings = who.require("paymentMethodUpdate")
    found = customerview.bundle(who.scope, who.customer_id, table=who.table)
    gettext = forms.gettext_for(request, who.session)
    notice = NOTICES.get(request.query_params.get("done") or "")
    open_invoices = [
        {"invoice": invoice, "method": _charged_with(found, invoice)}
        for invoice in found.invoices
        if invoice.status == "open"
    ]
    unavailable = _unavailable(who, gettext)
    waiting = not unavailable and any(
        i.payment_pending == "requires_action" for i in found.invoices if i.status == "open"
    )
    fields = hosted.fields(who) if waiting else None
    response = page(
        request,
        "payment_methods_list.html",
        who.session,
        status=status,
        signed_in=True,
        form_redirect_to=who.session.return_url,
        csrf=who.csrf,
        methods=found.payment_methods,
        default_id=found.customer.default_payment_method,
        types=_types(settings),
        unavailable=unavailable,
        open_invoices=open_invoices,
        hosted=fields,
        notice=forms.say(gettext, notice) if notice else None,
        problem=forms.say(gettext, PROBLEMS.get(problem or "", PROBLEMS["busy"])) if problem else None,
    )
    return hosted.allow_gateway(response) if fields is not None else response


# ------------------------------------------------------------------ the list
async def show(request: Request) -> Response:
    """GET /payment-methods: the methods, the default, the ways to add one, open invoices."""
    who = signed_in(request)
    return _render_list(request, who)


async def make_default(request: Request) -> Response:
    """POST /payment-methods/{pm_id}/default."""
    who = signed_in(request)
    who.require("paymentMethodUpdate")
    await checked_form(request, who)
    pm_id = _own_method_id(who, request.path_params["pm_id"])
    paymentmethods.set_default(who.scope, who.customer_id, pm_id, who.request_info(request), table=who.table)
    collection.retry_with_new_default(who.scope, who.customer_id, pm_id, who.request_info(request), table=who.table)
    return done(who, PATH, "default_changed", flow=FLOW)


async def remove(request: Request) -> Response:
    """POST /payment-methods/{pm_id}/remove: the API's rule, the last method an active paid
    subscription needs stays (the list again, with why)."""
    who = signed_in(request)
    who.require("paymentMethodUpdate")
    await checked_form(request, who)
    pm_id = _own_method_id(who, request.path_params["pm_id"])
    try:
        collection.detach_payment_method(who.scope, who.customer_id, pm_id, who.request_info(request), table=who.table)
    except NotFound:
        raise HTTPException(404) from None
    except Conflict as refused:
        code = refused.code if refused.code in PROBLEMS else "busy"
        return _render_list(request, who, status=409, problem=code)
    return done(who, PATH, "removed")


def _own_method_id(who: SignedIn, pm_id: str) -> str:
    """`pm_id` when it is one of this customer's methods; a 404 that says nothing otherwise."""
    if not PM_ID.match(pm_id):
        raise HTTPException(404)
    try:
        paymentmethods.get(who.scope, who.customer_id, pm_id, table=who.table)
    except NotFound:
        raise HTTPException(404) from None
    return pm_id


# ------------------------------------------------------------------ paying an open invoice
async def pay(request: Request) -> Response:
    """POST /invoices/{invoice_id}/pay: the service the API's `POST /v1/invoices/{id}/pay`
    calls, with the method it charges (the subscription's, else the customer's default)."""
    who = signed_in(request)
    who.require("paymentMethodUpdate")
    form = await checked_form(request, who)
    invoice = own_invoice(who, request.path_params["invoice_id"])
    back = f"/invoices/{invoice.id}" if forms.single(form, "from") == "invoice" else PATH
    if invoice.status != "open":
        return _render_list(request, who, status=409, problem="invoice_not_open")
    if not gateway.connected(who.scope, who.table):
        return _render_list(request, who, status=409)
    found = customerview.bundle(who.scope, who.customer_id, table=who.table)
    if _charged_with(found, invoice) is None:
        return _render_list(request, who, status=402, problem="payment_method_missing")
    try:
        after = collection.pay_invoice(who.scope, invoice.id, who.request_info(request), table=who.table)
    except gateway.PaymentGatewayNotConfigured:
        return _render_list(request, who, status=409)
    except (InvalidRequest, Conflict) as refused:
        unknown = "busy" if isinstance(refused, Conflict) else "payment_failed"
        code = refused.code if refused.code in PROBLEMS else unknown
        return _render_list(request, who, status=402 if code == "payment_failed" else 409, problem=code)
    return _after_attempt(request, who, after, back)


def _after_attempt(request: Request, who: SignedIn, after: Invoice, back: str) -> Response:
    """Where a payment attempt leads: paid or processing, back with the banner; waiting for the
    customer's authentication, back to the page that offers it; failed, the list with why."""
    if after.status == "paid":
        return done(who, back, "invoice_paid")
    if after.payment_pending == "processing":
        return done(who, back, "payment_processing")
    if after.payment_pending == "requires_action":
        return RedirectResponse(back, status_code=303)
    failure = str(after.last_payment_error.code if after.last_payment_error is not None else None)
    return _render_list(request, who, status=402, problem=failure if failure in PROBLEMS else "payment_failed")


async def payment_secret(request: Request) -> Response:
    """POST /invoices/{invoice_id}/authentication (the page's script, with the form's CSRF token):
    the client secret the gateway's flow needs to authenticate the invoice's payment, as JSON."""
    who = signed_in(request)
    who.require("paymentMethodUpdate")
    await checked_form(request, who)
    invoice = own_invoice(who, request.path_params["invoice_id"])
    fields = hosted.fields(who)
    if fields is None:
        return hosted.refusal(InvalidRequest("No payment gateway asks for authentication here.", param="id"))
    try:
        secret = settlement.client_secret(who.scope, invoice, table=who.table)
    except BillingError as refused:
        return hosted.refusal(refused)
    return hosted.secret_answer(secret, fields.publishable_key)


async def complete_payment(request: Request) -> Response:
    """POST /invoices/{invoice_id}/complete: after the customer authenticated in the gateway's
    flow, the payment's state asked of the gateway and recorded (`settlement.complete_payment`)."""
    who = signed_in(request)
    who.require("paymentMethodUpdate")
    form = await checked_form(request, who)
    invoice = own_invoice(who, request.path_params["invoice_id"])
    back = f"/invoices/{invoice.id}" if forms.single(form, "from") == "invoice" else PATH
    after = settlement.complete_payment(who.scope, invoice.id, who.request_info(request), table=who.table)
    if after.status not in ("open", "paid"):
        return _render_list(request, who, status=409, problem="invoice_not_open")
    return _after_attempt(request, who, after, back)


# ------------------------------------------------------------------ adding a card
def _render_form(
    request: Request,
    who: SignedIn,
    template: str,
    *,
    status: int = 200,
    values: Mapping[str, str],
    errors: Mapping[str, Markup] | None = None,
    problem: Markup | None = None,
) -> Response:
    """The card or SEPA form, blank or as posted (never with the number, CVC or IBAN); in live
    mode the sentence saying payment changes are unavailable instead. A card form with a gateway
    connected is the gateway's fields, and only that page's policy lets its script run."""
    unavailable = _unavailable(who, forms.gettext_for(request, who.session))
    fields = hosted.fields(who) if template == CARD_TEMPLATE and unavailable is None else None
    response = page(
        request,
        template,
        who.session,
        status=status,
        signed_in=True,
        form_redirect_to=who.session.return_url,
        csrf=who.csrf,
        values=values,
        errors=errors or {},
        problem=problem,
        name_max=NAME_MAX_LENGTH,
        unavailable=unavailable,
        hosted=fields,
        sepa_offered="sepa_debit" in _types(who.require("paymentMethodUpdate")),
    )
    return hosted.allow_gateway(response) if fields is not None else response


async def card_form(request: Request) -> Response:
    """GET /payment-methods/card: the gateway's fields when one is connected, else the portal's own."""
    who = signed_in(request)
    _require_type(who, "card")
    return _render_form(request, who, CARD_TEMPLATE, values={"name": "", "expiry": "", "set_default": "on"})


async def card_setup(request: Request) -> Response:
    """POST /payment-methods/card/setup (the card page's script, with the form's CSRF token): a
    SetupIntent for the customer at the gateway, answered as JSON with its client secret."""
    who = signed_in(request)
    _require_type(who, "card")
    await checked_form(request, who)
    if not paymentmethods.uses_gateway(who.scope, table=who.table):
        refused = InvalidRequest("No payment gateway's fields take cards here.", param="type")
        return hosted.refusal(refused)
    try:
        setup = paymentmethods.start_setup(who.scope, who.customer_id, "card", table=who.table)
    except BillingError as refused:
        return hosted.refusal(refused)
    return hosted.secret_answer(setup.client_secret, setup.publishable_key)


async def _add_card_from_setup(request: Request, who: SignedIn, form: Any) -> Response:
    """The card the gateway's fields saved (the form carries only the SetupIntent's ID), attached
    as a card typed into our own fields would be."""
    gettext = forms.gettext_for(request, who.session)
    make_default = forms.checked(form, "set_default")
    setup_ref = forms.single(form, "setup_intent") or ""
    code: str | None = "setup_incomplete"
    if SETUP_ID.match(setup_ref):
        info = who.request_info(request)
        try:
            details = paymentmethods.details_from_setup(who.scope, who.customer_id, setup_ref, table=who.table)
            collection.attach_payment_method(
                who.scope, who.customer_id, details, "succeed", info, set_default=make_default, table=who.table
            )
            code = None
        except paymentmethods.CardDeclined:
            code = "card_declined"
        except paymentmethods.DuplicatePaymentMethod:
            code = "card_exists"
        except InvalidRequest:
            code = "setup_incomplete"
    if code is not None:
        values = {"set_default": "on" if make_default else ""}
        errors = {"card": forms.say(gettext, MESSAGES[code])}
        return _render_form(request, who, CARD_TEMPLATE, status=400, values=values, errors=errors)
    return done(who, PATH, "card_added", flow=FLOW)


def _check_name(value: str | None, missing: str, gettext: forms.Gettext) -> Markup | None:
    if value is None or not value.strip():
        return forms.say(gettext, MESSAGES[missing])
    if len(value.strip()) > NAME_MAX_LENGTH:
        return forms.say(gettext, MESSAGES["name_too_long"], count=NAME_MAX_LENGTH)
    return None


def _card_problems(
    number: str | None, expiry: str | None, cvc: str | None, gettext: forms.Gettext
) -> tuple[dict[str, Markup], tuple[str, str] | None]:
    """Each card field's own message (every field is checked, not only the first), and the
    expiry as (month, year) when it reads as one."""
    errors: dict[str, Markup] = {}
    brand = "unknown"
    if not number or not number.strip():
        errors["number"] = forms.say(gettext, MESSAGES["number_missing"])
    elif len(number) > RAW_LIMITS["number"]:
        errors["number"] = forms.say(gettext, MESSAGES["invalid_number"])
    else:
        try:
            brand = instruments.card_brand(instruments.normalize_card_number(number.strip()))
        except InvalidRequest:
            errors["number"] = forms.say(gettext, MESSAGES["invalid_number"])
    parsed: tuple[str, str] | None = None
    matched = EXPIRY.match(expiry) if expiry and len(expiry) <= RAW_LIMITS["expiry"] else None
    if not expiry or not expiry.strip():
        errors["expiry"] = forms.say(gettext, MESSAGES["expiry_missing"])
    elif matched is None:
        errors["expiry"] = forms.say(gettext, MESSAGES["invalid_expiry"])
    else:
        parsed = (matched.group(1), matched.group(2))
        try:
            instruments.validate_expiry(parsed[0], parsed[1], now=clock.now())
        except InvalidRequest as refused:
            known = {"invalid_expiry_month", "expired_card"}
            errors["expiry"] = forms.say(gettext, MESSAGES[refused.code if refused.code in known else "invalid_expiry"])
    if not cvc or not cvc.strip():
        errors["cvc"] = forms.say(gettext, MESSAGES["cvc_missing"])
    else:
        expected = "invalid_cvc_amex" if brand == "amex" else "invalid_cvc"
        try:
            if len(cvc) > RAW_LIMITS["cvc"]:
                raise InvalidRequest("too long", param="cvc")
            instruments.validate_cvc(cvc, brand)
        except InvalidRequest:
            errors["cvc"] = forms.say(gettext, MESSAGES[expected])
    return errors, parsed


def _card_field(param: str | None) -> str:
    return {"expMonth": "expiry", "expYear": "expiry", "cvc": "cvc"}.get(param or "", "number")


async def add_card(request: Request) -> Response:
    """POST /payment-methods/card: with a gateway, the SetupIntent its fields confirmed; else the
    typed card checked field by field. Then `paymentmethods.attach`."""
    who = signed_in(request)
    _require_type(who, "card")
    form = await checked_form(request, who)
    if not gateway.connected(who.scope, who.table):
        return _render_form(request, who, CARD_TEMPLATE, status=409, values={})
    if paymentmethods.uses_gateway(who.scope, table=who.table):
        return await _add_card_from_setup(request, who, form)
    gettext = forms.gettext_for(request, who.session)
    name, number, expiry, cvc = (forms.single(form, field) for field in CARD_FIELDS)
    make_default = forms.checked(form, "set_default")
    # What comes back in the form: never the number or the CVC.
    values = {
        "name": (name or "")[:NAME_MAX_LENGTH],
        "expiry": (expiry or "")[: RAW_LIMITS["expiry"]],
        "set_default": "on" if make_default else "",
    }
    errors: dict[str, Markup] = {}
    name_problem = _check_name(name, "name_missing", gettext)
    if name_problem is not None:
        errors["name"] = name_problem
    card_errors, parsed = _card_problems(number, expiry, cvc, gettext)
    errors.update(card_errors)
    if not errors and parsed is not None and number is not None and cvc is not None:
        try:
            details, behavior = paymentmethods.details_from_card(
                who.scope, number=number.strip(), exp_month=parsed[0], exp_year=parsed[1], cvc=cvc, now=clock.now()
            )
            collection.attach_payment_method(
                who.scope,
                who.customer_id,
                details,
                behavior,
                who.request_info(request),
                set_default=make_default,
                table=who.table,
            )
        except paymentmethods.CardDeclined:
            errors["number"] = forms.say(gettext, MESSAGES["card_declined"])
        except paymentmethods.DuplicatePaymentMethod:
            errors["number"] = forms.say(gettext, MESSAGES["card_exists"])
        except InvalidRequest as refused:
            known = refused.code == "test_card_required"
            errors[_card_field(refused.param)] = forms.say(gettext, MESSAGES[refused.code if known else "invalid"])
    if errors:
        return _render_form(
            request, who, CARD_TEMPLATE, status=400, values=values, errors=forms.ordered(errors, CARD_FIELDS)
        )
    return done(who, PATH, "card_added", flow=FLOW)


# ------------------------------------------------------------------ adding a SEPA debit
async def sepa_form(request: Request) -> Response:
    """GET /payment-methods/sepa: account holder, IBAN and the mandate to accept."""
    who = signed_in(request)
    _require_type(who, "sepa_debit")
    return _render_form(request, who, SEPA_TEMPLATE, values={"holder": "", "set_default": "on"})


async def add_sepa(request: Request) -> Response:
    """POST /payment-methods/sepa: the IBAN checked by python-stdnum, the mandate recorded
    with its reference, time, and the customer's IP and user agent; with a gateway connected,
    the mandate is saved there (a plain form: an IBAN is not card data)."""
    who = signed_in(request)
    _require_type(who, "sepa_debit")
    form = await checked_form(request, who)
    if not gateway.connected(who.scope, who.table):
        return _render_form(request, who, SEPA_TEMPLATE, status=409, values={})
    gettext = forms.gettext_for(request, who.session)
    holder, iban, mandate = (forms.single(form, field) for field in SEPA_FIELDS)
    make_default = forms.checked(form, "set_default")
    values = {"holder": (holder or "")[:NAME_MAX_LENGTH], "set_default": "on" if make_default else ""}
    errors: dict[str, Markup] = {}
    holder_problem = _check_name(holder, "holder_missing", gettext)
    if holder_problem is not None:
        errors["holder"] = holder_problem
    if not iban or not iban.strip():
        errors["iban"] = forms.say(gettext, MESSAGES["iban_missing"])
    else:
        try:
            if len(iban) > RAW_LIMITS["iban"]:
                raise InvalidRequest("too long", param="iban")
            instruments.validate_iban(iban)
        except InvalidRequest:
            errors["iban"] = forms.say(gettext, MESSAGES["invalid_iban"])
    if mandate != "accepted":
        errors["mandate"] = forms.say(gettext, MESSAGES["mandate_missing"])
    problem: str | None = None
    if not errors and iban is not None and holder is not None:
        info = who.request_info(request)
        try:
            mandate_details = _sepa_details(who, iban, holder.strip(), info)
            if mandate_details is None:
                problem = "email_missing"
            else:
                details, behavior = mandate_details
                collection.attach_payment_method(
                    who.scope, who.customer_id, details, behavior, info, set_default=make_default, table=who.table
                )
        except paymentmethods.DuplicatePaymentMethod:
            errors["iban"] = forms.say(gettext, MESSAGES["iban_exists"])
        except paymentmethods.CardDeclined:
            errors["iban"] = forms.say(gettext, MESSAGES["iban_declined"])
        except InvalidRequest as refused:
            known = refused.code == "test_iban_required"
            errors["iban"] = forms.say(gettext, MESSAGES[refused.code if known else "invalid_iban"])
    if errors or problem:
        return _render_form(
            request,
            who,
            SEPA_TEMPLATE,
            status=400,
            values=values,
            errors=forms.ordered(errors, SEPA_FIELDS),
            problem=forms.say(gettext, MESSAGES[problem]) if problem else None,
        )
    return done(who, PATH, "sepa_added", flow=FLOW)


def _sepa_details(
    who: SignedIn, iban: str, holder: str, info: RequestInfo
) -> tuple[paymentmethods.PaymentDetails, Behavior] | None:
    """The accepted mandate, ready to attach, recorded with the IP and user agent it was accepted
    from: saved by the connected gateway (the holder as typed, the customer's email, which the
    gateway needs for its notices: None when the customer has none), else the simulator's."""
    if not paymentmethods.uses_gateway(who.scope, table=who.table):
        return paymentmethods.details_from_iban(
            who.scope, iban=iban, now=clock.now(), ip=info.ip, user_agent=info.user_agent, table=who.table
        )
    email = customers.get(who.scope, who.customer_id, table=who.table).email
    if not email:
        return None
    details = paymentmethods.save_iban(
        who.scope,
        who.customer_id,
        iban=iban,
        name=holder,
        email=email,
        ip=info.ip,
        user_agent=info.user_agent,
        table=who.table,
    )
    return details, "succeed"


ROUTES: list[BaseRoute] = [
    Route(PATH, show, methods=["GET"]),
    Route(f"{PATH}/card", card_form, methods=["GET"]),
    Route(f"{PATH}/card", add_card, methods=["POST"]),
    Route(f"{PATH}/card/setup", card_setup, methods=["POST"]),
    Route(f"{PATH}/sepa", sepa_form, methods=["GET"]),
    Route(f"{PATH}/sepa", add_sepa, methods=["POST"]),
    Route(f"{PATH}/{{pm_id}}/default", make_default, methods=["POST"]),
    Route(f"{PATH}/{{pm_id}}/remove", remove, methods=["POST"]),
    Route("/invoices/{invoice_id}/pay", pay, methods=["POST"]),
    Route("/invoices/{invoice_id}/authentication", payment_secret, methods=["POST"]),
    Route("/invoices/{invoice_id}/complete", complete_payment, methods=["POST"]),
]
