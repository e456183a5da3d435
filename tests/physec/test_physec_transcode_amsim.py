"""256b/257b transcoder and detranscoder (rtl/physec/transcode.py) against the golden model
(golden/physec/transcode257.py, physec.md §3) in the Amaranth simulator, under idle and backpressure patterns."""

import random

import numpy as np
import pytest

from din.golden.physec.pcs6466 import BLOCK_TYPES, E_BLOCK, HDR_CTRL, HDR_DATA, IDLE_BLOCK
from din.golden.physec.transcode257 import decode_groups, encode_groups
from din.rtl.physec import transcode
from din.rtl.physec.transcode import Detranscoder257, Transcode257, Transcoder257
from din.sim.common.amsim import simulate
from din.sim.common.stall import PATTERNS, stall_pattern

SPEC_IDLE_ONES = {6, 7, 8, *range(66, 70), *range(130, 134), *range(194, 198)}     # physec.md §3 check


# ------------------------------------------------------------------------------------------------ stimulus

def random_groups(rng, n, *, p_data=0.6):
    """``n`` random valid groups: headers (n, 4) and payloads (n, 4); control blocks carry a random block type."""
    hdr = np.where(np.array([[rng.random() < p_data for _ in range(4)] for _ in range(n)]), HDR_DATA, HDR_CTRL)
    pay = np.array([[rng.getrandbits(64) for _ in range(4)] for _ in range(n)], dtype=np.uint64)
    types = np.array([[rng.choice(BLOCK_TYPES) for _ in range(4)] for _ in range(n)], dtype=np.uint64)
    ctrl = hdr == HDR_CTRL
    pay[ctrl] = (pay[ctrl] & ~np.uint64(0xFF)) | types[ctrl]
    return hdr.astype(np.uint8), pay


def every_type_in_every_position(rng):
    """Each of the 15 block types in each of the 4 positions, with the other blocks random data or control (so the
    type is sometimes the first control block and sometimes not) and once with all other blocks data."""
    hdrs, pays = [], []
    for pos in range(4):
        for t in BLOCK_TYPES:
            for others in ("data", "random", "random"):
                h, p = random_groups(rng, 1, p_data=1.0 if others == "data" else 0.5)
                h[0, pos] = HDR_CTRL
                p[0, pos] = (int(p[0, pos]) & ~0xFF) | t
                hdrs.append(h[0])
                pays.append(p[0])
    return np.array(hdrs, dtype=np.uint8), np.array(pays, dtype=np.uint64)


def bits_to_int(bits):
    return int("".join(str(int(b)) for b in reversed(bits)), 2)


def int_to_bits(value):
    return np.array([(value >> i) & 1 for i in range(257)], dtype=np.uint8)


def blocks_of(hdr, pay):
    """(N, 4) arrays -> flat list of (header, payload) in stream order."""
    return [(int(h), int(p)) for hrow, prow in zip(hdr, pay) for h, p in zip(hrow, prow)]


# ------------------------------------------------------------------------------------------------ stream drivers

async def send(ctx, stream, items, *, pattern="none", seed=0, block66=True):
    stall = stall_pattern(pattern, seed=seed)
    for item in items:
        while next(stall):
            ctx.set(stream.valid, 0)
            await ctx.tick()
        ctx.set(stream.payload, {"header": item[0], "payload": item[1]} if block66 else item)
        ctx.set(stream.valid, 1)
        await ctx.tick().until(stream.ready)
    ctx.set(stream.valid, 0)


