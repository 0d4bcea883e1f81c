"""A pytest plugin: what the code under test printed or logged, over the whole run, scanned for
secrets (API secret keys, portal session secrets), card numbers, CVCs and IBANs.

Registered from the root conftest (`pytest_plugins = ["tests.security.logscan"]` in
tests/conftest.py). For every test phase it scans pytest's captured output sections (stdout and
stderr at the file-descriptor level, so subprocesses that inherit them are included, and the
records of propagating loggers); for a test that used the `running` fixture (the whole local
stack in a subprocess, whose output goes to a pipe) it also scans what that stack printed,
once the stack has stopped. Values the tests hold in variables are never scanned: assertion
messages and tracebacks are not output of the code under test.

`tests/security/test_logs.py::test_nothing_secret_was_printed_or_logged_by_the_suite` runs
last (see `pytest_collection_modifyitems`) and fails on any finding.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

CHECK_TEST = "test_nothing_secret_was_printed_or_logged_by_the_suite"
# Logged by tests/security/test_logs.py through a Powertools Logger, as the functions log: the
# check then knows that the functions' log lines do reach the scanner.
PROBE = "logscan-probe-5b1f0c"

# The test processor's cards and IBANs (billing.payments.testtokens) and others the tests type in.
KNOWN_PANS = {
    "4242424242424242", "4000056655665556", "5555555555554444", "378282246310005", "6011111111111117",
    "3566002020360505", "6200000000000005", "4000002760000016", "4000000000000002", "4000000000009995",
    "4000000000000341", "5105105105105100", "5200828282828210", "2223003122003222", "371449635398431",
    "6011000990139424", "3056930009020004", "36227206271667", "6205500000000000004",
}  # fmt: skip
KNOWN_IBANS = {
    "DE89370400440532013000", "FR1420041010050500013M02606", "NL91ABNA0417164300", "AT611904300234573201",
    "DE62370400440532013001", "BE68539007547034", "BE71096123456769", "CH9300762011623852957",
    "ES9121000418450200051332", "GB29NWBK60161331926819", "IT60X0542811101000000123456",
    "PL61109010140000071219812874",
}  # fmt: skip

# Ours (32 characters after the prefix) and Stripe's secret and restricted keys (24 or more).
SECRET_KEY = re.compile(r"\b[sr]k_(?:test|live)_[A-Za-z0-9]{24,}")
# A portal session secret: the URL fragment after a session ID, or posted as the exchange's field.
SESSION_SECRET = re.compile(
    r"bps_[A-Za-z0-9]+(?:#|%23)[A-Za-z0-9]{32}|\bsecret(?:=|\"?\s*:\s*\"|'\s*:\s*')[A-Za-z0-9]{32}\b"
)
WEBHOOK_SECRET = re.compile(r"\bwhsec_[A-Za-z0-9+/]{32,}={0,2}")
CVC = re.compile(r"\b(?:cvc|cvv|cvc2|security_code)\b[\"']?\s*[:=]\s*[\"']?\d{3,4}\b", re.IGNORECASE)
# Digits in groups (spaces or dashes allowed between them), not part of a longer word nor the
# fraction of a decimal number (a DEBUG log line once held a float with 16 Luhn-valid decimals).
DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z.])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z])")
IBAN_LIKE = re.compile(r"(?<![0-9A-Za-z])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![0-9A-Za-z])")


def luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """ISO 13616: the check digits make the rearranged number 1 modulo 97."""
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def _cards(text: str) -> Iterable[str]:
    for match in DIGIT_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if digits in KNOWN_PANS:
            yield f"card number {digits[:6]}…{digits[-4:]}"
        elif len(digits) in (15, 16) and digits[0] in "3456" and luhn(digits):
            yield f"card-like number {digits[:6]}…{digits[-4:]} (Luhn-valid)"


def _ibans(text: str) -> Iterable[str]:
    for match in IBAN_LIKE.finditer(text):
        compact = match.group().replace(" ", "")
        if compact in KNOWN_IBANS or iban_valid(compact):
            yield f"IBAN {compact[:4]}…{compact[-4:]}"


def _regex(pattern: re.Pattern[str], what: str) -> Callable[[str], Iterable[str]]:
    def find(text: str) -> Iterable[str]:
        for match in pattern.finditer(text):
            value = match.group()
            yield f"{what} {value[:12]}…"

    return find


DETECTORS: dict[str, Callable[[str], Iterable[str]]] = {
    "secret_key": _regex(SECRET_KEY, "secret key"),
    "session_secret": _regex(SESSION_SECRET, "portal session secret"),
    "webhook_secret": _regex(WEBHOOK_SECRET, "webhook signing secret"),
    "cvc": _regex(CVC, "CVC"),
    "card": _cards,
    "iban": _ibans,
}


def findings_in(text: str, *, allow: Iterable[str] = ()) -> list[str]:
    """Every secret-looking thing in `text`, described without repeating it whole."""
    allowed = [a for a in allow if a]
    for value in allowed:
        text = text.replace(value, "<allowed>")
    found: list[str] = []
    for find in DETECTORS.values():
        found.extend(find(text))
    return found


@dataclass
class Scanner:
    sections: int = 0
    characters: int = 0
    stacks: int = 0
    probe_seen: bool = False
    findings: list[str] = field(default_factory=list)

    def scan(self, where: str, text: str, *, allow: Iterable[str] = ()) -> None:
        self.sections += 1
        self.characters += len(text)
        self.probe_seen = self.probe_seen or PROBE in text
        self.findings.extend(f"{where}: {finding}" for finding in findings_in(text, allow=allow))


SCANNER = Scanner()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid.endswith(CHECK_TEST):
        return
    for title, content in report.sections:
        if title.startswith(("Captured stdout", "Captured stderr", "Captured log")):
            SCANNER.scan(f"{report.nodeid} [{title}]", content)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, Any, Any]:
    # The local stack's output goes to a pipe, not to pytest's capture: read it once it stopped.
    running = getattr(item, "funcargs", {}).get("running")
    try:
        return (yield)
    finally:
        if running is not None:
            scan_running_stack(item.nodeid, running)


def scan_running_stack(nodeid: str, running: Any) -> None:
    reader = getattr(running, "reader", None)
    if reader is not None:
        reader.join(timeout=10)
    output = "".join(getattr(running, "output", []))
    stderr = ""
    process = getattr(running, "process", None)
    if process is not None and process.stderr is not None and not process.stderr.closed:
        try:
            stderr = process.stderr.read()
        except (OSError, ValueError):
            stderr = ""
    # `make dev` prints the demo account's key and a portal link on purpose, before `ready`
    # (that is its job): those two values are allowed in that banner and nowhere else.
    banner, ready, rest = output.partition("\nready\n")
    if not ready:
        banner, rest = "", output
    link = re.search(r"https?://\S+/session/bps_[A-Za-z0-9]+#[A-Za-z0-9]{32}", banner)
    allowed = [getattr(running, "key", ""), link.group() if link else ""]
    SCANNER.stacks += 1
    SCANNER.scan(f"{nodeid} [local stack banner]", banner, allow=allowed)
    SCANNER.scan(f"{nodeid} [local stack output]", rest)
    SCANNER.scan(f"{nodeid} [local stack stderr]", stderr)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The check runs after every other test, so it sees the whole run's output."""
    checks = [item for item in items if item.name == CHECK_TEST]
    for item in checks:
        items.remove(item)
        items.append(item)
