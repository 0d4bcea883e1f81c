"""The bounded load test: `make load`'s run for a few seconds on the local stack over HTTP.

No timing is asserted (the figures are `make load`'s); what must hold under concurrent load is
that every request of every kind answers as a browser or merchant expects, and that the stack
printed no traceback.
"""

from __future__ import annotations

import pytest

from bench import load


@pytest.mark.slow
def test_merchants_minting_while_customers_open_portals_and_switch_plans_makes_no_errors() -> None:
    # When 2 merchant and 3 customer workers run against the local stack for 5 s
    result = load.run(seconds=5, merchants=2, customers=3, per_customer_worker=2, raw_seconds=1)
    # Then no request answered anything unexpected and the stack printed no traceback
    assert result.total_errors == 0, result.report()
    assert result.tracebacks == 0, result.report()
    # And every kind of request completed at least once: sessions minted, links opened, plans switched
    assert all(result.counts[kind] > 0 for kind in load.KINDS), result.report()
    # And afterwards the API shows every switched subscription on the plan its customer confirmed last
    assert result.checked > 0 and load.CHECK not in result.errors, result.report()
    # And every kind touched DynamoDB (the ratio is over real calls) and DynamoDB Local alone answered
    assert all(result.dynamodb_calls[kind] >= 1 for kind in load.KINDS), result.report()
    assert result.raw_before.calls > 0 and result.raw_after.calls > 0
    # And the CPU of the load window was found where it went: the stack's process and its emulator's JVM
    assert result.cpu.stack > 0 and result.cpu.emulator > 0 and result.cpu.generator > 0, result.report()
    assert result.cpu.machine >= result.cpu.stack + result.cpu.emulator, result.report()
    # And the report names every kind with its figures
    report = result.report()
    assert all(kind in report for kind in load.KINDS)


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (
            '<input type="hidden" name="csrf" value="' + "a" * 64 + '">'
            '<input type="radio" name="price" id="field-price" value="price_basic" checked>'
            '<input type="radio" name="price" id="price-2" value="price_pro">',
            ("a" * 64, "price_pro"),
        ),
        (
            '<input type="hidden" name="csrf" value="' + "b" * 64 + '">'
            '<input type="radio" name="price" id="field-price" value="price_pro" checked>'
            '<input type="radio" name="price" id="price-2" value="price_basic">',
            ("b" * 64, "price_basic"),
        ),
    ],
)
def test_the_client_switches_to_the_plan_that_is_not_checked(form: str, expected: tuple[str, str]) -> None:
    assert load._offer(form) == expected


@pytest.mark.parametrize(
    "form",
    [
        '<input type="radio" name="price" id="field-price" value="price_basic" checked>'
        '<input type="radio" name="price" id="price-2" value="price_pro">',  # no CSRF token
        '<input type="hidden" name="csrf" value="' + "a" * 64 + '">'
        '<input type="radio" name="price" id="field-price" value="price_basic" checked>',  # no other plan
    ],
)
def test_a_form_without_a_token_or_another_plan_is_an_error_not_a_guess(form: str) -> None:
    with pytest.raises(ValueError):
        load._offer(form)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert load.percentile(values, 0.50) == 50.0
    assert load.percentile(values, 0.99) == 99.0
    assert load.percentile([3.0], 0.99) == 3.0
    assert load.percentile([], 0.5) == 0.0
