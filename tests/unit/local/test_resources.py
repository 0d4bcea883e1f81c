"""The local resources made from template.yaml: the table's request and the functions' environment."""

from __future__ import annotations

import pytest

from local import template as template_module
from local.resources import resolve_environment, table_request
from local.template import TemplateError


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
