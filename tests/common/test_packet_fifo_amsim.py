"""PacketFIFO unit tests in the Amaranth simulator (fast): every stall pattern pair, drops, rates, status, reset.

Expected frames and drop counts come from the golden model (golden/common/packet_fifo.py), never from the DUT.
"""

import random

import pytest
from amaranth import Signal
from amaranth.hdl import ResetInserter

from din.golden.common.packet_fifo import beats_of, predict
from din.rtl.common.packet_fifo import PacketFIFO
from din.sim.common.amsim import recv_frames, send_frames, simulate
from din.sim.common.frames import random_frames
from din.sim.common.stall import PATTERNS


def mixed_frames(rng, count, *, bpb, depth, bad_rate=0.2, oversize_rate=0.1, user_max=1):
    """Random frames (edge lengths first), some flagged bad, some longer than the FIFO."""
    max_len = min(depth * bpb, 200)
    out = []
    for data in random_frames(rng, count, max_len=max_len, bytes_per_beat=bpb):
        if rng.random() < oversize_rate:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randint(depth * bpb + 1, depth * bpb + 3 * bpb)))
        user = 1 if rng.random() < bad_rate else 0
        if user_max > 1:
            user |= rng.randint(0, user_max) & ~1
        out.append((data, user if user_max else 0))
    return out


class Harness:
    """Drive a packet FIFO, collect frames, count drop pulses and record handshake cycles."""

    def __init__(self, dut, *, bpb, in_domain="sync", out_domain="sync"):
        self.dut, self.bpb, self.ind, self.outd = dut, bpb, in_domain, out_domain
        self.pulses = {"bad": 0, "oversize": 0, "full": 0}
        self.in_cycles, self.out_beats, self.ready_low = [], [], 0
        self.got = []
        self.source_done = False

    def monitor_in(self):
        dut = self.dut

        async def proc(ctx):
            cycle = 0
            async for _, _, v, r in ctx.tick(self.ind).sample(dut.s_axis.valid, dut.s_axis.ready):
                cycle += 1
                self.ready_low += not r
                if v and r:
                    self.in_cycles.append(cycle)
        return proc

    def monitor_out(self):
        dut = self.dut

        async def proc(ctx):
            cycle = 0
            async for _, _, v, r, last, b, o, f in ctx.tick(self.outd).sample(
                    dut.m_axis.valid, dut.m_axis.ready, dut.m_axis.payload.last,
                    dut.drop_bad, dut.drop_oversize, dut.drop_full):
                cycle += 1
                if v and r:
                    self.out_beats.append((cycle, last))
                self.pulses["bad"] += b
                self.pulses["oversize"] += o
                self.pulses["full"] += f
        return proc

    def source(self, frames, pattern, seed):
        async def tb(ctx):
            await send_frames(ctx, self.dut.s_axis, frames, bytes_per_beat=self.bpb, pattern=pattern, seed=seed,
                              domain=self.ind)
            self.source_done = True
        return tb

    def sink(self, count, pattern, seed, *, wait_for_source=False, at_stall=None, tail=60):
        async def tb(ctx):
            if wait_for_source:
                while not self.source_done:
                    await ctx.tick(self.outd)
                await ctx.tick(self.outd).repeat(12)
                if at_stall:
                    at_stall(ctx)
            self.got += await recv_frames(ctx, self.dut.m_axis, count, bytes_per_beat=self.bpb, pattern=pattern,
                                          seed=seed, domain=self.outd)
            ctx.set(self.dut.m_axis.ready, 1)            # anything extra would now show up in out_beats
            await ctx.tick(self.outd).repeat(tail)
        return tb

    def frames_out(self):
        return sum(last for _, last in self.out_beats)


def check_against_golden(h, frames, params, *, drain="continuous"):
    outcomes, delivered = predict(frames, depth=params["depth"], data_width=params["data_width"],
                                  user_width=params["user_width"], drop_bad_frame=params["drop_bad_frame"],
                                  drop_when_full=params["drop_when_full"], drain=drain)
    assert h.got == delivered
    assert h.frames_out() == len(delivered), "extra frames after the expected ones"
    for reason in ("bad", "oversize", "full"):
        assert h.pulses[reason] == sum(o.verdict == reason for o in outcomes), (reason, h.pulses)
    return outcomes, delivered


