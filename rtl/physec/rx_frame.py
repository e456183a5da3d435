"""PHYSec receiver frame stage (physec.md §4, §6, §7, §8): PRBS31 descrambler, overhead parse with the OHCRC16 and JC
CRC-8 checks, FC / MODE / AN (received or predicted), replay reference, per-frame decisions for the demapper, and the
64 → 257 payload gearbox (``sync`` domain; the RX top renames it to ``line``).

Input: frame-aligned words from :class:`~din.rtl.physec.rx_align.RxAlign` (``wc`` = word index in the frame).

* **Descrambler** (§6): :class:`~din.rtl.physec.prbs31.Prbs31Words` restarted at word 1 (``f[120]`` is bit 56 of
  word 1), advanced every word.
* **Keystream hook** (§7, the decryption engine plugs in here): the ``keystream`` input is XORed onto the payload bits
  (``f[2056..]``: word 32 from bit 8, words 33..4111) in the same cycle as the descrambler, so decryption adds no
  cycle. The engine builds its keystream from the fields on the ``oh`` port, valid from word 8 of the frame (FC and AN
  are in word 3; the payload starts in word 32). The MODE 00 top ties ``keystream`` to zero.
* **Overhead** (§4): octet k is ``f[120+8k .. 127+8k]`` MSB first = bit-reversed byte ``(k+7) mod 8`` of word
  ``1 + (k+7) // 8``: O0..O31 are in words 1..5. After word 5: OHCRC16 over O0..O13 (``amaranth.lib.crc``
  CRC-16/CCITT-FALSE, 112 bits in one step) and CRC-8 over JC1‖JC2 (polynomial 0x0D, init 0, 16 bits in one step).
* **Decisions** (golden ``receiver.py`` ``_lock`` / ``_process``, MODE 00 subset), at word 9 of every frame (``oh``
  at word 9; ``dec`` and the pulses registered, one cycle later):

  - PRESYNC frame: the link state restarts; with a good OHCRC16 its FC is the replay reference and the prediction
    base, and its JC (own CRC-8 good, value accepted) gives Cm of the first SYNC frame. ``blind`` (a candidate whose
    overhead was missed) restarts the link state with nothing known.
  - SYNC frame: OHCRC16 error → ``oh_crc_err`` and the predicted FC (previous + 1), MODE and AN (unchanged); nothing to
    predict from → FC unknown, the frame's blocks are /E/. FC ≤ reference → ``replay``: discarded whole (JC ignored,
    blocks /E/). FC = reference + 1 → new reference, else ``fc_jump`` (the reference moves only on a verified tag,
    which needs the security engine). MODE 00 → delivered unless ``require_encryption`` (``policy``); MODE 11 →
    ``bad_mode``, /E/; MODE 01 / 10 → /E/ and ``crypt_drop`` until the security engine is plugged in.
  - JC is used whenever its own CRC-8 is good and the value is accepted (Cm = 0 or 980..1016, §5).

* **Gearbox** (§4): slot j (1..1016) is ``f[257(j+7) .. 257(j+8)−1]``: it starts at bit ``(j+7) mod 64`` of a word
  and spans exactly five words, ending in word ``4(j+8) + (j+7) // 64``. A five-word window is shifted (two registered
  8-way stages) when the slot's last word has arrived: one 257-bit block every 4 or 5 words, on ``slot``.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.crc import Algorithm
from amaranth.lib.wiring import In, Out

from .consts import (CM_MAX, CM_MIN_ACCEPTED, FRAME_WORDS, JC_CRC8_INIT, JC_CRC8_POLY, MODE_CLEAR, MODE_GCM,
                     MODE_GMAC, MODE_RESERVED, OH_CRC16_INIT, OH_CRC16_POLY, PAYLOAD_START_BIT, SLOT_BITS)
from .prbs31 import Prbs31Words
from .rx_align import RX_ALIGNED

#: the word at which the security build decides (``security=True``): word 9 compares the previous frame's tag
#: (:class:`~.rx_sec.RxSec`), word 10 moves the reference after a verified jump, word 11 checks FC = reference + 1
SEC_DECIDE_WORD = 12

__all__ = ["SEC_DECIDE_WORD", "OH_INFO", "KCC_OCTETS", "FRAME_DECISION", "RxFrame", "RxGearbox257", "OHCRC16", "JC_CRC8", "octet_of"]

OHCRC16 = Algorithm(crc_width=16, polynomial=OH_CRC16_POLY, initial_crc=OH_CRC16_INIT, reflect_input=False,
                    reflect_output=False, xor_output=0)          # physec.md §4 (CRC-16/CCITT-FALSE)
JC_CRC8 = Algorithm(crc_width=8, polynomial=JC_CRC8_POLY, initial_crc=JC_CRC8_INIT, reflect_input=False,
                    reflect_output=False, xor_output=0)          # physec.md §4 (G.709 Annex D)

#: the received overhead of a frame as the security engine needs it (valid on ``oh.valid``)
OH_INFO = data.StructLayout({
    "aad": 112,          # O0..O13 as received; O0 in bits 111:104 (a big-endian number)
    "tag": 128,          # O14..O29; O14 in bits 127:120
    "fc": 64,            # FC used: received, or predicted on an OHCRC16 error
    "mode": 2, "an": 2,
    "oh_ok": 1,          # OHCRC16 good
    "fc_known": 1,       # FC / MODE / AN received or predicted
    "replay": 1,
    "presync": 1,        # the PRESYNC frame (overhead read, no data)
})

#: the KCC octets O32..O63 of a received frame, element k = O(32 + k) (valid on ``kcc.valid``)
KCC_OCTETS = data.ArrayLayout(8, 32)

#: what the demapper needs per frame (valid on ``dec.valid``)
FRAME_DECISION = data.StructLayout({
    "presync": 1,        # restart the link state (PRESYNC frame or blind candidate)
    "replay": 1,         # discarded whole: /E/ blocks, JC ignored
    "deliver": 1,        # the payload may be delivered (FC known, MODE 00, policy allows)
    "policy": 1,         # MODE 00 refused by require_encryption (counted when the frame has client blocks)
    "jc_ok": 1,          # the JC of this frame is usable
    "cm_new": 11,        # Cm of the next frame when jc_ok
})


def octet_of(k):
    """(word, bit) of the first (most significant) bit of overhead octet k in the frame-aligned words."""
    pos = 120 + 8 * k
    return pos // 64, pos % 64


#: a payload slot leaving the gearbox: ``block`` (bit i = x<i>), ``last`` (the frame's last slot), ``bad``: a word
#: of this slot or of an earlier slot of the frame had no keystream (``RxSec.ks_bad``): the slot must not be delivered
SLOT_LAYOUT = data.StructLayout({"block": SLOT_BITS, "last": 1, "bad": 1})


class RxGearbox257(wiring.Component):
    """64 → 257 payload gearbox (see the module docstring). ``i``: descrambled words with ``wc`` and ``enable``
    (a processed frame) and ``bad`` (the word's keystream was missing); ``slot``: one 257-bit block per payload slot,
    in slot order, slot ``j`` numbered 1..1016, ``bad`` from the first slot holding a bad word to the frame's end."""

    def __init__(self):
        super().__init__({
            "i_valid": In(1), "i_data": In(64), "i_wc": In(13), "i_enable": In(1), "i_bad": In(1),
            "slot": Out(stream.Signature(SLOT_LAYOUT, always_ready=True)),
        })

    def elaborate(self, platform):
        m = Module()
        first_end = 4 * (1 + 8)                   # slot 1 ends in word 36
        first_off = PAYLOAD_START_BIT % 64        # and starts at bit 8 of word 32
        win = [Signal(64, name=f"win{i}") for i in range(5)]   # win[0] oldest
        with m.If(self.i_valid):
            m.d.sync += [w.eq(n) for w, n in zip(win, win[1:] + [self.i_data])]
        act, cnt, off = Signal(), Signal(3), Signal(6)
        fire, fire_off = Signal(), Signal(6)
        with m.If(self.i_valid):
            with m.If(self.i_wc == first_end):
                m.d.comb += [fire.eq(self.i_enable), fire_off.eq(first_off)]
                m.d.sync += [act.eq(self.i_enable), cnt.eq(3), off.eq(first_off + 1)]
            with m.Elif(act):
                with m.If(cnt == 0):
                    m.d.comb += [fire.eq(1), fire_off.eq(off)]
                    m.d.sync += [off.eq(off + 1), cnt.eq(Mux(off == 63, 4, 3))]
                with m.Else():
                    m.d.sync += cnt.eq(cnt - 1)
            with m.If(self.i_wc == FRAME_WORDS - 1):
                m.d.sync += act.eq(0)
        # a bad word poisons its slot and every later slot of the frame (sticky from the word to the frame's end:
        # a slot holding the word ends at it or later, so no slot with a bad word can slip through)
        bad, bad_now = Signal(), Signal()
        m.d.comb += bad_now.eq((bad & (self.i_wc != 0)) | self.i_bad)
        with m.If(self.i_valid):
            m.d.sync += bad.eq(bad_now)
        # A: the window holds the slot's last word; shift by whole octets
        va, offa, lasta, bada = Signal(), Signal(6), Signal(), Signal()
        m.d.sync += [va.eq(fire), offa.eq(fire_off), lasta.eq(self.i_wc == FRAME_WORDS - 1), bada.eq(bad_now)]
        coarse = Signal(SLOT_BITS + 7)
        vb, offb, lastb, badb = Signal(), Signal(3), Signal(), Signal()
        m.d.sync += [vb.eq(va), offb.eq(offa[:3]), lastb.eq(lasta), badb.eq(bada),
                     coarse.eq(Cat(*win).bit_select(Cat(Const(0, 3), offa[3:]), SLOT_BITS + 7))]
        # B: shift by bits
        m.d.sync += [self.slot.valid.eq(vb), self.slot.payload.block.eq(coarse.bit_select(offb, SLOT_BITS)),
                     self.slot.payload.last.eq(lastb), self.slot.payload.bad.eq(badb)]
        return m


class RxFrame(wiring.Component):
    """Descrambler, overhead checks, frame decisions and payload gearbox (see the module docstring).

    Ports: ``i`` (aligned words), ``blind`` (from the aligner), ``keystream`` (XORed onto payload bits; 0 for MODE 00),
    ``require_encryption`` (RX_REQUIRE_ENCRYPTION, §7), ``oh`` (received overhead, :data:`OH_INFO`), ``dec`` (per-frame
    decision, :data:`FRAME_DECISION`), ``slot`` (payload blocks), and pulses ``frame`` (a SYNC frame processed),
    ``oh_crc_err``, ``replay``, ``fc_jump``, ``bad_mode``, ``crypt_drop``.

    ``security=True`` (the receiver with :class:`~.rx_sec.RxSec`) moves the decision to word :data:`SEC_DECIDE_WORD`
    so that the previous frame's tag is compared before this frame's FC is checked against the reference (the
    golden order: replay check, tag compare, reference), and adds: ``ct`` / ``ct_wc`` / ``ct_valid`` (the descrambled
    word before the keystream XOR, registered with the output word: the GHASH tap), ``fc_now`` / ``an_now`` /
    ``fc_known_now`` (the FC / AN used, valid from word 8), ``replay_now`` (valid from word 9 until the decision),
    ``presync_now``, ``oh_tag`` (TAG as received, from word 6), ``pred_fc`` / ``pred_v`` (FC expected for the next
    frame, valid after the decision), ``accept`` / ``accept_fc`` (a verified forward jump: the reference becomes
    max(reference, ``accept_fc``), driven at word 10), and ``sec_ok`` (at the decision: the MODE 01 / 10 frame's key
    and keystream are there; otherwise it is not delivered, ``crypt_drop``).
    """

    def __init__(self, *, security=False):
        self.security = security
        sec = {}
        if security:
            sec = {"ct": Out(64), "ct_wc": Out(13), "ct_valid": Out(1), "fc_now": Out(64), "an_now": Out(2),
                   "fc_known_now": Out(1), "replay_now": Out(1), "presync_now": Out(1), "oh_tag": Out(128),
                   "pred_fc": Out(64), "pred_v": Out(1), "accept": In(1), "accept_fc": In(64), "sec_ok": In(1)}
        super().__init__({
            **sec,
            "i": In(stream.Signature(RX_ALIGNED, always_ready=True)),
            "blind": In(1),
            "keystream": In(64), "ks_bad": In(1),
            "require_encryption": In(1),
            "oh": Out(stream.Signature(OH_INFO, always_ready=True)),
            "kcc": Out(stream.Signature(KCC_OCTETS, always_ready=True)),
            "dec": Out(stream.Signature(FRAME_DECISION, always_ready=True)),
            "slot": Out(stream.Signature(SLOT_LAYOUT, always_ready=True)),
            "frame": Out(1), "oh_crc_err": Out(1), "replay": Out(1), "fc_jump": Out(1), "bad_mode": Out(1),
            "crypt_drop": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        i = self.i
        wc_in = i.payload.wc

        # descramble (+ keystream hook on payload bits)
        m.submodules.prbs = prbs = Prbs31Words()
        m.d.comb += [prbs.restart.eq(i.valid & (wc_in == 1)), prbs.advance.eq(i.valid)]
        ks_word, ks_bit = divmod(PAYLOAD_START_BIT, 64)
        ks = Mux(wc_in > ks_word, self.keystream,
                 Mux(wc_in == ks_word, self.keystream & ~((1 << ks_bit) - 1), 0))
        dv, dwc, dd, dpres, dbad = Signal(), Signal(13), Signal(64), Signal(), Signal()
        m.d.sync += [dv.eq(i.valid), dwc.eq(wc_in), dpres.eq(i.payload.presync), dbad.eq(self.ks_bad),
                     dd.eq(i.payload.data ^ Mux(wc_in == 0, 0, prbs.word) ^ ks)]
        decide = SEC_DECIDE_WORD if self.security else 9
        if self.security:
            m.d.sync += [self.ct.eq(i.payload.data ^ Mux(wc_in == 0, 0, prbs.word)), self.ct_wc.eq(wc_in),
                         self.ct_valid.eq(i.valid)]
        # word indices 1..decide of the descrambled word, decoded one cycle ahead (registered with it)
        at_q = {w: Signal(name=f"at{w}") for w in range(1, decide + 1)}
        m.d.sync += [at_q[w].eq(i.valid & (wc_in == w)) for w in at_q]

        # payload gearbox
        m.submodules.gearbox = gb = RxGearbox257()
        m.d.comb += [gb.i_valid.eq(dv), gb.i_data.eq(dd), gb.i_wc.eq(dwc), gb.i_enable.eq(~dpres), gb.i_bad.eq(dbad)]
        wiring.connect(m, gb.slot, wiring.flipped(self.slot))

        # overhead capture: words 1..5 hold O0..O31
        ohw = [Signal(64, name=f"ohw{w}") for w in range(1, 6)]
        for w, reg in enumerate(ohw, start=1):
            with m.If(at_q[w]):
                m.d.sync += reg.eq(dd)
        oh_bits = Cat(*ohw)                                          # bit 0 = word 1 bit 0

        def octet(k):
            w, bit = octet_of(k)
            pos = 64 * (w - 1) + bit
            return Cat(oh_bits[pos + 7 - n] for n in range(8))      # f[pos] is the MSB

        def octets_be(first, count):
            """O_first..O_{first+count-1} as a big-endian number."""
            return Cat(*[octet(k) for k in reversed(range(first, first + count))])

        # KCC (physec.md §4, O32..O63 in words 5..9; an octet never straddles a word): captured octet by octet as
        # the words pass and delivered one cycle after word 9 for every frame processed in SYNC, as the golden
        # receiver reports them (RxFrameReport.kcc); not for the PRESYNC frame, whose overhead only seeds the checks.
        # KCC is outside OHCRC16 and the AAD: a raw channel whose user protects its own messages (MKA-like).
        kcc = Signal(KCC_OCTETS)
        for k in range(32, 64):
            w, bit = octet_of(k)
            with m.If(at_q[w]):
                m.d.sync += kcc[k - 32].eq(Cat(dd[bit + 7 - n] for n in range(8)))
        kcc_v = Signal()
        m.d.sync += kcc_v.eq(at_q[9] & ~dpres)
        m.d.comb += [self.kcc.valid.eq(kcc_v), self.kcc.payload.eq(kcc)]

        aad, tag = octets_be(0, 14), octets_be(14, 16)
        crc_rx, jc12, jc3 = octets_be(30, 2), octets_be(2, 2), octet(4)
        m.submodules.crc16 = crc16 = OHCRC16(data_width=112).create()
        m.submodules.crc8 = crc8 = JC_CRC8(data_width=16).create()
        at = at_q.__getitem__
        m.d.comb += [crc16.start.eq(at(6)), crc16.valid.eq(at(6)), crc16.data.eq(aad),
                     crc8.start.eq(at(6)), crc8.valid.eq(at(6)), crc8.data.eq(jc12)]

        # frame state (golden receiver: _ref, _expect_fc, _mode_an)
        ref, ref_v = Signal(64), Signal()
        ref_p1 = Signal(64)                      # ref + 1, written with ref (meaningful while ref_v)
        expect, pred_v = Signal(64), Signal()
        mode_p, an_p = Signal(2), Signal(2)

        # word 7: checks
        oh_ok, jc_ok, cm_new = Signal(), Signal(), Signal(14)
        fc_rx = octets_be(6, 8)
        mode_rx, an_rx = octet(1)[4:6], octet(5)[6:8]
        fc, mode, an, fc_known = Signal(64), Signal(2), Signal(2), Signal()
        with m.If(at(7)):
            ok16 = crc16.crc == crc_rx
            cm = Cat(jc12[2:8], jc12[8:16])
            m.d.sync += [oh_ok.eq(ok16), cm_new.eq(cm),
                         jc_ok.eq((crc8.crc == jc3) & ((cm == 0) | ((cm >= CM_MIN_ACCEPTED) & (cm <= CM_MAX)))),
                         fc.eq(Mux(ok16, fc_rx, expect)), mode.eq(Mux(ok16, mode_rx, mode_p)),
                         an.eq(Mux(ok16, an_rx, an_p)), fc_known.eq(ok16 | pred_v)]
        # word 8: comparisons and increments (registered)
        le, eq1, fc_p1, exp_p1 = Signal(), Signal(), Signal(64), Signal(64)
        if not self.security:
            with m.If(at(8)):
                m.d.sync += [le.eq(fc <= ref), eq1.eq(fc == ref_p1), fc_p1.eq(fc + 1), exp_p1.eq(expect + 1)]
        else:
            # the reference check after a verified jump may have moved the reference (word 10)
            with m.If(at(8)):
                m.d.sync += [le.eq(fc <= ref), fc_p1.eq(fc + 1), exp_p1.eq(expect + 1)]
            with m.If(at(decide - 1)):
                m.d.sync += eq1.eq(fc == ref_p1)
        # word 9: decide; ``dec`` and the pulses are registered (they reach the demapper and the counters one cycle
        # later, word 10), ``oh`` is not
        dec = Signal(FRAME_DECISION)
        dec_valid = Signal()
        pulses = {n: Signal(name=f"{n}_c") for n in ("frame", "oh_crc_err", "replay", "fc_jump", "bad_mode",
                                                     "crypt_drop")}
        m.d.sync += [self.dec.valid.eq(dec_valid), self.dec.payload.eq(dec),
                     *(getattr(self, n).eq(v) for n, v in pulses.items())]
        replay = Signal()
        m.d.comb += replay.eq(fc_known & ref_v & le)
        if self.security:
            # replay is decided on the reference before the tag compare (word 9) can move it
            replay_r = Signal()
            with m.If(at(9)):
                m.d.sync += replay_r.eq(replay)
            replay = Mux(at(9), replay, replay_r)
            m.d.comb += [self.fc_now.eq(fc), self.an_now.eq(an), self.fc_known_now.eq(fc_known),
                         self.replay_now.eq(replay), self.presync_now.eq(dpres), self.oh_tag.eq(tag),
                         self.pred_fc.eq(expect), self.pred_v.eq(pred_v)]
            with m.If(self.accept & (~ref_v | (self.accept_fc > ref))):
                m.d.sync += [ref.eq(self.accept_fc), ref_p1.eq(self.accept_fc + 1), ref_v.eq(1)]
        with m.If(at(decide)):
            m.d.comb += [self.oh.valid.eq(1), dec_valid.eq(1)]
            m.d.comb += [self.oh.payload.aad.eq(aad), self.oh.payload.tag.eq(tag), self.oh.payload.fc.eq(fc),
                         self.oh.payload.mode.eq(mode), self.oh.payload.an.eq(an), self.oh.payload.oh_ok.eq(oh_ok),
                         self.oh.payload.fc_known.eq(fc_known), self.oh.payload.presync.eq(dpres),
                         dec.cm_new.eq(cm_new)]
            with m.If(dpres):
                m.d.comb += [dec.presync.eq(1), dec.jc_ok.eq(jc_ok & oh_ok)]
                # ref_p1: with oh_ok (ref_v), fc is fc_rx
                m.d.sync += [ref.eq(fc_rx), ref_p1.eq(fc_p1), ref_v.eq(oh_ok), expect.eq(fc_p1), pred_v.eq(oh_ok),
                             mode_p.eq(mode), an_p.eq(an)]
            with m.Else():
                m.d.comb += [pulses["frame"].eq(1), pulses["oh_crc_err"].eq(~oh_ok), self.oh.payload.replay.eq(replay)]
                with m.If(replay):
                    m.d.comb += [pulses["replay"].eq(1), dec.replay.eq(1)]
                    with m.If(pred_v):
                        m.d.sync += expect.eq(exp_p1)
                with m.Else():
                    is_clear = mode == MODE_CLEAR
                    m.d.comb += [dec.jc_ok.eq(jc_ok), pulses["bad_mode"].eq(fc_known & (mode == MODE_RESERVED))]
                    if self.security:
                        # MODE 10 decrypted, MODE 01 verified (delivered unless encryption is required): physec.md §7
                        gcm, gmac = mode == MODE_GCM, mode == MODE_GMAC
                        ok = self.sec_ok
                        m.d.comb += [dec.deliver.eq(fc_known & ((is_clear & ~self.require_encryption) | (gcm & ok) |
                                                                (gmac & ok & ~self.require_encryption))),
                                     dec.policy.eq(fc_known & self.require_encryption & (is_clear | (gmac & ok))),
                                     pulses["crypt_drop"].eq(fc_known & (gcm | gmac) & ~ok)]
                    else:
                        m.d.comb += [dec.deliver.eq(fc_known & is_clear & ~self.require_encryption),
                                     dec.policy.eq(fc_known & is_clear & self.require_encryption),
                                     pulses["crypt_drop"].eq(fc_known & ~is_clear & (mode != MODE_RESERVED))]
                    with m.If(fc_known):
                        with m.If(~ref_v | eq1):
                            m.d.sync += [ref.eq(fc), ref_p1.eq(fc_p1), ref_v.eq(1)]
                        with m.Else():
                            m.d.comb += pulses["fc_jump"].eq(1)
                        m.d.sync += [expect.eq(fc_p1), pred_v.eq(1), mode_p.eq(mode), an_p.eq(an)]
                    with m.Elif(pred_v):
                        m.d.sync += expect.eq(exp_p1)
        with m.If(self.blind):
            m.d.comb += [dec_valid.eq(1), dec.presync.eq(1)]
            m.d.sync += [ref_v.eq(0), pred_v.eq(0)]
        return m
