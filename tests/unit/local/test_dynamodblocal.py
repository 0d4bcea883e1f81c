"""DynamoDB Local's wrapper: what it runs, and one clear line when something is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from local import dynamodblocal
from local.pollers import typed


def test_the_command_runs_in_memory_on_loopback_with_no_telemetry() -> None:
    command = dynamodblocal.command(8123)
    # the loopback launcher, not the jar's own (which binds every interface)
    assert "LoopbackDynamoDB" in command and "-jar" not in command
    assert command[command.index("-port") + 1] == "8123"
    assert {"-inMemory", "-disableTelemetry", "-sharedDb"} <= set(command)


def test_a_missing_package_names_the_command_that_installs_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(dynamodblocal, "PACKAGE_DIR", tmp_path)
    with pytest.raises(dynamodblocal.NotInstalled, match="make dynamodb-local"):
        dynamodblocal.check()
    assert dynamodblocal.main(["check"]) == 2


def test_missing_java_names_the_command_that_installs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dynamodblocal.shutil, "which", lambda name: None)
    with pytest.raises(dynamodblocal.NotInstalled, match=r"`java` from Java 17.*make dynamodb-local"):
        dynamodblocal.check()


def test_an_empty_nested_map_in_a_stream_image_is_typed_as_dynamodb_streams_sends_it() -> None:
    # DynamoDB Local writes `{}` for an empty map nested in an item; DynamoDB Streams `{"M": {}}`
    image = {"M": {"a": {}, "b": {"L": [{}, {"S": "x"}]}, "c": {"M": {"d": {}}}}}
    assert typed(image) == {"M": {"a": {"M": {}}, "b": {"L": [{"M": {}}, {"S": "x"}]}, "c": {"M": {"d": {"M": {}}}}}}
    assert typed({}) == {"M": {}}
    assert typed({"S": "x"}) == {"S": "x"}
