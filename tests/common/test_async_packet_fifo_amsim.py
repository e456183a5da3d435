"""AsyncPacketFIFO unit tests in the Amaranth simulator: two clocks, every stall pattern pair, drops, resets.

Expected frames and drop counts come from the golden model (golden/common/packet_fifo.py).
"""

import random

import pytest
from amaranth import ClockDomain, Elaboratable, Module

from din.golden.common.packet_fifo import predict
from din.rtl.common.packet_fifo import AsyncPacketFIFO
from din.sim.common.amsim import recv_frames, send_frames, simulate
from din.sim.common.stall import PATTERNS

from test_packet_fifo_amsim import Harness, _params, check_against_golden, mixed_frames

S_PERIOD, M_PERIOD = 1 / 161.1328125e6, 1 / 156.25e6


class Domains(Elaboratable):
    """The FIFO with its two clock domains declared here, so a testbench can drive their resets."""

    def __init__(self, dut):
        self.dut, self.cd_s, self.cd_m = dut, ClockDomain("s"), ClockDomain("m")

    def elaborate(self, platform):
        m = Module()
        m.domains += [self.cd_s, self.cd_m]
        m.submodules.dut = self.dut
        return m


def _aparams(cfg=None, **kw):
    p = _params(cfg or {"depth": 16}, **kw)
    p["cdc_depth"] = kw.pop("cdc_depth", 16)
    return p


