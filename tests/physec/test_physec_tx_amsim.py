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

def run_tx_amsim(*, frames, ppm_client=0, fc_init=0x1122334455667700, an=2, seed=1, kcc=b""):
    """Simulate PhysecTx in the Amaranth simulator for ``frames`` frames; return (got words, golden words, info)."""
    fs = 10**15
    t_line = 6206062                       # fs, even (≈ 161.1328 MHz); line edges at odd fs
    t_client = 2 * round(6400000 / (1 + ppm_client / 1e6) / 2)   # fs, even; client edges at even fs
    ph_line, ph_client = 3001, 1000
    trace = make_trace(seed, 4 * 1100 * (frames + 1))
    from din.golden.physec.transmitter import Transmitter
    from din.golden.physec.security import KeyConfig
    n_blocks = 1100 * (frames + 1)
    blocks = blocks_as_ints(Transmitter(trace, KeyConfig(mode="clear")).client_blocks(0, n_blocks))
    dut = PhysecTx()
    i0 = 3                                   # block k is written at client edge i0 + 4k
    got, samples, status = [], [], {}
    total_words = 4112 * frames + 64
    done = [False]

    async def client(ctx):
        c = 0
        while not done[0]:
            k, r = divmod(c - i0, 4)
            if c >= i0 and r == 0 and k < n_blocks:
                ctx.set(dut.s_axis.payload, blocks[k])
                ctx.set(dut.s_axis.valid, 1)
            else:
                ctx.set(dut.s_axis.valid, 0)
            await ctx.tick("sync")
            c += 1

    async def line(ctx):
        ctx.set(dut.enable, 1)
        ctx.set(dut.fc_init, fc_init)
        ctx.set(dut.an, an)
        ctx.set(dut.m_axis.ready, 1)
        queue = list(kcc)
        e = 0
        while len(got) < total_words:
            if queue and samples and e > samples[0] + 100:      # KCC octets during frame 0: they go into frame 1
                ctx.set(dut.kcc.payload, queue[0])
                ctx.set(dut.kcc.valid, 1)
            else:
                ctx.set(dut.kcc.valid, 0)
            _, _, valid, word, sample, kready = await ctx.tick("line").sample(
                dut.m_axis.valid, dut.m_axis.payload, dut.sample, dut.kcc.ready)
            if queue and kready and ctx.get(dut.kcc.valid):
                queue.pop(0)
            if sample:
                samples.append(e)
            if valid:
                got.append(word)
            e += 1
        for name in ("overflow", "underflow", "gap", "blocks_carried", "frames"):
            status[name] = ctx.get(getattr(dut, name))
        done[0] = True

    sim = Simulator(dut)
    sim.add_clock(t_line / fs, phase=ph_line / fs, domain="line")
    sim.add_clock(t_client / fs, phase=ph_client / fs, domain="sync")
    sim.add_testbench(client, background=True)
    sim.add_testbench(line)
    sim.run()

    # times in fs: line edge e at ph_line + e·t_line, client edge i at ph_client + i·t_client
    s0 = ph_line + samples[0] * t_line
    c0 = ph_client + i0 * t_client
    assert all(b - a == 4112 for a, b in zip(samples, samples[1:]))
    ppm, start, latency = golden_clock(t_line=t_line, s0=s0, t_client=t_client, c0=c0)
    dump, gtx = golden_tx(trace, frames=frames, ppm=ppm, start=start, latency=latency, fc_init=fc_init, an=an,
                          kcc_at={1: kcc})
    return np.array(got[:4112 * frames], dtype=np.uint64), line_words(dump), {"status": status, "golden": gtx,
                                                                             "ppm": ppm}


def describe_mismatch(got, want):
    """Name the first differing word with its frame, region and the overhead as parsed by the golden model."""
    diff = np.flatnonzero(got != want)
    if not len(diff):
        return ""
    w = int(diff[0])
    n, wi = divmod(w, 4112)
    region = "AM" if wi < 2 else ("overhead" if wi < 32 else f"payload slot ~{(64 * wi - 2056) // 257 + 1}")
    msg = [f"{len(diff)} words differ; first: word {w} (frame {n} word {wi}, {region}): "
           f"got {int(got[w]):#018x} want {int(want[w]):#018x}"]
    for name, words in (("got", got), ("want", want)):
        fb = words[4112 * n:4112 * (n + 1)].astype("<u8").tobytes()
        _, body = line_to_body(np.frombuffer(fb, dtype=np.uint8))
        oh, ok = Overhead.parse((body ^ FRAME_MASK_OCTETS)[:64])
        msg.append(f"{name}: {oh} crc_ok={ok}")
    return "\n".join(msg)


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
