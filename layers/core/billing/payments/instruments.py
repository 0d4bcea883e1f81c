"""Payment instruments checked before anything is stored: card numbers, expiry and CVC, and IBANs.

Pure functions, no I/O. A card is reduced to brand/last4/expiry and an IBAN to country/bank
code/last4; the full number only feeds `fingerprint`, a keyed hash (kept per account and mode
through `scoped_fingerprint`). No message, exception or `repr` here ever contains a full
number, a CVC or an IBAN.

Errors are `InvalidRequest` naming the field (`number`, `expMonth`, `expYear`, `cvc`, `iban`),
with Stripe's codes and wording where Stripe has them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime

import msgspec

from billing.kernel.errors import InvalidRequest

CARD_LENGTHS = range(12, 20)  # 12 to 19 digits (ISO/IEC 7812)
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also accepts "²" and "٣"
_CARD_SEPARATORS = re.compile(r"[ \-]")

# Brand by issuer identification number prefix, most specific ranges first. Each entry is
# (brand, low, high) over the first len(low) digits of the number, bounds inclusive. Brands
# are detected by prefix only; lengths are checked once for every brand (12 to 19 digits).
_BRAND_RANGES: tuple[tuple[str, str, str], ...] = (
    ("amex", "34", "34"),
    ("amex", "37", "37"),
    ("jcb", "3528", "3589"),
    ("diners", "300", "305"),
    ("diners", "3095", "3095"),
    ("diners", "36", "36"),
    ("diners", "38", "39"),
    ("visa", "4", "4"),
    ("mastercard", "51", "55"),
    ("mastercard", "2221", "2720"),  # the 2-series BINs, since 2017
    ("discover", "6011", "6011"),
    ("discover", "644", "649"),
    ("discover", "65", "65"),
    ("unionpay", "62", "62"),
    ("unionpay", "81", "81"),
)
BRANDS = frozenset(brand for brand, _, _ in _BRAND_RANGES) | {"unknown"}

# Where the bank identifier sits in the BBAN (the IBAN after country and check digits), from
# the SWIFT IBAN registry, as (offset, length). Italy and San Marino start with a check
# character (CIN). Other countries: the first 4 characters of the BBAN, a documented stand-in
# rather than the registry's bank identifier.
BANK_CODE_POSITION: dict[str, tuple[int, int]] = {
    "AT": (0, 5),
    "BE": (0, 3),
    "BG": (0, 4),
    "CH": (0, 5),
    "CY": (0, 3),
    "CZ": (0, 4),
    "DE": (0, 8),
    "DK": (0, 4),
    "EE": (0, 2),
    "ES": (0, 4),
    "FI": (0, 3),
    "FR": (0, 5),
    "GB": (0, 4),
    "GR": (0, 3),
    "HR": (0, 7),
    "HU": (0, 3),
    "IE": (0, 4),
    "IT": (1, 5),
    "LI": (0, 5),
    "LT": (0, 5),
    "LU": (0, 3),
    "LV": (0, 4),
    "MC": (0, 5),
    "MT": (0, 4),
    "NL": (0, 4),
    "NO": (0, 4),
    "PT": (0, 4),
    "RO": (0, 4),
    "SE": (0, 3),
    "SI": (0, 5),
    "SK": (0, 4),
    "SM": (1, 5),
}
DEFAULT_BANK_CODE_POSITION = (0, 4)


class Card(msgspec.Struct, frozen=True):
    """A validated card. `number` (digits only) is for `fingerprint` and is kept out of `repr`."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    number: str

    def __repr__(self) -> str:
        return f"Card(brand={self.brand!r}, last4={self.last4!r}, exp_month={self.exp_month}, exp_year={self.exp_year})"


class Iban(msgspec.Struct, frozen=True):
    """A validated IBAN. `number` (compact, upper case) is for `fingerprint` and is kept out of `repr`."""

    country: str
    bank_code: str
    last4: str
    number: str

    def __repr__(self) -> str:
        return f"Iban(country={self.country!r}, bank_code={self.bank_code!r}, last4={self.last4!r})"


def normalize_card_number(number: str) -> str:
    """The card number as digits only: spaces and dashes removed, 12 to 19 digits, Luhn-valid."""
    digits = _CARD_SEPARATORS.sub("", number)
    if not _DIGITS.fullmatch(digits) or len(digits) not in CARD_LENGTHS:
        raise InvalidRequest(
            "Your card number is invalid; a card number has 12 to 19 digits.", param="number", code="invalid_number"
        )
    from stdnum import luhn  # python-stdnum loads pydoc: imported when a card is typed, not at cold start

    if not luhn.is_valid(digits):
        raise InvalidRequest("Your card number is invalid.", param="number", code="invalid_number")
    return digits


def card_brand(digits: str) -> str:
    """The card network of a digits-only number, or "unknown"."""
    for brand, low, high in _BRAND_RANGES:
        prefix = digits[: len(low)]
        if len(prefix) == len(low) and low <= prefix <= high:
            return brand
    return "unknown"


