"""cocotb testbench of ``din_parser`` (rtl/parser/parser.py) against the golden model (golden/parser/).

Frames go in through a cocotbext-axi source on ``s_axis`` (idle pattern), come back unchanged on ``m_axis``
(backpressure pattern) and every frame has exactly one record on ``m_meta`` (its own backpressure pattern), which
is compared with ``din.golden.parser.parse_frame`` field by field (``din.sim.parser.rtlrec``). The record's bit
layout is read from ``record_layout()`` by field name.
"""

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge, with_timeout
from cocotbext.axi import AxiStreamFrame

from din.golden.parser import parse_frame
from din.sim.common.tb import (AxisEnds, Scoreboard, frame_bytes, quiet_thirdparty_warnings, regression_count,
                               reset, rng, stall_pattern, start_clock, write_figures)
from din.sim.parser.corpus import CFG, capture_frames, cut_frames, mutated_frames, valid_frames
from din.sim.parser.rtlrec import compare, config_values, decode_record, golden_view, rtl_json

MHZ = 156.25


def set_config(dut, cfg):
    for k, v in config_values(cfg).items():
        getattr(dut, f"cfg_{k}").value = v


class MetaSink:
    """Collects ``m_meta`` records with a backpressure pattern."""

    def __init__(self, dut, pattern, seed):
        self.dut, self.stall = dut, stall_pattern(pattern, seed=seed)
        self.records = []
        self.task = cocotb.start_soon(self._run())

    async def _run(self):
        # the handshake is sampled in the read-only phase *before* the clock edge that transfers the record (the
        # first version sampled after the edge: the next record with the previous cycle's tready, which lost records
        # whenever tready toggled; found when the check ran with m_meta backpressure)
        dut = self.dut
        await RisingEdge(dut.clk)
        while True:
            ready = 0 if next(self.stall) else 1
            dut.m_meta_tready.value = ready
            await ReadOnly()
            if int(dut.m_meta_tvalid.value) and ready:
                self.records.append(decode_record(int(dut.m_meta_tdata.value)))
            await RisingEdge(dut.clk)


async def run_frames(dut, frames, pattern_in, pattern_out, salt, ends=None):
    """``frames`` through the parser under the patterns; ``ends``: the test's AxisEnds when it runs several batches
    (one pair of ends per test: a second pair would leave the first one's coroutines driving the ports)."""
    quiet_thirdparty_warnings()
    sb = Scoreboard("parser")
    if ends is None:
        ends = AxisEnds(dut, pattern_in=pattern_in, pattern_out=pattern_out, salt=salt)
    else:
        ends.set_patterns(pattern_in, pattern_out, salt)
    meta = MetaSink(dut, pattern_out, rng(f"meta:{salt}").randrange(1 << 30))
    for f, mac in frames:
        user = [0] * ((len(f) + 7) // 8)
        user[-1] = mac
        await ends.source.send(AxiStreamFrame(f, tuser=user))
    for f, mac in frames:
        sb.expect(f)
    for _ in frames:
        out = await with_timeout(ends.sink.recv(), 500, "us")      # a frame that never comes fails, never hangs
        sb.observe(frame_bytes(out))
    for _ in range(2000):
        if len(meta.records) >= len(frames):
            break
        await RisingEdge(dut.clk)
    await ClockCycles(dut.clk, 20)
    if len(meta.records) != len(frames):
        sb.error(f"{len(meta.records)} records for {len(frames)} frames")
    for i, ((f, mac), r) in enumerate(zip(frames, meta.records)):
        d = compare(rtl_json(r), golden_view(parse_frame(f, CFG, mac_error=bool(mac)), f))
        sb.expect(("record", i, "agrees"))
        sb.observe(("record", i, "agrees" if not d else f"{f.hex()} mac {mac}: {d}"))
    meta.task.cancel()
    sb.finish()


async def setup(dut):
    start_clock(dut.clk, MHZ)
    set_config(dut, CFG)
    dut.m_meta_tready.value = 0
    dut.m_axis_tready.value = 0
    dut.s_axis_tvalid.value = 0
    await reset(dut.clk, dut.rst)


@cocotb.test()
async def check(dut):
    """Valid packets, captures, cuts and mutations under the idle / backpressure patterns."""
    await setup(dut)
    base = [(f, 0) for f in valid_frames() + capture_frames()]
    cuts = [(f, 0) for f in cut_frames(valid_frames()[:3], limit=regression_count(120, 600))]
    muts = mutated_frames(regression_count(400, 10000), seed=rng("mut").randrange(1 << 30))
    ends = AxisEnds(dut)
    for pattern_in, pattern_out in (("none", "none"), ("periodic", "periodic"), ("random", "random")):
        await run_frames(dut, base + cuts + muts, pattern_in, pattern_out, f"{pattern_in}:{pattern_out}", ends)


@cocotb.test()
async def random_patterns(dut):
    """Valid packets of every kind, the tcpdump captures and seeded mutations with random idle on ``s_axis`` and
    random backpressure on ``m_axis`` / ``m_meta`` (the ``din demo`` check: minutes less than ``check``)."""
    await setup(dut)
    frames = [(f, 0) for f in valid_frames() + capture_frames()]
    frames += mutated_frames(regression_count(60, 600), seed=rng("demo").randrange(1 << 30))
    await run_frames(dut, frames, "random", "random", "demo")


@cocotb.test()
async def smoke(dut):
    """Valid packets of every kind, no stalls (the quick check)."""
    await setup(dut)
    await run_frames(dut, [(f, 0) for f in valid_frames()], "none", "none", "smoke")


@cocotb.test()
async def bench(dut):
    """Beats per cycle with 64-byte frames back to back, and the record latency."""
    await setup(dut)
    quiet_thirdparty_warnings()
    ends = AxisEnds(dut)
    dut.m_meta_tready.value = 1
    frame = valid_frames()[10][:60] + bytes(4)
    n = 200
    t_first = t_last = None
    cycles = 0
    beats = 0
    recs = 0
    first_rec = None
    for _ in range(n):
        await ends.source.send(AxiStreamFrame(frame, tuser=[0] * 8))
    while recs < n and cycles < 100 * n:
        await RisingEdge(dut.clk)
        await ReadOnly()
        cycles += 1
        if int(dut.s_axis_tvalid.value) and int(dut.s_axis_tready.value):
            beats += 1
            t_last = cycles
            if t_first is None:
                t_first = cycles
        if int(dut.m_meta_tvalid.value):
            recs += 1
            if first_rec is None:
                first_rec = cycles
    for _ in range(n):
        await ends.sink.recv()
    bpc = beats / (t_last - t_first + 1)          # input beats per cycle from the first beat to the last
    beats_per_frame = -(-len(frame) // 8)
    write_figures({"beats_per_cycle_in": round(bpc, 3),
                   "record_latency_cycles_first_beat": first_rec - t_first,
                   # measured: frames per cycle (beats per cycle / beats per frame) at 156.25 MHz
                   "mpps_at_156_25": round(bpc / beats_per_frame * MHZ, 2)})

