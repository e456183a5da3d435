"""PHYSec RX stages (rtl/physec/rx_*.py) in the Amaranth simulator, against the golden model (golden/physec).

The full receiver is too big for the Python simulator at frame scale (a few hundred cycles per second), so the chain
after the aligner runs here on frame-aligned golden words, the aligner once on one offset, and the whole receiver at
every offset class, with slips and errors, in cocotb (tests/physec/test_physec_rx_top.py)."""

import random

import numpy as np
import pytest
from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from din.golden.physec.crc import CRC8_JC, CRC16_OH
from din.golden.physec.gmp import slot_mask
from din.rtl.physec.consts import FRAME_WORDS
from din.rtl.physec.rx_align import RX_ALIGNED, RxAlign
from din.rtl.physec.rx_frame import JC_CRC8, OHCRC16, RxFrame
from din.rtl.physec.rx_gmp import E_BLOCK257, RX_BLOCK, RxGmp
from din.sim.physec.tb_rx_golden import E_BLOCK_INT, FRAME_BITS, golden_line_bits, make_stimulus, words_of

from amaranth.lib import stream


def test_physec_rx_e_block_is_the_golden_one():
    assert E_BLOCK257 == E_BLOCK_INT


def test_physec_rx_crc_parameters_check_values():
    assert OHCRC16(data_width=8).compute(b"123456789") == 0x29B1 == CRC16_OH(b"123456789")     # physec.md §4
    assert JC_CRC8(data_width=8).compute(b"123456789") == 0x01 == CRC8_JC(b"123456789")


def test_physec_rx_crc_wide_processors_match_golden(seed):
    r = random.Random(seed)
    cases = [bytes(r.randrange(256) for _ in range(14)) for _ in range(20)]
    p16, p8 = OHCRC16(data_width=112).create(), JC_CRC8(data_width=16).create()
    m = Module()
    m.submodules += [p16, p8]

    async def tb(ctx):
        for aad in cases:
            for p, msg in ((p16, aad), (p8, aad[:2])):
                ctx.set(p.start, 1), ctx.set(p.valid, 1), ctx.set(p.data, int.from_bytes(msg, "big"))
            await ctx.tick()
            for p in (p16, p8):
                ctx.set(p.start, 0), ctx.set(p.valid, 0)
            await ctx.tick()
            assert ctx.get(p16.crc) == CRC16_OH(aad)
            assert ctx.get(p8.crc) == CRC8_JC(aad[:2])
    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()


# ---------------------------------------------------------------------------------------------------- GMP demapper

def _gmp_reference(frames):
    """Spec-level reference of physec.md §5 with the golden receiver's rules (docs/physec.md): per frame
    (kind, jc_ok, cm_new, deliver) → expected (block index or 'E') list, slot by slot."""
    out = []
    cm_next = cm_last = None
    delivering = False
    for kind, jc_ok, cm_new, deliver in frames:
        if kind == "presync":
            cm_next = cm_new if jc_ok else None
            cm_last, delivering = cm_next, False
            out.append([])
            continue
        e_count = cm_next if cm_next is not None else (cm_last if delivering else 0)
        delivering |= cm_next is not None
        data = cm_next is not None and deliver and kind != "replay"
        sel = np.flatnonzero(slot_mask(e_count)) if (delivering and e_count) else []
        out.append([(int(j), data) for j in sel])
        if kind != "replay":
            cm_next = cm_new if jc_ok else None
            if jc_ok:
                cm_last = cm_new
    return out


def test_physec_rx_gmp_rules(seed):
    r = random.Random(seed)
    frames = [("presync", True, 0, True), ("sync", True, 1016, True), ("sync", True, 996, True),
              ("sync", False, 997, True), ("sync", True, 980, True), ("replay", False, 0, True),
              ("sync", True, 997, False), ("sync", True, 0, True), ("sync", True, 1000, True),
              ("presync", False, 999, True), ("sync", True, 997, True), ("sync", True, 998, True),
              ("sync", True, 999, True)]
    expected = _gmp_reference(frames)
    dut = RxGmp()
    got = []

    async def tb(ctx):
        for n, (kind, jc_ok, cm_new, deliver) in enumerate(frames):
            ctx.set(dut.dec.valid, 1)
            ctx.set(dut.dec.payload, {"presync": kind == "presync", "replay": kind == "replay", "deliver": deliver,
                                      "policy": 0, "jc_ok": jc_ok, "cm_new": cm_new})
            await ctx.tick()
            ctx.set(dut.dec.valid, 0)
            frame = []
            for j in range(1016):
                block = r.getrandbits(257)
                ctx.set(dut.slot.valid, 1)
                ctx.set(dut.slot.payload, {"block": block, "last": j == 1015})
                await ctx.tick()
                ctx.set(dut.slot.valid, 0)
                v, p = ctx.get(dut.o.valid), ctx.get(dut.o.payload)
                if v:
                    assert p.block == (block if not p.e else E_BLOCK257)
                    frame.append((j, not p.e))
                for _ in range(r.choice((0, 3))):
                    await ctx.tick()
                    assert not ctx.get(dut.o.valid)
            got.append(frame)
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    assert got == expected
    assert sum(len(f) for f in got) > 5000


