"""The layers hold (issue 12's done-when), read from the source with ``ast``.

* ``pause/``, the core package, imports nothing of rasa, rasa_sdk or sanic, not even
  through another of the project's modules it imports;
* ``webapp/``, ``channels/``, ``scripts/`` and ``scheduler/`` do not import ``actions/``
  (directly or through another of the project's modules).
"""

import ast
from functools import cache
from pathlib import Path
from typing import Dict, FrozenSet, Iterator, List, Optional, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = frozenset({"rasa", "rasa_sdk", "sanic"})
PACKAGES = ("actions", "benchmarks", "channels", "components", "pause", "scheduler", "scripts",
            "stores", "tests", "webapp")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources(package: str) -> List[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported(path: Path) -> Iterator[str]:
    """Every module name that ``path`` imports, at any depth of its code."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else (
        _module_name(path)
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x / from .a import b
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


@cache
def _project_module(name: str) -> Optional[Path]:
    """The file of a project module named ``name``, or None (a library, or a name in one)."""
    if name.split(".")[0] not in PACKAGES:
        return None
    relative = Path(*name.split("."))
    for candidate in (ROOT / relative.with_suffix(".py"), ROOT / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _closure(start: Path) -> Dict[str, Tuple[str, ...]]:
    """Every module reachable from ``start`` by imports, with the import chain to it."""
    seen: Dict[str, Tuple[str, ...]] = {}
    stack = [(start, (_module_name(start),))]
    visited = set()
    while stack:
        path, chain = stack.pop()
        if path in visited:
            continue
        visited.add(path)
        for name in _imported(path):
            seen.setdefault(name, (*chain, name))
            target = _project_module(name)
            if target is not None and target not in visited:
                stack.append((target, (*chain, _module_name(target))))
    return seen


def _violations(package: str, forbidden: FrozenSet[str]) -> List[str]:
    found = []
    for path in _sources(package):
        for name, chain in _closure(path).items():
            if name.split(".")[0] in forbidden:
                found.append(" -> ".join(chain))
    return sorted(set(found))


def test_the_core_package_knows_nothing_of_rasa() -> None:
    assert _sources("pause"), "pause/ has no modules"
    assert _violations("pause", FRAMEWORKS) == []


def test_the_core_package_imports_no_adapter() -> None:
    adapters = frozenset({"actions", "channels", "webapp", "components", "scripts", "scheduler"})
    assert _violations("pause", adapters) == []


@pytest.mark.parametrize("package", ["webapp", "channels", "scripts", "scheduler"])
def test_adapters_do_not_import_the_actions(package: str) -> None:
    assert _sources(package), f"{package}/ has no modules"
    assert _violations(package, frozenset({"actions"})) == []


def test_the_checks_see_an_import() -> None:
    """The checks are not vacuous: actions/ does import rasa_sdk, found through a chain."""
    assert _violations("actions", FRAMEWORKS)
    assert any("rasa" in name.split(".")[0] for name in _closure(ROOT / "stores" / "lock_store.py"))


def test_no_module_edits_the_import_path() -> None:
    """Everything imports as a package from the project root (PYTHONPATH), never by sys.path."""
    packages = ["pause", "actions", "channels", "webapp", "components", "stores", "scheduler",
                "scripts", "benchmarks", "tests"]
    edits = [
        str(path.relative_to(ROOT))
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if path != Path(__file__).resolve()  # this test names what it looks for
        and any(edit in path.read_text() for edit in ("sys.path.insert", "sys.path.append"))
    ]
    assert edits == []