async def recv(ctx, stream, count, *, pattern="none", seed=0, block66=True, out=None, cycles_log=None,
               max_cycles=2_000_000, pulses=None):
    """Collect ``count`` beats into ``out``; ``pulses`` = (signal, list): cycles where signal is 1 are appended."""
    stall = stall_pattern(pattern, seed=seed)
    cycle = 0
    while len(out) < count:
        ready = not next(stall)
        ctx.set(stream.ready, ready)
        sampled = [stream.valid, stream.payload] + ([pulses[0]] if pulses else [])
        _, _, valid, payload, *rest = await ctx.tick().sample(*sampled)
        cycle += 1
        assert cycle < max_cycles, f"timeout with {len(out)} of {count} beats"
        if pulses and rest[0]:
            pulses[1].append(cycle)
        if ready and valid:
            out.append((int(payload.header), int(payload.payload)) if block66 else int(payload))
            if cycles_log is not None:
                cycles_log.append(cycle)
    ctx.set(stream.ready, 0)


def stream_through(dut, items, n_out, *, block66_in, block66_out, pulse):
    """No stalls, one testbench (twice as fast as a source and a sink for the 10^4-group runs): every cycle offer the
    next item and take whatever comes out. Returns ``(outputs, cycles where pulse was 1)``."""
    got, pulses = [], []

    async def tb(ctx):
        ctx.set(dut.o.ready, 1)
        k, cycle = 0, 0
        while len(got) < n_out:
            if k < len(items):
                item = items[k]
                ctx.set(dut.i.payload, {"header": item[0], "payload": item[1]} if block66_in else item)
            ctx.set(dut.i.valid, k < len(items))
            _, _, ready, valid, payload, p = await ctx.tick().sample(dut.i.ready, dut.o.valid, dut.o.payload, pulse)
            cycle += 1
            assert cycle < 8 * len(items) + 100, "timeout"
            k += bool(ready and k < len(items))
            if p:
                pulses.append(cycle)
            if valid:
                got.append((int(payload.header), int(payload.payload)) if block66_out else int(payload))

    simulate(dut, tb)
    return got, pulses


def run_transcoder(blocks, *, pattern_in="none", pattern_out="none", seed=0):
    dut = Transcoder257()
    got, errs = [], []

    async def src(ctx):
        await send(ctx, dut.i, blocks, pattern=pattern_in, seed=seed)

    async def snk(ctx):
        await recv(ctx, dut.o, len(blocks) // 4, pattern=pattern_out, seed=seed + 1, block66=False, out=got,
                   pulses=(dut.hdr_err, errs))

    simulate(dut, src, snk)
    return got, errs


def run_detranscoder(words, *, pattern_in="none", pattern_out="none", seed=0):
    dut = Detranscoder257()
    got, errs = [], []

    async def src(ctx):
        await send(ctx, dut.i, words, pattern=pattern_in, seed=seed, block66=False)

    async def snk(ctx):
        await recv(ctx, dut.o, 4 * len(words), pattern=pattern_out, seed=seed + 1, out=got,
                   pulses=(dut.xcode_err, errs))

    simulate(dut, src, snk)
    return got, errs


# ------------------------------------------------------------------------------------------------ tests

def test_spec_check_all_idle():
    """physec.md §3: four idle blocks give ones only at 6, 7, 8, 66–69, 130–133, 194–197 (and the golden agrees)."""
    got, errs = run_transcoder([IDLE_BLOCK] * 4)
    assert {i for i in range(257) if got[0] >> i & 1} == SPEC_IDLE_ONES
    assert got[0] == bits_to_int(encode_groups([[HDR_CTRL] * 4], [[IDLE_BLOCK[1]] * 4])[0])
    assert errs == []
    back, errs = run_detranscoder(got)
    assert back == [IDLE_BLOCK] * 4 and errs == []


def test_constants_agree_with_golden():
    """The RTL's own block-type list and /E/ payload (kept apart from the golden model on purpose) agree with it."""
    assert set(transcode.BLOCK_TYPES) == set(BLOCK_TYPES)
    assert (transcode.SYNC_CTRL, transcode.E_PAYLOAD) == E_BLOCK


