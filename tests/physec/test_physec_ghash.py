"""GHASH core ``din_ghash``: cocotb tests (sim/physec/tb_ghash.py) against the golden bit-serial GHASH, with idle /
backpressure patterns and reset mid-stream, under ``make regress`` only (default-suite time): on every run the
Amaranth-sim tests (tests/physec/test_physec_ghash_amsim.py) check this core and the ``gcm`` top, which contains it,
runs on both simulators."""

import pytest

from din.sim.common.tb import full_regression


@pytest.mark.sim
def test_ghash_cocotb(cocotb_run, sim):
    if not full_regression():
        pytest.skip("under make regress (DIN_REGRESSION=full); din_gcm and the Amaranth-sim tests cover it here")
    cocotb_run("ghash", sim=sim, testcase=r"(against_golden|reset_mid_stream)")
