"""A running poller keeps its mapping's batching window after a batch smaller than its size."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from local import pollers


class Stepped(pollers.Poller):
    """Polls answering as scripted: (found records, read a whole batch)."""

    def __init__(self, window: float, script: list[tuple[bool, bool]]) -> None:
        super().__init__(SimpleNamespace(name="stepped"), interval=0.01, window=window)  # type: ignore[arg-type]
        self.script = script
        self.polled: list[float] = []

    def poll_once(self) -> bool:
        self.polled.append(time.monotonic())
        busy, self.filled = self.script.pop(0) if self.script else (False, False)
        if not self.script:
            self.stopping.set()
        return busy


def gaps(poller: Any) -> list[float]:
    poller.start()
    poller.join(timeout=5)
    return [after - before for before, after in zip(poller.polled, poller.polled[1:], strict=False)]


def test_a_partial_batch_waits_the_window_and_a_full_one_polls_again_at_once() -> None:
    # Given a full batch, then a partial one, then nothing
    poller = Stepped(window=0.3, script=[(True, True), (True, False), (False, False)])
    full, partial = gaps(poller)
    # Then the poll after the full batch came at once, the one after the partial batch a window later
    assert full < 0.2
    assert partial >= 0.3


def test_without_a_window_a_busy_poller_polls_again_at_once() -> None:
    poller = Stepped(window=0, script=[(True, False), (True, False), (False, False)])
    assert all(gap < 0.2 for gap in gaps(poller))


def test_the_window_comes_from_the_mapping() -> None:
    function = SimpleNamespace(name="f")
    source = {"Queue": {"Ref": "Q"}, "BatchSize": 5, "MaximumBatchingWindowInSeconds": 1}
    assert pollers.QueuePoller(function, source, None, "url", "arn").window == 1.0  # type: ignore[arg-type]
    assert pollers.QueuePoller(function, {"Queue": {"Ref": "Q"}}, None, "url", "arn").window == 0  # type: ignore[arg-type]
