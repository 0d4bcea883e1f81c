"""Reading template.yaml: functions, routes, event sources and intrinsic tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from local import template as template_module
from local.template import TemplateError, rate_seconds


def test_the_functions_and_their_routes_come_from_the_template() -> None:
    loaded = template_module.load()
    api = loaded.function("api")
    assert api.handler == "app.handler"
    assert api.code_dir.name == "api"
    assert ("GET", "/v1/account") in {(r.method, r.path) for r in api.routes}
    assert all(r.api == "MerchantHttpApi" for r in api.routes)
    portal = loaded.function("portal")
    # the catch-alls, and the routes that exist only for throttles of their own (docs/operations.md)
    assert {r.path for r in portal.routes} == {
        "/",
        "/{proxy+}",
        "/login/{configuration}",
        "/login/{configuration}/code",
        "/session/{session}",
        "/session/{session}/exchange",
        "/i/{token}/pdf",
    }


def test_a_broken_template_is_a_template_error(tmp_path: Path) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text("Resources: [unclosed")
    with pytest.raises(TemplateError, match="not valid YAML"):
        template_module.load(broken)
    with pytest.raises(TemplateError, match="not found"):
        template_module.load(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("expression", "seconds"), [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(2 hours)", 7200)]
)
def test_rate_expressions(expression: str, seconds: float) -> None:
    assert rate_seconds(expression) == seconds