# ---------------------------------------------------------------------------------------------------- frame stage

class _FrameChain(wiring.Component):
    """RxFrame + RxGmp, fed with frame-aligned words (what RxAlign outputs)."""

    def __init__(self):
        super().__init__({"i": In(stream.Signature(RX_ALIGNED, always_ready=True)),
                          "o": Out(stream.Signature(RX_BLOCK, always_ready=True))})

    def elaborate(self, platform):
        m = Module()
        m.submodules.frame = self.frame = frame = RxFrame()
        m.submodules.gmp = self.gmp = gmp = RxGmp()
        wiring.connect(m, wiring.flipped(self.i), frame.i)
        wiring.connect(m, frame.dec, gmp.dec)
        wiring.connect(m, frame.slot, gmp.slot)
        wiring.connect(m, gmp.o, wiring.flipped(self.o))
        return m


PULSES = ("frame", "oh_crc_err", "replay", "fc_jump", "bad_mode", "crypt_drop")


def _run_chain(words, gaps_seed=None, kcc=None):
    dut = _FrameChain()
    out, counts = [], {p: 0 for p in PULSES + ("jc_err",)}
    kcc = [] if kcc is None else kcc
    r = random.Random(gaps_seed)

    async def tb(ctx):
        for n, w in enumerate(words):
            if gaps_seed is not None:
                for _ in range(r.choice((0, 0, 0, 1))):
                    ctx.set(dut.i.valid, 0)
                    await ctx.tick()
            ctx.set(dut.i.valid, 1)
            ctx.set(dut.i.payload, {"data": w, "wc": n % FRAME_WORDS, "presync": n < FRAME_WORDS, "am_err": 0})
            await ctx.tick()
        ctx.set(dut.i.valid, 0)
        for _ in range(10):
            await ctx.tick()

    async def mon(ctx):
        async for _, _, v, p, kv, kp, *pulses in ctx.tick().sample(
                dut.o.valid, dut.o.payload, dut.frame.kcc.valid, dut.frame.kcc.payload,
                *[getattr(dut.frame, n) for n in PULSES], dut.gmp.jc_err):
            if v:
                out.append((p.block, bool(p.e)))
            if kv:
                kcc.append(bytes(kp[k] for k in range(32)))
            for name, val in zip(PULSES + ("jc_err",), pulses):
                counts[name] += val
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.add_process(mon)
    sim.run()
    return out, counts


@pytest.mark.parametrize("case", ["clean_gaps", "errors"])
def test_physec_rx_frame_chain_vs_golden(case):
    """Aligned golden words (frame 0 = PRESYNC) through descrambler, overhead checks, gearbox and demapper: the blocks
    are the golden receiver's, block for block. ``errors``: a JC bit and an FC bit of frame 1 and a STAT bit of frame 2
    flipped → jc_err (frame 2's blocks are /E/, as many as the last good Cm) and oh_crc_err twice (predicted FC)."""
    flips = {"clean_gaps": (),
             "errors": (FRAME_BITS * 1 + 120 + 8 * 2 + 5, FRAME_BITS * 1 + 120 + 8 * 7 + 3,
                        FRAME_BITS * 2 + 120 + 8 * 1 + 1)}[case]
    sent_kcc = bytes(random.Random(case).randrange(1, 256) for _ in range(32 * 2 + 20))
    stim = make_stimulus(3, offset=0, flips=flips, kcc=sent_kcc)
    words = stim.words[:3 * FRAME_WORDS]
    kcc = []
    out, counts = _run_chain(words, gaps_seed=7 if case == "clean_gaps" else None, kcc=kcc)
    c = stim.counters
    # KCC: the golden receiver's octets of every SYNC frame (frame 0 is the PRESYNC one: not delivered), and,
    # independently, the octets the transmitter was given, 32 per frame in order, zero-filled at the end
    assert kcc == [r.kcc for r in stim.reports] and len(kcc) == 2
    assert b"".join(kcc) == sent_kcc[32:].ljust(64, b"\0")
    assert counts["frame"] == c.frames_rx == 2
    assert counts["oh_crc_err"] == c.oh_crc_err and counts["jc_err"] == c.jc_err and counts["replay"] == c.replay
    assert out == stim.blocks and len(out) > 1000
    if case == "errors":
        assert c.oh_crc_err == 2 and c.jc_err == 1 and sum(e for _, e in out) == 1016


