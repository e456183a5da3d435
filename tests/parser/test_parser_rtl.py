"""Parser RTL (exported Verilog) under cocotb against the golden model (issue 4).

``make test`` runs the smoke set (valid packets of every header kind, each record compared with the golden model on
every key of din.sim.parser.rtlrec.COMPARED_KEYS) on Icarus. The first RTL version is one deep combinational step per
word (docs/parser.md "Open"): Verilator takes many minutes to build it and Icarus runs it at a few cycles per second,
so the sweeps (captures, cuts, mutations under the stall patterns) and the Verilator runs are under ``make regress``.
"""

import pytest

from din.sim.common.tb import full_regression

pytestmark = pytest.mark.sim


def test_parser_smoke_icarus(cocotb_run):
    cocotb_run("parser", sim="icarus", testcase="smoke")


@pytest.mark.skipif(not full_regression(), reason="make regress: the parser's Verilator build takes many minutes")
def test_parser_smoke_verilator(cocotb_run):
    cocotb_run("parser", sim="verilator", testcase="smoke")


@pytest.mark.skipif(not full_regression(), reason="make regress: sweeps of thousands of frames")
def test_parser_matches_golden(cocotb_run, sim):
    cocotb_run("parser", sim=sim, testcase="check")
