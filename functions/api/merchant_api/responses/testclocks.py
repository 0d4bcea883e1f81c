"""`/v1/test_clocks`."""

from __future__ import annotations

from typing import Literal

from merchant_api.responses.base import Wire
from merchant_api.responses.common import Timestamp


class TestClock(Wire):
    """A test clock: its customers live at `frozenTime`."""

    id: str
    object: Literal["test_clock"]
    name: str | None
    frozenTime: Timestamp
    status: str
    createdAt: Timestamp
    livemode: bool
