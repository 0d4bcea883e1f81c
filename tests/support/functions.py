"""Importing a function's own modules in tests, as Lambda does (its code dir on sys.path)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from types import ModuleType
from typing import Any

from local.template import ROOT


def import_function_module(function: str, module: str) -> ModuleType:
    code_dir = str(ROOT / "functions" / function)
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)
    return importlib.import_module(module)


def import_api_module(module: str) -> ModuleType:
    return import_function_module("api", module)


def cold_start_json(function: str, code: str) -> Any:
    """`code` run in a fresh interpreter with the function's code and the core layer on its path,
    as Lambda loads them; it prints its findings as JSON, answered here."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "functions" / function), str(ROOT / "layers" / "core")]),
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "cold-start",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
