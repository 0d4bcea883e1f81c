"""Reading template.yaml: functions, routes, event sources and intrinsic tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from local import template as template_module
from local.resources import resolve_environment, table_request
from local.template import TemplateError, rate_seconds


def test_the_functions_and_their_routes_come_from_the_template() -> None:
    loaded = template_module.load()
    api = loaded.function("api")
    assert api.handler == "app.handler"
    assert api.code_dir.name == "api"
    assert ("GET", "/v1/account") in {(r.method, r.path) for r in api.routes}
    assert all(r.api == "MerchantHttpApi" for r in api.routes)
    portal = loaded.function("portal")
    assert {r.path for r in portal.routes} == {"/", "/{proxy+}"}


def test_the_table_request_is_the_template_schema() -> None:
    request = table_request(template_module.load(), "t")
    assert request["KeySchema"][0] == {"AttributeName": "pk", "KeyType": "HASH"}
    assert request["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert [i["IndexName"] for i in request["GlobalSecondaryIndexes"]] == ["gsi1", "gsi2", "gsi3", "due"]


def test_environment_refs_resolve_to_local_names_and_unknown_refs_fail() -> None:
    env = {"TABLE_NAME": {"Ref": "Table"}, "PLAIN": "x", "PORTAL_BASE_URL": {"Fn::If": []}}
    resolved = resolve_environment(env, {"Table": "local-table"}, "http://127.0.0.1:3001")
    assert resolved == {"TABLE_NAME": "local-table", "PLAIN": "x", "PORTAL_BASE_URL": "http://127.0.0.1:3001"}
    with pytest.raises(TemplateError):
        resolve_environment({"X": {"Ref": "Nowhere"}}, {}, "")


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
