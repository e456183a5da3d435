"""cocotb testbench of ``din_packet_fifo`` (rtl/common/packet_fifo.py): frames, drops and status against the golden
model (golden/common/packet_fifo.py), under every idle / backpressure pattern pair, reset mid-stream, bench.

The helpers here (``Env``, ``mixed_frames``, ``run_frames``, ``run_reset``) also serve ``tb_async_packet_fifo``:
they take the clock and reset of each side, so one testbench body covers both FIFOs.
"""

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge, with_timeout

from din.golden.common.packet_fifo import beats_of, predict
from din.sim.common.frames import random_frames
from din.sim.common.tb import (AxisEnds, PATTERNS, Scoreboard, XZMonitor, frame_bytes, frame_user, params,
                               quiet_thirdparty_warnings, reset, rng, stall_pattern, start_clock)

quiet_thirdparty_warnings()

#: (source clock, sink clock) in MHz per clock plan; the sync FIFO uses "sync"
CLOCK_PLANS = {"sync": (250.0, 250.0)}


class Env:
    """Source, sink, scoreboard, X/Z monitor and drop-pulse counters around one packet FIFO."""

    def __init__(self, dut, *, pattern_in, pattern_out, salt, s_clk, m_clk, s_rst, m_rst):
        self.dut, self.s_clk, self.m_clk, self.s_rst, self.m_rst = dut, s_clk, m_clk, s_rst, m_rst
        self.p = params()
        self.bpb = self.p["data_width"] // 8
        self.pattern_out, self.salt = pattern_out, salt
        self.ends = AxisEnds(dut, clk=s_clk, rst=s_rst, source_clk=s_clk, sink_clk=m_clk, source_rst=s_rst,
                             sink_rst=m_rst, pattern_in=pattern_in, pattern_out=pattern_out, salt=salt)
        self.sb = Scoreboard(f"packet_fifo[{pattern_in}/{pattern_out}]", log=dut._log)
        sigs = [dut.m_axis_tdata, dut.m_axis_tkeep, dut.m_axis_tlast]
        if self.p["user_width"]:
            sigs.append(dut.m_axis_tuser)
        self.xz = XZMonitor(m_clk, dut.m_axis_tvalid, sigs, self.sb, name="m_axis")
        self.pulses = {"bad": 0, "oversize": 0, "full": 0}
        self.ready_low = 0
        cocotb.start_soon(self._count())
        cocotb.start_soon(self._watch_ready())

    async def _count(self):
        while True:
            await RisingEdge(self.m_clk)
            await ReadOnly()
            for reason in self.pulses:
                v = getattr(self.dut, f"drop_{reason}").value
                if v.is_resolvable and int(v):
                    self.pulses[reason] += 1

    async def _watch_ready(self):
        while True:
            await RisingEdge(self.s_clk)
            await ReadOnly()
            v = self.dut.s_axis_tready.value
            rst = self.s_rst.value
            if v.is_resolvable and rst.is_resolvable and not int(v) and not int(rst):
                self.ready_low += 1

    async def reset(self):
        if self.s_rst is self.m_rst:
            await reset(self.s_clk, self.s_rst)
        else:
            # overlapping, s_rst released last: the CDC FIFO's reset-less read-side pointers are only defined
            # (in simulation) once s_rst has reached the read side, and its w_rdy depends on them
            m_done = cocotb.start_soon(reset(self.m_clk, self.m_rst))
            await reset(self.s_clk, self.s_rst, cycles=10)
            await m_done
            await ClockCycles(self.m_clk, 4)

    async def send(self, frames):
        from cocotbext.axi import AxiStreamFrame
        for data, user in frames:
            await self.ends.source.send(AxiStreamFrame(data, tuser=user if self.p["user_width"] else None))

    async def recv(self, count, timeout_us=400):
        got = []
        for _ in range(count):
            frame = await with_timeout(self.ends.sink.recv(), timeout_us, "us")
            got.append((frame_bytes(frame), frame_user(frame)))
        return got

    async def source_idle(self):
        while not self.ends.source.idle():
            await RisingEdge(self.s_clk)