def _as_int(value: int | str) -> tuple[int, int] | None:
    """(value, digits written) for a non-negative int or an ASCII-digit string, else None.
    An int below 100 counts as written with two digits (26 is "26")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value, max(2, len(str(value)))) if value >= 0 else None
    text = value.strip()
    return (int(text), len(text)) if _DIGITS.fullmatch(text) else None


def validate_expiry(exp_month: int | str, exp_year: int | str, *, now: datetime) -> tuple[int, int]:
    """(month, four-digit year). A card is good through the last day of its expiry month.

    The year has 2 or 4 digits (an int below 100 counts as 2). A two-digit year is read in a
    window from 50 years before `now` to 49 after, so "26" is 2026. A year more than 50 years
    ahead of `now` is refused as a typo.
    """
    month = _as_int(exp_month)
    if month is None or not 1 <= month[0] <= 12:
        raise InvalidRequest("Your card's expiration month is invalid.", param="expMonth", code="invalid_expiry_month")
    year = _as_int(exp_year)
    if year is None or year[1] not in (2, 4) or (year[1] == 4 and year[0] < 1000):
        raise InvalidRequest("Your card's expiration year is invalid.", param="expYear", code="invalid_expiry_year")
    full_year = year[0]
    if full_year < 100:
        full_year += now.year - now.year % 100
        if full_year < now.year - 50:
            full_year += 100
        elif full_year > now.year + 49:
            full_year -= 100
    if full_year > now.year + 50:
        raise InvalidRequest("Your card's expiration year is invalid.", param="expYear", code="invalid_expiry_year")
    if (full_year, month[0]) < (now.year, now.month):
        raise InvalidRequest("Your card has expired.", param="expYear", code="expired_card")
    return month[0], full_year


def validate_cvc(cvc: str, brand: str) -> str:
    """The CVC: 4 digits for American Express, 3 for every other brand."""
    text = cvc.strip()
    expected = 4 if brand == "amex" else 3
    if not _DIGITS.fullmatch(text) or len(text) != expected:
        raise InvalidRequest(
            f"Your card's security code is invalid; it should be {expected} digits.", param="cvc", code="invalid_cvc"
        )
    return text


def validate_card(number: str, exp_month: int | str, exp_year: int | str, cvc: str, *, now: datetime) -> Card:
    """Every check on a card, in the order a form shows its fields. The CVC is checked, never kept."""
    digits = normalize_card_number(number)
    brand = card_brand(digits)
    month, year = validate_expiry(exp_month, exp_year, now=now)
    validate_cvc(cvc, brand)
    return Card(brand=brand, last4=digits[-4:], exp_month=month, exp_year=year, number=digits)


def bank_code(compact_iban: str) -> str:
    """The bank identifier of a valid, compact IBAN (see BANK_CODE_POSITION)."""
    offset, length = BANK_CODE_POSITION.get(compact_iban[:2], DEFAULT_BANK_CODE_POSITION)
    return compact_iban[4 + offset : 4 + offset + length]


def validate_iban(value: str) -> Iban:
    """An IBAN checked by python-stdnum (ISO 13616 check digits, the country's BBAN format and
    the national check where stdnum has one), reduced to country, bank code and last 4."""
    from stdnum import iban as stdnum_iban
    from stdnum.exceptions import ValidationError

    try:
        compact = stdnum_iban.validate(value)
    except (ValidationError, ValueError):
        raise InvalidRequest("The IBAN is invalid.", param="iban", code="invalid_iban") from None
    return Iban(country=compact[:2], bank_code=bank_code(compact), last4=compact[-4:], number=compact)


def fingerprint(pepper: bytes, kind: str, normalized_number: str) -> str:
    """HMAC-SHA256 of "<kind>:<number>" under `pepper`, as 32 hex characters.

    Equal numbers of one kind match wherever the pepper is the same; without it, it reveals
    nothing. Under the deployment's pepper this is the fingerprint stored before fingerprints
    were kept per account and mode, and the inner value of `scoped_fingerprint`.
    """
    if not pepper:
        raise ValueError("a fingerprint needs a non-empty pepper")
    if not kind or ":" in kind:
        raise ValueError("kind must be a non-empty name without ':'")
    return hmac.new(pepper, f"{kind}:{normalized_number}".encode(), hashlib.sha256).hexdigest()[:32]


def scoped_fingerprint(scope_key: bytes, deployment_fingerprint: str) -> str:
    """HMAC-SHA256 of a deployment-wide `fingerprint` under the key of one account and mode, as
    32 hex characters: what `paymentmethods.fingerprint` stores and shows. Equal numbers match
    within that account and mode only. Because it is keyed over the earlier value (not over the
    number), a fingerprint stored before can be re-keyed to it without the card or IBAN."""
    if not scope_key:
        raise ValueError("a fingerprint needs a non-empty key")
    return hmac.new(scope_key, f"scoped:{deployment_fingerprint}".encode(), hashlib.sha256).hexdigest()[:32]