CONFIGS = {
    "d16_w64": dict(data_width=64, user_width=1, depth=16),
    "d16_w8_user2": dict(data_width=8, user_width=2, depth=16),
    "d512_w64": dict(data_width=64, user_width=1, depth=512),
}


def _params(cfg, **kw):
    p = dict(data_width=64, user_width=1, dest_width=0, depth=512, drop_bad_frame=True, drop_when_full=False)
    p.update(cfg, **kw)
    return p


@pytest.mark.parametrize("pattern_out", PATTERNS)
@pytest.mark.parametrize("pattern_in", PATTERNS)
@pytest.mark.parametrize("cfg", CONFIGS.values(), ids=CONFIGS.keys())
def test_patterns_with_drops(cfg, pattern_in, pattern_out, seed):
    """Random frames with bad and oversize ones mixed in: delivered frames and drop pulses equal the golden model."""
    p = _params(cfg)
    rng = random.Random(f"{seed}:{sorted(cfg.items())}:{pattern_in}:{pattern_out}")
    bpb = p["data_width"] // 8
    frames = mixed_frames(rng, 30, bpb=bpb, depth=p["depth"], user_max=(1 << p["user_width"]) - 1,
                          oversize_rate=0.1 if p["depth"] <= 16 else 0)
    _, expected = predict(frames, **{k: p[k] for k in ("depth", "data_width", "user_width")})
    assert any(u & 1 for _, u in frames) and len(expected) > 5        # the test tests something
    dut = PacketFIFO(**p)
    h = Harness(dut, bpb=bpb)
    simulate(dut, h.source(frames, pattern_in, rng.randrange(99)),
             h.sink(len(expected), pattern_out, rng.randrange(99)),
             processes=[h.monitor_in(), h.monitor_out()])
    outcomes, _ = check_against_golden(h, frames, p)
    if p["depth"] <= 16:
        assert any(o.verdict == "oversize" for o in outcomes)


@pytest.mark.parametrize("pattern", ["none", "random"])
def test_bad_frames_pass_without_drop_bad_frame(pattern, seed):
    p = _params({"depth": 16}, drop_bad_frame=False)
    rng = random.Random(f"{seed}:keepbad:{pattern}")
    frames = mixed_frames(rng, 30, bpb=8, depth=16, bad_rate=0.5)
    dut = PacketFIFO(**p)
    h = Harness(dut, bpb=8)
    _, expected = predict(frames, depth=16, drop_bad_frame=False)
    assert any(u for _, u in expected), "no bad frame among the delivered ones"
    simulate(dut, h.source(frames, pattern, 1), h.sink(len(expected), pattern, 2),
             processes=[h.monitor_in(), h.monitor_out()])
    check_against_golden(h, frames, p)


def test_oversize_only_then_fifo_keeps_working():
    """Frames of depth+1 beats, then exactly depth beats (fits), then normal frames: all as predicted."""
    p = _params({"depth": 16})
    frames = [(bytes(range(129)), 0), (bytes(200), 0), (bytes(range(128)), 0), (b"hello", 0), (bytes(300), 0),
              (b"x" * 64, 0)]
    dut = PacketFIFO(**p)
    h = Harness(dut, bpb=8)
    simulate(dut, h.source(frames, "none", 0), h.sink(3, "none", 0), processes=[h.monitor_in(), h.monitor_out()])
    check_against_golden(h, frames, p)
    assert h.pulses["oversize"] == 3


@pytest.mark.parametrize("depth", [16, 32])
def test_drop_when_full_stalled_sink(depth, seed):
    """Sink stalled while frames arrive: the FIFO fills, later frames are dropped as predicted (some still fit),
    ``s_axis.ready`` never goes low, ``level`` / ``frames`` equal the model's, then everything stored drains."""
    p = _params({"depth": depth}, drop_when_full=True)
    rng = random.Random(f"{seed}:dwf:{depth}")
    frames = mixed_frames(rng, 25, bpb=8, depth=depth, bad_rate=0.15, oversize_rate=0.05)
    outcomes, expected = predict(frames, depth=depth, drop_when_full=True, drain="stalled")
    assert any(o.verdict == "full" for o in outcomes) and expected
    levels = {}

    def at_stall(ctx):
        levels["level"], levels["frames"] = ctx.get(dut.level), ctx.get(dut.frames)

    dut = PacketFIFO(**p)
    h = Harness(dut, bpb=8)
    simulate(dut, h.source(frames, "none", 0), h.sink(len(expected), "random", 3, wait_for_source=True,
                                                      at_stall=at_stall),
             processes=[h.monitor_in(), h.monitor_out()])
    check_against_golden(h, frames, p, drain="stalled")
    assert h.ready_low == 0, "drop_when_full must never backpressure"
    assert levels == {"level": sum(beats_of(len(d), 8) for d, _ in expected), "frames": len(expected)}