def mixed_frames(r, count, *, bpb, depth, bad_rate=0.2, user_width=1):
    """Random frames (every tkeep corner first), about ``bad_rate`` flagged bad, oversize ones if the FIFO is small."""
    cap = depth * bpb
    out = []
    for data in random_frames(r, count, max_len=min(cap, 160), bytes_per_beat=bpb):
        if cap <= 256 and r.random() < 0.12:
            data = bytes(r.getrandbits(8) for _ in range(r.randint(cap + 1, cap + 2 * bpb)))
        user = int(r.random() < bad_rate) if user_width else 0
        out.append((data, user))
    return out


def _golden(p, frames, drain):
    return predict(frames, depth=p["depth"], data_width=p["data_width"], user_width=p["user_width"],
                   drop_bad_frame=p["drop_bad_frame"], drop_when_full=p["drop_when_full"], drain=drain)


async def run_frames(env, count):
    """Send mixed frames; the delivered ones and the drop pulses must equal the golden model's prediction.

    Without drop_when_full the prediction holds under any pattern. With drop_when_full the sink is held stalled
    until every frame has been sent (the schedule the model predicts exactly), ``level`` / ``frames`` are checked
    then, and ``s_axis.ready`` must never have been low.
    """
    p, r = env.p, rng(f"frames:{env.salt}")
    frames = mixed_frames(r, count, bpb=env.bpb, depth=p["depth"], user_width=p["user_width"])
    dwf = p["drop_when_full"]
    outcomes, expected = _golden(p, frames, "stalled" if dwf else "continuous")
    for item in expected:
        env.sb.expect(item)
    for reason in ("bad", "oversize", "full"):
        if any(o.verdict == reason for o in outcomes):
            env.sb.require_bin(f"drop_{reason}")
    if dwf:
        env.ends.sink.clear_pause_generator()
        env.ends.sink.pause = True
    await env.reset()
    await env.send(frames)
    if dwf:
        await env.source_idle()
        await ClockCycles(env.m_clk, 20)
        level, nframes = int(env.dut.level.value), int(env.dut.frames.value)
        want = sum(beats_of(len(d), env.bpb) for d, _ in expected)
        assert (level, nframes) == (want, len(expected)), f"level/frames {level}/{nframes}, model {want}/{len(expected)}"
        env.ends.sink.set_pause_generator(stall_pattern(env.pattern_out, seed=r.randrange(1 << 30)))
    for item in await env.recv(len(expected)):
        env.sb.observe(item)
    await env.source_idle()                 # dropped frames may still be streaming in after the last good one
    await ClockCycles(env.m_clk, 30)
    assert env.ends.sink.empty(), "extra frames after the expected ones"
    for reason in ("bad", "oversize", "full"):
        want = sum(o.verdict == reason for o in outcomes)
        assert env.pulses[reason] == want, f"drop_{reason}: {env.pulses[reason]} pulses, model {want}"
        if env.pulses[reason]:
            env.sb.hit(f"drop_{reason}", env.pulses[reason])
    if dwf:
        assert env.ready_low == 0, "drop_when_full held s_axis_tready low"
    assert int(env.dut.level.value) == 0 and int(env.dut.frames.value) == 0
    env.sb.hit("beats", env.xz.samples)
    env.sb.finish(min_checked=len(expected))


