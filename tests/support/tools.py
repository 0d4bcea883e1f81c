"""The command-line tools the tests run: found where `make` installs them, run in the repository's root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from local.template import ROOT

# cfn-lint comes with the dev requirements, beside this interpreter.
CFN_LINT = str(Path(sys.executable).parent / "cfn-lint")


def installed(name: str, *, env_var: str, venv: str, install: str) -> str:
    """The tool `name`: `$env_var`, else the repository's `venv/bin/name`, else on PATH; a failed
    test that says how to install it when none is there."""
    for candidate in (os.environ.get(env_var), str(ROOT / venv / "bin" / name), shutil.which(name)):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail(f"{name} is not installed: {install}")


def sam_cli() -> str:
    return installed("sam", env_var="SAM_CLI", venv=".venv-sam", install="`make sam-cli` installs it into .venv-sam")


def checkov() -> str:
    install = "`make iac` installs it into .venv-iac (requirements-iac.txt)"
    return installed("checkov", env_var="CHECKOV", venv=".venv-iac", install=install)


def run_in_repo(
    *command: str, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`command` run in the repository's root (this process's environment unless `env`), its output captured."""
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
