"""Pieces of the PHYSec security engine shared by the transmitter (:mod:`.tx_sec`) and the receiver (physec.md §7).

* :class:`SecSlots`: the two key slots {AN, key, salt, SSCI}, the AES-256 core with its key expansion, H = E_K(0^128)
  per slot requested when a slot's expansion completes (and counted only while that slot is still expanded: a key
  installed again after the request makes that H stale), and the AES request / result streams of the user (keystream
  and J0 blocks), H requests having priority.
* :class:`GcmTap`: the GHASH side: GCM blocks assembled from the frame's words as they pass a tap (before PRBS31 on
  the TX, after it on the RX: the words as they are on the line, descrambled), a FIFO, GHASH with keys per slot
  (derived from each slot's H when it changes; a frame names its slot), one S per protected frame.

Frame layout facts (physec.md §4, §7): the frame is the octet stream f-octet q = f[8q .. 8q+7] with f[8q] the most
significant bit (a line word w holds f-octets 8w .. 8w+7, each bit-reversed in the word); O0..O13 = f-octets 15..28
(words 1..3); the payload P = f-octets 257 .. 32895 (words 32..4111).
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import data, fifo, stream, wiring
from amaranth.lib.wiring import In, Out

from .aes import Aes256
from .consts import FRAME_WORDS
from .ghash import Ghash, key_select

__all__ = ["MODE_CLEAR", "MODE_GMAC", "MODE_GCM", "KIND_KS", "KIND_J0", "SEC_REQ", "SEC_RES", "SecSlots", "GcmTap",
           "rev8", "octets_be", "keystream_word", "at_or_after_payload", "KEY_PORT", "forward_key_port", "LEN_GCM",
           "LEN_GMAC", "PAYLOAD_WORD", "MODE_WORD"]

MODE_CLEAR, MODE_GMAC, MODE_GCM = 0b00, 0b01, 0b10
KIND_KS, KIND_J0, KIND_H = 0, 1, 2     # AES result kind
PAYLOAD_WORD = 32                      # first word holding payload octets
#: the tap word from which a frame's MODE and slot must be valid on :class:`GcmTap` (the receiver knows them after
#: the OHCRC16 check, word 9; the A block waits until then, GHASH being idle until the payload)
MODE_WORD = 10
LEN_GCM = (112 << 64) | (32639 * 8)                 # [len A]64 ‖ [len C]64 for MODE 10
LEN_GMAC = ((14 + 32639) * 8) << 64                 # MODE 01: the whole A ‖ P is AAD, no text
#: a user's AES request: ``tag`` = {kind (2 bits), frame index mod 4 (2 bits)}
SEC_REQ = data.StructLayout({"block": 128, "slot": 1, "kind": 2, "frame": 2})
SEC_RES = data.StructLayout({"block": 128, "kind": 2, "frame": 2})


def rev8(v):
    """Bit-reverse each octet of a value (an f-octet in a line word <-> a normal octet)."""
    return Cat(*(Cat(*(v[8 * k + 7 - i] for i in range(8))) for k in range(len(v) // 8)))


def octets_be(octets):
    """A big-endian value from octets listed most significant first (each an 8-bit Value)."""
    return Cat(*reversed(octets))


def at_or_after_payload(wc):
    """``wc >= PAYLOAD_WORD`` as an OR of the word index's high bits (:data:`PAYLOAD_WORD` is a power of two): two
    LUT levels instead of a carry chain, on the keystream consumers' path into the AES core's ``ready``."""
    assert PAYLOAD_WORD & (PAYLOAD_WORD - 1) == 0
    return wc[PAYLOAD_WORD.bit_length() - 1:].any()


def keystream_word(block, wc, prev_oct):
    """The keystream of line word ``wc`` (≥ :data:`PAYLOAD_WORD`) from the AES result ``block`` at the head
    (module docstring: half-block k serves word 32+k octets 1..7 and word 33+k octet 0, a one-octet shift): returns
    (the 64-bit word in line order, the octet to keep for the next word). ``prev_oct``: the octet kept from the
    previous word (none before word 32); odd words use the bottom half of the block (and then pop it)."""
    half = Mux(wc[0], block[:64], block[64:])
    octs = [half[64 - 8 * (k + 1):64 - 8 * k] for k in range(8)]     # octet 0 = most significant
    word = Cat(rev8(Mux(wc == PAYLOAD_WORD, 0, prev_oct)), *(rev8(o) for o in octs[:7]))
    return word, octs[7]


#: the key-install port of a security engine and of the tops that expose it (:class:`SecSlots`' handshake):
#: ``key`` / ``key_slot`` / ``key_an`` / ``key_salt`` / ``key_ssci`` with ``key_valid`` / ``key_ready``, and
#: ``slot_valid`` (the slots whose H is ready)
KEY_PORT = {"key": In(256), "key_slot": In(1), "key_an": In(2), "key_salt": In(96), "key_ssci": In(32),
            "key_valid": In(1), "key_ready": Out(1), "slot_valid": Out(2)}


def forward_key_port(outer, inner):
    """Statements connecting ``outer``'s :data:`KEY_PORT` to the same port of ``inner`` (a component it contains)."""
    return [inner.key.eq(outer.key), inner.key_slot.eq(outer.key_slot), inner.key_an.eq(outer.key_an),
            inner.key_salt.eq(outer.key_salt), inner.key_ssci.eq(outer.key_ssci),
            inner.key_valid.eq(outer.key_valid), outer.key_ready.eq(inner.key_ready),
            outer.slot_valid.eq(inner.slot_valid)]


