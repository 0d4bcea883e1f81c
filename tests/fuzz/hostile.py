"""Hostile input for the fuzz tests: markup, unicode edge cases, sizes, and form bodies built
byte by byte (duplicated, missing and unknown fields, broken percent-encoding), plus the checks
every answer to such input must pass."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote_plus, urlsplit

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# `make test` runs a handful per test; `make fuzz` sets FUZZ_EXAMPLES=200 (or more).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 10,  # the bounded run in `make test` is the same every time
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)

# Markup that must never come back as markup (each holds a `<` the page has to escape).
MARKUP = (
    '<script>alert("vinr-xss")</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "<b>vinr-bold</b>",
    '</textarea><a href="javascript:alert(1)">x</a>',
    "<!--vinr-->",
    "<font color=red>vinr</font><br/>",
)
# What an unescaped echo of MARKUP would leave in a page.
RAW_MARKUP = re.compile(
    r"<script>alert|<img src=x|<svg onload|<b>vinr-bold|<a href=\"javascript|<!--vinr|<font color=red>vinr"
)
UNICODE = (
    "\x00",  # NUL
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u202d",  # LEFT-TO-RIGHT OVERRIDE
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u200b",  # ZERO WIDTH SPACE
    "\ufeff",  # BOM
    "e\u0301",  # combining acute
    "\U0001d54d",  # 𝕍, outside the BMP
    "\U0001f600",
    "\ud800",  # a lone high surrogate (percent-encoded as ED A0 80)
    "\udfff",  # a lone low surrogate
    "İ",
    "ß",
    "\r\n",
    "\t",
    "\x7f",
    "\u0085",
)
SIZES = ("", " ", "A" * 201, "A" * 10_000, "A" * (1 << 20))  # up to 1 MB
# Percent-encoding a browser never sends: truncated, not hex, invalid UTF-8, overlong.
BROKEN_ESCAPES = ("%", "%z", "%zz", "%FF", "%C0%AF", "%ED%A0%80", "%ED%BF%BF", "%F4%90%80%80", "%00", "%E2%80%AE")
MAX_PAGE_BYTES = 256 * 1024  # Lambda answers at most 6 MB; a page about bad input stays small


def text_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=40),
        st.sampled_from(MARKUP),
        st.sampled_from(SIZES),
        st.lists(st.sampled_from((*UNICODE, *MARKUP, "a", " ", "1")), max_size=8).map("".join),
        st.integers().map(str),
        st.floats(allow_nan=True).map(str),
    )


def encode(value: str | bytes) -> str:
    """`value` percent-encoded as a form field; lone surrogates become their 3-byte form
    (what a broken client sends: ED A0 80 for U+D800)."""
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return quote_plus(raw)


@st.composite
def form_bodies(draw: st.DrawFn, fields: Sequence[str], csrf: str, valid: dict[str, str] | None = None) -> str:
    """A urlencoded body over `fields`: each field missing, once or repeated, with a valid,
    hostile or broken value; unknown fields; the CSRF token usually right (so that the form's
    own checks are reached), sometimes missing, repeated or wrong."""
    parts: list[str] = []
    csrf_choice = draw(st.sampled_from(("right", "right", "right", "right", "missing", "twice", "wrong")))
    if csrf_choice in ("right", "twice"):
        parts.append(f"csrf={csrf}")
    if csrf_choice == "twice":
        parts.append("csrf=" + encode(draw(text_values())))
    if csrf_choice == "wrong":
        parts.append("csrf=" + encode(csrf[:-1] + "0"))
    for name in fields:
        copies = draw(st.sampled_from((0, 1, 1, 1, 2)))
        for _ in range(copies):
            kind = draw(st.sampled_from(("valid", "valid", "hostile", "broken")))
            if kind == "valid" and valid and name in valid:
                parts.append(f"{name}={encode(valid[name])}")
            elif kind == "broken":
                parts.append(f"{name}={encode(draw(st.text(max_size=5)))}{draw(st.sampled_from(BROKEN_ESCAPES))}")
            else:
                parts.append(f"{name}={encode(draw(text_values()))}")
    for _ in range(draw(st.integers(0, 2))):
        parts.append(f"{encode(draw(st.text(min_size=1, max_size=10)))}={encode(draw(text_values()))}")
    order = draw(st.permutations(parts))
    separator = draw(st.sampled_from(("&", "&", "&&", ";")))
    return separator.join(order)


def assert_clean_page(status: int, headers: Iterable[tuple[str, str]], body: bytes, *, allowed: set[int]) -> None:
    """What every answer to hostile input must be: a status the form may answer, no 5xx, no
    markup echoed as markup, a page of bounded size, the portal's headers."""
    assert status < 500, body[:2000]
    assert status in allowed, (status, body[:2000])
    assert len(body) <= MAX_PAGE_BYTES, f"{len(body)} bytes answered"
    names = {name.lower(): value for name, value in headers}
    if status in (303, 307):
        location = names.get("location", "")
        where = urlsplit(location)
        same_site = location.startswith("/") and not location.startswith("//")
        assert same_site or where.netloc in ("127.0.0.1:3001", "app.example.com"), location
        return
    text = body.decode("utf-8")
    found = RAW_MARKUP.search(text)
    assert found is None, f"unescaped markup: {text[max(0, found.start() - 200) : found.end() + 200]}"
    assert "frame-ancestors 'none'" in names.get("content-security-policy", "")
