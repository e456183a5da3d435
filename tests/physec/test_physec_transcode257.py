"""256b/257b round trip top ``din_transcode257``: cocotb tests on Icarus and Verilator (sim/physec/tb_transcode257.py)."""

import pytest


@pytest.mark.sim
def test_transcode257_cocotb(cocotb_run, sim):
    cocotb_run("transcode257", sim=sim)
