"""Fixtures the integration tests share (the webhook ones are in tests/support/webhooks.py)."""

from __future__ import annotations

import pytest

from tests.support.apiclient import ApiClient
from tests.support.shop import Shop, open_shop


@pytest.fixture
def shop(merchant: ApiClient) -> Shop:
    return open_shop(merchant)
