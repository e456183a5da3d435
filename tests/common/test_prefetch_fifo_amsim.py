"""AsyncPrefetchFIFO (rtl/common/prefetch_fifo.py) in the Amaranth simulator: two unrelated clocks, random write and
read enables; every entry comes out once and in order, nothing is accepted while full, the level stays within its
bounds and returns to 0, and a reset of both domains empties it."""

import random

import pytest
from amaranth import ClockDomain, Module
from amaranth.sim import Simulator

from din.rtl.common.prefetch_fifo import AsyncPrefetchFIFO

DEPTH = 16


def _sim(dut, writer, reader, t_w, t_r):
    m = Module()
    m.domains.write = cd_w = ClockDomain("write")
    m.domains.read = cd_r = ClockDomain("read")
    m.submodules.fifo = dut
    sim = Simulator(m)
    sim.add_clock(t_w, domain="write")
    sim.add_clock(t_r, domain="read")
    async def write_tb(ctx):
        await writer(ctx, cd_w, cd_r)
    sim.add_testbench(write_tb)
    sim.add_testbench(reader)
    sim.run()


def _reader(dut, r, p_r, read, levels, gate=lambda: True):
    async def reader(ctx):
        idle = 0
        while idle < 300:
            en = gate() and r.random() < p_r
            ctx.set(dut.r_en, en)
            rdy, data, level = ctx.get(dut.r_rdy), ctx.get(dut.r_data), ctx.get(dut.r_level)
            await ctx.tick("read")
            levels.append(level)
            if en and rdy:
                read.append(data)
                idle = 0
            else:
                idle += 1
    return reader


@pytest.mark.parametrize("case", ["slow_reader", "fast_reader", "equal"])
def test_prefetch_fifo_order_and_bounds(case, seed):
    t_w, t_r, p_w, p_r = {"slow_reader": (6.2e-9, 6.4e-9, 0.9, 0.3), "fast_reader": (6.4e-9, 5.1e-9, 0.5, 0.9),
                          "equal": (6.4e-9, 6.4e-9, 0.7, 0.7)}[case]
    dut = AsyncPrefetchFIFO(width=16, depth=DEPTH, w_domain="write", r_domain="read")
    r = random.Random(f"{seed}:{case}")
    written, read, levels, refused = [], [], [], [0]

    async def writer(ctx, cd_w, cd_r):
        k = 0
        while k < 600:
            en = r.random() < p_w
            ctx.set(dut.w_en, en)
            ctx.set(dut.w_data, k)
            rdy = ctx.get(dut.w_rdy)
            await ctx.tick("write")
            if en and rdy:
                written.append(k)
                k += 1
            refused[0] += en and not rdy
        ctx.set(dut.w_en, 0)

    _sim(dut, writer, _reader(dut, r, p_r, read, levels), t_w, t_r)
    assert written == list(range(600)) and read == written
    assert max(levels) <= DEPTH + 2 and levels[-1] == 0
    if case == "slow_reader":
        assert refused[0] > 0 and max(levels) >= DEPTH, "the FIFO never filled: the full path went untested"


def test_prefetch_fifo_reset_empties(seed):
    """Entries written before a reset of both domains never come out; those written after do, in order."""
    dut = AsyncPrefetchFIFO(width=16, depth=DEPTH, w_domain="write", r_domain="read")
    r = random.Random(seed)
    read, levels = [], []
    phase = {"after": False}

    async def writer(ctx, cd_w, cd_r):
        for k in range(10):                       # reader held off: these stay inside
            ctx.set(dut.w_en, 1), ctx.set(dut.w_data, k)
            await ctx.tick("write")
        ctx.set(dut.w_en, 0)
        for _ in range(10):
            await ctx.tick("write")
        ctx.set(cd_w.rst, 1), ctx.set(cd_r.rst, 1)
        for _ in range(4):
            await ctx.tick("write")
        ctx.set(cd_w.rst, 0), ctx.set(cd_r.rst, 0)
        for _ in range(8):
            await ctx.tick("write")
        phase["after"] = True
        k = 0
        while k < 100:
            en = r.random() < 0.8
            ctx.set(dut.w_en, en), ctx.set(dut.w_data, 1000 + k)
            rdy = ctx.get(dut.w_rdy)
            await ctx.tick("write")
            k += en and rdy
        ctx.set(dut.w_en, 0)

    _sim(dut, writer, _reader(dut, r, 0.6, read, levels, gate=lambda: phase["after"]), 6.2e-9, 6.4e-9)
    assert read == [1000 + k for k in range(100)]
    assert levels[-1] == 0
