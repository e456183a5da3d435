"""AES-256 core ``din_aes256``: cocotb tests (sim/physec/tb_aes256.py): NIST AES-256 known answers, random keys
against ``cryptography``, key install during traffic, reset mid-stream, idle / backpressure patterns.

Icarus on every run; Verilator (a long compile of the 14-round design) under ``make regress``; the ``gcm`` top,
which contains this core, runs on both simulators on every run (tests/physec/test_physec_gcm.py)."""

import pytest

from din.sim.common.tb import full_regression


@pytest.mark.sim
def test_aes256_cocotb(cocotb_run, sim):
    if sim == "verilator" and not full_regression():
        pytest.skip("Verilator run of din_aes256 under make regress (DIN_REGRESSION=full); din_gcm covers it here")
    cocotb_run("aes256", sim=sim, testcase=r"(nist_kat_and_rekey|reset_mid_stream)")


@pytest.mark.sim
def test_aes256_full_unroll_cocotb(cocotb_run, sim):
    """The other ring option (14 units, one block per cycle, S-boxes in logic) through the same testbench."""
    if not full_regression():
        pytest.skip("second AES option under make regress (DIN_REGRESSION=full); Amaranth-sim tests cover it here")
    cocotb_run("aes256", sim=sim, params={"units": 14, "table": "sbox", "sbox_style": "logic"},
               testcase=r"nist_kat_and_rekey")
