"""PRBS31 line scrambler words (rtl/physec/prbs31.py) against the spec's check value and the golden model
(golden/physec/prbs.py, physec.md §6), in the Amaranth simulator."""

import functools
import random

import numpy as np
import pytest

from din.golden.physec.prbs import FRAME_MASK, prbs31, prbs31_serial
from din.rtl.physec.consts import FRAME_WORDS, OH_START_BIT, PRBS31_FIRST64
from din.rtl.physec.prbs31 import Prbs31Words, lfsr_step_matrix, mat_pow, mat_vec, output_rows
from din.sim.common.amsim import simulate
from din.sim.common.stall import stall_pattern

SPEC_CHECK = 0x0000000E000000FC          # physec.md §6: first 64 output bits, MSB = first bit


def _bits_to_word(bits):
    """bits[i] -> word bit i."""
    return int("".join(str(int(b)) for b in reversed(bits)), 2) if len(bits) else 0


@functools.cache
def _frame_words():
    """Golden scrambler word of every line word of one frame: word w bit i = mask bit of f[64w + i] (0 before f[120])."""
    full = np.concatenate([np.zeros(OH_START_BIT, dtype=np.uint8), FRAME_MASK])
    return [_bits_to_word(full[64 * w:64 * w + 64]) for w in range(FRAME_WORDS)]


def test_matrices_match_the_bit_serial_rule():
    """The GF(2) matrices reproduce the serial rule of §6 from arbitrary states (not only all ones)."""
    step, out_row = lfsr_step_matrix()
    rows = output_rows(step, out_row, 100)
    jump = mat_pow(step, 100)
    rng = random.Random(5)
    for _ in range(20):
        s = rng.getrandbits(31)
        serial = prbs31_serial(101, state=s)
        assert [mat_vec([r], s) for r in rows] == serial[:100]
        # the state after 100 steps gives the 101st bit
        assert mat_vec([out_row], mat_vec(jump, s)) == serial[100]


def test_first_word_constant_is_the_spec_check_value():
    assert PRBS31_FIRST64 == SPEC_CHECK
    dut = Prbs31Words(width=128, start_bit=64)
    dut._MustUse__silence = True                      # only its constants are read
    assert dut.first_word >> 64 == int(f"{SPEC_CHECK:064b}"[::-1], 2)       # o[0] in bit 64
    assert dut.first_word & ((1 << 64) - 1) == 0


def _run(dut, pattern, restarts, n_cycles, seed):
    """Drive ``advance`` with ``pattern`` and ``restart`` at the cycles in ``restarts``; log (restart, advance, word)."""
    log = []

    async def tb(ctx):
        stall = stall_pattern(pattern, seed=seed)
        for cycle in range(n_cycles):
            adv = not next(stall)
            rs = cycle in restarts
            ctx.set(dut.advance, adv)
            ctx.set(dut.restart, rs)
            log.append((rs, adv, ctx.get(dut.word)))
            await ctx.tick()

    simulate(dut, tb)
    return log


def test_check_value_in_a_64_bit_word_pair():
    """Line words 1 and 2 carry the first 8 + 64 PRBS bits; read MSB-first they give the §6 check value."""
    dut = Prbs31Words()
    log = _run(dut, "none", {0}, 3, 0)
    w1, w2 = log[0][2], log[1][2]
    assert w1 & ((1 << 56) - 1) == 0
    bits = [(w1 >> i) & 1 for i in range(56, 64)] + [(w2 >> i) & 1 for i in range(64)]
    assert int("".join(map(str, bits[:64])), 2) == SPEC_CHECK
    assert bits == list(prbs31(72))


@pytest.mark.parametrize("pattern", ["none", "periodic", "random"])
def test_frames_against_golden(pattern, seed):
    """Two frames of line words (restart at word 1 of each) under an advance pattern equal the golden frame mask."""
    golden = _frame_words()
    rng = random.Random(f"{seed}:prbs:{pattern}")
    dut = Prbs31Words()
    frames = 2
    # cycles: the testbench walks words 1..4111 of each frame; restart is asserted whenever word 1 is current
    words_needed = frames * (FRAME_WORDS - 1)
    n_cycles = int(words_needed * (1 / 0.6 if pattern != "none" else 1)) + 200
    log = []

    async def tb(ctx):
        stall = stall_pattern(pattern, seed=rng.randrange(1 << 30))
        w, done = 1, 0
        for _ in range(n_cycles):
            if done == words_needed:
                break
            adv = not next(stall)
            ctx.set(dut.restart, w == 1)
            ctx.set(dut.advance, adv)
            log.append((w, ctx.get(dut.word)))
            if adv:
                w = 1 if w == FRAME_WORDS - 1 else w + 1
                done += 1
            await ctx.tick()
        assert done == words_needed, "testbench ran out of cycles"

    simulate(dut, tb)
    assert len(log) >= words_needed
    bad = [(i, w) for i, (w, got) in enumerate(log) if got != golden[w]]
    assert not bad, f"{len(bad)} wrong words; first at cycle {bad[0][0]}, word {bad[0][1]}"


@pytest.mark.parametrize("width,start_bit", [(64, 56), (64, 0), (32, 24), (128, 120), (8, 3)])
def test_any_width_and_restart_anywhere(width, start_bit, seed):
    """Random advance and restart (also mid-frame, also with advance low, also after reset) give the PRBS stream:
    word after a restart = o[0..], bits below start_bit zero, each advance moves on by ``width`` bits."""
    rng = random.Random(f"{seed}:any:{width}:{start_bit}")
    ref = prbs31(3001 * width)
    dut = Prbs31Words(width=width, start_bit=start_bit)
    restarts = {c for c in range(1, 3000) if rng.random() < 0.02}
    log = _run(dut, "random", restarts, 3000, rng.randrange(1 << 30))
    pos = 0                       # offset of the current word's bit 0 in the PRBS, from the start_bit origin
    seen_restart_hold = False
    for cycle, (rs, adv, word) in enumerate(log):
        if rs:
            pos = 0
            seen_restart_hold |= not adv
        lo = 0 if pos else start_bit
        expect = 0
        for i in range(lo, width):
            expect |= int(ref[pos + i - start_bit]) << i
        assert word == expect, f"cycle {cycle}: word {word:#x} expected {expect:#x}"
        if adv:
            pos += width
    assert seen_restart_hold


def test_parameters_are_validated():
    with pytest.raises(ValueError, match="start_bit"):
        Prbs31Words(width=64, start_bit=64)
    with pytest.raises(TypeError, match="width"):
        Prbs31Words(width=64.0)
    dut = Prbs31Words()
    dut._MustUse__silence = True
    assert dut.params == {"width": 64, "start_bit": 56}
