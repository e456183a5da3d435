"""cocotb testbench of ``din_ghash`` (rtl/physec/ghash.py, SP 800-38D §6.4) against the golden GHASH built on the
bit-serial Algorithm 1 (golden/physec/gcm.py ``gf_mult``), with idle / backpressure patterns, H reloads and reset
mid-stream. Payloads go through :data:`~din.rtl.physec.ghash.IN_LAYOUT` / ``OUT_LAYOUT``."""

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

from din.golden.physec.gcm import gf_mult
from din.rtl.physec.ghash import IN_LAYOUT, OUT_LAYOUT
from din.sim.common.tb import PATTERNS, Scoreboard, regression_count, reset, rng, stall_pattern, start_clock

LINE_MHZ = 161.1328125


def ghash(h, blocks):
    y = 0
    for x in blocks:
        y = gf_mult(y ^ x, h)
    return y


class Ends:
    def __init__(self, dut, pattern, seed, sb):
        self.dut, self.sb = dut, sb
        self.in_stall = stall_pattern(pattern, seed=seed)
        self.out_stall = stall_pattern(pattern, seed=seed + 1)
        self.got, self.cycles = [], []
        self.task = cocotb.start_soon(self._sink())

    async def _sink(self):
        dut = self.dut
        while True:
            ready = not next(self.out_stall)
            dut.o_tready.value = int(ready)
            await ReadOnly()
            if int(dut.rst.value) == 0:
                if not dut.o_tvalid.value.is_resolvable:
                    self.sb.error(f"X/Z on o_tvalid at {get_sim_time('ns')} ns")
                elif int(dut.o_tvalid.value) and ready:
                    self.got.append(int(OUT_LAYOUT.from_bits(int(dut.o_tdata.value)).s))
                    self.cycles.append(get_sim_time("ps"))
            await RisingEdge(dut.clk)

    async def load_h(self, h):
        dut = self.dut
        while True:
            await ReadOnly()
            ok = int(dut.h_ready.value)
            await RisingEdge(dut.clk)
            if ok:
                break
        dut.h.value = h
        dut.h_load.value = 1
        await RisingEdge(dut.clk)
        dut.h_load.value = 0

    async def send(self, msgs, stall=True):
        dut = self.dut
        for msg in msgs:
            for j, x in enumerate(msg):
                while True:
                    idle = next(self.in_stall) if stall else False
                    dut.i_tvalid.value = 0 if idle else 1
                    dut.i_tdata.value = IN_LAYOUT.const({"block": x, "last": j == len(msg) - 1}).as_value().value
                    await ReadOnly()
                    done = not idle and int(dut.i_tready.value)
                    await RisingEdge(dut.clk)
                    if done:
                        break
        dut.i_tvalid.value = 0

    async def wait_for(self, n):
        for _ in range(20000):
            if len(self.got) >= n:
                break
            await RisingEdge(self.dut.clk)
        await ClockCycles(self.dut.clk, 5)

    def stop(self):
        self.task.cancel()


async def _setup(dut):
    start_clock(dut.clk, LINE_MHZ)
    for name in ("h_load", "i_tvalid", "o_tready"):
        getattr(dut, name).value = 0
    await reset(dut.clk, dut.rst)


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def against_golden(dut, pattern):
    """Random H values, each followed by messages of 1..8 random blocks (one all-zero, one with X = H^-1-like edge:
    all ones); every GHASH equals the golden value."""
    await _setup(dut)
    r = rng(f"ghash:{pattern}")
    sb = Scoreboard(f"ghash [{pattern}]", log=dut._log)
    ends = Ends(dut, pattern, r.randrange(1 << 30), sb)
    n = 0
    for _ in range(regression_count(3, 40)):
        h = r.getrandbits(128)
        msgs = [[r.getrandbits(128) for _ in range(r.randint(1, 8))] for _ in range(3)]
        msgs += [[0], [(1 << 128) - 1] * 3]
        await ends.load_h(h)
        for msg in msgs:
            sb.expect(ghash(h, msg))
        n += len(msgs)
        await ends.send(msgs)
    await ends.wait_for(n)
    ends.stop()
    for v in ends.got:
        sb.observe(v)
    sb.finish(min_checked=n)


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def reset_mid_stream(dut, pattern):
    """Reset in the middle of a message: nothing comes out afterwards; after a new H the results are right (the
    message in progress is forgotten: Y starts from 0)."""
    await _setup(dut)
    r = rng(f"reset:{pattern}")
    sb = Scoreboard(f"ghash after reset [{pattern}]", log=dut._log)
    ends = Ends(dut, pattern, r.randrange(1 << 30), sb)
    await ends.load_h(r.getrandbits(128))
    task = cocotb.start_soon(ends.send([[r.getrandbits(128) for _ in range(50)]]))
    await ClockCycles(dut.clk, r.randint(10, 60))
    task.cancel()
    dut.i_tvalid.value = 0
    await reset(dut.clk, dut.rst, cycles=r.randint(1, 4))
    await ClockCycles(dut.clk, 20)
    assert not ends.got, "output from the interrupted message"
    h = r.getrandbits(128)
    msgs = [[r.getrandbits(128) for _ in range(r.randint(1, 6))] for _ in range(4)]
    for msg in msgs:
        sb.expect(ghash(h, msg))
    await ends.load_h(h)
    await ends.send(msgs)
    await ends.wait_for(len(msgs))
    ends.stop()
    for v in ends.got:
        sb.observe(v)
    sb.finish(min_checked=len(msgs))


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench ghash``: one 2042-block message (a PHYSec frame's GHASH input), no stalls: blocks per
    cycle, cycles from the last block to the result, H load time."""
    from din.sim.common.tb import params, write_figures
    await _setup(dut)
    r = rng("bench")
    sb = Scoreboard("ghash bench", log=dut._log)
    ends = Ends(dut, "none", 1, sb)
    period = round(1e6 / LINE_MHZ)
    h = r.getrandbits(128)
    t0 = get_sim_time("ps")
    await ends.load_h(h)
    while True:                       # the G_k precomputation
        await ReadOnly()
        if int(dut.h_ready.value):
            break
        await RisingEdge(dut.clk)
    await RisingEdge(dut.clk)
    msg = [r.getrandbits(128) for _ in range(2042)]
    sb.expect(ghash(h, msg))
    t1 = get_sim_time("ps")
    await ends.send([msg], stall=False)
    t2 = get_sim_time("ps")
    await ends.wait_for(1)
    ends.stop()
    for v in ends.got:
        sb.observe(v)
    sb.finish()
    figures = {"ghash_blocks_per_cycle": round(len(msg) / ((t2 - t1) / period), 4),
               "ghash_last_block_to_result_cycles": round((ends.cycles[0] - t2) / period) + 1,
               "ghash_h_load_cycles": round((t1 - t0) / period), "parameters": params()}
    dut._log.info("figures: %s", figures)
    write_figures(figures)
