"""PacketFIFO cocotb tests on Icarus and Verilator (the unit tests are in test_packet_fifo_amsim.py)."""

import pytest

PARAM_SETS = {
    "d16_w64": {"depth": 16, "data_width": 64},
    "d512_w64": {"depth": 512, "data_width": 64},
    "d32_w8_keepbad_dropfull": {"depth": 32, "data_width": 8, "drop_bad_frame": False, "drop_when_full": True},
}


@pytest.mark.sim
@pytest.mark.parametrize("params", PARAM_SETS.values(), ids=PARAM_SETS.keys())
def test_packet_fifo_cocotb(cocotb_run, sim, params):
    cocotb_run("packet_fifo", sim=sim, params=params)
