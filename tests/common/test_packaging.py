"""Packaging and dependency rules (notes/style.md): every package is installed under ``din.``; golden models share
no code with the RTL or the harness; the RTL imports nothing from golden or sim."""

import ast
from pathlib import Path
import tomllib

import pytest

ROOT = Path(__file__).resolve().parents[2]
TREES = {"rtl": "din.rtl", "golden": "din.golden", "sim": "din.sim", "fpga": "din.fpga"}


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_directory_is_installed():
    cfg = _pyproject()["tool"]["setuptools"]
    listed = set(cfg["packages"])
    for tree, ns in TREES.items():
        assert cfg["package-dir"][ns] == tree
        for init in (ROOT / tree).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / tree)
            name = ".".join((ns,) + rel.parts)
            assert name in listed, f"{init.parent} is a package but {name} is not in pyproject's packages"


def _imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:          # relative import inside its own tree
                continue
            yield node.module or ""


FORBIDDEN = {
    "golden": ("amaranth", "din.rtl", "din.sim", "din.fpga", "cocotb", "cocotbext", "scapy"),
    "rtl": ("din.golden", "din.sim", "din.fpga", "cocotb"),
}


@pytest.mark.parametrize("tree", sorted(FORBIDDEN))
def test_dependency_rules(tree):
    bad = []
    for path in (ROOT / tree).rglob("*.py"):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[tree]):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_blocks_are_meeting_only_through_common_and_top():
    blocks = ("parser", "flowctl", "physec")
    bad = []
    for block in blocks:
        for path in (ROOT / "rtl" / block).rglob("*.py"):
            for name in _imports(path):
                for other in blocks:
                    if other != block and name.startswith(f"din.rtl.{other}"):
                        bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)
