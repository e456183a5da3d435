"""The PHYSec PHY with the AES-256-GCM engines (``din_physec_phy_sec``) as exported Verilog, cocotb (testbench:
``din.sim.physec.tb_physec_phy_sec``): Ethernet in MODE 10 / 01 across a hitless key switch at ±100 ppm, fail closed,
keys installed in operation, a tag failure with RIF, FC_LIMIT.

Each key-switch run simulates about 19 PHYSec frames of the whole PHY with two AES engines (3.5 minutes on
Verilator here): ``make test`` runs MODE 10 at one clock corner and the fail-closed test; ``make regress`` runs both
modes at both corners, and Icarus (tens of cycles per second for this design)."""

import pytest

from din.sim.common.tb import full_regression

SAMPLE = ["ethernet_key_switch/mode=gcm/clocks=cfast", "fail_closed_attacks_and_fc_limit"]
FULL = ["ethernet_key_switch/mode=gcm/clocks=cslow", "ethernet_key_switch/mode=gmac/clocks=cfast",
        "ethernet_key_switch/mode=gmac/clocks=cslow"]


@pytest.mark.sim
@pytest.mark.parametrize("testcase", SAMPLE + FULL)
def test_physec_phy_sec(cocotb_run, sim, testcase):
    if (sim == "icarus" or testcase in FULL) and not full_regression():
        pytest.skip("under make regress (DIN_REGRESSION=full): the CI sample is MODE 10 at one corner on Verilator")
    cocotb_run("physec_phy_sec", sim=sim, testcase=testcase + "$")
