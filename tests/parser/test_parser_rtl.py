"""Parser RTL (exported Verilog) under cocotb against the golden model (issue 4).

``make test`` runs the smoke set (valid packets of every header kind, each record compared with the golden model on
every key of din.sim.parser.rtlrec.COMPARED_KEYS) on Icarus, and ``check`` (valid packets, the captures, cuts and
mutations under the none / periodic / random idle and backpressure patterns on ``s_axis``, ``m_axis`` and ``m_meta``)
on Verilator with sample counts. The first RTL version is one deep combinational step per word (docs/parser.md
"Open"): Icarus runs it at a few cycles per second and Verilator builds it in about 1.5 minutes here, so ``check``
on Icarus and the full counts (10 000 mutations) are under ``make regress``. ``din demo`` runs ``random_patterns``.
"""

import pytest

from din.sim.common.tb import full_regression

pytestmark = pytest.mark.sim


def test_parser_smoke_icarus(cocotb_run):
    cocotb_run("parser", sim="icarus", testcase="smoke")


def test_parser_check_verilator(cocotb_run):
    """Valid packets, the captures, cuts and mutations under the none / periodic / random patterns on every port
    (sample counts; about 1.5 minutes plus the Verilator build)."""
    cocotb_run("parser", sim="verilator", testcase="check")


@pytest.mark.skipif(not full_regression(), reason="make regress: the Verilator runs of make test cover it")
def test_parser_smoke_verilator(cocotb_run):
    cocotb_run("parser", sim="verilator", testcase="smoke")


@pytest.mark.skipif(not full_regression(), reason="make regress: sweeps of thousands of frames")
def test_parser_matches_golden(cocotb_run, sim):
    cocotb_run("parser", sim=sim, testcase="check")