@pytest.mark.parametrize("pattern_out", PATTERNS)
@pytest.mark.parametrize("pattern_in", PATTERNS)
def test_drop_when_full_under_patterns(pattern_in, pattern_out, seed):
    """Timing-dependent drops: every frame is delivered or counted by exactly one pulse, order kept, no block."""
    p = _params({"depth": 16}, drop_when_full=True)
    rng = random.Random(f"{seed}:dwfp:{pattern_in}:{pattern_out}")
    frames = mixed_frames(rng, 40, bpb=8, depth=16, bad_rate=0.1, oversize_rate=0.05)
    dut = PacketFIFO(**p)
    h = Harness(dut, bpb=8)
    got = h.got
    count = {}

    async def sink(ctx):
        # receive whatever arrives until the source is done and the FIFO is empty
        from din.sim.common.stall import stall_pattern
        stall = stall_pattern(pattern_out, seed=5)
        beats = bytearray()
        idle = 0
        while idle < 40:
            ready = not next(stall)
            ctx.set(dut.m_axis.ready, ready)
            _, _, v, pl = await ctx.tick().sample(dut.m_axis.valid, dut.m_axis.payload)
            idle = idle + 1 if (h.source_done and not v) else 0
            if v and ready:
                n = int(pl.keep).bit_length()
                beats += int(pl.data).to_bytes(8, "little")[:n]
                if pl.last:
                    got.append((bytes(beats), int(pl.user)))
                    beats = bytearray()
        count["level"] = ctx.get(dut.level)

    simulate(dut, h.source(frames, pattern_in, 4), sink, processes=[h.monitor_in(), h.monitor_out()])
    good = [f for f in frames if not (f[1] & 1) and beats_of(len(f[0]), 8) <= 16]
    it = iter(good)
    assert all(any(g == x for x in it) for g in got), "delivered frames are not an ordered subsequence"
    assert len(got) + sum(h.pulses.values()) == len(frames)
    assert h.pulses["bad"] <= sum(1 for f in frames if f[1] & 1 and beats_of(len(f[0]), 8) <= 16)
    assert h.pulses["oversize"] + h.pulses["full"] >= sum(1 for f in frames if beats_of(len(f[0]), 8) > 16)
    assert h.ready_low == 0
    assert count["level"] == 0
    assert got


def test_one_beat_per_cycle_no_gap():
    """Back-to-back frames, sink always ready: 1 beat/cycle in and out, valid never drops inside a frame, first
    beat out three cycles after the first frame's last beat went in."""
    p = _params({"depth": 64})
    frames = [(bytes([i]) * 64, 0) for i in range(12)] + [(bytes([i]) * (8 * (i % 9) + 3), 0) for i in range(20)]
    dut = PacketFIFO(**p)
    h = Harness(dut, bpb=8)
    simulate(dut, h.source(frames, "none", 0), h.sink(len(frames), "none", 0),
             processes=[h.monitor_in(), h.monitor_out()])
    check_against_golden(h, frames, p)
    total = sum(beats_of(len(d), 8) for d, _ in frames)
    assert len(h.in_cycles) == total and h.in_cycles[-1] - h.in_cycles[0] == total - 1, "input not 1 beat/cycle"
    assert h.out_beats[0][0] - h.in_cycles[7] == 3, "latency from the first frame's last beat"
    frame_start = None
    for i, (cycle, last) in enumerate(h.out_beats):
        if frame_start is None:
            frame_start = i
        elif cycle != h.out_beats[i - 1][0] + 1:
            raise AssertionError(f"gap inside a frame at output beat {i}")
        if last:
            frame_start = None
    # equal 8-beat frames back to back: the output is continuous too
    assert h.out_beats[95][0] - h.out_beats[0][0] == 95


