"""Static import walk: which top-level modules a built function reaches from its handler."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

# What the python3.13 Lambda runtime provides beside the standard library.
RUNTIME_PROVIDED = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "awslambdaric", "bootstrap"}
)


def _imports_of(path: Path) -> set[str]:
    """Dotted names imported by one file (absolute imports only; the code uses no relative ones)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _source_for(name: str, roots: Iterable[Path]) -> Path | None:
    parts = name.split(".")
    for root in roots:
        module = root.joinpath(*parts).with_suffix(".py")
        package = root.joinpath(*parts, "__init__.py")
        for candidate in (module, package):
            if candidate.is_file():
                return candidate
    return None


def reachable_imports(entry: Path, first_party_roots: list[Path]) -> set[str]:
    """Every top-level module name imported by `entry` and the first-party code it reaches."""
    seen_files: set[Path] = set()
    top_levels: set[str] = set()
    pending = [entry]
    while pending:
        path = pending.pop()
        if path in seen_files:
            continue
        seen_files.add(path)
        for name in _imports_of(path):
            top_levels.add(name.split(".")[0])
            source = _source_for(name, first_party_roots)
            if source is not None:
                pending.append(source)
            parent = name.split(".")
            for depth in range(1, len(parent)):
                package = _source_for(".".join(parent[:depth]), first_party_roots)
                if package is not None:
                    pending.append(package)
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
