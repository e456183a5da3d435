"""The `din` command: user mistakes give one sentence and exit 1, never a traceback."""

import json
import subprocess
import sys

import pytest


def din(*args):
    return subprocess.run([sys.executable, "-m", "din.sim.cli", *args], capture_output=True, text=True)


@pytest.mark.parametrize("args, fragment", [
    (["verilog", "no_such_block"], "unknown block 'no_such_block'"),
    (["verilog", "skid_buffer", "-p", "data_width=12"], "data_width must be a multiple of 8"),
    (["verilog", "skid_buffer", "-p", "depth=4"], "skid_buffer has no parameter 'depth'"),
    (["verilog", "skid_buffer", "-p", "nonsense"], "is not KEY=VALUE"),
    (["sim", "no_such_block"], "unknown block"),
])
def test_user_errors_are_one_sentence(args, fragment):
    r = din(*args)
    assert r.returncode == 1
    assert fragment in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_list_and_verilog(tmp_path):
    r = din("list")
    assert r.returncode == 0 and "skid_buffer" in r.stdout
    r = din("verilog", "skid_buffer", "-p", "data_width=32", "-o", str(tmp_path))
    assert r.returncode == 0, r.stderr
    meta = json.loads((tmp_path / "din_skid_buffer.json").read_text())
    assert meta["parameters"]["data_width"] == 32
    assert (tmp_path / "din_skid_buffer.v").exists()