def test_transcoder_10k_random_groups_vs_golden(seed):
    """≥ 10^4 random valid groups plus every block type in every position, no stalls: the 257b blocks equal the
    golden encoder's, and the 257b side runs at one block every four cycles."""
    rng = random.Random(f"{seed}:tx10k")
    h1, p1 = every_type_in_every_position(rng)
    h2, p2 = random_groups(rng, 10_000)
    hdr, pay = np.concatenate([h1, h2]), np.concatenate([p1, p2])
    expect = [bits_to_int(row) for row in encode_groups(hdr, pay)]
    dut = Transcoder257()
    got, errs = stream_through(dut, blocks_of(hdr, pay), len(expect), block66_in=True, block66_out=False,
                               pulse=dut.hdr_err)
    bad = [i for i, (g, e) in enumerate(zip(got, expect)) if g != e]
    assert not bad, f"{len(bad)} groups differ; first {bad[0]}: blocks {blocks_of(hdr[bad[0]:bad[0] + 1], pay[bad[0]:bad[0] + 1])}"
    assert len(got) == len(expect) and errs == []


def test_detranscoder_10k_groups_and_errors_vs_golden(seed):
    """Golden-encoded random groups, every type in every position, the error cases (mask 1111; every low nibble,
    including 0, the one no block type has) and random 257-bit words: the 66b blocks and ``xcode_err`` equal the
    golden decoder's."""
    rng = random.Random(f"{seed}:rx10k")
    h1, p1 = every_type_in_every_position(rng)
    h2, p2 = random_groups(rng, 10_000)
    words = encode_groups(np.concatenate([h1, h2]), np.concatenate([p1, p2]))
    errors = []
    for k in range(4):                                 # first control block k, every low nibble
        for low in range(16):
            w = int_to_bits(rng.getrandbits(257))
            w[0] = 0
            w[1:5] = [1] * k + [0] + [rng.randrange(2) for _ in range(3 - k)]
            w[5 + 64 * k:9 + 64 * k] = [(low >> b) & 1 for b in range(4)]
            errors.append(w)
    for _ in range(50):                                # x<0> = 0 with mask 1111
        w = int_to_bits(rng.getrandbits(257))
        w[0], w[1:5] = 0, 1
        errors.append(w)
    garbage = [int_to_bits(rng.getrandbits(257)) for _ in range(500)]
    words = np.concatenate([words, np.array(errors), np.array(garbage)])
    order = list(range(len(words)))
    rng.shuffle(order)
    words = words[order]
    exp_hdr, exp_pay, exp_err = decode_groups(words)
    assert exp_err.sum() >= 50 + 4 * 1, "the error cases did not reach the golden decoder"
    expect = blocks_of(exp_hdr, exp_pay)
    dut = Detranscoder257()
    got, errs = stream_through(dut, [bits_to_int(w) for w in words], len(expect), block66_in=False, block66_out=True,
                               pulse=dut.xcode_err)
    bad = [i for i, (g, e) in enumerate(zip(got, expect)) if g != e]
    assert not bad, f"{len(bad)} blocks differ; first at block {bad[0]}: got {got[bad[0]]}, expected {expect[bad[0]]}"
    assert len(got) == len(expect)
    # one xcode_err pulse per erroneous word, in the cycle it is accepted (no stalls: word n at cycle 4n + 1)
    assert len(errs) == int(exp_err.sum())
    assert [c // 4 for c in errs] == [int(i) for i in np.flatnonzero(exp_err)]


@pytest.mark.parametrize("pattern_out", PATTERNS)
@pytest.mark.parametrize("pattern_in", PATTERNS)
def test_round_trip_under_stalls(pattern_in, pattern_out, seed):
    """Transcoder → detranscoder under every idle / backpressure pattern pair: blocks out = blocks in, no errors;
    and each half alone matches the golden model under the same patterns."""
    rng = random.Random(f"{seed}:rt:{pattern_in}:{pattern_out}")
    hdr, pay = random_groups(rng, 300, p_data=rng.choice([0.5, 0.9]))
    blocks = blocks_of(hdr, pay)
    dut = Transcode257()
    got, errs = [], []

    async def src(ctx):
        await send(ctx, dut.s_axis, blocks, pattern=pattern_in, seed=rng.randrange(1 << 20))

    async def snk(ctx):
        await recv(ctx, dut.m_axis, len(blocks), pattern=pattern_out, seed=rng.randrange(1 << 20), out=got,
                   pulses=(dut.xcode_err, errs))

    simulate(dut, src, snk)
    assert got == blocks and errs == []

    words, _ = run_transcoder(blocks, pattern_in=pattern_in, pattern_out=pattern_out, seed=rng.randrange(99))
    assert words == [bits_to_int(r) for r in encode_groups(hdr, pay)]
    back, _ = run_detranscoder(words, pattern_in=pattern_in, pattern_out=pattern_out, seed=rng.randrange(99))
    assert back == blocks


def test_invalid_sync_header_becomes_e_block(seed):
    """A 66b block with sync header 00 or 11 is transcoded as an /E/ block and ``hdr_err`` pulses once for it."""
    rng = random.Random(f"{seed}:hdr")
    hdr, pay = random_groups(rng, 40)
    bad = {}
    for g in range(0, 40, 3):
        j = rng.randrange(4)
        bad[(g, j)] = rng.choice([0b00, 0b11])
    blocks = blocks_of(hdr, pay)
    ref_hdr, ref_pay = hdr.copy(), pay.copy()
    for (g, j), h in bad.items():
        blocks[4 * g + j] = (h, blocks[4 * g + j][1])
        ref_hdr[g, j], ref_pay[g, j] = E_BLOCK
    got, errs = run_transcoder(blocks, pattern_in="random", pattern_out="random", seed=3)
    assert got == [bits_to_int(r) for r in encode_groups(ref_hdr, ref_pay)]
    assert len(errs) == len(bad)


def test_full_rate_and_latency():
    """No stalls: one 66b beat per cycle in and out of the round trip; the first block comes out a fixed few cycles
    after it went in (the fourth block of the group, plus one register in each half)."""
    rng = random.Random(7)
    hdr, pay = random_groups(rng, 50)
    blocks = blocks_of(hdr, pay)
    dut = Transcode257()
    got, cycles = [], []

    async def src(ctx):
        await send(ctx, dut.s_axis, blocks)

    async def snk(ctx):
        await recv(ctx, dut.m_axis, len(blocks), out=got, cycles_log=cycles)

    simulate(dut, src, snk)
    assert got == blocks
    assert cycles[-1] - cycles[0] == len(blocks) - 1, "gaps in the 66b output with no backpressure"
    # block 0 goes in at sampled cycle 1, block 3 at 4; the 257b register loads then, the detranscoder's at 5
    assert cycles[0] == 6, f"first block out at cycle {cycles[0]} (latency {cycles[0] - 1}, 5 expected)"


def test_ready_rules():
    """Transcoder: blocks 0..2 of a group are accepted even while the output register is stalled; the fourth waits.
    Detranscoder: a new 257b block is accepted only with the fourth 66b block of the previous one."""
    tx = Transcoder257()

    async def tb_tx(ctx):
        ctx.set(tx.o.ready, 0)
        ctx.set(tx.i.valid, 1)
        ctx.set(tx.i.payload, {"header": HDR_DATA, "payload": 1})
        accepted = 0
        for _ in range(12):
            accepted += ctx.get(tx.i.ready)
            await ctx.tick()
        assert accepted == 7, accepted              # one full group in the output register + 3 held blocks

    simulate(tx, tb_tx)
    rx = Detranscoder257()

    async def tb_rx(ctx):
        ctx.set(rx.o.ready, 1)
        ctx.set(rx.i.valid, 1)
        ready = []
        for _ in range(10):
            ready.append(ctx.get(rx.i.ready))
            await ctx.tick()
        assert ready == [1, 0, 0, 0, 1, 0, 0, 0, 1, 0], ready

    simulate(rx, tb_rx)
