"""cocotb tests of the whole PHYSec PHY ``din_physec_phy`` (testbench: ``din.sim.physec.tb_physec_phy``): real Ethernet
frames (scapy) from cocotbext-eth's XGMII source through TX, a simulated fibre and RX to cocotbext-eth's XGMII sink,
every frame back exactly, the client words equal to the golden receiver's on the same line bits, with the client and
line clocks at ±100 ppm; slips, bit errors, fail-closed configuration and reset mid-traffic.

``make test`` runs one loopback corner and one error test per simulator (the corners are split between the two so
both simulators run real traffic and error handling); ``make regress`` runs every corner and load pattern on both,
with more frames (``DIN_PHY_FRAMES``)."""

import pytest

from din.sim.common.tb import full_regression

pytestmark = pytest.mark.sim

DEFAULT = {
    "icarus": [r"ethernet_loopback/clocks=cfast/load=full", r"slips_and_bit_errors"],
    "verilator": [r"ethernet_loopback/clocks=cslow/load=random", r"fail_closed_and_reset"],
}


@pytest.mark.parametrize("simulator,testcase", [(s, t) for s, ts in DEFAULT.items() for t in ts])
def test_physec_phy(cocotb_run, simulator, testcase, request):
    chosen = request.config.getoption("sim")
    if chosen and simulator not in chosen:
        pytest.skip(f"--sim {' '.join(chosen)}")
    cocotb_run("physec_phy", sim=simulator, testcase=testcase)


@pytest.mark.skipif(not full_regression(), reason="make regress: every clock corner and load pattern, both simulators")
@pytest.mark.parametrize("testcase", [r"ethernet_loopback", r"slips_and_bit_errors", r"fail_closed_and_reset"])
def test_physec_phy_full(cocotb_run, sim, testcase, monkeypatch):
    monkeypatch.setenv("DIN_PHY_FRAMES", "96")
    cocotb_run("physec_phy", sim=sim, testcase=testcase)
