"""DynamoDB Local's process never outlives the process that started it (a stack killed at a
test's teardown left a 280 MB JVM behind each time, and a CI run ran out of memory)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from local.ports import free_port
from local.template import ROOT


def test_dynamodb_local_ends_when_the_process_that_started_it_is_killed() -> None:
    # Given a process that started DynamoDB Local
    code = (
        "from local.dynamodblocal import DynamoDBLocal\n"
        f"server = DynamoDBLocal({free_port()}).start()\n"
        "print(server.process.pid, flush=True)\n"
        "import time; time.sleep(120)\n"
    )
    starter = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert starter.stdout is not None
    jvm = int(starter.stdout.readline())
    os.kill(jvm, 0)  # running
    # When that process is killed outright (no chance to stop it)
    starter.kill()
    starter.wait(10)
    # Then the JVM ends too
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(jvm, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(jvm, 9)
    raise AssertionError(f"DynamoDB Local (pid {jvm}) outlived the process that started it")
