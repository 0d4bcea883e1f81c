"""Nothing secret in what the code printed or logged over the whole test run.

The scanning is `tests.security.logscan` (a plugin registered in tests/conftest.py); the last
test of the run reads its findings. The detectors themselves are tested here on samples, so a
clean run means "nothing found", not "nothing looked for".
"""

from __future__ import annotations

import re

import pytest
from aws_lambda_powertools import Logger

from tests.security import logscan

KEY = "sk_test_" + "Ab3" * 10 + "xy"
SESSION_URL = "https://billing.example.com/session/bps_0abcDEF123#" + "s3CrEt" * 5 + "Zz"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f'{{"level":"INFO","message":"auth","key":"{KEY}"}}', "secret key"),
        ("Authorization: Bearer sk_live_" + "Q" * 32, "secret key"),
        ("stripe restricted key rk_live_" + "Zq8" * 8, "secret key"),  # a Stripe key: 24 characters or more
        (f"GET {SESSION_URL}", "portal session secret"),
        ("body=secret%3D&secret=" + "a1B2" * 8, "portal session secret"),
        ('{"secret": "' + "K" * 32 + '"}', "portal session secret"),
        ("number=4242 4242 4242 4242&cvc=123", "card number"),
        ("pan 4000-0566-5566-5556", "card number"),
        ("pan 5454545454545454", "card-like number"),
        ('{"cvc": "737"}', "CVC"),
        ("cvc=1234", "CVC"),
        ("iban DE89 3704 0044 0532 0130 00", "IBAN"),
        ("iban GB82WEST12345698765432", "IBAN"),
        ("whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "webhook signing secret"),
    ],
)
def test_the_detectors_find_each_kind_of_secret(text: str, kind: str) -> None:
    found = logscan.findings_in(text)
    assert any(f.startswith(kind) for f in found), found
    # And a finding never repeats the whole secret (no long run of its characters)
    assert not any(re.search(r"[A-Za-z0-9]{20,}|\d{10,}", f) for f in found), found


@pytest.mark.parametrize(
    "text",
    [
        '{"level":"INFO","message":"delivered","event":"evt_1AbC","endpoint":"we_9XyZ","status":200}',
        "key sk_test_…a1b2 (prefix and last 4 only)",
        "brand visa last4 4242 exp 12/2034 fingerprint 9f86d081884c7d65",
        "request 1732550000123 took 12 ms",  # epoch milliseconds
        "retrying after a delay of 0.3287671232904660 s",  # a Luhn-valid fraction, not a card
        "trace 1-67450f3b-0123456789abcdef01234567",
        "GET /session/bps_0abcDEF123 410",
        "iban DE…3000 bank Commerzbank",
        "invoice VINR-0001-0042 total 3451 eur",
    ],
)
def test_the_detectors_leave_ordinary_log_lines_alone(text: str) -> None:
    assert logscan.findings_in(text) == []


def test_the_local_stacks_banner_may_show_its_own_key_and_link_only() -> None:
    banner = f"secret key  {KEY}\nportal link {SESSION_URL}\n"
    assert logscan.findings_in(banner, allow=[KEY, SESSION_URL]) == []
    assert logscan.findings_in(banner + f"later: {KEY}\n", allow=[SESSION_URL])


def test_a_functions_log_line_reaches_the_scanner() -> None:
    # A Powertools Logger, as every function logs (JSON on stdout); the final check asserts
    # that this line was scanned, so the functions' logs are known to be seen.
    Logger(service="logscan-probe").info(logscan.PROBE)


def test_nothing_secret_was_printed_or_logged_by_the_suite(request: pytest.FixtureRequest) -> None:
    # Given the plugin, registered from the root conftest, that scanned every test's output
    assert request.config.pluginmanager.has_plugin("tests.security.logscan"), (
        'add `pytest_plugins = ["tests.security.logscan"]` to tests/conftest.py'
    )
    if request.config.getoption("capture") == "no":
        pytest.skip("output capture is off (-s): pytest captured nothing to scan")
    scanner = logscan.SCANNER
    # Then it saw output (so the check is not vacuous), and found no secret in any of it
    assert scanner.sections > 0, "no test phase produced output to scan"
    if any("running" in getattr(item, "fixturenames", ()) for item in request.session.items):
        assert scanner.stacks > 0, "the local stack ran, but its output was not scanned"
    if any(item.name == "test_a_functions_log_line_reaches_the_scanner" for item in request.session.items):
        assert scanner.probe_seen, "a Powertools log line was not seen by the scanner"
    assert not scanner.findings, "secrets in what the code printed or logged:\n" + "\n".join(scanner.findings)
