"""AES-256-GCM engine ``din_gcm``: cocotb tests on Icarus and Verilator (sim/physec/tb_gcm.py): NIST GCM vectors
(FAIL entries rejected), AESGCM on random messages, reset mid-stream, idle / backpressure patterns."""

import pytest


@pytest.mark.sim
def test_gcm_cocotb(cocotb_run, sim):
    cocotb_run("gcm", sim=sim, testcase=r"(nist_vectors|random_against_aesgcm|reset_mid_stream)")
