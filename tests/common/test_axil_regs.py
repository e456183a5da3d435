"""AXI4-Lite register block: cocotb tests against the exported Verilog on Icarus and Verilator."""

import pytest


@pytest.mark.sim
def test_axil_regs_cocotb(cocotb_run, sim):
    cocotb_run("axil_regs", sim=sim)
