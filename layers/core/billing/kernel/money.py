"""Money: integer minor units plus an ISO 4217 currency (lowercase on the wire)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from billing.kernel.errors import InvalidRequest

if TYPE_CHECKING:  # (callers make the fractions; what formats money never loads the module)
    from fractions import Fraction

ZERO_DECIMAL = frozenset(
    """
    bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf
    """.split()
)
THREE_DECIMAL = frozenset(
    """
    bhd iqd jod kwd lyd omr tnd
    """.split()
)
CURRENCIES = frozenset(
    """
    aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd btn bwp byn
    bzd cad cdf chf clp cny cop crc cup cve czk djf dkk dop dzd egp ern etb eur fjd fkp gbp gel ghs
    gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr iqd irr isk jmd jod jpy kes kgs khr kmf kpw krw
    kwd kyd kzt lak lbp lkr lrd lsl lyd mad mdl mga mkd mmk mnt mop mru mur mvr mwk mxn myr mzn nad
    ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sdg sek sgd
    shp sle sos srd ssp stn syp szl thb tjs tmt tnd top try ttd twd tzs uah ugx usd uyu uzs ves vnd
    vuv wst xaf xcd xof xpf yer zar zmw zwl
    """.split()
)


def round_half_away(value: Fraction) -> int:
    """Rounds to the nearest integer, halves away from zero (money's usual rule)."""
    magnitude = abs(value)
    whole = int(magnitude)
    if 2 * (magnitude - whole) >= 1:  # at least a half
        whole += 1
    return whole if value >= 0 else -whole


def validate_currency(code: str, param: str = "currency") -> str:
    """The lowercase ISO 4217 code, or a 400 naming `param`."""
    lowered = code.strip().lower()
    if lowered not in CURRENCIES:
        raise InvalidRequest(f"{code!r} is not a supported ISO 4217 currency code.", param=param)
    return lowered


def exponent(currency: str) -> int:
    """Digits after the decimal point: 0 for JPY, 3 for KWD, 2 for most."""
    lowered = currency.lower()
    if lowered in ZERO_DECIMAL:
        return 0
    return 3 if lowered in THREE_DECIMAL else 2


def split_proportional(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to non-negative `weights`, summing exactly to `total`
    (largest remainder; ties go to the earlier weight)."""
    weight_sum = sum(weights)
    if total == 0 or weight_sum == 0:
        return [0] * len(weights)
    shares = [total * w // weight_sum for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % weight_sum), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares
