"""cocotb testbench of ``din_parser`` (rtl/parser/parser_axil.py) against the golden model (golden/parser/).

The parser is configured over AXI4-Lite (cocotbext-axi ``AxiLiteMaster``) with the register words of the test
configuration (``din.sim.parser.rtlrec.register_words``, docs/regs/parser.md). Frames go in through a cocotbext-axi
source on ``s_axis`` (idle pattern), come back unchanged on ``m_axis`` (backpressure pattern) and every frame has exactly one record on ``m_meta`` (its own backpressure pattern), which
is compared with ``din.golden.parser.parse_frame`` field by field (``din.sim.parser.rtlrec``). The record's bit
layout is read from ``record_layout()`` by field name.
"""

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge, with_timeout
from cocotbext.axi import AxiStreamFrame

from din.golden.parser import parse_frame
from din.sim.common.tb import (AxilRegs, AxisEnds, Scoreboard, frame_bytes, quiet_thirdparty_warnings, regression_count,
                               reset, rng, stall_pattern, start_clock, write_figures)
from din.sim.parser.corpus import config_cases as corpus_config_cases
from din.sim.parser.corpus import CFG, bench_frames, capture_frames, cut_frames, mutated_frames, valid_frames
from din.sim.parser import regs as R
from din.sim.parser.rtlrec import compare, decode_record, golden_view, register_words, rtl_json

MHZ = 156.25


class Regs(AxilRegs):
    """AXI4-Lite access to the parser's registers (one manager per test)."""

    async def configure(self, cfg):
        """Write ``cfg`` and read every word back; a valid configuration raises no CONFIG_ERR flag."""
        words = register_words(cfg)
        for addr, word in words:
            await self.write(addr, word)
        for addr, word in words:
            got = await self.read(addr)
            assert got == word, f"register {addr:#x} reads {got:#x}, wrote {word:#x}"
        assert await self.read(R.CONFIG_ERR_ADDR) == 0, "CONFIG_ERR set by a valid configuration"


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


async def run_frames(dut, frames, pattern_in, pattern_out, salt, ends=None, cfg=CFG):
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
        d = compare(rtl_json(r), golden_view(parse_frame(f, cfg, mac_error=bool(mac)), f))
        sb.expect(("record", i, "agrees"))
        sb.observe(("record", i, "agrees" if not d else f"{f.hex()} mac {mac}: {d}"))
    meta.task.cancel()
    sb.finish()
    return meta.records


async def setup(dut, cfg=CFG):
    """Clock, reset, and the configuration ``cfg`` written over AXI4-Lite (``None``: the reset values); returns the
    register accessor."""
    start_clock(dut.clk, MHZ)
    dut.m_meta_tready.value = 0
    dut.m_axis_tready.value = 0
    dut.s_axis_tvalid.value = 0
    regs = Regs(dut)
    await reset(dut.clk, dut.rst)
    if cfg is not None:
        await regs.configure(cfg)
    return regs


async def counters(regs):
    """The record counters (FRAMES, FATAL, SOFT, INFO, INNER, WALK_GUARD)."""
    return {name: await regs.read(getattr(R, f"{name}_ADDR")) for name in ("FRAMES", "FATAL", "SOFT", "INFO",
                                                                           "INNER", "WALK_GUARD")}


