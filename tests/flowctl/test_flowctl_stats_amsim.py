"""StatRam (rtl/flowctl/stats.py) in the Amaranth simulator against a dictionary: random events (bursts on one flow,
back-to-back events on the same word, idle gaps), software reads interleaved, the clear walk after reset."""

import random

import pytest

from din.rtl.flowctl.stats import StatRam
from din.sim.common.amsim import simulate


@pytest.mark.parametrize("op", ["add", "max"])
def test_stat_ram_matches_a_dictionary(op):
    depth = 16
    fields = {"a": 12, "b": 20} if op == "add" else {"a": 12}
    dut = StatRam(depth=depth, fields=fields, op=op)
    rng = random.Random(5 if op == "add" else 6)
    ref = {k: dict.fromkeys(fields, 0) for k in range(depth)}
    reads = []

    def apply(addr, arg):
        for name, width in fields.items():
            if op == "add":
                ref[addr][name] = (ref[addr][name] + arg[name]) % (1 << width)
            else:
                ref[addr][name] = max(ref[addr][name], arg[name])

    async def tb(ctx):
        # the clear walk: events and reads wait, nothing is counted
        assert ctx.get(dut.clearing) == 1
        ctx.set(dut.ev_valid, 1)
        ctx.set(dut.ev_addr, 3)
        ctx.set(dut.ev_arg, {name: 1 for name in fields})
        cycles = 0
        while ctx.get(dut.clearing):
            await ctx.tick()
            cycles += 1
        assert cycles == depth
        ctx.set(dut.ev_valid, 0)
        pending = None                    # (addr, expected) of the read in flight
        hot = rng.randrange(depth)
        for t in range(3000):
            ack_now = ctx.get(dut.rd_ack)          # this cycle's acknowledgement (of a read served 2 cycles ago)
            if ack_now:
                assert pending is not None and pending[1] is not None, "an acknowledgement without a read"
                got = {name: getattr(ctx.get(dut.rd_data), name) for name in fields}
                assert got == pending[1], (t, pending, got)
                reads.append(pending[0])
                pending = None
                ctx.set(dut.rd_req, 0)
            mode = t // 500 % 3           # 0: random, 1: every cycle on one hot word, 2: sparse
            ev = rng.random() < (0.7, 1.0, 0.2)[mode]
            addr = hot if mode == 1 and rng.random() < 0.8 else rng.randrange(depth)
            arg = {name: rng.randrange(1 << min(width, 10)) for name, width in fields.items()}
            ctx.set(dut.ev_valid, ev)
            ctx.set(dut.ev_addr, addr)
            ctx.set(dut.ev_arg, arg)
            if pending is None and not ack_now and rng.random() < 0.1:
                pending = [rng.randrange(depth), None]
                ctx.set(dut.rd_req, 1)
                ctx.set(dut.rd_addr, pending[0])
            # a read is served in a cycle without an event: its value is the word after every earlier event
            if pending is not None and pending[1] is None and not ev:
                pending[1] = dict(ref[pending[0]])
            if ev:
                apply(addr, arg)
            await ctx.tick()
        ctx.set(dut.ev_valid, 0)
        await ctx.tick().repeat(2)
        for addr in range(depth):         # final contents through the read port
            ctx.set(dut.rd_req, 1)
            ctx.set(dut.rd_addr, addr)
            while True:
                await ctx.tick()
                if ctx.get(dut.rd_ack):
                    break
            got = {name: getattr(ctx.get(dut.rd_data), name) for name in fields}
            assert got == ref[addr], (addr, got, ref[addr])
            ctx.set(dut.rd_req, 0)
            await ctx.tick()

    simulate(dut, tb)
    assert len(reads) > 50
