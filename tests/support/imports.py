"""Static import walk: which top-level modules a built function reaches from its handler."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

# What the python3.13 Lambda runtime provides beside the standard library.
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "awslambdaric", "bootstrap"}
)


def _file_of(stem: Path) -> Path | None:
    """The source file of the module or package at `stem` (a path without suffix), if any."""
    for candidate in (stem.with_suffix(".py"), stem / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _source_for(name: str, roots: Iterable[Path]) -> Path | None:
    for root in roots:
        found = _file_of(root.joinpath(*name.split(".")))
        if found is not None:
            return found
    return None


def _relative_sources(path: Path, node: ast.ImportFrom) -> list[Path]:
    """Files a relative import (`from . import x`, `from ..pkg import y`) loads."""
    base = path.parent
    for _ in range(node.level - 1):
        base = base.parent
    stem = base.joinpath(*node.module.split(".")) if node.module else base
    found = (_file_of(candidate) for candidate in [stem, *(stem / alias.name for alias in node.names)])
    return [source for source in found if source is not None]


def _imports_of(path: Path) -> tuple[set[str], list[Path]]:
    """One file's absolute imports (dotted names) and the files its relative imports load."""
    absolute: set[str] = set()
    relative: list[Path] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            absolute.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            relative.extend(_relative_sources(path, node))
        elif isinstance(node, ast.ImportFrom) and node.module:
            absolute.add(node.module)
            absolute.update(f"{node.module}.{alias.name}" for alias in node.names)
    return absolute, relative


def reachable_imports(entry: Path, first_party_roots: list[Path]) -> set[str]:
    """Every top-level module name imported by `entry` and the first-party code it reaches.

    Imports inside functions count too: a lazy import still has to be in the bundle.
    """
    seen_files: set[Path] = set()
    top_levels: set[str] = set()
    pending = [entry]
    while pending:
        path = pending.pop()
        if path in seen_files:
            continue
        seen_files.add(path)
        absolute, relative = _imports_of(path)
        pending.extend(relative)
        for name in absolute:
            parts = name.split(".")
            top_levels.add(parts[0])
            # `import a.b.c` runs a/__init__.py and a/b/__init__.py before a/b/c.py.
            for depth in range(1, len(parts) + 1):
                source = _source_for(".".join(parts[:depth]), first_party_roots)
                if source is not None:
                    pending.append(source)
    return top_levels


def provided_top_levels(root: Path) -> set[str]:
    """Top-level importable names in a folder: packages, modules, extensions, dist-info top_level.txt."""
    names: set[str] = set()
    for child in root.iterdir():
        if child.is_dir() and not child.name.endswith((".dist-info", ".libs")):
            names.add(child.name)
        elif child.suffix == ".py":
            names.add(child.stem)
        elif child.suffix == ".so":
            names.add(child.name.split(".")[0])
        elif child.name.endswith(".dist-info") and (child / "top_level.txt").is_file():
            names.update(line.strip() for line in (child / "top_level.txt").read_text().splitlines() if line.strip())
    return names
