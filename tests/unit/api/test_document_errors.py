"""The error schema's types and codes, read from the source (`merchant_api.document.errors`)."""

from __future__ import annotations

from pathlib import Path

from tests.support.functions import import_api_module

errors = import_api_module("merchant_api.document.errors")

SOURCE = '''
GONE = "payment_gone"


class Refused(BillingError):
    """Not imported by the API: found in its source."""

    status = 402
    type = "card_error"


class RefusedHard(errors.Refused):
    code = GONE


def charge():
    raise Refused(
        "no",
        code="card_stolen",
    )
    error = Refused("no")
    error.code = "card_lost"
    return Outcome(status="failed", code=GONE)
'''


def test_classes_and_codes_are_read_from_the_source(tmp_path: Path) -> None:
    # Given a module of error classes and raises (never imported)
    (tmp_path / "module.py").write_text(SOURCE)
    # When its source is read
    source = errors.read_source([tmp_path])
    # Then its classes, their bases and own type and code, and the codes given are found
    assert source.classes == {
        "Refused": (["BillingError"], {"type": "card_error"}),
        "RefusedHard": (["Refused"], {"code": "payment_gone"}),
    }
    assert source.calls == {"card_stolen", "card_lost", "payment_gone"}


def test_the_api_answers_every_type_and_code_of_the_error_classes() -> None:
    types, codes = errors.answered()
    assert {"card_error", "api_error", "invalid_request_error"} <= set(types)
    # a class's code, one given at a raise, the internal error's, the validation's
    assert {"card_declined", "route_not_found", "internal_error", "parameter_unknown"} <= set(codes)
    assert codes == sorted(set(codes))
