"""A client generated from the API's OpenAPI document by a real generator (openapi-python-client)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGE = "vinr_generated"
# The generator's settings: no formatter run on its output; the PDF is read as bytes.
CONFIG = f"""\
project_name_override: {PACKAGE}
package_name_override: {PACKAGE}
post_hooks: []
content_type_overrides:
  application/pdf: application/octet-stream
"""


@contextmanager
def generated_client(document: dict[str, Any], workdir: Path) -> Iterator[ModuleType]:
    """The client package generated from `document` in `workdir`, imported (and forgotten after)."""
    (workdir / "openapi.json").write_text(json.dumps(document))
    (workdir / "config.yaml").write_text(CONFIG)
    generator = Path(sys.executable).parent / "openapi-python-client"
    command = [str(generator), "generate", "--path", "openapi.json", "--config", "config.yaml", "--meta", "none"]
    command += ["--output-path", PACKAGE]
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    # Every operation generated (a warning names one it had to leave out)
    assert "WARNING" not in result.stdout, result.stdout
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def module(name: str) -> ModuleType:
    """A module of the generated package, e.g. `api.customers.customers_create`."""
    return importlib.import_module(f"{PACKAGE}.{name}")
