"""The portal's form reading (`portal_site.forms`) and the subscription page's parse step: what a
posted form or a query says, and what is wrong with it, in the page's language."""

from __future__ import annotations

import io
from typing import Any

import jinja2
import msgspec.structs
from markupsafe import Markup
from starlette.datastructures import FormData, QueryParams, UploadFile

from billing.portal.offers import PlanOffer
from billing.portal.policies import UpdatePolicy
from billing.subscriptions.records import ScheduledChange, Subscription
from tests.support.functions import import_function_module
from tests.unit.portal.samples import item, subscription

forms = import_function_module("portal", "portal_site.forms")
i18n = import_function_module("portal", "portal_site.i18n")
pages = import_function_module("portal", "portal_site.subscriptions")
payment_pages = import_function_module("portal", "portal_site.payment_methods")


def test_a_field_is_text_or_nothing_and_its_last_value_counts() -> None:
    upload = UploadFile(io.BytesIO(b"x"), filename="card.txt")
    form = FormData([("name", "Ada"), ("name", "Grace"), ("file", upload), ("blank", "")])
    assert forms.single(form, "name") == "Grace"
    assert forms.single(form, "file") is None and forms.single(form, "missing") is None
    assert forms.single(form, "blank") == ""
    assert (forms.text(form, "name"), forms.text(form, "file"), forms.text(form, "missing")) == ("Grace", "", "")
    assert forms.text(QueryParams("price=price_1&quantity=3"), "quantity") == "3"


def test_a_checkbox_is_ticked_when_it_is_posted() -> None:
    assert forms.checked(FormData([("set_default", "on")]), "set_default")
    assert not forms.checked(FormData([("other", "on")]), "set_default")


def test_errors_follow_the_form_and_unknown_fields_come_last() -> None:
    errors = {"other": Markup("o"), "cvc": Markup("c"), "number": Markup("n")}
    assert list(forms.ordered(errors, ("name", "number", "expiry", "cvc"))) == ["number", "cvc", "other"]


def test_a_translated_message_is_escaped_once() -> None:
    # Given a message with an apostrophe (the catalogs' gettext escapes it: holder&#39;s)
    gettext = i18n.gettext_for("en")
    errors = forms.translated(gettext, payment_pages.MESSAGES, {"holder": "holder_missing"})
    assert "&#39;" in str(errors["holder"])
    # When a page shows it (autoescaped)
    shown = jinja2.Environment(autoescape=True).from_string("{{ message }}").render(message=errors["holder"])
    # Then the customer reads the apostrophe, not "&#39;"
    assert shown == "Enter the account holder&#39;s name."
    assert "&amp;" not in shown


# ------------------------------------------------------------------ the plan and quantity asked for
BASIC = PlanOffer("price_basic", "Basic", None, 1000, "eur", "month", 1, current=True)
PRO = PlanOffer("price_pro", "Pro", None, 3000, "eur", "month", 1, current=False)
SUB = subscription(item("price_basic", 1000, quantity=2))
BOTH = UpdatePolicy(True, True, "create_prorations", frozenset())


def choose(query: str, policy: UpdatePolicy = BOTH, sub: Subscription = SUB) -> tuple[Any, dict[str, str]]:
    return pages.parse_choice(QueryParams(query), [BASIC, PRO], policy, sub)


def test_a_plan_and_a_quantity() -> None:
    chosen, errors = choose("price=price_pro&quantity=3")
    assert errors == {} and (chosen.plan, chosen.quantity) == (PRO, 3)
    assert chosen.typed == {"price": "price_pro", "quantity": "3"}


def test_a_plan_not_offered_a_bad_quantity_and_the_current_plan_again() -> None:
    assert choose("price=price_other&quantity=3")[1] == {"price": "price"}
    assert choose("price=price_pro&quantity=0")[1] == {"quantity": "quantity"}
    assert choose("price=price_pro&quantity=10001")[1] == {"quantity": "quantity"}
    assert choose("price=price_basic&quantity=2")[1] == {"price": "unchanged"}
    # (which is how a change scheduled for the period end is dropped)
    assert (
        choose(
            "price=price_basic&quantity=2",
            sub=msgspec.structs.replace(SUB, scheduled_change=ScheduledChange(items=(), at="2026-02-01T00:00:00Z")),
        )[1]
        == {}
    )


def test_a_quantity_the_configuration_does_not_let_change_stays_as_it_is() -> None:
    # Given a configuration that offers plans but not quantities
    prices_only = UpdatePolicy(True, False, "create_prorations", frozenset())
    # When a hand-made form posts a quantity anyway (or one that is not a number)
    for typed in ("50", "abc", ""):
        chosen, errors = choose(f"price=price_pro&quantity={typed}", prices_only)
        # Then the switch keeps the subscription's quantity
        assert errors == {} and (chosen.plan, chosen.quantity) == (PRO, 2), typed


def test_without_price_changes_the_plan_stays() -> None:
    quantity_only = UpdatePolicy(False, True, "create_prorations", frozenset())
    chosen, errors = choose("price=price_pro&quantity=5", quantity_only)
    assert errors == {} and (chosen.plan, chosen.quantity) == (BASIC, 5)
