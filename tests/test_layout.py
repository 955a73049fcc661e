"""The layout holds: every public name imports, imports run one way, modules stay small.

Floors, bottom to top: ``derive`` < the numerical library (``numeric`` root, ``data``,
``study``) < the verification layer ``numeric.checks`` < ``numeric.audit`` and
``numeric.user_check`` < ``numeric.cli``. A module may import its own floor and the floors
below it, never one above.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PACKAGES = ("derive", "numeric", "numeric.checks", "numeric.audit", "numeric.user_check",
            "numeric.data", "numeric.study", "numeric.cli")


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_imports(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if getattr(module, name, None) is None]
    assert not missing, missing


def _floor(module: str) -> int:
    parts = module.split(".")
    if parts[0] == "derive":
        return 0
    sub = parts[1] if len(parts) > 1 else ""
    return {"checks": 2, "audit": 3, "user_check": 3, "cli": 4}.get(sub, 1)


def _modules() -> list[tuple[str, Path]]:
    out = []
    for top in ("derive", "numeric"):
        for path in sorted((ROOT / top).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            out.append((name.removesuffix(".__init__"), path))
    return out


def _imported_modules(path: Path) -> set[str]:
    """Every module an absolute import of ``path`` names (``from a import b``: ``a``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _imports(path: Path) -> set[str]:
    """The project's modules (and names imported from them) that ``path`` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    found |= _imported_modules(path)
    return {name for name in found if name.split(".")[0] in ("derive", "numeric")}


def test_imports_run_one_way() -> None:
    upward = [(name, target) for name, path in _modules() for target in _imports(path)
              if _floor(target) > _floor(name)]
    assert not upward


def test_derive_imports_no_numpy_and_never_its_own_facade() -> None:
    offenders = []
    for name, path in _modules():
        if not name.startswith("derive"):
            continue
        imported = _imported_modules(path)
        if any(n.split(".")[0] == "numpy" for n in imported) or (
                name != "derive" and "derive" in imported):
            offenders.append(name)
    assert not offenders


def test_no_module_is_over_600_lines() -> None:
    long = [name for name, path in _modules()
            if len(path.read_text(encoding="utf-8").splitlines()) > 600]
    assert not long


def test_every_claim_has_a_check_module_mirroring_derive() -> None:
    claims = {p.stem for p in (ROOT / "derive" / "_claims").glob("[cp][0-9]_*.py")}
    checks = {p.stem for p in (ROOT / "numeric" / "checks").glob("[cp][0-9]_*.py")}
    assert claims == checks


def test_import_numeric_and_the_help_load_no_sympy() -> None:
    script = ("import sys, numeric, numeric.audit, numeric.cli; "
              "numeric.audit.MAX_REPETITIONS; print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"
