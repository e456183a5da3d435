"""PHYSec TX framer in the Amaranth simulator: every stage against the golden model, then the whole framer over
frames, line word for line word (expected values from the golden transmitter only)."""

from fractions import Fraction
import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from din.golden.physec import crc as gcrc
from din.golden.physec.frame import Overhead, line_to_body
from din.golden.physec.gmp import jc_encode, slot_mask
from din.golden.physec.prbs import FRAME_MASK_OCTETS
from din.rtl.physec.tx_frame import OH_CRC16, LineGearbox
from din.rtl.physec.tx_gmp import JC_CRC8, CmController, GmpSlots
from din.rtl.physec.tx_top import PhysecTx
from din.sim.physec.tb_tx_model import blocks_as_ints, golden_clock, golden_tx, line_words, make_trace
from din.sim.physec.tx_amsim import describe_mismatch, run_tx_amsim


def _sim(dut, tb, period=1e-8):
    sim = Simulator(dut)
    sim.add_clock(period, domain="line")
    sim.add_testbench(tb)
    sim.run()


def test_physec_tx_crc_check_values():
    """lib.crc parameters of JC3 and OHCRC16 give the spec's check values (physec.md §4)."""
    assert JC_CRC8(data_width=8).compute(b"123456789") == 0x01 == gcrc.CRC8_JC(b"123456789")
    assert OH_CRC16(data_width=8).compute(b"123456789") == 0x29B1 == gcrc.CRC16_OH(b"123456789")


def test_physec_tx_cm_controller_vs_golden(seed):
    """Random FIFO histories: Cm(n+1) and the JC octets equal the golden rule and jc_encode (CRC-8 included)."""
    rng = random.Random(f"{seed}:cm")
    dut = CmController(ptr_bits=11, target=8)
    # golden rule, written here from docs/physec.md (x = L − Cm(n) + 2·997 − TARGET) and checked by jc_encode
    cases = []
    written, taken, cm_n = 0, 0, 0
    for n in range(300):
        level = rng.choice([0, 5, 8, 9, 30, 990, 1003, rng.randrange(0, 1024)]) if n % 7 == 0 else \
            max(0, min(1023, 8 + cm_n + rng.randrange(-20, 20)))
        written = taken + level
        x = level - cm_n + 2 * 997 - 8
        nxt = 1016 if x >= 1016 else (x if x >= 980 else 0)
        cases.append((written % 2048, cm_n, nxt))
        taken += cm_n
        cm_n = nxt

    async def tb(ctx):
        for w, cm, nxt in cases:
            ctx.set(dut.written, w)
            ctx.set(dut.sample, 1)
            await ctx.tick("line")
            ctx.set(dut.sample, 0)
            for _ in range(dut.LATENCY - 1):
                assert ctx.get(dut.done) == 0
                await ctx.tick("line")
            assert ctx.get(dut.done) == 1
            assert ctx.get(dut.cm) == cm and ctx.get(dut.cm_next) == nxt, (w, cm, nxt)
            assert ctx.get(dut.jc).to_bytes(3, "big") == jc_encode(nxt)
    _sim(dut, tb)


@pytest.mark.parametrize("cm", [0, 1, 500, 980, 996, 997, 998, 1015, 1016])
def test_physec_tx_gmp_slots_vs_golden(cm):
    dut = GmpSlots()
    want = slot_mask(cm)

    async def tb(ctx):
        ctx.set(dut.cm, cm)
        ctx.set(dut.start, 1)
        await ctx.tick("line")
        ctx.set(dut.start, 0)
        ctx.set(dut.step, 1)
        got = []
        for _ in range(1016):
            got.append(ctx.get(dut.data))
            await ctx.tick("line")
        assert np.array_equal(np.array(got, dtype=bool), want)
    _sim(dut, tb)


def test_physec_tx_gearbox_bit_positions(seed):
    """Random units with random input gaps (never starving): word w bit i is stream bit 64w + i, unit u at 257u."""
    rng = random.Random(f"{seed}:gearbox")
    n_units = 200
    units = [rng.getrandbits(257) for _ in range(n_units)]
    stream = 0
    for k, v in enumerate(units):
        stream |= v << (257 * k)
    n_words = (257 * n_units) // 64 - 2
    dut = LineGearbox()

    async def tb(ctx):
        words, k, cycles = [], 0, 0
        while len(words) < n_words:
            idle = rng.random() < 0.3 and cycles > 0
            if k < n_units and not idle:
                ctx.set(dut.i.payload, units[k])
                ctx.set(dut.i.valid, 1)
            else:
                ctx.set(dut.i.valid, 0)
            ctx.set(dut.emit, int(cycles >= 12))
            _, _, ready, word = await ctx.tick("line").sample(dut.i.ready, dut.word)
            if ctx.get(dut.i.valid) and ready:
                k += 1
            if cycles >= 12:
                words.append(word)
            cycles += 1
        for w, word in enumerate(words):
            assert word == (stream >> (64 * w)) & ((1 << 64) - 1), f"word {w}"
        assert ctx.get(dut.gap) == 0
    _sim(dut, tb)


# ---------------------------------------------------------------------------------------------- the whole framer

def test_physec_tx_frames_vs_golden_amsim(seed):
    """Three frames (about 40 s: the long runs are the cocotb tests on Verilator), KCC octets in frames 1 and 2."""
    frames = 3
    got, want, info = run_tx_amsim(frames=frames, seed=seed, kcc=bytes(range(1, 40)))
    assert len(got) == len(want)
    assert np.array_equal(got, want), describe_mismatch(got, want)
    st = info["status"]
    assert st["overflow"] == 0 and st["underflow"] == 0 and st["gap"] == 0
    g = info["golden"]
    assert g.controller.underflow == 0
    assert [f.cm for f in g.log] == [0] + [1016] * (frames - 1)