def test_ready_not_combinational_from_sink():
    dut = PacketFIFO(depth=4)

    async def tb(ctx):
        ctx.set(dut.s_axis.valid, 1)
        ctx.set(dut.s_axis.payload.last, 1)
        await ctx.tick().repeat(12)              # 4 one-beat frames fill it, output stalled
        assert ctx.get(dut.s_axis.ready) == 0
        assert ctx.get(dut.level) == 4 and ctx.get(dut.frames) == 4   # capacity is exactly depth
        ctx.set(dut.m_axis.ready, 1)
        assert ctx.get(dut.s_axis.ready) == 0    # same cycle: must not follow the sink's ready
        await ctx.tick().repeat(2)
        assert ctx.get(dut.s_axis.ready) == 1

    simulate(dut, tb)


def test_level_and_frames_drain():
    """With the sink stalled, level/frames count what was accepted (the partial frame's beats in level only);
    draining one frame at a time decreases them as the model says."""
    p = _params({"depth": 32})
    dut = PacketFIFO(**p)
    frames = [b"a" * 20, b"b" * 8, b"c" * 33, b"d"]

    async def tb(ctx):
        await send_frames(ctx, dut.s_axis, frames)
        # a partial frame: two beats without last
        for _ in range(2):
            ctx.set(dut.s_axis.payload, {"data": 0, "keep": 0xFF, "last": 0, "user": 0})
            ctx.set(dut.s_axis.valid, 1)
            await ctx.tick().until(dut.s_axis.ready)
        ctx.set(dut.s_axis.valid, 0)
        await ctx.tick().repeat(5)
        beats = [beats_of(len(f), 8) for f in frames]
        assert ctx.get(dut.frames) == 4
        assert ctx.get(dut.level) == sum(beats) + 2
        for i in range(4):
            got = await recv_frames(ctx, dut.m_axis, 1)
            assert got == [(frames[i], 0)]
            await ctx.tick().repeat(3)
            assert ctx.get(dut.frames) == 3 - i
            assert ctx.get(dut.level) == sum(beats[i + 1:]) + 2

    simulate(dut, tb)


def test_reset_mid_stream():
    """Reset with frames stored, one frame half written and one half delivered: all of them are lost, level and
    frames are 0 after it, and frames sent afterwards come out exactly."""
    rst = Signal()
    fifo = PacketFIFO(depth=32)
    dut = ResetInserter({"sync": rst})(fifo)
    a = [bytes([i]) * (5 + 9 * i) for i in range(4)]
    c = [b"C" * 40, b"D" * 17]
    b = [bytes([0xB0 + i]) * (3 + 11 * i) for i in range(6)]
    got, partial = [], []

    async def tb(ctx):
        await send_frames(ctx, fifo.s_axis, a)
        got.extend(await recv_frames(ctx, fifo.m_axis, len(a)))
        await send_frames(ctx, fifo.s_axis, c)
        for _ in range(3):                     # half a frame in
            ctx.set(fifo.s_axis.payload, {"data": 0x55, "keep": 0xFF, "last": 0, "user": 0})
            ctx.set(fifo.s_axis.valid, 1)
            await ctx.tick().until(fifo.s_axis.ready)
        ctx.set(fifo.s_axis.valid, 0)
        ctx.set(fifo.m_axis.ready, 1)          # two beats of "C" out: half a frame delivered
        for _ in range(6):
            _, _, v = await ctx.tick().sample(fifo.m_axis.valid)
            partial.append(v)
            if sum(partial) == 2:
                break
        ctx.set(fifo.m_axis.ready, 0)
        ctx.set(rst, 1)
        await ctx.tick().repeat(2)
        ctx.set(rst, 0)
        assert ctx.get(fifo.m_axis.valid) == 0 and ctx.get(fifo.level) == 0 and ctx.get(fifo.frames) == 0
        await send_frames(ctx, fifo.s_axis, b)
        got.extend(await recv_frames(ctx, fifo.m_axis, len(b)))
        ctx.set(fifo.m_axis.ready, 1)
        for _ in range(40):
            _, _, v = await ctx.tick().sample(fifo.m_axis.valid)
            assert not v, "frames from before the reset came out"

    simulate(dut, tb)
    assert sum(partial) == 2
    assert got == [(f, 0) for f in a + b]


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")
@pytest.mark.parametrize("kwargs,error", [
    ({"depth": 24}, ValueError), ({"depth": 1}, ValueError), ({"data_width": 12}, ValueError),
    ({"drop_when_full": 1}, TypeError),
])
def test_parameter_validation(kwargs, error):
    import gc
    with pytest.raises(error):
        PacketFIFO(**kwargs)
    gc.collect()                  # the half-built object warns when collected: inside this test's filter
