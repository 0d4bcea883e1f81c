"""Subscription changes: plan or quantity after a preview, cancellation with survey and retention offer, renewal.

Every subscription is read through the session's customer: another customer's, another
account's, an unknown or a canceled one is the same 404. What the pages offer is the session's
configuration: `subscriptionUpdate` (the products and prices, price and/or quantity, the
proration behaviour, the downgrades kept for the period end) and `subscriptionCancel` (the
mode, its proration, the reason survey, the retention coupon). The billing core's portal
services decide with it: `billing.portal.offers` (the plans on offer, the retention offer),
`billing.portal.policies` and `billing.portal.changes` (the switch now or at the period end,
the cancellation), over `billing.subscriptions`' `preview`, `changes` and `cancel`, as
the merchant API calls them. This module reads the forms, calls them, and renders.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import msgspec
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from billing.customers import customers
from billing.customers.records import Customer
from billing.kernel.errors import InvalidRequest
from billing.kernel.scope import Scope
from billing.payments import gateway
from billing.portal import changes, offers, pricing
from billing.portal.offers import PlanOffer
from billing.portal.policies import CancelPolicy, UpdatePolicy, changeable
from billing.subscriptions import subscriptions
from billing.subscriptions.reads import Reads
from billing.subscriptions.records import Subscription
from portal_site import forms
from portal_site.pages import SignedIn, checked_form, done, owned, signed_in
from portal_site.rendering import N_, page

SUB_ID = re.compile(r"^sub_[A-Za-z0-9]{1,40}\Z")
MAX_QUANTITY = 10_000
COMMENT_MAX = 500

REASONS: dict[str, str] = {
    "too_expensive": N_("It is too expensive"),
    "missing_features": N_("Some features are missing"),
    "switched_service": N_("I am switching to another service"),
    "unused": N_("I do not use it enough"),
    "customer_service": N_("Customer service was not good enough"),
    "too_complex": N_("It is too complicated"),
    "low_quality": N_("The quality was not good enough"),
    "other": N_("Another reason"),
}
MESSAGES: dict[str, str] = {
    "price": N_("Choose one of the plans shown."),
    "quantity": N_("Enter a quantity from 1 to 10,000."),
    "unchanged": N_("This is your current plan. Choose another plan or quantity."),
    "reason": N_("Choose one of the reasons shown."),
    "comment": N_("Keep the comment to 500 characters or fewer."),
    "failed": N_("The change could not be made. Please try again."),
    gateway.NOT_CONFIGURED: N_("This change needs a payment, and online payments are not available yet."),
}


# ------------------------------------------------------------------ loading
class Loaded(msgspec.Struct, frozen=True):
    """The session's customer's live subscription, with what the page read along with it."""

    sub: Subscription
    reads: Reads

    def customer(self, who: SignedIn) -> Customer:
        return self.reads.customer_of(self.sub) or customers.get(who.scope, self.sub.customer, table=who.table)


def _own_subscription(who: SignedIn, sub_id: str, read: Callable[[str], Reads]) -> Loaded:
    """The session's customer's live subscription, read by `read` (with what the page needs, once
    the ID is known to be well formed), or a 404 that says nothing more."""
    reads: list[Reads] = []

    def fetch(scope: Scope, object_id: str, **_: Any) -> Subscription:
        reads.append(read(object_id))
        return subscriptions.found(reads[0].subscription, object_id)

    sub = owned(who, fetch, sub_id, SUB_ID, shown=lambda sub: not sub.canceled)
    return Loaded(sub, reads[0])


def _price_tax(who: SignedIn, loaded: Loaded) -> pricing.TaxNote | None:
    """What the page says next to its prices: the tax the invoice adds to them, or contains."""
    return pricing.tax_note(who.scope, loaded.customer(who), table=who.table, account=loaded.reads.account)


def _errors(request: Request, who: SignedIn, errors: dict[str, str]) -> dict[str, Markup]:
    return forms.translated(forms.gettext_for(request, who.session), MESSAGES, errors)


# ------------------------------------------------------------------ plans
class Choice(msgspec.Struct, frozen=True):
    """A plan and quantity as asked for (a form or a query), and as typed (for the form again)."""

    plan: PlanOffer | None
    quantity: int  # the current quantity when the configuration does not let it change
    typed: dict[str, str]


def parse_choice(
    source: forms.Fields, plans: list[PlanOffer], policy: UpdatePolicy, sub: Subscription
) -> tuple[Choice, dict[str, str]]:
    """The plan and quantity asked for, and the errors (field → message code)."""
    current = sub.items[0]
    errors: dict[str, str] = {}
    typed_price, typed_quantity = forms.text(source, "price")[:80], forms.text(source, "quantity").strip()[:20]
    plan = offers.find_plan(plans, typed_price)
    if policy.can_price and plan is None:
        errors["price"] = "price"
    if not policy.can_price:
        plan = plans[0]
    quantity = current.quantity
    if policy.can_quantity:
        if typed_quantity.isdigit() and 1 <= int(typed_quantity) <= MAX_QUANTITY:
            quantity = int(typed_quantity)
        else:
            errors["quantity"] = "quantity"
    # (choosing the current plan again is how a scheduled change is dropped)
    unchanged = plan is not None and plan.current and quantity == current.quantity
    if not errors and unchanged and sub.scheduled_change is None:
        errors["price"] = "unchanged"
    return Choice(plan, quantity, {"price": typed_price, "quantity": typed_quantity or str(quantity)}), errors


class Updatable(msgspec.Struct, frozen=True):
    who: SignedIn
    settings: dict[str, Any]
    policy: UpdatePolicy
    loaded: Loaded

    @property
    def sub(self) -> Subscription:
        return self.loaded.sub


def _updatable(request: Request, *, switching: bool = False) -> Updatable:
    """The subscription and what the plan pages show, read together; for the switch itself
    (`switching`), what the configured switch invoices with too."""
    who = signed_in(request)
    settings = who.require("subscriptionUpdate")
    policy = UpdatePolicy.of(settings)
    invoicing = switching and policy.proration_behavior == "always_invoice"

    def read(sub_id: str) -> Reads:
        return changes.read_for_update(
            who.scope, who.customer_id, sub_id, settings, table=who.table, invoicing=invoicing
        )

    return Updatable(who, settings, policy, _own_subscription(who, request.path_params["sub_id"], read))


def _plans(found: Updatable) -> list[PlanOffer]:
    return offers.offered_plans(found.who.scope, found.settings, found.sub, table=found.who.table)


def _update_page(
    request: Request,
    found: Updatable,
    plans: list[PlanOffer],
    *,
    chosen: Choice | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    who, policy, sub = found.who, found.policy, found.sub
    current = sub.items[0]
    return page(
        request,
        "subscription_update.html",
        who.session,
        status=status,
        signed_in=True,
        csrf=who.csrf,
        sub=sub,
        plans=plans,
        can_price=policy.can_price,
        can_quantity=policy.can_quantity,
        single=len(sub.items) == 1,
        price_tax=_price_tax(who, found.loaded),
        chosen=chosen.typed if chosen else {"price": current.price, "quantity": str(current.quantity)},
        errors=_errors(request, who, errors or {}),
    )


async def update_form(request: Request) -> Response:
    """GET /subscriptions/{sub}/update: the plans on offer, the current one marked."""
    found = _updatable(request)
    return _update_page(request, found, _plans(found))


class PostedChoice(msgspec.Struct, frozen=True):
    found: Updatable
    plans: list[PlanOffer]
    chosen: Choice
    plan: PlanOffer  # chosen.plan, known to be there


def _checked_choice(request: Request, found: Updatable, source: forms.Fields) -> PostedChoice | Response:
    """The plan and quantity asked for the customer's changeable subscription, or the update
    page again (400) with its errors."""
    if not changeable(found.sub):
        raise HTTPException(404)
    plans = _plans(found)
    chosen, errors = parse_choice(source, plans, found.policy, found.sub)
    if errors or chosen.plan is None:
        return _update_page(request, found, plans, chosen=chosen, errors=errors, status=400)
    return PostedChoice(found, plans, chosen, chosen.plan)


async def _posted_choice(request: Request, *, switching: bool = False) -> PostedChoice | Response:
    found = _updatable(request, switching=switching)
    form = await checked_form(request, found.who)
    return _checked_choice(request, found, form)


async def update_choose(request: Request) -> Response:
    """POST /subscriptions/{sub}/update: the choice, checked, goes on to its confirmation."""
    posted = await _posted_choice(request)
    if isinstance(posted, Response):
        return posted
    query = urlencode({"price": posted.plan.price, "quantity": posted.chosen.quantity})
    return RedirectResponse(f"/subscriptions/{posted.found.sub.id}/update/confirm?{query}", status_code=303)


def _failed(request: Request, posted: PostedChoice, code: str) -> Response:
    return _update_page(request, posted.found, posted.plans, chosen=posted.chosen, errors={"price": code}, status=400)


async def update_confirm(request: Request) -> Response:
    """GET /subscriptions/{sub}/update/confirm?price=&quantity=: what the switch costs, now and
    on the next invoice, before anything changes."""
    posted = _checked_choice(request, _updatable(request), request.query_params)
    if isinstance(posted, Response):
        return posted
    who, sub = posted.found.who, posted.found.sub
    try:
        preview = changes.preview_switch(
            who.scope,
            posted.found.policy,
            sub,
            posted.plan.price,
            posted.chosen.quantity,
            table=who.table,
            known=posted.found.loaded.reads,
        )
    except InvalidRequest:
        return _failed(request, posted, "price")
    return page(
        request,
        "subscription_confirm.html",
        who.session,
        signed_in=True,
        csrf=who.csrf,
        form_redirect_to=who.session.return_url,
        sub=sub,
        current=sub.items[0],
        plan=posted.plan,
        quantity=posted.chosen.quantity,
        scheduled=preview.at_period_end,
        behavior=preview.behavior,
        immediate=preview.immediate,
        upcoming=preview.upcoming,
    )


async def update_apply(request: Request) -> Response:
    """POST /subscriptions/{sub}/update/confirm: the switch, now or kept for the period end."""
    posted = await _posted_choice(request, switching=True)
    if isinstance(posted, Response):
        return posted
    who, sub = posted.found.who, posted.found.sub
    try:
        made = changes.switch(
            who.scope,
            posted.found.policy,
            sub,
            posted.plan.price,
            posted.chosen.quantity,
            who.request_info(request),
            table=who.table,
            known=posted.found.loaded.reads,
        )
    except gateway.PaymentGatewayNotConfigured:
        return _failed(request, posted, gateway.NOT_CONFIGURED)
    except InvalidRequest:
        return _failed(request, posted, "failed")
    return done(who, "/", "plan_scheduled" if made == "scheduled" else "plan_changed", flow="subscription_update")


# ------------------------------------------------------------------ cancellation
def _cancel_page(
    request: Request,
    who: SignedIn,
    settings: dict[str, Any],
    loaded: Loaded,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    policy = CancelPolicy.of(settings)
    options = [(code, REASONS[code]) for code in policy.reasons if code in REASONS]
    sub, reads = loaded.sub, loaded.reads
    # One rates query for the prices' note and the credit's final invoice.
    taxation = pricing.taxation(who.scope, loaded.customer(who), table=who.table, account=reads.account)
    price_tax = taxation.note
    credited = changes.cancel_credit(who.scope, policy, sub, table=who.table, known=reads, tax_rates=taxation.rates)
    return page(
        request,
        "subscription_cancel.html",
        who.session,
        status=status,
        signed_in=True,
        csrf=who.csrf,
        form_redirect_to=who.session.return_url,
        sub=sub,
        mode="immediately" if policy.immediately else "at_period_end",
        credit=policy.prorate,
        credited=credited,
        survey=policy.survey and bool(options),
        options=options,
        offer=offers.retention_offer(who.scope, settings, sub, table=who.table, tax_note=price_tax),
        price_tax=price_tax,
        typed=typed or {"reason": "", "comment": ""},
        errors=_errors(request, who, errors or {}),
        comment_max=COMMENT_MAX,
    )


def _cancellable(who: SignedIn, request: Request, *, cancelling: bool = False) -> tuple[dict[str, Any], Loaded]:
    """The cancellation settings and the subscription, read with what the cancel page shows; for
    the cancellation itself (`cancelling`), what its final invoice is numbered with too."""
    settings = who.require("subscriptionCancel")
    policy = CancelPolicy.of(settings)
    invoicing = cancelling and policy.immediately and policy.prorate

    def read(sub_id: str) -> Reads:
        return changes.read_for_cancel(
            who.scope, who.customer_id, sub_id, settings, table=who.table, invoicing=invoicing
        )

    return settings, _own_subscription(who, request.path_params["sub_id"], read)


async def cancel_form(request: Request) -> Response:
    """GET /subscriptions/{sub}/cancel: what happens and when, the survey, the offer."""
    who = signed_in(request)
    settings, loaded = _cancellable(who, request)
    return _cancel_page(request, who, settings, loaded)


async def cancel_apply(request: Request) -> Response:
    """POST /subscriptions/{sub}/cancel: the configured cancellation, with the reason given."""
    who = signed_in(request)
    settings, loaded = _cancellable(who, request, cancelling=True)
    form = await checked_form(request, who)
    policy = CancelPolicy.of(settings)
    reason, comment = forms.text(form, "reason")[:100], forms.text(form, "comment")
    errors: dict[str, str] = {}
    details: dict[str, Any] | None = None
    if policy.survey:
        if reason and reason not in policy.reasons:
            errors["reason"] = "reason"
        if len(comment) > COMMENT_MAX:
            errors["comment"] = "comment"
        details = {"reason": reason or None, "comment": comment.strip() or None}
    if errors:
        typed = {"reason": reason if reason in REASONS else "", "comment": comment[: COMMENT_MAX * 4]}
        return _cancel_page(request, who, settings, loaded, typed=typed, errors=errors, status=400)
    try:
        info = who.request_info(request)
        made = changes.cancel(who.scope, policy, loaded.sub, details, info, table=who.table, known=loaded.reads)
    except InvalidRequest:
        return _cancel_page(request, who, settings, loaded, errors={"reason": "failed"}, status=400)
    return done(who, "/", "canceled" if made == "canceled" else "cancel_scheduled", flow="subscription_cancel")


async def retain(request: Request) -> Response:
    """POST /subscriptions/{sub}/retain: the retention offer accepted instead of cancelling."""
    who = signed_in(request)
    settings, loaded = _cancellable(who, request)
    await checked_form(request, who)
    offer = offers.retention_offer(who.scope, settings, loaded.sub, table=who.table)
    if offer is None:
        raise HTTPException(404)
    try:
        info = who.request_info(request)
        changes.accept_retention(who.scope, offer, loaded.sub, info, table=who.table, known=loaded.reads)
    except InvalidRequest:
        return _cancel_page(request, who, settings, loaded, errors={"reason": "failed"}, status=400)
    return done(who, "/", "offer_accepted", flow="subscription_cancel")


async def renew(request: Request) -> Response:
    """POST /subscriptions/{sub}/renew: a cancellation at period end taken back before it ends."""
    who = signed_in(request)
    _, loaded = _cancellable(who, request)
    await checked_form(request, who)
    changes.renew(who.scope, loaded.sub, who.request_info(request), table=who.table, known=loaded.reads)
    return done(who, "/", "renewed")


ROUTES: list[BaseRoute] = [
    Route("/subscriptions/{sub_id}/update", update_form, methods=["GET"]),
    Route("/subscriptions/{sub_id}/update", update_choose, methods=["POST"]),
    Route("/subscriptions/{sub_id}/update/confirm", update_confirm, methods=["GET"]),
    Route("/subscriptions/{sub_id}/update/confirm", update_apply, methods=["POST"]),
    Route("/subscriptions/{sub_id}/cancel", cancel_form, methods=["GET"]),
    Route("/subscriptions/{sub_id}/cancel", cancel_apply, methods=["POST"]),
    Route("/subscriptions/{sub_id}/retain", retain, methods=["POST"]),
    Route("/subscriptions/{sub_id}/renew", renew, methods=["POST"]),
]
