"""Skid buffer unit tests in the Amaranth simulator (fast; run before the cocotb ones)."""

import random

import pytest

from din.rtl.common.skid import SkidBuffer
from din.sim.common.amsim import recv_frames, send_frames, simulate
from din.sim.common.frames import random_frames
from din.sim.common.stall import PATTERNS


@pytest.mark.parametrize("pattern_out", PATTERNS)
@pytest.mark.parametrize("pattern_in", PATTERNS)
def test_frames_unchanged(pattern_in, pattern_out, seed):
    rng = random.Random(f"{seed}:{pattern_in}:{pattern_out}")
    frames = [(f, rng.randint(0, 1)) for f in random_frames(rng, 40, max_len=100)]
    dut = SkidBuffer()
    got = []

    async def source(ctx):
        await send_frames(ctx, dut.s_axis, frames, pattern=pattern_in, seed=rng.randrange(99))

    async def sink(ctx):
        got.extend(await recv_frames(ctx, dut.m_axis, len(frames), pattern=pattern_out, seed=rng.randrange(99)))

    simulate(dut, source, sink)
    assert got == frames


def test_one_beat_per_cycle_and_latency():
    """Back-to-back beats with a ready sink: one output beat every cycle, first beat one cycle after input."""
    dut = SkidBuffer()
    frames = [bytes(range(64))] * 10      # 80 beats
    seen = []

    async def source(ctx):
        await send_frames(ctx, dut.s_axis, frames)

    async def sink(ctx):
        await recv_frames(ctx, dut.m_axis, len(frames), on_beat=lambda c, b: seen.append(c))

    simulate(dut, source, sink)
    assert len(seen) == 80
    assert seen[-1] - seen[0] == 79, "output had gaps with no backpressure"
    assert seen[0] == 2, f"first beat after {seen[0]} cycles (one register stage expected)"


def test_ready_is_registered():
    """``s_axis.ready`` may not depend combinationally on ``m_axis.ready`` (it is the skid register's empty flag)."""
    dut = SkidBuffer()

    async def tb(ctx):
        ctx.set(dut.m_axis.ready, 0)
        ctx.set(dut.s_axis.valid, 1)
        await ctx.tick().repeat(3)           # fill main and skid
        assert ctx.get(dut.s_axis.ready) == 0
        ctx.set(dut.m_axis.ready, 1)         # same cycle: ready to the source must not follow
        assert ctx.get(dut.s_axis.ready) == 0

    simulate(dut, tb)
