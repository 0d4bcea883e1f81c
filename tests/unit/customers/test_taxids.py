"""Tax IDs by type with python-stdnum: normalized value and country, or a 400 naming the field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.customers.taxids import EXAMPLES, VALIDATORS, validate_tax_id
from billing.kernel.errors import InvalidRequest

# python-stdnum's documented examples, as a customer might type them.
VALID = [
    ("eu_vat", "DE 136,695,976", "DE136695976", "DE"),
    ("eu_vat", "de136695976", "DE136695976", "DE"),
    ("eu_vat", "ATU 57194903", "ATU57194903", "AT"),
    ("eu_vat", "FR 40 303 265 045", "FR40303265045", "FR"),
    ("eu_vat", "BE 0411.905.847", "BE0411905847", "BE"),
    ("eu_vat", "NL004495445B01", "NL004495445B01", "NL"),
    ("eu_vat", "EL 094259216", "EL094259216", "GR"),  # Greece: EL in VAT numbers, GR in ISO 3166
    ("gb_vat", "GB 980 7806 84", "980780684", "GB"),
    ("us_ein", "04-2103594", "042103594", "US"),
    ("au_abn", "83 914 571 673", "83914571673", "AU"),
    ("ch_vat", "CHE-107.787.577 IVA", "CHE107787577IVA", "CH"),
    ("ch_vat", "CHE-123.456.788 MWST", "CHE123456788MWST", "CH"),
    ("no_vat", "NO 995 525 828 MVA", "995525828MVA", "NO"),
    ("in_gst", "27AAPFU0939F1ZV", "27AAPFU0939F1ZV", "IN"),
    ("ca_bn", "12302 6635", "123026635", "CA"),
    ("ca_bn", "12302 6635 RC 0001", "123026635RC0001", "CA"),
    ("nz_gst", "4909185-0", "49091850", "NZ"),
]

INVALID = [
    ("eu_vat", "DE136695977"),  # check digit
    ("eu_vat", "136695976"),  # no country prefix
    ("eu_vat", "US136695976"),  # not an EU prefix
    ("gb_vat", "GB 980 7806 85"),
    ("us_ein", "00-0000000"),
    ("au_abn", "83 914 571 674"),
    ("ch_vat", "CHE-123.456.789 MWST"),
    ("no_vat", "NO 995 525 829 MVA"),
    ("in_gst", "27AAPFU0939F1ZW"),
    ("ca_bn", "12302 6636"),
    ("nz_gst", "4909185-1"),
    ("eu_vat", ""),
]


@pytest.mark.parametrize(("type_", "value", "normalized", "country"), VALID)
def test_given_a_valid_tax_id_when_validated_then_normalized_value_and_country(
    type_: str, value: str, normalized: str, country: str
) -> None:
    assert validate_tax_id(type_, value) == (normalized, country)


@pytest.mark.parametrize(("type_", "value", "normalized", "country"), VALID)
def test_given_a_normalized_tax_id_when_validated_again_then_it_is_unchanged(
    type_: str, value: str, normalized: str, country: str
) -> None:
    assert validate_tax_id(type_, normalized) == (normalized, country)


@pytest.mark.parametrize(("type_", "value"), INVALID)
def test_given_a_bad_value_when_validated_then_400_naming_value(type_: str, value: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        validate_tax_id(type_, value)
    assert (raised.value.status, raised.value.param, raised.value.code) == (400, "value", "tax_id_invalid")
    assert type_ in raised.value.message


@pytest.mark.parametrize("type_", ["eu_gst", "EU_VAT", "", "vat"])
def test_given_an_unknown_type_when_validated_then_400_naming_type_and_listing_the_supported(type_: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        validate_tax_id(type_, "DE136695976")
    assert raised.value.param == "type"
    assert "eu_vat" in raised.value.message


def test_given_the_issue_minimum_then_every_required_type_is_supported() -> None:
    assert {"eu_vat", "gb_vat", "us_ein", "au_abn", "ch_vat", "no_vat", "in_gst"} <= set(VALIDATORS)


EU_VATS = [normalized for type_, _, normalized, _ in VALID if type_ == "eu_vat"]


@settings(max_examples=200, deadline=None)
@given(vat=st.sampled_from(EU_VATS), data=st.data())
def test_property_an_eu_vat_id_survives_any_spacing_and_case(vat: str, data: st.DataObject) -> None:
    # Given a valid EU VAT ID typed with random spaces after its two-letter prefix (stdnum reads
    # the prefix before it removes spaces) and in either case, When validated, Then one answer
    separators = data.draw(st.lists(st.sampled_from(["", "", " "]), min_size=len(vat), max_size=len(vat)))
    lower = data.draw(st.booleans())
    typed = vat[0] + "".join(c + s for c, s in zip(vat[1:], separators[1:], strict=True))
    normalized, country = validate_tax_id("eu_vat", typed.lower() if lower else typed)
    assert normalized == vat
    assert country == ("GR" if vat.startswith("EL") else vat[:2])


@settings(max_examples=200, deadline=None)
@given(type_=st.sampled_from(sorted(VALIDATORS)), value=st.text(max_size=20))
def test_property_any_text_is_a_tax_id_or_a_400_on_value(type_: str, value: str) -> None:
    # Whatever a customer types, the answer is a (value, country) or a 400, never a crash.
    try:
        normalized, country = validate_tax_id(type_, value)
    except InvalidRequest as error:
        assert (error.param, error.code) == ("value", "tax_id_invalid")
    else:
        assert normalized and len(country) == 2


def test_every_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(VALIDATORS)


@pytest.mark.parametrize(("type_", "example"), sorted(EXAMPLES.items()))
def test_every_example_the_portal_shows_is_accepted(type_: str, example: str) -> None:
    # The billing-details form shows these (one per type, the chosen type's, else eu_vat's):
    # an example the customer copies must never be refused.
    normalized, country = validate_tax_id(type_, example)
    assert normalized and len(country) == 2


def test_the_example_the_form_used_to_show_is_refused() -> None:
    # Issue 19: "DE123456789" was the hint's example; its check digit is wrong.
    with pytest.raises(InvalidRequest):
        validate_tax_id("eu_vat", "DE123456789")
    assert "DE123456789" not in EXAMPLES.values()
