"""GHASH (rtl/physec/ghash.py) in the Amaranth simulator: the reduction derived from R against the bit-serial
SP 800-38D Algorithm 1 of the golden model, and the core against golden GHASH for every digit width, with idle
patterns, H reloads and back-to-back messages."""

import random

import pytest

from din.golden.physec.gcm import gf_mult
from din.rtl.physec.ghash import ONE, Ghash, mul_x, x_power_mod
from din.sim.common.amsim import simulate
from din.sim.common.stall import stall_pattern


def ghash(h, blocks):
    y = 0
    for x in blocks:
        y = gf_mult(y ^ x, h)
    return y


def test_ghash_derived_reduction_matches_algorithm1():
    r = random.Random(7)
    x = ONE >> 1                                   # the element x (coefficient 1)
    powers = x_power_mod(260)
    acc = ONE
    for k in range(260):
        assert powers[k] == acc
        acc = gf_mult(acc, x)
    for _ in range(50):
        v = r.getrandbits(128)
        assert mul_x(v) == gf_mult(v, x)


def run_ghash(dut, jobs, *, pattern, seed):
    """``jobs``: list of (h, [messages]); returns the GHASH outputs in order."""
    got, n_expected = [], sum(len(msgs) for _, msgs in jobs)

    async def driver(ctx):
        stall = stall_pattern(pattern, seed=seed)
        for h, msgs in jobs:
            await ctx.tick().until(dut.h_ready)
            ctx.set(dut.h, h)
            ctx.set(dut.h_load, 1)
            await ctx.tick()
            ctx.set(dut.h_load, 0)
            for msg in msgs:
                for j, x in enumerate(msg):
                    while next(stall):
                        ctx.set(dut.i.valid, 0)
                        await ctx.tick()
                    ctx.set(dut.i.payload, {"block": x, "last": j == len(msg) - 1})
                    ctx.set(dut.i.valid, 1)
                    await ctx.tick().until(dut.i.ready)
                ctx.set(dut.i.valid, 0)

    async def sink(ctx):
        stall = stall_pattern(pattern, seed=seed + 1)
        for _ in range(100_000):
            ready = not next(stall)
            ctx.set(dut.o.ready, ready)
            _, _, valid, payload = await ctx.tick().sample(dut.o.valid, dut.o.payload)
            if valid and ready:
                got.append(int(payload.s))
                if len(got) == n_expected:
                    break

    simulate(dut, driver, sink)
    return got


@pytest.mark.parametrize("digit_bits,pattern", [(64, "random"), (32, "periodic"), (128, "none")])
def test_ghash_core_matches_golden(digit_bits, pattern, seed):
    r = random.Random(f"{seed}:ghash:{digit_bits}")
    jobs = [(r.getrandbits(128), [[r.getrandbits(128) for _ in range(r.randint(1, 4))] for _ in range(3)])
            for _ in range(2)]
    jobs[0][1].append([0, 0])                       # an all-zero message: Y stays 0
    got = run_ghash(Ghash(digit_bits=digit_bits), jobs, pattern=pattern, seed=seed)
    assert got == [ghash(h, msg) for h, msgs in jobs for msg in msgs]
    assert got[len(jobs[0][1]) - 1] == 0