def _run(p, frames, pattern_in, pattern_out, *, clocks=(S_PERIOD, M_PERIOD), seed=0):
    dut = AsyncPacketFIFO(**p)
    top = Domains(dut)
    h = Harness(dut, bpb=p["data_width"] // 8, in_domain="s", out_domain="m")
    _, expected = predict(frames, **{k: p[k] for k in ("depth", "data_width", "user_width", "drop_bad_frame")})
    simulate(top, h.source(frames, pattern_in, seed), h.sink(len(expected), pattern_out, seed + 1),
             processes=[h.monitor_in(), h.monitor_out()], clocks={"s": clocks[0], "m": clocks[1]})
    return h


@pytest.mark.parametrize("pattern_out", PATTERNS)
@pytest.mark.parametrize("pattern_in", PATTERNS)
def test_patterns_with_drops(pattern_in, pattern_out, seed):
    p = _aparams()
    rng = random.Random(f"{seed}:async:{pattern_in}:{pattern_out}")
    frames = mixed_frames(rng, 20, bpb=8, depth=16)
    h = _run(p, frames, pattern_in, pattern_out, seed=rng.randrange(99))
    check_against_golden(h, frames, p)


@pytest.mark.parametrize("ratio", ["s_fast", "m_fast", "plus100ppm", "minus100ppm"])
def test_clock_ratios_full_rate(ratio, seed):
    """Back to back, no stalls: frames exact, the output never gaps inside a frame, and the throughput is one
    beat per cycle of the slower clock (within 2 %)."""
    base = 1 / 156.25e6
    clocks = {"s_fast": (S_PERIOD, M_PERIOD), "m_fast": (M_PERIOD, S_PERIOD),
              "plus100ppm": (base / 1.0001, base), "minus100ppm": (base / 0.9999, base)}[ratio]
    p = _aparams({"depth": 64, "data_width": 64})
    frames = [(bytes([i]) * (8 * (1 + i % 8)), 0) for i in range(40)]
    h = _run(p, frames, "none", "none", clocks=clocks, seed=seed)
    check_against_golden(h, frames, p)
    for i in range(1, len(h.out_beats)):
        if not h.out_beats[i - 1][1]:
            assert h.out_beats[i][0] == h.out_beats[i - 1][0] + 1, "gap inside a frame"
    beats = len(h.out_beats)
    out_rate = beats / (h.out_beats[-1][0] - h.out_beats[0][0] + 1)       # per m cycle
    in_rate = beats / (h.in_cycles[-1] - h.in_cycles[0] + 1)              # per s cycle
    slower = max(clocks)
    assert in_rate * slower / clocks[0] > 0.98 and out_rate * slower / clocks[1] > 0.9, (in_rate, out_rate)


def test_bad_frames_pass_without_drop_bad_frame(seed):
    p = _aparams(drop_bad_frame=False)
    rng = random.Random(f"{seed}:async-keepbad")
    frames = mixed_frames(rng, 20, bpb=8, depth=16, bad_rate=0.5)
    h = _run(p, frames, "random", "random")
    check_against_golden(h, frames, p)
    assert any(u for _, u in h.got)


def _half_frame(ctx, stream, beats, domain):
    async def go():
        for _ in range(beats):
            ctx.set(stream.payload, {"data": 0x77, "keep": 0xFF, "last": 0, "user": 0})
            ctx.set(stream.valid, 1)
            await ctx.tick(domain).until(stream.ready)
        ctx.set(stream.valid, 0)
    return go()


def test_s_rst_mid_frame_keeps_committed_frames():
    """s_rst with complete frames stored and half a frame in flight: the complete ones still come out, the half
    frame never does, and frames sent after the reset come out exactly."""
    dut = AsyncPacketFIFO(**_aparams({"depth": 32}))
    top = Domains(dut)
    before = [bytes([i]) * (10 + 7 * i) for i in range(3)]
    after = [bytes([0xA0 + i]) * (4 + 13 * i) for i in range(4)]
    got = []

    async def tb(ctx):
        await send_frames(ctx, dut.s_axis, before, domain="s")
        await _half_frame(ctx, dut.s_axis, 3, "s")
        await ctx.tick("s").repeat(20)                # everything reached the m side; sink stalled
        assert ctx.get(dut.frames) == 3
        ctx.set(top.cd_s.rst, 1)
        await ctx.delay(3 * S_PERIOD)                 # (a tick of a domain in reset raises DomainReset)
        ctx.set(top.cd_s.rst, 0)
        await ctx.tick("s").repeat(10)
        assert ctx.get(dut.level) == sum(-(-len(f) // 8) for f in before), "half frame not discarded"
        await send_frames(ctx, dut.s_axis, after, domain="s")

    async def sink(ctx):
        await ctx.tick("m").repeat(60)
        got.extend(await recv_frames(ctx, dut.m_axis, len(before) + len(after), domain="m"))
        ctx.set(dut.m_axis.ready, 1)
        for _ in range(50):
            _, _, v = await ctx.tick("m").sample(dut.m_axis.valid)
            assert not v, "extra frame"

    simulate(top, tb, sink, clocks={"s": S_PERIOD, "m": M_PERIOD})
    assert got == [(f, 0) for f in before + after]


@pytest.mark.parametrize("rst_cycles", [1, 4])
def test_m_rst_never_delivers_a_truncated_frame(rst_cycles):
    """m_rst while a frame is half-way across (its tail still arriving): the packet FIFO is cleared, the tail
    of the cut frame is discarded up to its last beat, and the next frames come out exactly."""
    dut = AsyncPacketFIFO(**_aparams({"depth": 32}))
    top = Domains(dut)
    stored = [b"S" * 30]
    long = bytes(range(200))[:160]                   # 20 beats, the m_rst falls in its middle
    after = [bytes([0xC0 + i]) * (5 + 9 * i) for i in range(4)]
    got = []
    state = {"phase": 0}

    async def source(ctx):
        await send_frames(ctx, dut.s_axis, stored + [long], domain="s", pattern="periodic", seed=1)
        state["phase"] = 1
        while state["phase"] != 2:
            await ctx.tick("s")
        await send_frames(ctx, dut.s_axis, after, domain="s")

    async def resetter(ctx):
        while ctx.get(dut.level) < 4 + 10:           # stored frame + half of the long one in the packet FIFO
            await ctx.tick("m")
        ctx.set(top.cd_m.rst, 1)
        await ctx.delay(rst_cycles * M_PERIOD)
        ctx.set(top.cd_m.rst, 0)
        await ctx.tick("m")
        assert ctx.get(dut.level) == 0 and ctx.get(dut.frames) == 0
        while state["phase"] != 1:
            await ctx.tick("m")
        await ctx.tick("m").repeat(40)
        assert ctx.get(dut.level) == 0, "the tail of the cut frame was stored"
        state["phase"] = 2
        got.extend(await recv_frames(ctx, dut.m_axis, len(after), domain="m"))
        ctx.set(dut.m_axis.ready, 1)
        for _ in range(50):
            _, _, v = await ctx.tick("m").sample(dut.m_axis.valid)
            assert not v, "extra frame"

    simulate(top, source, resetter, clocks={"s": S_PERIOD, "m": M_PERIOD})
    assert got == [(f, 0) for f in after]


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")
def test_parameter_validation():
    import gc
    with pytest.raises(ValueError):
        AsyncPacketFIFO(cdc_depth=12)
    gc.collect()                  # the half-built object warns when collected: inside this test's filter
