"""The races run on DynamoDB Local: which of two racing writers wins is DynamoDB's to decide."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.template import Template
from tests.conftest import Stack, make_stack


@pytest.fixture
def stack(template: Template, monkeypatch: pytest.MonkeyPatch, dynamodb_local: str) -> Iterator[Stack]:
    yield from make_stack(template, monkeypatch, dynamodb_local)