def expected_counters(frames, cfg=CFG):
    """The record counters the golden records of ``frames`` give (severities from the golden error table)."""
    from din.golden.parser.errors import FATAL_MASK, INFO_MASK, SOFT_MASK, BY_NAME
    c = {"FRAMES": 0, "FATAL": 0, "SOFT": 0, "INFO": 0, "INNER": 0, "WALK_GUARD": 0}
    for f, mac in frames:
        bits = sum(1 << BY_NAME[n].bit for n in parse_frame(f, cfg, mac_error=bool(mac)).errors)
        c["FRAMES"] += 1
        c["FATAL"] += bool(bits & FATAL_MASK)
        c["SOFT"] += bool(bits & SOFT_MASK)
        c["INFO"] += bool(bits & INFO_MASK)
        c["INNER"] += bool(bits >> BY_NAME["INNER_ERR"].bit & 1)
    return c


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
    """Valid packets of every kind, no stalls (the quick check); the record counters agree with the golden
    records' error classes."""
    regs = await setup(dut)
    frames = [(f, 0) for f in valid_frames()] + [(f, 0) for f in cut_frames(valid_frames()[:1], limit=40)]
    frames.append((valid_frames()[0], 1))               # a MAC error (tuser)
    records = await run_frames(dut, frames, "none", "none", "smoke")
    for (f, _), a, b in zip(frames, records, records[1:]):
        assert b["ts"] - a["ts"] >= -(-len(f) // 8), "ingress timestamps closer than the frame's beats"
    got, want = await counters(regs), expected_counters(frames)
    assert got == want, f"counters {got}, golden records give {want}"
    assert want["FATAL"] and want["FRAMES"] == len(frames), "the sample has no fatal record (test did not test)"
    await regs.write(R.FRAMES_ADDR, 0)
    assert await regs.read(R.FRAMES_ADDR) == 0, "a write does not clear FRAMES"


@cocotb.test()
async def config_cases(dut):
    """Other configurations written over AXI4-Lite (``corpus.config_cases``): RFC 9800 NEXT-C-SID with VPP's uSID
    vector, REPLACE-C-SID (32- and 16-bit, the worked example), descriptor order, ARN in DOH with another carve-out;
    each frame's record against the golden model under that configuration, with random idle and backpressure."""
    regs = await setup(dut)
    ends = AxisEnds(dut)
    for name, cfg, frames in corpus_config_cases():
        await regs.configure(cfg)
        await run_frames(dut, [(f, 0) for f in frames], "random", "random", f"cfg:{name}", ends, cfg=cfg)


@cocotb.test()
async def registers(dut):
    """ID / VERSION, reset values (the defaults of parser.md §8 = the golden model's ParserConfig()), and
    CONFIG_ERR for each misconfiguration; records follow the defined reading of a misconfigured value."""
    from din.golden.parser import ParserConfig
    regs = await setup(dut, cfg=None)
    dut.m_meta_tready.value = 1
    dut.m_axis_tready.value = 1
    assert await regs.read(R.ID_ADDR) == R.ID
    assert await regs.read(R.VERSION_ADDR) == R.VERSION
    for addr, word in register_words(ParserConfig()):
        got = await regs.read(addr)
        assert got == word, f"reset value of {addr:#x} is {got:#x}; ParserConfig() gives {word:#x}"
    assert await regs.read(R.CONFIG_ERR_ADDR) == 0
    lim = R.LIMITS_RESET
    bad = [
        (R.OPT_NRP_ALT_ADDR, (R.OPT_NRP_ALT_RESET & ~R.OPT_NRP_ALT_NRP_TYPE_MASK) | 0x1E,
         R.CONFIG_ERR_TYPE_CONFLICT_MASK),
        (R.OPT_IOAM_ADDR, (R.OPT_IOAM_RESET & ~R.OPT_IOAM_HBH_TYPE_MASK) | 0x01, R.CONFIG_ERR_TYPE_CONFLICT_MASK),
        (R.LIMITS_ADDR, (lim & ~R.LIMITS_MAX_EXT_MASK) | 20, R.CONFIG_ERR_MAX_EXT_MASK),
        (R.LIMITS_ADDR, lim & ~R.LIMITS_MAX_EXT_MASK, R.CONFIG_ERR_MAX_EXT_MASK),
        (R.LIMITS_ADDR, lim & ~R.LIMITS_MAX_OPTS_MASK, R.CONFIG_ERR_LIMIT_ZERO_MASK),
        (R.LIMITS_BYTES_ADDR, R.LIMITS_BYTES_RESET & ~R.LIMITS_BYTES_WINDOW_MASK, R.CONFIG_ERR_LIMIT_ZERO_MASK),
        (R.ARN_CARVE_ADDR, (R.ARN_CARVE_RESET & ~R.ARN_CARVE_USER_MASK) | (113 << R.ARN_CARVE_USER_SHIFT),
         R.CONFIG_ERR_CARVE_MASK),
        (R.CSID2_ADDR, 1 | 100 << R.CSID2_LBL_SHIFT | 32 << R.CSID2_LNFL_SHIFT, R.CONFIG_ERR_CSID_MASK),
        (R.CSID1_ADDR, 1 | 2 | 64 << R.CSID1_LBL_SHIFT | 24 << R.CSID1_LNFL_SHIFT, R.CONFIG_ERR_CSID_MASK),
        (R.CSID0_ADDR, 1 | 0 << R.CSID0_LBL_SHIFT | 16 << R.CSID0_LNFL_SHIFT, R.CONFIG_ERR_CSID_MASK),
    ]
    for addr, word, flag in bad:
        before = await regs.read(addr)
        await regs.write(addr, word)
        await ClockCycles(dut.clk, 3)
        got = await regs.read(R.CONFIG_ERR_ADDR)
        assert got == flag, f"writing {word:#x} to {addr:#x}: CONFIG_ERR {got:#x}, expected {flag:#x}"
        await regs.write(addr, before)
        await ClockCycles(dut.clk, 3)
        assert await regs.read(R.CONFIG_ERR_ADDR) == 0, f"CONFIG_ERR stays set after restoring {addr:#x}"
    # MAX_EXT above 8 reads as 8: nine extension headers give EXT_TOO_MANY as with MAX_EXT = 8
    from din.sim.parser.corpus import many_ext_frame
    frame = many_ext_frame(9)
    await regs.write(R.LIMITS_ADDR, (lim & ~R.LIMITS_MAX_EXT_MASK) | 31)
    await ClockCycles(dut.clk, 3)
    ends = AxisEnds(dut)
    meta = MetaSink(dut, "none", 0)
    await ends.source.send(AxiStreamFrame(frame, tuser=[0] * ((len(frame) + 7) // 8)))
    await with_timeout(ends.sink.recv(), 100, "us")
    for _ in range(200):
        if meta.records:
            break
        await RisingEdge(dut.clk)
    meta.task.cancel()
    assert len(meta.records) == 1, f"{len(meta.records)} records for one frame"
    want = golden_view(parse_frame(frame, ParserConfig()), frame)
    d = compare(rtl_json(meta.records[0]), want)
    assert not d, f"MAX_EXT 31 (read as 8): {d}"
    assert "EXT_TOO_MANY" in want["errors"], "the frame does not exceed 8 extension headers (test did not test)"


@cocotb.test()
async def reset_mid_stream(dut):
    """A reset in the middle of traffic under each idle / backpressure pattern: the frames and records delivered
    before it are an in-order prefix of the right ones (one record per delivered frame at most), the registers are
    back at their reset values, and everything sent after it (configured again) comes back exact."""
    regs = await setup(dut)
    ends = AxisEnds(dut)
    frames = [(f, 0) for f in valid_frames() + capture_frames()[:20]]
    for pattern in ("none", "periodic", "random"):
        r = rng(f"reset:{pattern}")
        ends.set_patterns(pattern, pattern, f"reset:{pattern}")
        meta = MetaSink(dut, pattern, r.randrange(1 << 30))
        for f, mac in frames:
            await ends.source.send(AxiStreamFrame(f, tuser=[mac] * ((len(f) + 7) // 8)))
        await ClockCycles(dut.clk, r.randint(40, 200))
        ends.source.clear()
        await reset(dut.clk, dut.rst, cycles=r.randint(1, 5))
        await ClockCycles(dut.clk, 50)
        meta.task.cancel()
        got = []
        while not ends.sink.empty():
            got.append(frame_bytes(ends.sink.recv_nowait()))
        # a frame cut by the reset may leave a partial frame in the sink's assembly: the sink was reset with it
        want = [f for f, _ in frames]
        assert got == want[:len(got)], f"{pattern}: frames before the reset are not an in-order prefix"
        assert len(got) < len(want), f"{pattern}: the reset came after the traffic (test did not test)"
        assert len(meta.records) <= len(want)
        for i, rec in enumerate(meta.records):
            d = compare(rtl_json(rec), golden_view(parse_frame(frames[i][0], CFG), frames[i][0]))
            assert not d, f"{pattern}: record {i} before the reset: {d}"
        assert await regs.read(R.FRAMES_ADDR) == 0, "FRAMES not cleared by the reset"
        assert await regs.read(R.LIMITS_ADDR) == R.LIMITS_RESET, "registers not back at reset values"
        await regs.configure(CFG)
        await run_frames(dut, frames, pattern, pattern, f"after:{pattern}", ends)


@cocotb.test()
async def bench(dut):
    """``din bench parser``: beats per cycle in and out with 64-byte IPv6 / UDP frames back to back (every port
    ready), then each benchmark frame alone into the idle parser: record latency in cycles from the frame's first
    and last beat (``corpus.bench_frames``). Every record is checked against the golden model."""
    await setup(dut)
    quiet_thirdparty_warnings()
    ends = AxisEnds(dut)
    dut.m_meta_tready.value = 1
    frames = bench_frames()
    frame = frames["ipv6_udp_64"]
    n = 200
    for _ in range(n):
        await ends.source.send(AxiStreamFrame(frame, tuser=[0] * 8))
    beats_in = beats_out = cycles = 0
    first_in = last_in = first_out = last_out = None
    records = []
    while len(records) < n and cycles < 100 * n:
        await RisingEdge(dut.clk)
        await ReadOnly()
        cycles += 1
        if int(dut.s_axis_tvalid.value) and int(dut.s_axis_tready.value):
            beats_in += 1
            first_in = first_in or cycles
            last_in = cycles
        if int(dut.m_axis_tvalid.value) and int(dut.m_axis_tready.value):
            beats_out += 1
            first_out = first_out or cycles
            last_out = cycles
        if int(dut.m_meta_tvalid.value):
            records.append(decode_record(int(dut.m_meta_tdata.value)))
    for _ in range(n):
        await ends.sink.recv()
    want = golden_view(parse_frame(frame, CFG), frame)
    assert len(records) == n and all(not compare(rtl_json(r), want) for r in records), "back-to-back records differ"
    gaps = {b["ts"] - a["ts"] for a, b in zip(records, records[1:])}
    assert gaps == {len(frame) // 8}, f"ingress timestamps of back-to-back frames differ by {gaps} cycles"
    bpc_in = beats_in / (last_in - first_in + 1)          # from the first beat to the last
    bpc_out = beats_out / (last_out - first_out + 1)
    figures = {"beats_per_cycle_in": round(bpc_in, 3), "beats_per_cycle_out": round(bpc_out, 3),
               # measured: frames per cycle (beats per cycle / beats per frame) at 156.25 MHz
               "mpps_at_156_25": round(bpc_in / (len(frame) // 8) * MHZ, 2)}
    for name, f in frames.items():
        await ClockCycles(dut.clk, 20)
        nbeats = -(-len(f) // 8)
        await ends.source.send(AxiStreamFrame(f, tuser=[0] * nbeats))
        first = last = None
        cycles = 0
        rec = None
        while rec is None and cycles < 10 * nbeats + 200:
            await RisingEdge(dut.clk)
            await ReadOnly()
            cycles += 1
            if int(dut.s_axis_tvalid.value) and int(dut.s_axis_tready.value):
                first = first or cycles
                if int(dut.s_axis_tlast.value):
                    last = cycles
            if int(dut.m_meta_tvalid.value):
                rec = decode_record(int(dut.m_meta_tdata.value))
        assert rec is not None, f"{name}: no record"
        assert not compare(rtl_json(rec), golden_view(parse_frame(f, CFG), f)), f"{name}: record differs"
        await ends.sink.recv()
        figures[f"latency_first_beat_{name}"] = cycles - first
        figures[f"latency_last_beat_{name}"] = cycles - last
        figures[f"beats_{name}"] = nbeats
    write_figures(figures)


@cocotb.test(skip="DIN_PARSE_INPUT" not in __import__("os").environ)
async def parse_file(dut):
    """``din parse --rtl``: the frames of ``$DIN_PARSE_INPUT`` (JSON: ``frames`` as hex, ``config`` as the
    CONFIG.json object or null) through the parser, configured over AXI4-Lite; the records (``rtl_json``) and the
    counters go to ``$DIN_TEST_DIR/records.json``. Not a check: the command prints what the RTL produced."""
    import json
    import os
    from pathlib import Path
    from din.golden.parser import ParserConfig
    spec = json.loads(Path(os.environ["DIN_PARSE_INPUT"]).read_text())
    cfg = ParserConfig.from_json(spec["config"]) if spec["config"] is not None else ParserConfig()
    frames = [bytes.fromhex(h) for h in spec["frames"]]
    regs = await setup(dut, cfg)
    ends = AxisEnds(dut)
    meta = MetaSink(dut, "none", 0)
    for f in frames:
        await ends.source.send(AxiStreamFrame(f, tuser=[0] * ((len(f) + 7) // 8)))
    for _ in frames:
        await with_timeout(ends.sink.recv(), 1000, "us")     # a frame that never comes fails, never hangs
    for _ in range(2000):
        if len(meta.records) >= len(frames):
            break
        await RisingEdge(dut.clk)
    meta.task.cancel()
    assert len(meta.records) == len(frames), f"{len(meta.records)} records for {len(frames)} frames"
    out = {"records": [rtl_json(r) for r in meta.records], "counters": await counters(regs)}
    Path(os.environ["DIN_TEST_DIR"], "records.json").write_text(json.dumps(out))
