"""The collector paused for a handler's imports: nothing collected inside, what was made frozen,
and the collector on again after, also when an import fails; never turned on when it was off."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from billing.kernel.coldstart import collector_paused


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    """What a test froze goes back to the collector (this process is pytest's, not a cold start's)."""
    yield
    gc.unfreeze()
    gc.enable()


def test_nothing_is_collected_inside_and_what_was_made_is_frozen() -> None:
    gc.unfreeze()
    before = [stats["collections"] for stats in gc.get_stats()]
    with collector_paused():
        assert not gc.isenabled()
        made = [[index] for index in range(50_000)]  # tracked objects: collections would run
    after = [stats["collections"] for stats in gc.get_stats()]
    assert after == before
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made)


def test_a_failed_import_turns_the_collector_back_on_and_freezes_nothing() -> None:
    gc.unfreeze()
    with pytest.raises(ImportError), collector_paused():
        raise ImportError("no such module")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_collector_that_was_off_stays_off() -> None:
    gc.unfreeze()
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0
