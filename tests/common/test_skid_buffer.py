"""Skid buffer: Amaranth-simulator unit tests and cocotb tests on Icarus and Verilator."""

import pytest

PARAM_SETS = {
    "w64": {"data_width": 64, "user_width": 1},
    "w8_nouser": {"data_width": 8, "user_width": 0},
    "w32_user4": {"data_width": 32, "user_width": 4},
}


@pytest.mark.sim
@pytest.mark.parametrize("params", PARAM_SETS.values(), ids=PARAM_SETS.keys())
def test_skid_buffer_cocotb(cocotb_run, sim, params):
    cocotb_run("skid_buffer", sim=sim, params=params)
