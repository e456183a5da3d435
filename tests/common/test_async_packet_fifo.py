"""AsyncPacketFIFO cocotb tests on Icarus and Verilator (unit tests: test_async_packet_fifo_amsim.py)."""

import pytest

PARAM_SETS = {
    "d16_w64_cdc16": {"depth": 16, "data_width": 64, "cdc_depth": 16},
    "d512_w64_cdc8": {"depth": 512, "data_width": 64, "cdc_depth": 8},
}


@pytest.mark.sim
@pytest.mark.parametrize("params", PARAM_SETS.values(), ids=PARAM_SETS.keys())
def test_async_packet_fifo_cocotb(cocotb_run, sim, params):
    cocotb_run("async_packet_fifo", sim=sim, params=params)
