"""10GBASE-R client PCS: cocotb tests on Icarus and Verilator against the exported Verilog (rtl/physec/tops.py)."""

import pytest


@pytest.mark.sim
@pytest.mark.parametrize("top", ["physec_pcs_tx", "physec_pcs_rx"])
def test_physec_pcs_cocotb(cocotb_run, sim, top):
    cocotb_run(top, sim=sim)
