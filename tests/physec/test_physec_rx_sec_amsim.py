"""PHYSec RX security engine (rtl/physec/rx_sec.py) in the Amaranth simulator: RxFrame (security build) + RxGmp +
RxSec fed with frame-aligned words of golden MODE 10 / 01 transmissions; the delivered blocks and the counters must be
the golden receiver's (with ``predict_keystream``, the hardware's rule; docs/physec-security.md). The full receiver
(with the aligner) and the longer scenarios (key switch, attacks) run in cocotb on both simulators."""

import numpy as np
import pytest
from amaranth import Module, Mux
from amaranth.hdl import DomainRenamer
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from din.golden.physec.security import KeyConfig, KeySlot
from din.rtl.physec.consts import FRAME_WORDS
from din.rtl.physec.rx_align import RX_ALIGNED
from din.rtl.physec.rx_frame import RxFrame
from din.rtl.physec.rx_gmp import RX_BLOCK, RxGmp
from din.rtl.physec.rx_sec import RxSec, connect_rx_sec
from din.sim.physec.tb_rx_golden import secure_stimulus
from din.sim.physec.tx_amsim import install_keys


class _SecChain(wiring.Component):
    """RxFrame (security build) + RxGmp + RxSec on frame-aligned words (what RxAlign outputs), ``line`` domain."""

    def __init__(self):
        self.frame, self.gmp, self.sec = RxFrame(security=True), RxGmp(), RxSec()
        super().__init__({"i": In(stream.Signature(RX_ALIGNED, always_ready=True)),
                          "o": Out(stream.Signature(RX_BLOCK, always_ready=True)), "require_encryption": In(1),
                          "kill": In(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.frame, m.submodules.gmp, m.submodules.sec = self.frame, self.gmp, self.sec
        wiring.connect(m, wiring.flipped(self.i), self.frame.i)
        wiring.connect(m, self.frame.dec, self.gmp.dec)
        wiring.connect(m, self.frame.slot, self.gmp.slot)
        wiring.connect(m, self.gmp.o, wiring.flipped(self.o))
        m.d.comb += self.frame.require_encryption.eq(self.require_encryption)
        connect_rx_sec(m, self.frame, self.sec)
        # fault injection (after connect_rx_sec: these assignments win): ``kill`` = this word's keystream is missing
        m.d.comb += [self.frame.keystream.eq(Mux(self.kill, 0, self.sec.ks)),
                     self.frame.ks_bad.eq(self.sec.ks_bad | self.kill)]
        return DomainRenamer({"sync": "line"})(m)


FRAME_PULSES = ("frame", "oh_crc_err", "replay", "fc_jump", "bad_mode", "crypt_drop")
SEC_PULSES = ("tag_ok", "tag_fail", "unknown_an", "ks_miss", "ks_underrun")


def run_sec_chain(words, keys, *, require_encryption=True, kill_at=None):
    """``kill_at``: input words whose keystream goes missing (fault injection: the chain's ``kill`` input zeroes
    RxSec's keystream word and raises ``ks_bad`` as RxSec does for a word whose AES result is not there)."""
    dut = _SecChain()
    out, counts = [], {p: 0 for p in FRAME_PULSES + SEC_PULSES}
    kill_at = set(kill_at or ())

    async def tb(ctx):
        ctx.set(dut.require_encryption, int(require_encryption))
        await install_keys(ctx, dut.sec, keys)
        for n, w in enumerate(words):
            ctx.set(dut.i.valid, 1)
            ctx.set(dut.i.payload, {"data": w, "wc": n % FRAME_WORDS, "presync": n < FRAME_WORDS, "am_err": 0})
            ctx.set(dut.kill, n in kill_at)
            await ctx.tick("line")
        ctx.set(dut.i.valid, 0)
        ctx.set(dut.kill, 0)
        for _ in range(20):
            await ctx.tick("line")

    sigs = [getattr(dut.frame, n) for n in FRAME_PULSES] + [getattr(dut.sec, n) for n in SEC_PULSES]

    async def mon(ctx):
        async for _, _, v, p, *pulses in ctx.tick("line").sample(dut.o.valid, dut.o.payload, *sigs):
            if v:
                out.append((p.block, bool(p.e)))
            for name, val in zip(FRAME_PULSES + SEC_PULSES, pulses):
                counts[name] += val
    sim = Simulator(dut)
    sim.add_clock(6.2e-9, domain="line")
    sim.add_testbench(tb)
    sim.add_process(mon)
    sim.run()
    return out, counts, dut


def _keys(seed, mode="gcm", switch=None):
    rng = np.random.default_rng(seed)
    return KeyConfig(mode=mode, fc_init=int(rng.integers(0, 2**40)), switch=switch, slots=[
        KeySlot(an=an, key=rng.bytes(32), salt=rng.bytes(12), ssci=int(rng.integers(0, 2**32))) for an in (1, 2)])


def _check(out, counts, stim):
    c = stim.counters
    assert counts["frame"] == c.frames_rx
    for name in ("tag_ok", "tag_fail", "unknown_an", "ks_miss", "replay", "fc_jump", "oh_crc_err"):
        assert counts[name] == getattr(c, name), name
    assert counts["ks_underrun"] == 0
    bad = [k for k, (a, b) in enumerate(zip(out, stim.blocks)) if a != b]
    assert len(out) == len(stim.blocks) and not bad, (len(out), len(stim.blocks), bad[:5])


@pytest.mark.parametrize("mode", ["gcm"])
def test_physec_rx_sec_decrypts_golden_frames_amsim(mode):
    """PRESYNC + 2 SYNC frames of a golden MODE 10 dump: both decrypted (the first from the PRESYNC frame's
    prediction), frame 2 verifies frame 1's tag; blocks equal the golden receiver's, zero tag failures."""
    keys = _keys(5, mode)
    stim, tx = secure_stimulus(keys, 3)
    assert stim.counters.tag_ok == 1 and stim.counters.e_blocks == 0
    out, counts, _ = run_sec_chain(stim.words, keys)
    _check(out, counts, stim)


@pytest.mark.parametrize("word", [32, 33, 1500, FRAME_WORDS - 1])
def test_physec_rx_sec_missing_keystream_never_delivers_ciphertext_amsim(word):
    """A payload word whose keystream is missing (``ks_bad``; RxSec raises it when the AES result is not there, which
    only a slot rewritten in use could cause: the AES core holds such a write back, so it is injected here): from the
    slot holding that word to the frame's end every data block is an /E/ block, exactly as many as the golden
    frame's Cm puts there (G.709 slot mask); every other block equals the golden receiver's. Ciphertext never
    reaches the client as data."""
    from din.golden.physec.gmp import slot_mask
    from din.rtl.physec.consts import PAYLOAD_START_BIT
    from din.rtl.physec.rx_gmp import E_BLOCK257
    keys = _keys(7, "gcm")
    stim, tx = secure_stimulus(keys, 4)
    f = 2                                          # the second SYNC frame
    out, counts, _ = run_sec_chain(stim.words, keys, kill_at=[f * FRAME_WORDS + word])
    assert len(out) == len(stim.blocks)
    diff = [k for k, (got, want) in enumerate(zip(out, stim.blocks)) if got != want]
    assert diff and all(out[k] == (E_BLOCK257, True) for k in diff), diff[:5]
    assert diff == list(range(diff[0], diff[-1] + 1))          # one run: the rest of the frame
    # slot j (1..1016) ends in word (PAYLOAD_START_BIT + 257 j - 1) // 64; frame f is delivered with its own Cm
    poisoned = [(PAYLOAD_START_BIT + 257 * j - 1) // 64 >= word for j in range(1, 1017)]
    want = int(sum(m and p for m, p in zip(slot_mask(tx.log[f].cm), poisoned)))
    assert len(diff) == want, (len(diff), want)
    # the blocks after the run are the next frame's, delivered again; the tag of the frame still verifies
    assert diff[-1] < len(out) - 1
    assert counts["tag_fail"] == 0 and counts["tag_ok"] == stim.counters.tag_ok