async def run_reset(env, resets):
    """Reset mid-stream (``resets``: the reset signals with their clocks): frames received before it are an
    in-order prefix of the good frames; frames sent after it arrive exactly."""
    p, r = env.p, rng(f"reset:{env.salt}")
    await env.reset()
    before = [(d, 0) for d in random_frames(r, 30, min_len=8, max_len=min(120, p["depth"] * env.bpb))]
    await env.send(before)
    await ClockCycles(env.s_clk, r.randint(30, 120))
    env.ends.source.clear()
    await cocotb.start_soon(_reset_all(resets, r.randint(1, 5)))
    await env.source_idle()
    for _ in range(4000):                     # frames kept over the reset (s_rst alone keeps them) drain first
        await ClockCycles(env.m_clk, 1)
        if int(env.dut.level.value) == 0 and not int(env.dut.m_axis_tvalid.value):
            break
    await ClockCycles(env.m_clk, 10)
    received = []
    while not env.ends.sink.empty():
        f = env.ends.sink.recv_nowait()
        received.append((frame_bytes(f), frame_user(f)))
    assert received == before[:len(received)], "frames received before the reset are not a clean prefix"
    assert len(received) < len(before), "reset came too late to interrupt traffic (test did not test)"
    assert int(env.dut.level.value) <= p["depth"]
    after = mixed_frames(r, 20, bpb=env.bpb, depth=p["depth"], user_width=p["user_width"])
    _, expected = _golden(p, after, "continuous" if not p["drop_when_full"] else "stalled")
    sb = Scoreboard(f"after reset [{env.salt}]", log=env.dut._log)
    env.xz.sb = sb
    for item in expected:
        sb.expect(item)
    if p["drop_when_full"]:
        env.ends.sink.clear_pause_generator()
        env.ends.sink.pause = True
        # whatever a cut frame left in the FIFO was delivered or dropped by now; it must be empty
    await ClockCycles(env.m_clk, 10)
    assert int(env.dut.level.value) == 0, "FIFO not empty after the reset and the drain"
    await env.send(after)
    if p["drop_when_full"]:
        await env.source_idle()
        await ClockCycles(env.m_clk, 20)
        env.ends.sink.pause = False
    for item in await env.recv(len(expected)):
        sb.observe(item)
    await ClockCycles(env.m_clk, 20)
    assert env.ends.sink.empty()
    sb.finish(min_checked=len(expected))


async def _reset_all(resets, cycles):
    tasks = [cocotb.start_soon(reset(clk, rst, cycles=cycles)) for rst, clk in resets]
    for t in tasks:
        await t


def _sync_env(dut, pattern_in, pattern_out, salt):
    start_clock(dut.clk, 250.0)
    return Env(dut, pattern_in=pattern_in, pattern_out=pattern_out, salt=salt, s_clk=dut.clk, m_clk=dut.clk,
               s_rst=dut.rst, m_rst=dut.rst)


@cocotb.test()
@cocotb.parametrize(pattern_in=PATTERNS, pattern_out=PATTERNS)
async def frames_with_drops(dut, pattern_in, pattern_out):
    """Random frames with bad and oversize ones mixed in: delivered frames and drop pulses as the golden model says."""
    env = _sync_env(dut, pattern_in, pattern_out, f"{pattern_in}:{pattern_out}")
    await run_frames(env, 24)


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def reset_mid_stream(dut, pattern):
    """A reset in the middle of traffic loses only frames in flight or stored; everything sent after it arrives."""
    env = _sync_env(dut, pattern, pattern, f"reset:{pattern}")
    await run_reset(env, [(dut.rst, dut.clk)])


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench packet_fifo``: 100 frames of 64 bytes back to back, no stalls."""
    from din.sim.common.tb import measure_stream, write_figures
    start_clock(dut.clk, 250.0)
    p = params()
    nbytes = p["data_width"] // 8
    # a frame must fit, and two must fit at once for back-to-back full rate (store-and-forward)
    length = min(max(64, nbytes), p["depth"] * nbytes // 2)
    frames = [bytes([i % 256]) * length for i in range(100)]
    figures = await measure_stream(dut, frames)
    assert figures["beats_per_cycle_in"] == 1.0 and figures["beats_per_cycle_out"] == 1.0, figures
    write_figures(figures)
