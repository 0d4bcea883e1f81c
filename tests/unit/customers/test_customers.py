"""A customer as the API shows it, from its record: the same JSON, key for key, as before records."""

from __future__ import annotations

import json

from billing.customers import customers
from billing.customers.records import Customer, TaxId
from billing.kernel.scope import Scope


def test_a_customer_shows_its_tax_ids_and_the_credit_it_has() -> None:
    customer = Customer(
        id="cust_1",
        email="ada@example.com",
        name="Ada",
        phone="+49 30 123456",
        address={"line1": "Unter den Linden 5", "country": "DE"},
        metadata={"plan": "gold"},
        test_clock="clock_1",
        default_payment_method="pm_1",
        tax_ids=(
            TaxId(id="txi_1", type="eu_vat", value="DE136695976", country="DE", created_at="2026-05-31T10:00:00Z"),
        ),
        credit={"usd": 0, "eur": 1500, "chf": 20},
        preferred_locale="de",
        created_at="2026-05-30T14:25:00Z",
        version=3,
    )
    expected = {
        "id": "cust_1",
        "object": "customer",
        "email": "ada@example.com",
        "name": "Ada",
        "phone": "+49 30 123456",
        "address": {"line1": "Unter den Linden 5", "country": "DE"},
        "metadata": {"plan": "gold"},
        "testClock": "clock_1",
        "defaultPaymentMethod": "pm_1",
        "taxIds": [
            {
                "id": "txi_1",
                "type": "eu_vat",
                "value": "DE136695976",
                "country": "DE",
                "createdAt": "2026-05-31T10:00:00Z",
                "object": "tax_id",
                "customer": "cust_1",
            }
        ],
        "preferredLocale": "de",
        "creditBalance": {"chf": 20, "eur": 1500},
        "createdAt": "2026-05-30T14:25:00Z",
        "livemode": True,
    }
    assert json.dumps(customers.to_wire(customer, Scope("acct_1", "live"))) == json.dumps(expected)


def test_a_new_customer_shows_empty_lists_and_maps_not_nulls() -> None:
    wire = customers.to_wire(Customer(id="cust_1", created_at="2026-05-30T14:25:00Z"), Scope("acct_1", "test"))
    assert (wire["taxIds"], wire["metadata"], wire["creditBalance"], wire["livemode"]) == ([], {}, {}, False)
    assert (wire["email"], wire["address"], wire["testClock"], wire["defaultPaymentMethod"]) == (None, None, None, None)


def test_a_complete_address_or_none_misses_nothing() -> None:
    complete = {"line1": "Unter den Linden 5", "postalCode": "10117", "city": "Berlin", "country": "DE"}
    assert customers.missing_address_parts(complete) == {}
    assert customers.missing_address_parts(None) == {}
    assert customers.missing_address_parts({}) == {}
    assert customers.missing_address_parts({"line1": " ", "city": ""}) == {}


def test_a_partial_address_names_each_blank_required_part() -> None:
    # line2 and state are optional; blank (or only spaces) counts as missing
    missing = customers.missing_address_parts({"line2": "Hinterhaus", "city": "  ", "country": "DE"})
    assert list(missing) == ["address.line1", "address.postalCode", "address.city"]
    assert all((m.status, m.code, m.param) == (400, "parameter_missing", p) for p, m in missing.items())
