"""`make dev`'s lines stay whole when threads print at once."""

from __future__ import annotations

import threading

import pytest

from local.console import say


def test_lines_said_from_many_threads_stay_whole(capsys: pytest.CaptureFixture[str]) -> None:
    def speak(name: str) -> None:
        for n in range(300):
            say(f"{name} line {n}")

    threads = [threading.Thread(target=speak, args=(f"thread-{t}",)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines) == sorted(f"thread-{t} line {n}" for t in range(6) for n in range(300))
