"""cocotb testbench of ``din_async_packet_fifo`` (rtl/common/packet_fifo.py): s_clk writes, m_clk reads.

The same checks as ``tb_packet_fifo`` (golden-model frames and drop pulses under every pattern pair, reset
mid-stream) with the line / client clocks of spec/README.md (161.1328125 MHz on s_clk, 156.25 MHz on m_clk), the
reverse ratio, and equal nominal clocks 2 ps apart (6.4 ns ± 2 ps, about ±312 ppm: the simulator resolution is 1 ps and a
cocotb clock needs an even period, so ±100 ppm itself is not representable; the unit tests run ±100 ppm).
"""

import cocotb
from cocotb.triggers import ClockCycles

from din.sim.common.tb import PATTERNS, params, quiet_thirdparty_warnings, reset, start_clock
from din.sim.common.tb_packet_fifo import Env, run_frames, run_reset

quiet_thirdparty_warnings()

#: (s_clk MHz, m_clk MHz)
CLOCKS = {
    "line_to_client": (161.1328125, 156.25),
    "client_to_line": (156.25, 161.1328125),
    "plus_ppm": (1e6 / 6398, 156.25),
    "minus_ppm": (1e6 / 6402, 156.25),
}


def _env(dut, pattern_in, pattern_out, salt, clocks="line_to_client"):
    s_mhz, m_mhz = CLOCKS[clocks]
    start_clock(dut.s_clk, s_mhz)
    start_clock(dut.m_clk, m_mhz)
    return Env(dut, pattern_in=pattern_in, pattern_out=pattern_out, salt=salt, s_clk=dut.s_clk, m_clk=dut.m_clk,
               s_rst=dut.s_rst, m_rst=dut.m_rst)


@cocotb.test()
@cocotb.parametrize(pattern_in=PATTERNS, pattern_out=PATTERNS)
async def frames_with_drops(dut, pattern_in, pattern_out):
    """Line-to-client clocks; delivered frames and drop pulses (m domain) as the golden model says."""
    env = _env(dut, pattern_in, pattern_out, f"{pattern_in}:{pattern_out}")
    await run_frames(env, 16)


@cocotb.test()
@cocotb.parametrize(clocks=tuple(CLOCKS))
async def clock_ratios(dut, clocks):
    env = _env(dut, "random", "random", f"clocks:{clocks}", clocks)
    await run_frames(env, 16)


@cocotb.test()
@cocotb.parametrize(which=("both", "s", "m"))
async def reset_mid_stream(dut, which):
    """Reset mid-stream: both resets, s_rst alone, m_rst alone; never a corrupt frame, exact after."""
    env = _env(dut, "random", "random", f"reset:{which}")
    resets = {"both": [(dut.s_rst, dut.s_clk), (dut.m_rst, dut.m_clk)], "s": [(dut.s_rst, dut.s_clk)],
              "m": [(dut.m_rst, dut.m_clk)]}[which]
    await run_reset(env, resets)


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench async_packet_fifo``: 100 frames of 64 bytes back to back, no stalls, at the spec's
    clocks (s_clk 161.1328125 MHz line side writes, m_clk 156.25 MHz client side reads)."""
    await _bench(dut, "line_to_client")


@cocotb.test()
async def bench_reverse(dut):
    """The same with the clocks swapped (the slower side writes)."""
    await _bench(dut, "client_to_line")


async def _bench(dut, clocks):
    from din.sim.common.tb import measure_stream, write_figures
    s_mhz, m_mhz = CLOCKS[clocks]
    start_clock(dut.s_clk, s_mhz)
    start_clock(dut.m_clk, m_mhz)
    await cocotb.start_soon(reset(dut.m_clk, dut.m_rst))
    p = params()
    nbytes = p["data_width"] // 8
    length = min(max(64, nbytes), p["depth"] * nbytes // 2)
    frames = [bytes([i % 256]) * length for i in range(100)]
    figures = await measure_stream(dut, frames, clk=dut.s_clk, rst=dut.s_rst, source_clk=dut.s_clk,
                                   sink_clk=dut.m_clk)
    # one beat per cycle of the slower clock, in beats per cycle of each side's own clock; a CDC FIFO shallower
    # than 8 cannot cover the Gray-pointer round trip (cdc_depth=4 measured 0.79-0.81 beats/cycle)
    slow = min(s_mhz, m_mhz)
    assert p["cdc_depth"] < 8 or figures["beats_per_cycle_in"] >= 0.97 * slow / s_mhz, figures
    assert p["cdc_depth"] < 8 or figures["beats_per_cycle_out"] >= 0.97 * slow / m_mhz, figures
    write_figures({f"{clocks}.{k}": v for k, v in figures.items()} | {f"{clocks}.clocks_mhz": [s_mhz, m_mhz]})
    await ClockCycles(dut.m_clk, 2)
