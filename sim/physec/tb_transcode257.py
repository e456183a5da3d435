"""cocotb testbench of ``din_transcode257`` (rtl/physec/transcode.py: transcoder → detranscoder, physec.md §3).

The 66b streams carry :data:`~din.rtl.physec.layouts.BLOCK66` on ``s_axis_tdata`` / ``m_axis_tdata`` (field offsets
from the export JSON, not written by hand here). Expected blocks come from the golden model's round trip
(``golden/physec/transcode257.py``); a block with an invalid sync header must come back as /E/ (the RTL's defined
behaviour) with one ``hdr_err`` pulse.
"""

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

from din.golden.physec.pcs6466 import BLOCK_TYPES, E_BLOCK, HDR_CTRL, HDR_DATA
from din.golden.physec.transcode257 import decode_groups, encode_groups
from din.rtl.physec.layouts import BLOCK66
from din.sim.common.tb import PATTERNS, Scoreboard, reset, rng, stall_pattern, start_clock

LINE_MHZ = 161.1328125
_HDR = BLOCK66["header"].offset
_PAY = BLOCK66["payload"].offset


def pack(block):
    header, payload = block
    return header << _HDR | payload << _PAY


def unpack(value):
    return (value >> _HDR) & 0b11, (value >> _PAY) & ((1 << 64) - 1)


def random_blocks(r, n_groups, *, p_data=0.6, p_bad_header=0.0):
    """``4 * n_groups`` random 66b blocks (control blocks with a random type), some with an invalid sync header."""
    blocks = []
    for _ in range(4 * n_groups):
        payload = r.getrandbits(64)
        if r.random() < p_bad_header:
            blocks.append((r.choice([0b00, 0b11]), payload))
        elif r.random() < p_data:
            blocks.append((HDR_DATA, payload))
        else:
            blocks.append((HDR_CTRL, (payload & ~0xFF) | r.choice(BLOCK_TYPES)))
    return blocks


