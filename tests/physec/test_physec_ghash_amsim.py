"""GHASH (rtl/physec/ghash.py) in the Amaranth simulator: the reduction derived from R against the bit-serial
SP 800-38D Algorithm 1 of the golden model, and the two-chain pipelined core against golden GHASH (the same
Algorithm 1, block by block) with idle / backpressure patterns, both key slots, keys loaded while the other slot
hashes, back-to-back messages, and the known-tail form (``pen`` / ``tail``) the PHYSec engine uses."""

import random

import pytest

from din.golden.physec.gcm import gf_mult
from din.rtl.physec.ghash import ONE, Ghash, mul_x, to_coeffs, x_power_mod
from din.sim.common.amsim import simulate
from din.sim.common.stall import stall_pattern

TAILS = (0x0123456789ABCDEF_FEDCBA9876543210, 0x70 << 64 | 32639 * 8)


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
        assert to_coeffs(to_coeffs(v)) == v


def run_ghash(dut, jobs, *, pattern, seed, reload_during=None):
    """``jobs``: list of (slot, h, [messages]); a message is a list of blocks, or (blocks, tail) with tail the
    1-based index into the core's tails (the last given block gets ``tail``, the one before it ``pen``). H of each job
    is loaded just before its messages (``reload_during``: (slot, h) loaded while the first job hashes). Returns the
    GHASH outputs in order."""
    got, n_expected = [], sum(len(msgs) for _, _, msgs in jobs)
    hs = [0, 0]

    async def load(ctx, slot, h):
        hs[slot] = h
        ctx.set(dut.h, hs)
        ctx.set(dut.h_load, 1 << slot)
        await ctx.tick()
        ctx.set(dut.h_load, 0)

    async def driver(ctx):
        stall = stall_pattern(pattern, seed=seed)
        for n, (slot, h, msgs) in enumerate(jobs):
            if n == 0 or hs[slot] != h:
                await load(ctx, slot, h)
            await ctx.tick().until(dut.h_ready.bit_select(slot, 1))
            if n == 0 and reload_during:
                await load(ctx, *reload_during)
            for msg in msgs:
                blocks, tail = msg if isinstance(msg, tuple) else (msg, 0)
                for j, x in enumerate(blocks):
                    while next(stall):
                        ctx.set(dut.i.valid, 0)
                        await ctx.tick()
                    last = j == len(blocks) - 1
                    pen = bool(tail) and j == len(blocks) - 2
                    fields = {"block": x, "slot": slot, "last": last, "tail": tail if last else 0}
                    if dut.key_select_in:        # the key decoded by the caller: H^3 for pen, H for a plain last
                        fields["kpow"] = 2 if pen else 0 if last and not tail else 1
                    else:
                        fields["pen"] = pen
                    ctx.set(dut.i.payload, fields)
                    ctx.set(dut.i.valid, 1)
                    await ctx.tick().until(dut.i.ready)
                ctx.set(dut.i.valid, 0)

    async def sink(ctx):
        stall = stall_pattern(pattern, seed=seed + 1)
        for _ in range(200_000):
            ready = not next(stall)
            ctx.set(dut.o.ready, ready)
            _, _, valid, payload = await ctx.tick().sample(dut.o.valid, dut.o.payload)
            if valid and ready:
                got.append(int(payload.s))
                if len(got) == n_expected:
                    break

    simulate(dut, driver, sink)
    return got


def expected(jobs, tails):
    out = []
    for _, h, msgs in jobs:
        for msg in msgs:
            blocks, tail = msg if isinstance(msg, tuple) else (msg, 0)
            out.append(ghash(h, list(blocks) + ([tails[tail - 1]] if tail else [])))
    return out


@pytest.mark.parametrize("key_select_in", [False, True], ids=["decode", "kpow"])
@pytest.mark.parametrize("pattern", ["none", "periodic", "random"])
def test_ghash_core_matches_golden(pattern, key_select_in, seed):
    r = random.Random(f"{seed}:ghash:{pattern}")

    def msg(n):
        return [r.getrandbits(128) for _ in range(n)]

    h0, h1 = r.getrandbits(128), r.getrandbits(128)
    jobs = [(0, h0, [msg(r.randint(1, 9)) for _ in range(3)] + [[0, 0], msg(1)]),
            (1, h1, [msg(r.randint(2, 9)) for _ in range(2)] + [(msg(5), 1), (msg(2), 2), (msg(1), 1)]),
            (0, h0, [(msg(r.randint(2, 12)), 2), msg(r.randint(1, 12))]),
            (1, r.getrandbits(128), [msg(7), (msg(4), 1)])]       # a new key in slot 1
    got = run_ghash(Ghash(tails=TAILS, key_select_in=key_select_in), jobs, pattern=pattern, seed=seed)
    assert got == expected(jobs, TAILS)
    assert got[3] == 0                                # the all-zero message: Y stays 0


def test_ghash_key_load_while_other_slot_hashes(seed):
    """Slot 1's keys are computed (about 640 cycles) while slot 0 hashes a long message at full rate."""
    r = random.Random(f"{seed}:ghash:reload")
    h0, h1 = r.getrandbits(128), r.getrandbits(128)
    jobs = [(0, h0, [[r.getrandbits(128) for _ in range(400)]]), (1, h1, [([r.getrandbits(128) for _ in range(9)], 1)])]
    got = run_ghash(Ghash(tails=TAILS), jobs, pattern="none", seed=seed, reload_during=(1, h1))
    assert got == expected(jobs, TAILS)


def test_ghash_rate_and_latency():
    """A block every two cycles; the result five cycles after the last block is taken; the keys ready 32 cycles per
    precomputed product (H^2, H^3, x^64·H^3) after the H load."""
    dut = Ghash()
    h = 0x66E94BD4EF8A2C3B884CFA59CA342B2E
    blocks = [random.Random(3).getrandbits(128) for _ in range(40)]
    marks = {}

    async def tb(ctx):
        ctx.set(dut.h[0], h)
        ctx.set(dut.h_load, 1)
        await ctx.tick()
        ctx.set(dut.h_load, 0)
        prep = 1
        while not ctx.get(dut.h_ready[0]):
            await ctx.tick()
            prep += 1
        marks["prep"] = prep
        ctx.set(dut.o.ready, 1)
        cycle = 0
        taken = []
        for j, x in enumerate(blocks):
            ctx.set(dut.i.payload, {"block": x, "slot": 0, "last": j == len(blocks) - 1})
            ctx.set(dut.i.valid, 1)
            while True:
                _, _, ready = await ctx.tick().sample(dut.i.ready)
                cycle += 1
                if ready:
                    taken.append(cycle)
                    break
        ctx.set(dut.i.valid, 0)
        while True:
            _, _, valid, payload = await ctx.tick().sample(dut.o.valid, dut.o.payload)
            cycle += 1
            if valid:
                marks.update(taken=taken, out=cycle, s=int(payload.s))
                break

    simulate(dut, tb)
    gaps = {b - a for a, b in zip(marks["taken"], marks["taken"][1:])}
    assert gaps == {2}, gaps
    assert marks["out"] - marks["taken"][-1] == dut.latency
    assert marks["s"] == ghash(h, blocks)
    assert marks["prep"] == 3 * 32 + 2, marks["prep"]
