"""cocotb tests of ``din_physec_rx_sec`` (the PHYSec RX with the security engine) on Icarus and Verilator
(testbench: ``din.sim.physec.tb_physec_rx_sec``): golden MODE 10 / 01 dumps decrypted and verified with the golden
receiver's blocks and counters; hitless key switch; single bit flips, replay, forward jump, unknown AN, wrong key,
reset mid-traffic. Icarus runs the MODE 10 round trip and the bench here and everything under ``make regress``."""

import pytest

from din.sim.common.tb import full_regression

CASES = ["mode10_round_trip", "mode01_and_policy", "key_switch", "bit_flips_fail_exactly_one_tag",
         "replay_splice_jump_unknown_an", "wrong_key_and_reset_mid_traffic", "bench"]
ICARUS_SAMPLE = {"mode10_round_trip", "bench"}


@pytest.mark.sim
@pytest.mark.parametrize("testcase", CASES)
def test_physec_rx_sec(cocotb_run, sim, testcase):
    if sim == "icarus" and testcase not in ICARUS_SAMPLE and not full_regression():
        pytest.skip("on Icarus under make regress (DIN_REGRESSION=full); Verilator runs it here")
    cocotb_run("physec_rx_sec", sim=sim, testcase=testcase)
