"""cocotb tests that MUST fail: they prove the harness reports failures (run by test_runner.py, never on their own)."""

import cocotb
from cocotb.triggers import ClockCycles

from din.sim.common.tb import Scoreboard, XZMonitor, reset, start_clock


@cocotb.test()
async def must_fail_mismatch(dut):
    """A scoreboard mismatch must fail the cocotb test and therefore the pytest test."""
    sb = Scoreboard("selftest")
    sb.expect(b"expected")
    sb.observe(b"observed")
    sb.finish()


@cocotb.test()
async def must_fail_xz(dut):
    """Valid data driven with Z (an undriven input passed through the skid buffer) must be reported."""
    start_clock(dut.clk, 100.0)
    dut.m_axis_tready.value = 1
    dut.s_axis_tvalid.value = 0
    await reset(dut.clk, dut.rst)
    sb = Scoreboard("selftest-xz")
    mon = XZMonitor(dut.clk, dut.m_axis_tvalid, [dut.m_axis_tdata], sb, name="m_axis")
    dut.s_axis_tvalid.value = 1             # tdata left undriven: Z on a four-state simulator
    await ClockCycles(dut.clk, 5)
    mon.stop()
    sb.expect(1)
    sb.observe(1)
    sb.finish()


@cocotb.test()
async def passes(dut):
    """A trivially passing test, so the harness's pass path is exercised on the same build."""
    start_clock(dut.clk, 100.0)
    await ClockCycles(dut.clk, 2)