class SecSlots(wiring.Component):
    """Key slots, AES core and H per slot (module docstring), ``sync`` domain.

    Ports: key install ``key`` / ``key_slot`` / ``key_an`` / ``key_salt`` / ``key_ssci`` with ``key_valid`` /
    ``key_ready`` (the AES core's handshake); ``slot_valid`` (2): the slot's H is ready and so are the GHASH keys
    derived from it (``ghash_ready``, from :class:`GcmTap`; cleared when a key is written into the slot);
    ``expanded`` (2): the AES core's round keys of the slot are complete (requests naming a slot that is not
    expanded must wait); per slot ``an``, ``salt``, ``ssci``, ``h`` (arrays of two) and ``h_new`` (2, a pulse when a
    slot's H changes); ``req`` / ``res``: the user's AES blocks (:data:`SEC_REQ` / :data:`SEC_RES`).
    """

    def __init__(self, *, aes_units=7, aes_table="sbox", aes_sbox_style="ebr", aes_lookup_reg=True):
        self.aes = Aes256(units=aes_units, table=aes_table, sbox_style=aes_sbox_style, lookup_reg=aes_lookup_reg,
                          tag_width=5)
        super().__init__({
            **KEY_PORT, "expanded": Out(2), "ghash_ready": In(2),
            "an": Out(data.ArrayLayout(2, 2)), "salt": Out(data.ArrayLayout(96, 2)),
            "ssci": Out(data.ArrayLayout(32, 2)), "h": Out(data.ArrayLayout(128, 2)), "h_new": Out(2),
            "req": In(stream.Signature(SEC_REQ)), "res": Out(stream.Signature(SEC_RES)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.aes = aes = self.aes
        h_ok, h_pending, slot_was = Signal(2), Signal(2), Signal(2)
        # slot_valid: GHASH's ``ghash_ready`` through a register (timing: GHASH's key state → the engines' sequencers
        # crossed the die in the integrated TX, 7.6 ns); it rises one cycle after GHASH's keys. ``h_ok`` falls at a
        # key write; it rises again with the ``h_new`` pulse that starts GHASH's key derivation, while the register
        # may still hold the old key's readiness for that one cycle: ``~h_new`` masks it
        gh_ok = Signal(2)
        m.d.sync += gh_ok.eq(self.ghash_ready)
        m.d.comb += [aes.key.eq(self.key), aes.key_slot.eq(self.key_slot), aes.key_valid.eq(self.key_valid),
                     self.key_ready.eq(aes.key_ready), self.slot_valid.eq(h_ok & gh_ok & ~self.h_new),
                     self.expanded.eq(aes.slot_valid)]
        m.d.sync += [slot_was.eq(aes.slot_valid), self.h_new.eq(0)]
        with m.If(self.key_valid & aes.key_ready):
            m.d.sync += [self.an[self.key_slot].eq(self.key_an), self.salt[self.key_slot].eq(self.key_salt),
                         self.ssci[self.key_slot].eq(self.key_ssci), h_ok.bit_select(self.key_slot, 1).eq(0)]
        rise = aes.slot_valid & ~slot_was

        # requests: H (block 0) when a slot's expansion completes, before the user's
        h_slot = ~h_pending[0]
        with m.If(h_pending.any()):
            m.d.comb += [aes.req.valid.eq(1), aes.req.payload.block.eq(0), aes.req.payload.slot.eq(h_slot),
                         aes.req.payload.tag.eq(Cat(Const(KIND_H, 2), Const(0, 2), h_slot))]
        with m.Else():
            r = self.req.payload
            m.d.comb += [aes.req.valid.eq(self.req.valid), aes.req.payload.block.eq(r.block),
                         aes.req.payload.slot.eq(r.slot), aes.req.payload.tag.eq(Cat(r.kind, r.frame, r.slot)),
                         self.req.ready.eq(aes.req.ready)]
        with m.If(aes.req.valid & aes.req.ready & h_pending.any()):
            m.d.sync += h_pending.eq((h_pending | rise) & ~Mux(h_slot, 0b10, 0b01))
        with m.Else():
            m.d.sync += h_pending.eq(h_pending | rise)

        # results: H is taken here, the rest goes to the user
        head = aes.out.payload
        kind, hslot = head.tag[:2], head.tag[4]
        with m.If(aes.out.valid & (kind == KIND_H)):
            m.d.comb += aes.out.ready.eq(1)
            with m.If(aes.slot_valid.bit_select(hslot, 1)):
                m.d.sync += [self.h[hslot].eq(head.block), h_ok.bit_select(hslot, 1).eq(1),
                             self.h_new.bit_select(hslot, 1).eq(1)]
        with m.Else():
            m.d.comb += [self.res.valid.eq(aes.out.valid), self.res.payload.block.eq(head.block),
                         self.res.payload.kind.eq(kind), self.res.payload.frame.eq(head.tag[2:4]),
                         aes.out.ready.eq(self.res.ready)]
        return m


class GcmTap(wiring.Component):
    """GHASH over the frames passing a tap (module docstring), ``sync`` domain.

    Inputs: ``tap`` / ``tap_wc`` / ``tap_run`` (the frame's words as on the line before scrambling, word index, valid);
    ``mode`` and ``slot`` of the frame at the tap, valid from word ``mode_word`` (default :data:`MODE_WORD`; the
    receiver decides later) until its last word; ``h`` (two slots) and ``h_new`` (from :class:`SecSlots`). Outputs:
    ``h_ready`` (2): GHASH's keys of the slot are derived (:class:`SecSlots` ``ghash_ready``); ``s`` / ``s_valid`` (a
    one-cycle strobe, not registered here: GHASH's output register; ``s_frame``: the tap frame counter mod 4 of the
    frame it belongs to), ``frame_end`` (a pulse after each frame's last word, with
    ``end_mode`` and ``end_frame``), ``frame``: the counter of frames that have passed the tap, mod 8 (the user's plan
    index of the frame at the tap).

    GHASH inputs (SP 800-38D; physec.md §7): MODE 10: A ‖ 0^16 at word :data:`MODE_WORD`, C block j (f-octets
    257+16j .. 272+16j) at word 34+2j, the last one (15 octets and a zero) at word 0 of the next frame. MODE 01:
    block 0 = A ‖ P[0..1] at word 32, block j ≥ 1 (P[16j−14 .. 16j+1]) at word 32+2j, the last (13 octets and 3
    zeros) at word 0 of the next frame. The length block (:data:`LEN_GCM` / :data:`LEN_GMAC`) is a constant: it is
    GHASH's known tail (:class:`~.ghash.Ghash` ``tails``), so the block at word 0 goes in as ``last`` with its tail and
    the one at word 4110 as ``pen``; S is out about 7 cycles after the next frame's word 0.

    ``pre_wc`` / ``pre_run``: the word index and valid that ``tap_wc`` / ``tap_run`` will hold in the next cycle (both
    engines register the tap from them). The block assembly decodes them one cycle ahead into registered one-hot
    selects, so that in the tap cycle only an AND-OR of the word registers lies in front of the FIFO's write port, and
    no cycle is added. (Decoding ``tap_wc`` in the tap cycle put the 13-bit word compares, the mode logic and a
    five-way 128-bit priority multiplexer in one line-clock cycle: the integrated TX's critical path, 123 MHz.) So
    ``mode`` and ``slot`` must be valid from the cycle before the tap holds word ``mode_word``.
    """

    def __init__(self, *, mode_word=MODE_WORD):
        if not 8 < mode_word < PAYLOAD_WORD:
            raise ValueError("the A block enters after the overhead words and before the payload")
        self.mode_word = mode_word
        self.ghash = Ghash(tails=(LEN_GCM, LEN_GMAC), key_select_in=True)
        super().__init__({
            "tap": In(64), "tap_wc": In(13), "tap_run": In(1), "pre_wc": In(13), "pre_run": In(1),
            "mode": In(2), "slot": In(1),
            "h": In(data.ArrayLayout(128, 2)), "h_new": In(2), "h_ready": Out(2),
            "s": Out(128), "s_valid": Out(1), "s_frame": Out(2),
            "frame_end": Out(1), "end_mode": Out(2), "end_frame": Out(2), "frame": Out(3),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.ghash = gh = self.ghash
        x_i = self.frame                               # tap frame counter (mod 8)
        mode_prev = Signal(2)                          # the previous frame's mode (its last blocks come late)
        msg_slot = Signal()                            # the key slot of the frame whose blocks are being pushed
        w0 = [rev8(self.tap)[8 * k:8 * k + 8] for k in range(8)]      # octets of the tap word, f-order
        w1 = [Signal(8, name=f"w1_{k}") for k in range(8)]               # previous word
        w2 = [Signal(8, name=f"w2_{k}") for k in range(8)]               # the one before
        aad = [Signal(8, name=f"aad{k}") for k in range(14)]
        with m.If(self.tap_run):
            m.d.sync += [a.eq(b) for a, b in zip(w1, w0)] + [a.eq(b) for a, b in zip(w2, w1)]
        twc, mode = self.tap_wc, self.mode
        z = Const(0, 8)
        # the GHASH blocks (Ghash.in_layout: block, slot, last, tail, kpow) wait in a FIFO; the length block is
        # GHASH's known tail (1: MODE 10, 2: MODE 01), so the frame's last given block carries ``last`` and ``tail``
        # and the one before it ``pen``
        lay = gh.in_layout
        m.submodules.gq = gq = fifo.SyncFIFOBuffered(width=lay.size, depth=8)
        pen_word = FRAME_WORDS - 2                     # the last full block of the payload (word 4110, both modes)
        with m.If(self.tap_run & (twc == 3)):
            m.d.sync += [a.eq(b) for a, b in zip(aad, [w2[7], *w1, *w0[:5]])]
        with m.If(self.tap_run & (twc == self.mode_word)):
            m.d.sync += msg_slot.eq(self.slot)
        # decoded one cycle ahead from pre_wc / pre_run (the tap's next word): the mode of the previous frame, for its
        # last block at word 0, is ``mode`` while the tap still holds the last word and ``mode_prev`` after it
        tap_last = self.tap_run & (twc == FRAME_WORDS - 1)
        pwc, prun = self.pre_wc, self.pre_run
        prev = Mux(tap_last, mode, mode_prev)
        # the block kinds: (select for the next tap word, its octets from (w2, w1, w0) in the tap cycle)
        kinds = {
            "a_gcm": (prun & (pwc == self.mode_word) & (mode == MODE_GCM), [*aad, z, z]),
            "c_gcm": (prun & (mode == MODE_GCM) & (pwc >= PAYLOAD_WORD + 2) & ~pwc[0], [*w2[1:], *w1, w0[0]]),
            "a_gmac": (prun & (mode == MODE_GMAC) & (pwc == PAYLOAD_WORD), [*aad, w0[1], w0[2]]),
            "p_gmac": (prun & (mode == MODE_GMAC) & (pwc >= PAYLOAD_WORD + 2) & ~pwc[0], [*w2[3:], *w1, *w0[:3]]),
            # the previous frame's last block (its length block is the known tail)
            "l_gcm": (prun & (pwc == 0) & (prev == MODE_GCM), [*w2[1:], *w1, z]),
            "l_gmac": (prun & (pwc == 0) & (prev == MODE_GMAC), [*w2[3:], *w1, z, z, z]),
        }
        # at most one kind per word (the word index and the mode decide): the selects are one-hot, an AND-OR
        sels = {k: Signal(name=f"sel_{k}") for k in kinds}
        push, e_slot, e_last, e_tail, e_kpow = Signal(), Signal(), Signal(), Signal(2), Signal(2)
        m.d.sync += [sels[k].eq(sel) for k, (sel, _) in kinds.items()]
        # the A block names the slot it opens (msg_slot takes it in the same tap cycle)
        n_slot, n_pen = Mux(pwc == self.mode_word, self.slot, msg_slot), pwc == pen_word
        n_last = kinds["l_gcm"][0] | kinds["l_gmac"][0]
        n_tail = Mux(kinds["l_gcm"][0], 1, Mux(kinds["l_gmac"][0], 2, 0))
        m.d.sync += [push.eq(Cat(*(sel for sel, _ in kinds.values())).any()),
                     e_slot.eq(n_slot), e_last.eq(n_last), e_tail.eq(n_tail),
                     # GHASH's key power (H^3 for the ``pen`` block) decoded here too, a cycle ahead (Ghash
                     # ``key_select_in``)
                     e_kpow.eq(key_select(n_last, n_pen, n_tail))]
        block = 0
        for k, (_, octs) in kinds.items():
            block = block | Mux(sels[k], octets_be(octs), 0)
        entry = Signal(lay)
        m.d.comb += [entry.block.eq(block), entry.slot.eq(e_slot), entry.last.eq(e_last),
                     entry.tail.eq(e_tail), entry.kpow.eq(e_kpow), gq.w_en.eq(push), gq.w_data.eq(entry)]
        m.d.sync += self.frame_end.eq(tap_last)
        with m.If(tap_last):
            m.d.sync += [x_i.eq(x_i + 1), mode_prev.eq(mode), self.end_mode.eq(mode), self.end_frame.eq(x_i[:2])]
        with m.If(self.tap_run & (twc == 8)):
            m.d.sync += mode_prev.eq(MODE_CLEAR)             # its blocks are all pushed by now

        # S belongs to the oldest protected frame whose length block went in
        s_frames = Array(Signal(2, name=f"s_frame{k}") for k in range(2))
        s_w, s_r = Signal(), Signal()
        with m.If(tap_last & (mode != MODE_CLEAR)):
            m.d.sync += [s_frames[s_w].eq(x_i[:2]), s_w.eq(~s_w)]

        # GHASH keys per slot: computed when the slot's H changes (h_ready low meanwhile: the engine's slot_valid)
        m.d.comb += [gh.h.eq(self.h), gh.h_load.eq(self.h_new), self.h_ready.eq(gh.h_ready),
                     gh.i.valid.eq(gq.r_rdy), gh.i.payload.eq(gq.r_data), gq.r_en.eq(gh.i.ready)]
        # S straight from GHASH's output register (the TX tag has one cycle of margin: `din bench physec_tx_sec`)
        m.d.comb += [gh.o.ready.eq(1), self.s_valid.eq(gh.o.valid), self.s.eq(gh.o.payload.s),
                     self.s_frame.eq(s_frames[s_r])]
        with m.If(gh.o.valid):
            m.d.sync += s_r.eq(~s_r)
        return m
