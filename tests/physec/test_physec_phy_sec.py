"""The PHYSec PHY with the AES-256-GCM engines (``din_physec_phy_sec``) as exported Verilog, cocotb (testbench:
``din.sim.physec.tb_physec_phy_sec``): Ethernet in MODE 10 / 01 across a hitless key switch at ±100 ppm, fail closed,
keys installed in operation, a tag failure with RIF, FC_LIMIT. Verilator runs it here; the whole PHY with two AES
engines runs at tens of cycles per second on Icarus, so Icarus runs it under ``make regress`` only."""

import pytest

from din.sim.common.tb import full_regression


@pytest.mark.sim
@pytest.mark.parametrize("testcase", ["ethernet_key_switch", "fail_closed_attacks_and_fc_limit"])
def test_physec_phy_sec(cocotb_run, sim, testcase):
    if sim == "icarus" and not full_regression():
        pytest.skip("Icarus: under make regress (DIN_REGRESSION=full) only")
    cocotb_run("physec_phy_sec", sim=sim, testcase=testcase)
