"""cocotb testbench of ``din_skid_buffer`` (rtl/common/skid.py): frames in = frames out, under every pattern."""

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout

from din.sim.common.frames import random_frames
from din.sim.common.tb import (AxisEnds, PATTERNS, Scoreboard, XZMonitor, frame_bytes, frame_user, params,
                               quiet_thirdparty_warnings, reset, rng, start_clock)

quiet_thirdparty_warnings()


async def _setup(dut, pattern_in, pattern_out, salt):
    start_clock(dut.clk, 250.0)
    ends = AxisEnds(dut, pattern_in=pattern_in, pattern_out=pattern_out, salt=salt)
    sb = Scoreboard(f"skid[{pattern_in}/{pattern_out}]", log=dut._log)
    sigs = [dut.m_axis_tdata, dut.m_axis_tkeep, dut.m_axis_tlast]
    xz = XZMonitor(dut.clk, dut.m_axis_tvalid, sigs, sb, name="m_axis")
    await reset(dut.clk, dut.rst)
    return ends, sb, xz


@cocotb.test()
@cocotb.parametrize(pattern_in=PATTERNS, pattern_out=PATTERNS)
async def frames_pass_unchanged(dut, pattern_in, pattern_out):
    """Random frames (every tkeep corner first) come out unchanged and in order, with their tuser."""
    p = params()
    ends, sb, xz = await _setup(dut, pattern_in, pattern_out, f"frames:{pattern_in}:{pattern_out}")
    r = rng(f"frames:{pattern_in}:{pattern_out}")
    from cocotbext.axi import AxiStreamFrame
    user_max = (1 << p["user_width"]) - 1 if p["user_width"] else 0
    for data in random_frames(r, 60, max_len=200, bytes_per_beat=p["data_width"] // 8):
        user = r.randint(0, user_max)
        sb.expect((data, user))
        await ends.source.send(AxiStreamFrame(data, tuser=user if p["user_width"] else None))
    for _ in range(60):
        frame = await with_timeout(ends.sink.recv(), 200, "us")
        sb.observe((frame_bytes(frame), frame_user(frame)))
    await ClockCycles(dut.clk, 10)
    assert ends.sink.empty(), "extra frames after the expected ones"
    sb.hit("beats", xz.samples)
    sb.finish(min_checked=60)


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def reset_mid_stream(dut, pattern):
    """A reset in the middle of traffic loses only frames in flight; everything sent after it arrives exactly."""
    p = params()
    ends, sb_pre, xz = await _setup(dut, pattern, pattern, f"reset:{pattern}")
    r = rng(f"reset:{pattern}")
    from cocotbext.axi import AxiStreamFrame
    before = random_frames(r, 30, min_len=8, max_len=120)
    for f in before:
        await ends.source.send(AxiStreamFrame(f))
    await ClockCycles(dut.clk, r.randint(20, 150))
    ends.source.clear()
    await reset(dut.clk, dut.rst, cycles=r.randint(1, 5))
    # Frames completed before the reset: an in-order, uncorrupted prefix of what was sent.
    received = []
    while not ends.sink.empty():
        received.append(frame_bytes(ends.sink.recv_nowait()))
    assert received == before[:len(received)], "frames received before the reset are not a clean prefix"
    assert len(received) < len(before), "reset came too late to interrupt traffic (test did not test)"
    sb = Scoreboard(f"skid after reset [{pattern}]", log=dut._log)
    xz.sb = sb
    after = random_frames(r, 30, max_len=120)
    for f in after:
        sb.expect(f)
        await ends.source.send(AxiStreamFrame(f))
    for _ in after:
        sb.observe(frame_bytes(await with_timeout(ends.sink.recv(), 200, "us")))
    await ClockCycles(dut.clk, 10)
    assert ends.sink.empty()
    sb.finish(min_checked=len(after))


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench skid_buffer``: 100 frames of 64 bytes back to back, no stalls."""
    from din.sim.common.tb import measure_stream, write_figures
    start_clock(dut.clk, 250.0)
    nbytes = params()["data_width"] // 8
    frames = [bytes([i % 256]) * max(64, nbytes) for i in range(100)]
    figures = await measure_stream(dut, frames)
    assert figures["beats_per_cycle_out"] == 1.0, figures
    write_figures(figures)
