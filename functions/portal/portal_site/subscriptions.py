"""Subscription changes: plan or quantity after a preview, cancellation with survey and retention offer, renewal.

Every subscription is read through the session's customer: another customer's, another
account's, an unknown or a canceled one is the same 404. What the pages offer is the session's
configuration: `subscriptionUpdate` (the products and prices, price and/or quantity, the
proration behaviour, the downgrades kept for the period end) and `subscriptionCancel` (the
mode, its proration, the reason survey, the retention coupon). The figures on the confirmation
page are `subscriptions.preview`'s, the code behind `GET /v1/invoices/upcoming`, and the change
itself is `subscriptions.update` / `schedule_change` / `cancel`, as the merchant API calls them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from billing.catalog import catalog
from billing.kernel.errors import InvalidRequest, NotFound
from billing.store.repository import Item
from billing.subscriptions import subscriptions
from portal_site import i18n
from portal_site.pages import SignedIn, checked_form, done, owned, signed_in
from portal_site.rendering import N_, locale_of, page

SUB_ID = re.compile(r"^sub_[A-Za-z0-9]{1,40}\Z")
MAX_QUANTITY = 10_000
COMMENT_MAX = 500
PRICES_PER_PRODUCT = 100

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
}


# ------------------------------------------------------------------ loading
def _own_subscription(who: SignedIn, sub_id: str) -> Item:
    """The session's customer's live subscription, or a 404 that says nothing more."""
    return owned(who, subscriptions.get, sub_id, SUB_ID, shown=lambda sub: sub.get("status") != "canceled")


def _text(form: Any, name: str) -> str:
    """A posted or queried value as text ('' when missing or not text, such as a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _translated(request: Request, who: SignedIn, errors: dict[str, str]) -> dict[str, str]:
    gettext = i18n.gettext_for(locale_of(request, who.session))
    return {field: str(gettext(MESSAGES[code])) for field, code in errors.items()}


# ------------------------------------------------------------------ plans
def _plan(price: Any, product_name: str, current: bool) -> dict[str, Any]:
    """A price (or the subscription's item, for the current plan) as the page offers it."""
    recurring = price.get("recurring") or {}
    return {
        "price": price["price"] if current else price["id"],
        "name": product_name,
        "nickname": price.get("nickname"),
        "unitAmount": price["unitAmount"],
        "currency": price["currency"],
        "interval": recurring.get("interval") or price.get("interval"),
        "intervalCount": recurring.get("intervalCount") or price.get("intervalCount") or 1,
        "current": current,
    }


def _interval_days(recurring: dict[str, Any]) -> int:
    return subscriptions.INTERVAL_DAYS.get(recurring.get("interval", "month"), 30) * int(
        recurring.get("intervalCount", 1)
    )


def offered_plans(who: SignedIn, settings: dict[str, Any], sub: Item) -> list[dict[str, Any]]:
    """The current plan first, then every active recurring price in the subscription's currency
    of the configured products (`prices: []` = all of the product's), once each."""
    current = sub["items"][0]
    plans = [_plan(current, current["description"], True)]
    seen = {current["price"]}
    if "price" not in (settings.get("allowedUpdates") or []):
        return plans
    for entry in settings.get("products") or []:
        try:
            product = catalog.get_product(who.scope, entry["product"])
        except NotFound:
            continue
        if not product.get("active", True):
            continue
        if entry.get("prices"):
            prices: list[Any] = []
            for price_id in entry["prices"]:
                try:
                    prices.append(catalog.get_price(who.scope, price_id))
                except NotFound:
                    continue
        else:
            prices = catalog.list_prices(
                who.scope, limit=PRICES_PER_PRODUCT, starting_after=None, product=product["id"]
            )["data"]
        prices.sort(key=lambda p: (_interval_days(p.get("recurring") or {}), p.get("unitAmount", 0), p["id"]))
        for price in prices:
            if (
                price["id"] in seen
                or price.get("product") != product["id"]
                or not price.get("active")
                or not price.get("recurring")
                or price.get("currency") != sub["currency"]
            ):
                continue
            seen.add(price["id"])
            plans.append(_plan(price, price.get("nickname") or product["name"], False))
    return plans


def _choice(
    source: Any, plans: list[dict[str, Any]], settings: dict[str, Any], sub: Item
) -> tuple[dict[str, Any], dict[str, str]]:
    """The plan and quantity asked for (form or query), and the errors (field → message code)."""
    allowed = settings.get("allowedUpdates") or []
    current = sub["items"][0]
    errors: dict[str, str] = {}
    typed_price, typed_quantity = _text(source, "price")[:80], _text(source, "quantity").strip()[:20]
    plan = next((p for p in plans if p["price"] == typed_price), None)
    if "price" in allowed and plan is None:
        errors["price"] = "price"
    if "price" not in allowed:
        plan = plans[0]
    quantity = int(current["quantity"])
    if "quantity" in allowed:
        if typed_quantity.isdigit() and 1 <= int(typed_quantity) <= MAX_QUANTITY:
            quantity = int(typed_quantity)
        else:
            errors["quantity"] = "quantity"
    # (choosing the current plan again is how a scheduled change is dropped)
    unchanged = plan is not None and plan["current"] and quantity == current["quantity"]
    if not errors and unchanged and not sub.get("scheduledChange"):
        errors["price"] = "unchanged"
    return {"plan": plan, "price": typed_price, "quantity": typed_quantity or str(quantity)}, errors


def _update_page(
    request: Request,
    who: SignedIn,
    settings: dict[str, Any],
    sub: Item,
    plans: list[dict[str, Any]],
    *,
    chosen: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    current = sub["items"][0]
    allowed = settings.get("allowedUpdates") or []
    return page(
        request,
        "subscription_update.html",
        who.session,
        status=status,
        signed_in=True,
        csrf=who.csrf,
        sub=sub,
        plans=plans,
        can_price="price" in allowed,
        can_quantity="quantity" in allowed,
        single=len(sub["items"]) == 1,
        chosen=chosen or {"price": current["price"], "quantity": str(current["quantity"])},
        errors=_translated(request, who, errors or {}),
    )


def _updatable(who: SignedIn, request: Request) -> tuple[dict[str, Any], Item]:
    settings = who.require("subscriptionUpdate")
    sub = _own_subscription(who, request.path_params["sub_id"])
    return settings, sub


def _changeable(sub: Item) -> bool:
    return len(sub["items"]) == 1 and not sub.get("cancelAtPeriodEnd")


async def update_form(request: Request) -> Response:
    """GET /subscriptions/{sub}/update: the plans on offer, the current one marked."""
    who = signed_in(request)
    settings, sub = _updatable(who, request)
    return _update_page(request, who, settings, sub, offered_plans(who, settings, sub))


@dataclass(frozen=True)
class PostedChoice:
    who: SignedIn
    settings: dict[str, Any]
    sub: Item
    plans: list[dict[str, Any]]
    chosen: dict[str, Any]


async def _posted_choice(request: Request) -> PostedChoice | Response:
    """The plan and quantity a form posts for the customer's changeable subscription, or the
    update page again (400) with its errors."""
    who = signed_in(request)
    settings, sub = _updatable(who, request)
    form = await checked_form(request, who)
    if not _changeable(sub):
        raise HTTPException(404)
    plans = offered_plans(who, settings, sub)
    chosen, errors = _choice(form, plans, settings, sub)
    if errors:
        return _update_page(request, who, settings, sub, plans, chosen=chosen, errors=errors, status=400)
    return PostedChoice(who, settings, sub, plans, chosen)


async def update_choose(request: Request) -> Response:
    """POST /subscriptions/{sub}/update: the choice, checked, goes on to its confirmation."""
    posted = await _posted_choice(request)
    if isinstance(posted, Response):
        return posted
    chosen, sub = posted.chosen, posted.sub
    query = urlencode({"price": chosen["plan"]["price"], "quantity": chosen["quantity"]})
    return RedirectResponse(f"/subscriptions/{sub['id']}/update/confirm?{query}", status_code=303)


def _plan_change(who: SignedIn, settings: dict[str, Any], sub: Item, plan: dict[str, Any], quantity: int) -> bool:
    """Whether the configuration keeps this switch for the period end (a downgrade it names)."""
    new_items = subscriptions.requested_items(who.scope, sub, [{"price": plan["price"], "quantity": quantity}])
    conditions = set((settings.get("scheduleAtPeriodEnd") or {}).get("conditions") or [])
    return bool(conditions & subscriptions.downgrade_conditions(sub, new_items))


async def update_confirm(request: Request) -> Response:
    """GET /subscriptions/{sub}/update/confirm?price=&quantity=: what the switch costs, now and
    on the next invoice, before anything changes."""
    who = signed_in(request)
    settings, sub = _updatable(who, request)
    if not _changeable(sub):
        raise HTTPException(404)
    plans = offered_plans(who, settings, sub)
    chosen, errors = _choice(request.query_params, plans, settings, sub)
    if errors:
        return _update_page(request, who, settings, sub, plans, chosen=chosen, errors=errors, status=400)
    plan, quantity = chosen["plan"], int(chosen["quantity"])
    behavior = settings.get("prorationBehavior") or "create_prorations"
    try:
        scheduled = _plan_change(who, settings, sub, plan, quantity)
        preview = subscriptions.preview(
            who.scope, sub["id"], price=plan["price"], quantity=quantity, behavior=behavior, at_period_end=scheduled
        )
    except InvalidRequest:
        return _update_page(request, who, settings, sub, plans, chosen=chosen, errors={"price": "price"}, status=400)
    return page(
        request,
        "subscription_confirm.html",
        who.session,
        signed_in=True,
        csrf=who.csrf,
        form_redirect_to=who.session["returnUrl"],
        sub=sub,
        current=sub["items"][0],
        plan=plan,
        quantity=quantity,
        scheduled=scheduled,
        behavior=behavior,
        immediate=preview["immediate"],
        upcoming=preview["next"],
    )


async def update_apply(request: Request) -> Response:
    """POST /subscriptions/{sub}/update/confirm: the switch, now or kept for the period end."""
    posted = await _posted_choice(request)
    if isinstance(posted, Response):
        return posted
    who, settings, sub, plans, chosen = posted.who, posted.settings, posted.sub, posted.plans, posted.chosen
    plan, quantity = chosen["plan"], int(chosen["quantity"])
    items = [{"price": plan["price"], "quantity": quantity}]
    try:
        if _plan_change(who, settings, sub, plan, quantity):
            subscriptions.schedule_change(who.scope, sub["id"], {"items": items}, who.request_info(request))
            return done(who, "/", "plan_scheduled", flow="subscription_update")
        behavior = settings.get("prorationBehavior") or "create_prorations"
        fields = {"items": items, "prorationBehavior": behavior}
        subscriptions.update(who.scope, sub["id"], fields, who.request_info(request))
    except InvalidRequest:
        return _update_page(request, who, settings, sub, plans, chosen=chosen, errors={"price": "failed"}, status=400)
    return done(who, "/", "plan_changed", flow="subscription_update")


# ------------------------------------------------------------------ cancellation
def retention_offer(who: SignedIn, settings: dict[str, Any], sub: Item) -> dict[str, Any] | None:
    """The configured coupon as what it saves on the current recurring amount, when the
    subscription has no discount yet (and the coupon exists, is valid and fits its currency)."""
    coupon_id = (settings.get("retention") or {}).get("offerCoupon")
    if not coupon_id or sub.get("discount") or sub.get("cancelAtPeriodEnd"):
        return None
    try:
        coupon = catalog.get_coupon(who.scope, coupon_id)
    except NotFound:
        return None
    if not coupon.get("valid", True) or coupon.get("currency") not in (None, sub["currency"]):
        return None
    recurring = sum(int(i["unitAmount"]) * int(i["quantity"]) for i in sub["items"])
    if coupon.get("percentOff") is not None:
        exact = Decimal(recurring) * Decimal(str(coupon["percentOff"])) / 100
        saving = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    else:
        saving = min(int(coupon.get("amountOff") or 0), recurring)
    if saving <= 0:
        return None
    item = sub["items"][0]
    return {
        "coupon": coupon_id,
        "saving": saving,
        "currency": sub["currency"],
        "duration": coupon["duration"],
        "months": int(coupon.get("durationInMonths") or 0),
        "item": item,
        "short_interval": item["interval"] in ("day", "week")
        or (item["interval"], item["intervalCount"]) == ("month", 1),
    }


def _cancel_page(
    request: Request,
    who: SignedIn,
    settings: dict[str, Any],
    sub: Item,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    survey = settings.get("cancellationReason") or {}
    options = [(code, REASONS[code]) for code in survey.get("options") or [] if code in REASONS]
    return page(
        request,
        "subscription_cancel.html",
        who.session,
        status=status,
        signed_in=True,
        csrf=who.csrf,
        form_redirect_to=who.session["returnUrl"],
        sub=sub,
        mode=settings.get("mode") or "at_period_end",
        credit=(settings.get("prorationBehavior") or "none") != "none",
        survey=bool(survey.get("enabled")) and bool(options),
        options=options,
        offer=retention_offer(who, settings, sub),
        typed=typed or {"reason": "", "comment": ""},
        errors=_translated(request, who, errors or {}),
        comment_max=COMMENT_MAX,
    )


def _cancellable(who: SignedIn, request: Request) -> tuple[dict[str, Any], Item]:
    settings = who.require("subscriptionCancel")
    sub = _own_subscription(who, request.path_params["sub_id"])
    return settings, sub


async def cancel_form(request: Request) -> Response:
    """GET /subscriptions/{sub}/cancel: what happens and when, the survey, the offer."""
    who = signed_in(request)
    settings, sub = _cancellable(who, request)
    return _cancel_page(request, who, settings, sub)


async def cancel_apply(request: Request) -> Response:
    """POST /subscriptions/{sub}/cancel: the configured cancellation, with the reason given."""
    who = signed_in(request)
    settings, sub = _cancellable(who, request)
    form = await checked_form(request, who)
    mode = settings.get("mode") or "at_period_end"
    survey = settings.get("cancellationReason") or {}
    reason, comment = _text(form, "reason")[:100], _text(form, "comment")
    errors: dict[str, str] = {}
    details: dict[str, Any] | None = None
    if survey.get("enabled"):
        if reason and reason not in (survey.get("options") or []):
            errors["reason"] = "reason"
        if len(comment) > COMMENT_MAX:
            errors["comment"] = "comment"
        details = {"reason": reason or None, "comment": comment.strip() or None}
    if errors:
        typed = {"reason": reason if reason in REASONS else "", "comment": comment[: COMMENT_MAX * 4]}
        return _cancel_page(request, who, settings, sub, typed=typed, errors=errors, status=400)
    info = who.request_info(request)
    try:
        if mode == "immediately":
            prorate = (settings.get("prorationBehavior") or "none") != "none"
            subscriptions.cancel(
                who.scope, sub["id"], info, prorate=prorate, invoice_now=prorate, cancellation_details=details
            )
            return done(who, "/", "canceled", flow="subscription_cancel")
        if not sub.get("cancelAtPeriodEnd"):
            fields: dict[str, Any] = {"cancelAtPeriodEnd": True}
            if details is not None:
                fields["cancellationDetails"] = details
            subscriptions.update(who.scope, sub["id"], fields, info)
    except InvalidRequest:
        return _cancel_page(request, who, settings, sub, errors={"reason": "failed"}, status=400)
    return done(who, "/", "cancel_scheduled", flow="subscription_cancel")


async def retain(request: Request) -> Response:
    """POST /subscriptions/{sub}/retain: the retention offer accepted instead of cancelling."""
    who = signed_in(request)
    settings, sub = _cancellable(who, request)
    await checked_form(request, who)
    offer = retention_offer(who, settings, sub)
    if offer is None:
        raise HTTPException(404)
    try:
        subscriptions.update(who.scope, sub["id"], {"coupon": offer["coupon"]}, who.request_info(request))
    except InvalidRequest:
        return _cancel_page(request, who, settings, sub, errors={"reason": "failed"}, status=400)
    return done(who, "/", "offer_accepted", flow="subscription_cancel")


async def renew(request: Request) -> Response:
    """POST /subscriptions/{sub}/renew: a cancellation at period end taken back before it ends."""
    who = signed_in(request)
    _, sub = _cancellable(who, request)
    await checked_form(request, who)
    if sub.get("cancelAtPeriodEnd"):
        subscriptions.update(who.scope, sub["id"], {"cancelAtPeriodEnd": False}, who.request_info(request))
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