# ---------------------------------------------------------------------------------------------------- aligner

def run_align(words, pulse_names, drain=0):
    """Drive ``words`` into a fresh :class:`RxAlign`, one per cycle, then ``drain`` idle cycles; return the aligned
    outputs ``[(data, wc, presync)]`` and the count of each pulse port in ``pulse_names``."""
    dut = RxAlign()
    got, pulses = [], dict.fromkeys(pulse_names, 0)
    ports = [getattr(dut, n) for n in pulse_names]

    async def tb(ctx):
        for k in range(len(words) + drain):
            ctx.set(dut.i.valid, k < len(words))
            ctx.set(dut.i.payload, words[k] if k < len(words) else 0)
            _, _, v, p, *counts = await ctx.tick().sample(dut.o.valid, dut.o.payload, *ports)
            for n, c in zip(pulse_names, counts):
                pulses[n] += c
            if v:
                got.append((p.data, p.wc, p.presync))
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return got, pulses

def test_physec_rx_align_locks_and_realigns(seed):
    """One random offset (the cocotb tests cover every offset class): HUNT → PRESYNC → SYNC, and the aligned words
    are the transmitted frame words, frame 0 flagged PRESYNC."""
    r = random.Random(seed)
    offset, pre = r.randrange(1, 64), r.randrange(1, 4)
    tx = golden_line_bits(3)
    stim = make_stimulus(3, offset=offset, pre_words=pre)
    tx_words = words_of(tx)
    got, pulses = run_align(stim.words[:2 * FRAME_WORDS + pre + 4], ("locked", "lof", "am_ok"))
    assert pulses == {"locked": 1, "lof": 0, "am_ok": 0}
    assert len(got) >= FRAME_WORDS + 1
    for n, (d, wc, pres) in enumerate(got):
        assert (d, wc, pres) == (tx_words[n], n % FRAME_WORDS, n < FRAME_WORDS), n


def test_physec_rx_align_candidate_switch_vs_golden():
    """The PRESYNC candidate path (physec.md §8; module docstring of rx_align): an exact AM in the random bits before
    the stream (a false lock, as a line attacker could place) sends the aligner to PRESYNC at the wrong offset; the
    real frame 0 AM starts in the very next word, so it is recorded as the candidate with its check one word after the
    failed one. The aligner must switch, confirm the candidate at frame 1's AM (its offset, not the failed one's) and
    output frame 1 on as processed frames, as the golden receiver does (it processes frames 1 and 2). Regression test
    for two faults found together: the check used the offset of the cycle before the switch, and a confirmed
    candidate was never output."""
    from din.golden.physec.receiver import Receiver
    from din.sim.physec.tb_rx_golden import clear_keys
    from din.rtl.physec.consts import AM_BITS, AM_OCTETS
    rng = np.random.default_rng(7)
    tx = golden_line_bits(3)
    lead = 64 * 2 + 60                                  # real AM at word 2, offset 60
    fake_at = 64 + 2                                    # a false AM at word 1, offset 2 (ends at bit 185 < 188)
    am = np.unpackbits(np.frombuffer(AM_OCTETS, dtype=np.uint8), bitorder="little")[:AM_BITS]
    head = rng.integers(0, 2, lead, dtype=np.uint8)
    head[fake_at:fake_at + AM_BITS] = am
    bits = np.concatenate([head, tx, rng.integers(0, 2, 64 * 8, dtype=np.uint8)])
    bits = bits[:len(bits) // 64 * 64]
    words = words_of(bits)
    grx = Receiver(clear_keys())
    grx.feed(np.packbits(bits, bitorder="little").tobytes())
    grx.finish()
    assert grx.counters.frames_rx == 2 and grx.counters.locks == 1, grx.counters

    tx_words = words_of(tx)
    got, pulses = run_align(words, ("locked", "lof", "blind"), drain=12)
    assert pulses == {"locked": 1, "lof": 0, "blind": 1}
    # first the false lock's PRESYNC frame (flagged: its data is never delivered), then frames 1 and 2, whole and
    # processed, as the golden receiver processes them
    pres = [g for g in got if g[2]]
    assert len(pres) == FRAME_WORDS and got[:FRAME_WORDS] == pres
    proc = got[FRAME_WORDS:]
    assert len(proc) >= 2 * FRAME_WORDS
    for n, (d, wc, _) in enumerate(proc[:2 * FRAME_WORDS]):
        assert (d, wc) == (tx_words[FRAME_WORDS + n], n % FRAME_WORDS), n
