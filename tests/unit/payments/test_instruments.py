"""Card numbers, expiry and CVC, IBANs and keyed fingerprints; no full number in any error."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum import iban as stdnum_iban
from stdnum import luhn

from billing.kernel.errors import InvalidRequest
from billing.payments.instruments import (
    Card,
    Iban,
    bank_code,
    card_brand,
    fingerprint,
    normalize_card_number,
    validate_card,
    validate_cvc,
    validate_expiry,
    validate_iban,
)

NOW = datetime(2026, 5, 30, 14, 25, tzinfo=UTC)
PEPPER = b"p" * 32

# Stripe's documented test card numbers.
STRIPE_TEST_CARDS = [
    ("4242424242424242", "visa"),
    ("4000056655665556", "visa"),
    ("5555555555554444", "mastercard"),
    ("2223003122003222", "mastercard"),
    ("5200828282828210", "mastercard"),
    ("378282246310005", "amex"),
    ("371449635398431", "amex"),
    ("6011111111111117", "discover"),
    ("6011000990139424", "discover"),
    ("3056930009020004", "diners"),
    ("36227206271667", "diners"),
    ("3566002020360505", "jcb"),
    ("6200000000000005", "unionpay"),
    ("6205500000000000004", "unionpay"),
]

# Documented example IBANs (ECBS / national banks), with the bank code the registry gives.
EXAMPLE_IBANS = [
    ("DE89370400440532013000", "DE", "37040044", "3000"),
    ("FR1420041010050500013M02606", "FR", "20041", "2606"),
    ("NL91ABNA0417164300", "NL", "ABNA", "4300"),
    ("AT611904300234573201", "AT", "19043", "3201"),
    ("IT60X0542811101000000123456", "IT", "05428", "3456"),
    ("GB29NWBK60161331926819", "GB", "NWBK", "6819"),
    ("BE71096123456769", "BE", "096", "6769"),
    ("ES9121000418450200051332", "ES", "2100", "1332"),
    ("CH9300762011623852957", "CH", "00762", "2957"),
]


def luhn_valid_number(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def assert_never_mentions(error: InvalidRequest, secret: str) -> None:
    for text in (error.message, str(error), repr(error), repr(error.args), str(error.envelope())):
        assert secret not in text


# --- card numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "brand"), STRIPE_TEST_CARDS)
def test_given_a_stripe_test_card_when_normalized_then_valid_and_its_brand_detected(number: str, brand: str) -> None:
    assert normalize_card_number(number) == number
    assert card_brand(number) == brand


@pytest.mark.parametrize("formatted", ["4242 4242 4242 4242", "4242-4242-4242-4242", " 4242424242424242 "])
def test_given_spaces_or_dashes_when_normalized_then_only_digits_remain(formatted: str) -> None:
    assert normalize_card_number(formatted) == "4242424242424242"


@pytest.mark.parametrize(
    "number",
    [
        "4242424242424241",  # Luhn fails
        "42424242424",  # 11 digits
        "42424242424242424242",  # 20 digits
        "4242.4242.4242.4242",  # dots are not separators
        "4242424242424a42",
        "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢",  # Arabic-Indic digits are not card digits
        "",
    ],
)
def test_given_a_bad_card_number_when_normalized_then_400_naming_number_without_echoing_it(number: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        normalize_card_number(number)
    assert (raised.value.param, raised.value.code) == ("number", "invalid_number")
    if number:
        assert_never_mentions(raised.value, number.strip())


@pytest.mark.parametrize(
    ("prefix", "brand"),
    [
        ("2221", "mastercard"),
        ("2720", "mastercard"),
        ("2220", "unknown"),
        ("2721", "unknown"),
        ("51", "mastercard"),
        ("55", "mastercard"),
        ("56", "unknown"),
        ("3528", "jcb"),
        ("3589", "jcb"),
        ("3590", "unknown"),
        ("300", "diners"),
        ("305", "diners"),
        ("306", "unknown"),
        ("3095", "diners"),
        ("644", "discover"),
        ("65", "discover"),
        ("62", "unionpay"),
        ("9", "unknown"),
    ],
)
def test_given_range_edges_when_the_brand_is_detected_then_bounds_are_inclusive(prefix: str, brand: str) -> None:
    number = luhn_valid_number(prefix + "0" * (15 - len(prefix)))
    assert card_brand(normalize_card_number(number)) == brand


@settings(max_examples=200, deadline=None)
@given(body=st.text(alphabet="0123456789", min_size=11, max_size=18), data=st.data())
def test_property_any_luhn_valid_number_is_accepted_however_it_is_spaced(body: str, data: st.DataObject) -> None:
    # Given a Luhn-valid number of 12 to 19 digits, formatted with random spaces and dashes
    number = luhn_valid_number(body)
    separators = data.draw(st.lists(st.sampled_from(["", "", " ", "-"]), min_size=len(number), max_size=len(number)))
    formatted = "".join(digit + sep for digit, sep in zip(number, separators, strict=True))
    # When it is normalized, Then the digits come back and the brand does not depend on the format
    assert normalize_card_number(formatted) == number
    assert card_brand(normalize_card_number(formatted)) == card_brand(number)


@settings(max_examples=200, deadline=None)
@given(
    body=st.text(alphabet="0123456789", min_size=11, max_size=18),
    position=st.integers(min_value=0, max_value=18),
    delta=st.integers(min_value=1, max_value=9),
)
def test_property_a_single_mistyped_digit_is_refused_and_never_echoed(body: str, position: int, delta: int) -> None:
    # Given a valid number with one digit changed (Luhn catches every single-digit error)
    number = luhn_valid_number(body)
    position %= len(number)
    typo = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    # When it is normalized, Then it is a 400 on `number` that does not contain the number
    with pytest.raises(InvalidRequest) as raised:
        normalize_card_number(typo)
    assert raised.value.param == "number"
    assert_never_mentions(raised.value, typo)


# --- expiry and CVC -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "year", "expected"),
    [
        (5, 2026, (5, 2026)),  # the current month is still good
        ("05", "26", (5, 2026)),
        ("12", "2030", (12, 2030)),
        (1, 27, (1, 2027)),
        (" 7 ", " 31 ", (7, 2031)),
        (12, 2076, (12, 2076)),  # 50 years ahead
    ],
)
def test_given_a_current_or_future_expiry_when_validated_then_month_and_four_digit_year(
    month: int | str, year: int | str, expected: tuple[int, int]
) -> None:
    assert validate_expiry(month, year, now=NOW) == expected


@pytest.mark.parametrize(
    ("month", "year", "param", "code"),
    [
        (0, 2027, "expMonth", "invalid_expiry_month"),
        (13, 2027, "expMonth", "invalid_expiry_month"),
        ("1a", 2027, "expMonth", "invalid_expiry_month"),
        (True, 2027, "expMonth", "invalid_expiry_month"),
        (-1, 2027, "expMonth", "invalid_expiry_month"),
        (1, "202", "expYear", "invalid_expiry_year"),
        (1, "2", "expYear", "invalid_expiry_year"),
        (1, 123, "expYear", "invalid_expiry_year"),
        (1, "0027", "expYear", "invalid_expiry_year"),
        (1, 2077, "expYear", "invalid_expiry_year"),
        (1, "", "expYear", "invalid_expiry_year"),
        (4, 2026, "expYear", "expired_card"),
        (12, "25", "expYear", "expired_card"),
        (12, "99", "expYear", "expired_card"),  # 1999, not 2099
    ],
)
def test_given_a_bad_or_past_expiry_when_validated_then_400_naming_the_field(
    month: int | str, year: int | str, param: str, code: str
) -> None:
    with pytest.raises(InvalidRequest) as raised:
        validate_expiry(month, year, now=NOW)
    assert (raised.value.param, raised.value.code) == (param, code)


@settings(max_examples=200, deadline=None)
@given(
    month=st.integers(min_value=1, max_value=12),
    year=st.integers(min_value=2000, max_value=2100),
    now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC)),
)
def test_property_an_expiry_is_accepted_exactly_when_its_month_has_not_ended(
    month: int, year: int, now: datetime
) -> None:
    assume(year <= now.year + 50)
    # Given any expiry and any `now`, When validated, Then accepted iff (year, month) >= now's
    good = (year, month) >= (now.year, now.month)
    if good:
        assert validate_expiry(month, year, now=now) == (month, year)
        if year <= now.year + 49:  # the two-digit window reaches 49 years ahead
            assert validate_expiry(f"{month:02d}", f"{year % 100:02d}", now=now) == (month, year)
    else:
        with pytest.raises(InvalidRequest) as raised:
            validate_expiry(month, year, now=now)
        assert raised.value.code == "expired_card"


@pytest.mark.parametrize(("cvc", "brand"), [("123", "visa"), ("000", "mastercard"), ("1234", "amex"), (" 999 ", "jcb")])
def test_given_a_cvc_of_the_brand_length_when_validated_then_accepted(cvc: str, brand: str) -> None:
    assert validate_cvc(cvc, brand) == cvc.strip()


@pytest.mark.parametrize(
    ("cvc", "brand"), [("1234", "visa"), ("123", "amex"), ("12", "visa"), ("12a", "visa"), ("", "visa")]
)
def test_given_a_wrong_cvc_when_validated_then_400_naming_cvc_without_echoing_it(cvc: str, brand: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        validate_cvc(cvc, brand)
    assert (raised.value.param, raised.value.code) == ("cvc", "invalid_cvc")
    if cvc:
        assert_never_mentions(raised.value, cvc)


def test_given_a_full_card_when_validated_then_only_brand_last4_and_expiry_show() -> None:
    card = validate_card("3782 822463 10005", "3", "29", "1234", now=NOW)
    assert card == Card(brand="amex", last4="0005", exp_month=3, exp_year=2029, number="378282246310005")
    assert "378282246310005" not in repr(card)


def test_given_an_amex_with_a_three_digit_cvc_when_validated_then_the_cvc_is_refused() -> None:
    with pytest.raises(InvalidRequest) as raised:
        validate_card("378282246310005", 3, 2029, "123", now=NOW)
    assert raised.value.param == "cvc"


# --- IBAN ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "country", "bank", "last4"), EXAMPLE_IBANS)
def test_given_an_example_iban_when_validated_then_country_bank_code_and_last4(
    value: str, country: str, bank: str, last4: str
) -> None:
    result = validate_iban(value)
    assert result == Iban(country=country, bank_code=bank, last4=last4, number=value)
    assert value not in repr(result)


def test_given_a_spaced_lowercase_iban_when_validated_then_it_is_compacted() -> None:
    assert validate_iban("de89 3704 0044 0532 0130 00").number == "DE89370400440532013000"


def test_given_a_country_without_a_registry_entry_here_then_the_bank_code_is_the_first_four_bban_chars() -> None:
    # Given a Polish IBAN (Poland is not in BANK_CODE_POSITION), Then the fallback applies.
    assert bank_code("PL61109010140000071219812874") == "1090"
    assert validate_iban("PL61109010140000071219812874").bank_code == "1090"


@pytest.mark.parametrize(
    "value",
    [
        "DE89370400440532013001",  # check digits do not match
        "DE8937040044053201300",  # too short for Germany
        "XX89370400440532013000",  # no such country
        "BE68539007547034",  # Belgian national check fails
        "DE89-3704/0044",
        "",
        "٤٢٤٢",
    ],
)
def test_given_a_bad_iban_when_validated_then_400_naming_iban_without_echoing_it(value: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        validate_iban(value)
    assert (raised.value.param, raised.value.code) == ("iban", "invalid_iban")
    if value:
        assert_never_mentions(raised.value, value)


german_bbans = st.text(alphabet="0123456789", min_size=18, max_size=18)


def german_iban(bban: str) -> str:
    return "DE" + stdnum_iban.calc_check_digits("DE00" + bban) + bban


@settings(max_examples=200, deadline=None)
@given(bban=german_bbans)
def test_property_every_well_formed_german_iban_is_accepted_and_reduced(bban: str) -> None:
    # Given any German BBAN with correct check digits, When validated, Then bank code is the BLZ
    value = german_iban(bban)
    result = validate_iban(value)
    assert (result.country, result.bank_code, result.last4, result.number) == ("DE", bban[:8], bban[-4:], value)


@settings(max_examples=200, deadline=None)
@given(bban=german_bbans, position=st.integers(min_value=4, max_value=21), delta=st.integers(min_value=1, max_value=9))
def test_property_a_single_mistyped_iban_digit_is_refused_and_never_echoed(
    bban: str, position: int, delta: int
) -> None:
    # ISO 7064 mod 97-10 catches every single-digit substitution.
    value = german_iban(bban)
    typo = value[:position] + str((int(value[position]) + delta) % 10) + value[position + 1 :]
    with pytest.raises(InvalidRequest) as raised:
        validate_iban(typo)
    assert raised.value.param == "iban"
    assert_never_mentions(raised.value, typo)


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=40))
def test_property_arbitrary_text_is_an_iban_or_a_400_never_another_exception(value: str) -> None:
    try:
        result = validate_iban(value)
    except InvalidRequest as error:
        assert error.param == "iban"
    else:
        assert stdnum_iban.is_valid(result.number)


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=25))
def test_property_arbitrary_text_is_a_card_number_or_a_400_never_another_exception(value: str) -> None:
    try:
        digits = normalize_card_number(value)
    except InvalidRequest as error:
        assert error.param == "number"
    else:
        assert luhn.is_valid(digits) and 12 <= len(digits) <= 19


# --- fingerprints -------------------------------------------------------------------------


def test_given_a_pepper_kind_and_number_then_the_fingerprint_is_the_truncated_hmac() -> None:
    expected = hmac.new(PEPPER, b"card:4242424242424242", hashlib.sha256).hexdigest()[:32]
    assert fingerprint(PEPPER, "card", "4242424242424242") == expected


@settings(max_examples=200, deadline=None)
@given(number=st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=12, max_size=34))
def test_property_fingerprints_are_stable_keyed_and_kind_scoped(number: str) -> None:
    first = fingerprint(PEPPER, "card", number)
    assert first == fingerprint(PEPPER, "card", number)
    assert len(first) == 32 and all(c in "0123456789abcdef" for c in first)
    assert first != fingerprint(b"q" * 32, "card", number)
    assert first != fingerprint(PEPPER, "sepa_debit", number)


@pytest.mark.parametrize(("pepper", "kind"), [(b"", "card"), (PEPPER, ""), (PEPPER, "card:x")])
def test_given_no_pepper_or_an_ambiguous_kind_then_no_fingerprint(pepper: bytes, kind: str) -> None:
    with pytest.raises(ValueError, match=r"pepper|kind"):
        fingerprint(pepper, kind, "4242424242424242")
