"""Importing a function's own modules in tests, as Lambda does (its code dir on sys.path)."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from local.template import ROOT


def import_function_module(function: str, module: str) -> ModuleType:
    code_dir = str(ROOT / "functions" / function)
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)
    return importlib.import_module(module)


def import_api_module(module: str) -> ModuleType:
    return import_function_module("api", module)
