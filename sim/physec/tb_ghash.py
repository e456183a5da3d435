"""cocotb testbench of ``din_ghash`` (rtl/physec/ghash.py, SP 800-38D §6.4) against the golden GHASH built on the
bit-serial Algorithm 1 (golden/physec/gcm.py ``gf_mult``), with idle / backpressure patterns, both key slots, H
reloads, messages ending in the core's known tails (``pen`` / ``tail``) and reset mid-stream. Payloads go through
:func:`~din.rtl.physec.ghash.in_layout` / ``OUT_LAYOUT``; the tails are the top's ``tails`` parameter."""

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

from din.golden.physec.gcm import gf_mult
from din.rtl.physec.ghash import OUT_LAYOUT, in_layout
from din.sim.common.tb import PATTERNS, Scoreboard, params, regression_count, reset, rng, stall_pattern, start_clock

LINE_MHZ = 161.1328125


def ghash(h, blocks):
    y = 0
    for x in blocks:
        y = gf_mult(y ^ x, h)
    return y


def tails():
    return [int(t) for t in params().get("tails", [])]


def expect(h, msg):
    """GHASH of a message given as blocks or (blocks, tail index)."""
    blocks, tail = msg if isinstance(msg, tuple) else (msg, 0)
    return ghash(h, list(blocks) + ([tails()[tail - 1]] if tail else []))


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

    async def load_h(self, h, slot=0):
        """Load H into ``slot`` and wait until its keys are ready."""
        dut = self.dut
        self.hs = getattr(self, "hs", [0, 0])
        self.hs[slot] = h
        dut.h.value = self.hs[0] | self.hs[1] << 128
        dut.h_load.value = 1 << slot
        await RisingEdge(dut.clk)
        dut.h_load.value = 0
        while True:
            await ReadOnly()
            ok = (int(dut.h_ready.value) >> slot) & 1
            await RisingEdge(dut.clk)
            if ok:
                break

    async def send(self, msgs, stall=True, slot=0):
        dut = self.dut
        lay = in_layout(len(tails()))
        for msg in msgs:
            blocks, tail = msg if isinstance(msg, tuple) else (msg, 0)
            for j, x in enumerate(blocks):
                last = j == len(blocks) - 1
                fields = {"block": x, "slot": slot, "last": last}
                if tails():
                    fields.update(pen=bool(tail) and j == len(blocks) - 2, tail=tail if last else 0)
                word = lay.const(fields).as_value().value
                while True:
                    idle = next(self.in_stall) if stall else False
                    dut.i_tvalid.value = 0 if idle else 1
                    dut.i_tdata.value = word
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
    """Random H values in alternating slots, each followed by messages of 1..8 random blocks (one all-zero, one all
    ones), and messages ending in each known tail; every GHASH equals the golden value."""
    await _setup(dut)
    r = rng(f"ghash:{pattern}")
    sb = Scoreboard(f"ghash [{pattern}]", log=dut._log)
    ends = Ends(dut, pattern, r.randrange(1 << 30), sb)
    n = 0
    for k in range(regression_count(3, 40)):
        h, slot = r.getrandbits(128), k % 2
        msgs = [[r.getrandbits(128) for _ in range(r.randint(1, 8))] for _ in range(3)]
        msgs += [[0], [(1 << 128) - 1] * 3]
        msgs += [([r.getrandbits(128) for _ in range(r.randint(1, 8))], t + 1) for t in range(len(tails()))]
        await ends.load_h(h, slot)
        for msg in msgs:
            sb.expect(expect(h, msg))
        n += len(msgs)
        await ends.send(msgs, slot=slot)
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
    cycle, cycles from the last block to the result, key preparation time after an H load."""
    from din.sim.common.tb import write_figures
    await _setup(dut)
    r = rng("bench")
    sb = Scoreboard("ghash bench", log=dut._log)
    ends = Ends(dut, "none", 1, sb)
    period = round(1e6 / LINE_MHZ)
    h = r.getrandbits(128)
    t0 = get_sim_time("ps")
    await ends.load_h(h)              # returns when the slot's keys are ready
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