def expected_round_trip(blocks):
    """Golden round trip of ``blocks`` (whole groups), invalid sync headers replaced by /E/ first."""
    clean = [b if b[0] in (HDR_DATA, HDR_CTRL) else E_BLOCK for b in blocks]
    hdr = [[clean[4 * g + j][0] for j in range(4)] for g in range(len(clean) // 4)]
    pay = [[clean[4 * g + j][1] for j in range(4)] for g in range(len(clean) // 4)]
    h, p, err = decode_groups(encode_groups(hdr, pay))
    assert not err.any()
    return [(int(a), int(b)) for hr, pr in zip(h, p) for a, b in zip(hr, pr)]


class Source:
    """Drives ``s_axis`` with an idle pattern; ``accepted`` counts handshakes."""

    def __init__(self, dut, pattern, seed):
        self.dut, self.stall = dut, stall_pattern(pattern, seed=seed)
        self.accepted = 0
        self.cycles = []

    async def send(self, blocks):
        dut = self.dut
        for block in blocks:
            while True:
                idle = next(self.stall)
                dut.s_axis_tvalid.value = 0 if idle else 1
                dut.s_axis_tdata.value = pack(block)
                await ReadOnly()
                done = not idle and int(dut.s_axis_tready.value)
                cycle = int(get_sim_time("ps"))
                await RisingEdge(dut.clk)
                if done:
                    self.accepted += 1
                    self.cycles.append(cycle)
                    break
        dut.s_axis_tvalid.value = 0


class Sink:
    """Drives ``m_axis_tready`` with a backpressure pattern, logs beats, ``hdr_err`` / ``xcode_err`` pulses and X/Z."""

    def __init__(self, dut, pattern, seed, sb):
        self.dut, self.stall, self.sb = dut, stall_pattern(pattern, seed=seed), sb
        self.beats, self.cycles, self.hdr_err, self.xcode_err = [], [], 0, 0
        self.task = cocotb.start_soon(self._run())

    async def _run(self):
        dut = self.dut
        while True:
            ready = not next(self.stall)
            dut.m_axis_tready.value = int(ready)
            await ReadOnly()
            if int(dut.rst.value) == 0:
                v = dut.m_axis_tvalid.value
                if not v.is_resolvable:
                    self.sb.error(f"X/Z on m_axis_tvalid at {get_sim_time('ns')} ns")
                elif int(v) and ready:
                    if not dut.m_axis_tdata.value.is_resolvable:
                        self.sb.error(f"X/Z on m_axis_tdata at {get_sim_time('ns')} ns")
                    else:
                        self.beats.append(unpack(int(dut.m_axis_tdata.value)))
                        self.cycles.append(int(get_sim_time("ps")))
                self.hdr_err += int(dut.hdr_err.value)
                self.xcode_err += int(dut.xcode_err.value)
            await RisingEdge(dut.clk)

    def stop(self):
        self.task.cancel()


async def _setup(dut):
    start_clock(dut.clk, LINE_MHZ)
    dut.s_axis_tvalid.value = 0
    dut.m_axis_tready.value = 0
    await reset(dut.clk, dut.rst)


@cocotb.test()
@cocotb.parametrize(pattern_in=PATTERNS, pattern_out=PATTERNS)
async def round_trip(dut, pattern_in, pattern_out):
    """Random groups (with a few invalid sync headers) under every pattern pair: the golden round trip comes out, in
    order, with one ``hdr_err`` per invalid header and no ``xcode_err``."""
    await _setup(dut)
    r = rng(f"rt:{pattern_in}:{pattern_out}")
    blocks = random_blocks(r, 100, p_data=r.choice([0.3, 0.6, 0.95]), p_bad_header=0.02)
    sb = Scoreboard(f"transcode257[{pattern_in}/{pattern_out}]", log=dut._log)
    for b in expected_round_trip(blocks):
        sb.expect(b)
    src = Source(dut, pattern_in, r.randrange(1 << 30))
    snk = Sink(dut, pattern_out, r.randrange(1 << 30), sb)
    await src.send(blocks)
    for _ in range(20000):
        if len(snk.beats) >= len(blocks):
            break
        await RisingEdge(dut.clk)
    await ClockCycles(dut.clk, 20)
    snk.stop()
    for beat in snk.beats:
        sb.observe(beat)
    n_bad = sum(b[0] not in (HDR_DATA, HDR_CTRL) for b in blocks)
    assert snk.hdr_err == n_bad, f"hdr_err pulsed {snk.hdr_err} times for {n_bad} invalid headers"
    assert snk.xcode_err == 0
    sb.hit("invalid_header", n_bad)
    sb.require_bin("invalid_header")
    sb.finish(min_checked=len(blocks))


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def reset_mid_stream(dut, pattern):
    """A reset in the middle of traffic: what came out before it is a clean prefix of the expected blocks; after it
    the transcoder groups from the first block again and everything sent arrives exactly."""
    await _setup(dut)
    r = rng(f"reset:{pattern}")
    before = random_blocks(r, 60)
    sb = Scoreboard(f"transcode257 before reset [{pattern}]", log=dut._log)
    snk = Sink(dut, pattern, r.randrange(1 << 30), sb)
    src = Source(dut, pattern, r.randrange(1 << 30))
    task = cocotb.start_soon(src.send(before))
    await ClockCycles(dut.clk, r.randint(30, 150))
    task.cancel()
    dut.s_axis_tvalid.value = 0
    await reset(dut.clk, dut.rst, cycles=r.randint(1, 5))
    exp_before = expected_round_trip(before)
    got_before = list(snk.beats)
    assert 0 < len(got_before) < len(before), "reset came too early or too late to interrupt traffic"
    for b in exp_before[:len(got_before)]:             # what came out before the reset: a clean prefix
        sb.expect(b)
    for b in got_before:
        sb.observe(b)
    snk.beats.clear()
    after = random_blocks(r, 60)
    sb_after = Scoreboard(f"transcode257 after reset [{pattern}]", log=dut._log)
    snk.sb = sb_after
    for b in expected_round_trip(after):
        sb_after.expect(b)
    await Source(dut, pattern, r.randrange(1 << 30)).send(after)
    for _ in range(20000):
        if len(snk.beats) >= len(after):
            break
        await RisingEdge(dut.clk)
    await ClockCycles(dut.clk, 20)
    snk.stop()
    for beat in snk.beats:
        sb_after.observe(beat)
    sb.finish(min_checked=len(got_before))
    sb_after.finish(min_checked=len(after))


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench transcode257``: 1000 blocks back to back, no stalls: 66b beats per cycle in and out,
    latency (first block in → first block out) in cycles and ns at the line clock."""
    import time
    from din.sim.common.tb import write_figures
    await _setup(dut)
    r = rng("bench")
    blocks = random_blocks(r, 250)
    period_ps = round(1e6 / LINE_MHZ)
    sb = Scoreboard("transcode257 bench", log=dut._log)
    for b in expected_round_trip(blocks):
        sb.expect(b)
    snk = Sink(dut, "none", 0, sb)
    src = Source(dut, "none", 0)
    wall0 = time.perf_counter()
    await src.send(blocks)
    while len(snk.beats) < len(blocks):
        await RisingEdge(dut.clk)
    wall = time.perf_counter() - wall0
    snk.stop()
    for beat in snk.beats:
        sb.observe(beat)
    sb.finish(min_checked=len(blocks))
    span = lambda c: (c[-1] - c[0]) // period_ps + 1      # noqa: E731
    latency = (snk.cycles[0] - src.cycles[0]) // period_ps
    sim_cycles = (snk.cycles[-1] - src.cycles[0]) // period_ps
    figures = {
        "beats": len(snk.beats),
        "beats_per_cycle_in": round(len(src.cycles) / span(src.cycles), 4),
        "beats_per_cycle_out": round(len(snk.cycles) / span(snk.cycles), 4),
        "blocks257_per_cycle": round(len(src.cycles) / 4 / span(src.cycles), 4),
        "latency_cycles": latency,
        "latency_ns": round(latency * period_ps / 1000, 2),
        "sim_cycles": sim_cycles,
        "cycles_per_wall_second": round(sim_cycles / wall) if wall > 0 else None,
    }
    assert figures["beats_per_cycle_in"] == 1.0 and figures["beats_per_cycle_out"] == 1.0, figures
    write_figures(figures)
