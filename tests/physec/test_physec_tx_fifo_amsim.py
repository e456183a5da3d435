"""TX client FIFO (rtl/physec/tx_fifo.py) in the Amaranth simulator at a small depth, so the Gray pointers wrap many
times: every block comes out once and in order, ``written`` counts every block (mod 2^(log2(depth)+1)), the level
returns to 0 and nothing overflows while the line side keeps up. The stream length ends exactly on a pointer wrap:
a successor Gray code taken of the carry-out bit leaves the last block invisible there."""

import random

from amaranth import ClockDomain, Module
from amaranth.sim import Simulator

from din.rtl.physec.tx_fifo import TxClientFifo

DEPTH = 16
N = 4 * 2 * DEPTH                 # ends on a wrap of the (log2(depth)+1)-bit pointers


def test_tx_fifo_wraps_in_order(seed):
    dut = TxClientFifo(depth=DEPTH)
    m = Module()
    m.domains.sync = ClockDomain("sync")
    m.domains.line = ClockDomain("line")
    m.submodules.fifo = dut
    r = random.Random(seed)
    got, state = [], {}

    async def client(ctx):
        k = 0
        while k < N:
            v = r.random() < 0.6
            ctx.set(dut.s.valid, v)
            ctx.set(dut.s.payload, k)
            await ctx.tick("sync")
            k += v
        ctx.set(dut.s.valid, 0)
        await ctx.tick("sync").repeat(20)
        state["written"], state["level"] = ctx.get(dut.written), ctx.get(dut.level)
        state["overflow"] = ctx.get(dut.overflow)

    async def line(ctx):
        for _ in range(N * 4):
            rdy = r.random() < 0.8
            ctx.set(dut.o.ready, rdy)
            v, p = ctx.get(dut.o.valid), ctx.get(dut.o.payload)
            await ctx.tick("line")
            if v and rdy:
                got.append(p)

    sim = Simulator(m)
    sim.add_clock(6.4e-9, domain="sync")
    sim.add_clock(6.4e-9 * 64 / 66, domain="line")
    sim.add_testbench(client)
    sim.add_testbench(line)
    sim.run()
    assert got == list(range(N))
    assert state == {"written": N % (2 * DEPTH), "level": 0, "overflow": 0}, state
