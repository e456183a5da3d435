"""PHYSec RX security engine (physec.md §7; issue 7 item 3, receive side): key slots, the keystream of the next frame
computed from a prediction, one-XOR decryption, GHASH over what was received, the tag compare, replay / jump
reference updates and the counters.

It plugs into :class:`.rx_frame.RxFrame` (``security=True``) and works in its clock domain (``sync`` here, ``line`` in
the RX top). The key slots with the AES core and the GHASH side are the shared pieces of :mod:`.sec_common`::

    key slots {AN, key, salt, SSCI} ─► Aes256 key expansion, H = E_K(0) ─► H per slot, ``slot_valid``
    RxFrame's decision of frame n (word 12) ─► predictor: FC(n+1), AN(n+1) ─► plan of frame n+1 (FC, AN, slot)
      └─► AES request sequencer: J0 = IV ‖ 0^31 ‖ 1, then IV ‖ ctr, ctr = 2..2041 (every planned frame)
    Aes256 (ring, output FIFO) ─► keystream words for RxFrame's input word (``ks``, XORed with the descrambler's word)
    RxFrame ``ct`` (descrambled, before the XOR: the ciphertext and O0..O13 as received) ─► GcmTap ─► S(n)
    S(n) ⊕ E_K(J0(n)) ─► expected T(n), compared with frame n+1's TAG field at its word 9

**Why a prediction** (docs/physec-security.md "Receive side"). FC and AN end in word 3 and the payload starts at
word 32, but the AES ring's latency is 44 cycles (47 with its FIFO): a keystream started from the received FC would
be late for a one-cycle decrypt path. So frame n+1's keystream is requested from the prediction made at frame n's
decision: FC(n+1) = RxFrame's expected FC (the FC used for frame n + 1; also after a replayed or OHCRC-errored frame,
one FC per frame time), AN(n+1) = AN(n), or NAN(n) when frame n is the 8th consecutive KSP frame (the transmitter
sends exactly 8, :mod:`.tx_sec`; a frame with an OHCRC16 error inside a run counts with the run's NAN). The golden
receiver with ``predict_keystream=True`` applies the same rule. A MODE 01 / 10 frame whose AN has a slot but whose
(FC, AN) was not predicted is not decrypted: /E/ blocks (RxFrame's ``sec_ok`` low), ``ks_miss``, no pending tag.

**Keystream consumer.** Results carry their frame index mod 4 (the frames counted at RxFrame's input, ``r``); the
frame at the input may use results of its own index, J0 results of its own or the next index are stored, anything
else is stale (a plan cancelled by a relock) and dropped. Before the frame's decision its keystream waits in the FIFO;
after it, a MODE 10 frame that is decrypted consumes one half block per payload word (the mapping of :mod:`.tx_sec`:
half-block k serves word 32+k octets 0..6 and word 33+k octet 7), any other frame drops its blocks. A keystream word
that is not there when needed (never expected: only after software rewrote the slot in use) counts ``ks_underrun``
and raises ``ks_bad``: RxFrame marks the slot holding that word and every later slot of the frame ``bad`` and RxGmp
delivers them as /E/ blocks, so ciphertext never reaches the client as if it were data.

**Tags** (physec.md §7 "Receiver checks", golden ``receiver.py`` steps 2–4). GHASH runs on the frames that were
decrypted or verified (``GcmTap`` mode = their MODE, others 00); T(n) = S(n) ⊕ E_K(J0(n)). At word 9 of the next
frame that is not a replay (and not the PRESYNC frame) the pending tag is compared with the TAG field: ``tag_ok`` /
``tag_fail``; a verified frame that was a forward jump moves RxFrame's reference (``accept``, word 10), before that
frame's own reference check (word 11). A replayed frame keeps the pending tag. The PRESYNC frame and ``blind``
clear the link state (plans, pending tag, KSP run); the key slots stay.

Latency: the keystream XOR is in RxFrame's descrambler cycle: 0 added cycles on the decrypt path (target: one).
"""

from amaranth import Array, Cat, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .consts import FRAME_WORDS
from .rx_frame import OH_INFO, SEC_DECIDE_WORD
from .sec_common import (KEY_PORT, KIND_J0, KIND_KS, MODE_CLEAR, MODE_GCM, MODE_GMAC, GcmTap,
                         SecSlots, at_or_after_payload, forward_key_port, keystream_word)
from .tx_sec import KS_BLOCKS, KSP_FRAMES

__all__ = ["RxSec", "connect_rx_sec", "TAG_CHECK_WORD", "GHASH_MODE_WORD"]

TAG_CHECK_WORD = 9                       # word of the tag compare (RxFrame: replay known, reference not yet checked)
GHASH_MODE_WORD = SEC_DECIDE_WORD + 2    # the tap frame's GHASH mode is known from word 13, the cycle before
#                                          (GcmTap decodes the next tap word one cycle ahead)
FC_MATCH_WORD = SEC_DECIDE_WORD - 1      # FC = predicted FC, registered the cycle before the decision


class RxSec(wiring.Component):
    """The RX security engine (module docstring). Parameters as :class:`~.tx_sec.TxSec`."""

    def __init__(self, *, aes_units=7, aes_table="sbox", aes_sbox_style="ebr", aes_lookup_reg=True):
        self.slots = SecSlots(aes_units=aes_units, aes_table=aes_table, aes_sbox_style=aes_sbox_style,
                              aes_lookup_reg=aes_lookup_reg)
        self.gcm = GcmTap(mode_word=GHASH_MODE_WORD)
        super().__init__({
            # key slots (write side of the register map)
            **KEY_PORT,
            # RxFrame's input word (keystream side) and relock
            "wc": In(13), "run": In(1), "presync": In(1), "blind": In(1), "ks": Out(64),
            # RxFrame (security=True): tap, overhead and decision
            "ct": In(64), "ct_wc": In(13), "ct_valid": In(1),
            "oh": In(stream.Signature(OH_INFO, always_ready=True)),
            "fc_now": In(64), "an_now": In(2), "fc_known_now": In(1), "replay_now": In(1), "presync_now": In(1),
            "oh_tag": In(128), "pred_fc": In(64), "pred_v": In(1), "fc_jump": In(1),
            "sec_ok": Out(1), "accept": Out(1), "accept_fc": Out(64),
            # pulses for the counters, status
            "tag_ok": Out(1), "tag_fail": Out(1), "unknown_an": Out(1), "ks_miss": Out(1), "ks_underrun": Out(1),
            "ks_bad": Out(1), "tag_late": Out(1), "tag_ready_word": Out(13),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.slots = sl = self.slots
        m.submodules.gcm = gcm = self.gcm
        m.d.comb += forward_key_port(self, sl)
        an_r, salt_r, ssci_r, h_ok = sl.an, sl.salt, sl.ssci, sl.slot_valid

        def slot_for(an):
            """(found, slot) of an AN: the first valid slot holding it (the golden ``KeyConfig.slot_for``)."""
            m0 = h_ok[0] & (an_r[0] == an)
            m1 = h_ok[1] & (an_r[1] == an)
            return m0 | m1, ~m0

        # ------------------------------------------------------------------ frame indices and relock
        r_i = Signal(2)                      # frame at RxFrame's input (AES result tags are frame indices mod 4)
        last_in = self.run & (self.wc == FRAME_WORDS - 1)
        with m.If(last_in):
            m.d.sync += r_i.eq(r_i + 1)
        # a relock: the PRESYNC frame's first word, or a blind candidate
        clear = self.blind | (self.run & (self.wc == 0) & self.presync)

        # plans: ``cur`` = frame r (at the input), ``nxt`` = frame r + 1; ``req``: its AES requests were started
        def plan(prefix):
            return {n: Signal(w, name=f"{prefix}_{n}") for n, w in
                    (("valid", 1), ("req", 1), ("fc", 64), ("an", 2), ("slot", 1))}
        cur, nxt = plan("cur"), plan("nxt")
        mk = Signal()                                                  # make ``nxt`` in the cycle after the decision
        seq_active, seq_ctr, seq_left = Signal(), Signal(32), Signal(range(KS_BLOCKS + 2))
        seq_iv, seq_slot, seq_f = Signal(96), Signal(), Signal(2)
        with m.If(last_in):
            m.d.sync += [cur[k].eq(nxt[k]) for k in cur] + [nxt["valid"].eq(0), nxt["req"].eq(0)]

        # ------------------------------------------------------------------ decision of the frame at RxFrame's output
        oh = self.oh.payload
        fc_match = Signal()
        with m.If(self.ct_valid & (self.ct_wc == FC_MATCH_WORD)):
            m.d.sync += fc_match.eq(cur["valid"] & (cur["fc"] == self.fc_now) & (cur["an"] == self.an_now))
        found, slot = slot_for(oh.an)
        crypt = self.oh.valid & oh.fc_known & ~oh.replay & ~oh.presync & ((oh.mode == MODE_GCM) |
                                                                           (oh.mode == MODE_GMAC))
        ok = crypt & found & fc_match & (cur["slot"] == slot)
        m.d.comb += self.sec_ok.eq(ok)
        m.d.sync += [self.unknown_an.eq(crypt & ~found), self.ks_miss.eq(crypt & found & ~ok)]

        # keystream use of the frame at the input: 0 = waiting for the decision, 1 = decrypt (MODE 10), 2 = drop
        ks_state = Signal(2)
        tap_mode, tap_slot = Signal(2), Signal()
        with m.If(self.oh.valid):
            m.d.sync += [ks_state.eq(Mux(ok & (oh.mode == MODE_GCM), 1, 2)), tap_mode.eq(Mux(ok, oh.mode, MODE_CLEAR)),
                         tap_slot.eq(slot)]
        with m.If(last_in):
            m.d.sync += ks_state.eq(0)

        # ------------------------------------------------------------------ predictor (golden ``Receiver._predict``)
        ksp_run, ksp_nan, pred_an = Signal(range(KSP_FRAMES + 2)), Signal(2), Signal(2)
        aad = oh.aad                          # O5 = aad[64:72]: AN b7..6, NAN b5..4, KSP b3
        ksp_rx, nan_rx = aad[67], aad[68:70]
        run_next = Mux(ksp_run == KSP_FRAMES + 1, ksp_run, ksp_run + 1)
        with m.If(self.oh.valid & ~oh.replay & (oh.fc_known | oh.presync)):
            with m.If(oh.oh_ok):
                new_run = Mux(ksp_rx, run_next, 0)
                m.d.sync += [ksp_run.eq(new_run)]
                with m.If(ksp_rx):
                    m.d.sync += ksp_nan.eq(nan_rx)
                m.d.sync += pred_an.eq(Mux(ksp_rx & (new_run == KSP_FRAMES), nan_rx, oh.an))
            with m.Else():
                new_run = Mux(ksp_run != 0, run_next, 0)
                m.d.sync += [ksp_run.eq(new_run), pred_an.eq(Mux(new_run == KSP_FRAMES, ksp_nan, oh.an))]
        m.d.sync += mk.eq(self.oh.valid)           # after a replay: RxFrame's FC + 1, the AN predicted before
        with m.If(mk):
            nfound, nslot = slot_for(pred_an)
            m.d.sync += [nxt["valid"].eq(self.pred_v & nfound), nxt["req"].eq(0), nxt["fc"].eq(self.pred_fc),
                         nxt["an"].eq(pred_an), nxt["slot"].eq(nslot)]

        # ------------------------------------------------------------------ AES requests: J0, then the keystream
        m.d.comb += [sl.req.valid.eq(seq_active & sl.expanded.bit_select(seq_slot, 1)),
                     sl.req.payload.block.eq(Cat(seq_ctr, seq_iv)), sl.req.payload.slot.eq(seq_slot),
                     sl.req.payload.kind.eq(Mux(seq_ctr == 1, KIND_J0, KIND_KS)), sl.req.payload.frame.eq(seq_f)]
        with m.If(seq_active):
            with m.If(sl.req.valid & sl.req.ready):
                m.d.sync += [seq_ctr.eq(seq_ctr + 1), seq_left.eq(seq_left - 1)]
                with m.If(seq_left == 1):
                    m.d.sync += seq_active.eq(0)
        # a plan is started when it is complete (``mk`` writes ``nxt``) and not while ``nxt`` moves to ``cur``. While
        # idle, the sequencer's registers follow the plan it would start (``cur`` first), from registered state only:
        # the start condition (RxFrame's word index through ``last_in`` and ``clear``) drives ``seq_active`` and the
        # ``req`` bits, not the 96-bit IV load (timing: that load was the routed RX's critical path, 125.6 MHz)
        pick_cur = cur["valid"] & ~cur["req"]
        p_slot, p_fc = Mux(pick_cur, cur["slot"], nxt["slot"]), Mux(pick_cur, cur["fc"], nxt["fc"])
        free = ~mk & ~last_in & ~clear
        with m.Else():
            m.d.sync += [seq_ctr.eq(1), seq_slot.eq(p_slot), seq_f.eq(Mux(pick_cur, r_i, r_i + 1)),
                         seq_iv.eq(salt_r[p_slot] ^ Cat(p_fc, ssci_r[p_slot])), seq_left.eq(KS_BLOCKS + 1)]
            with m.If(free & pick_cur):
                m.d.sync += [seq_active.eq(1), cur["req"].eq(1)]
            with m.Elif(free & nxt["valid"] & ~nxt["req"]):
                m.d.sync += [seq_active.eq(1), nxt["req"].eq(1)]

        # ------------------------------------------------------------------ AES results
        res = sl.res
        head = res.payload
        t, kind = head.frame, head.kind
        mine, next_ = t == r_i, t == (r_i + 1)[:2]
        stale = res.valid & ~mine & ~next_
        ekj0 = Array(Signal(128, name=f"ekj0_{k}") for k in range(2))
        prev_oct = Signal(8)
        bottom = self.wc[0]
        word_ks, keep_oct = keystream_word(head.block, self.wc, prev_oct)
        in_payload = self.run & (ks_state == 1) & at_or_after_payload(self.wc)
        with m.If(stale):
            m.d.comb += res.ready.eq(1)
        with m.Elif(res.valid & (kind == KIND_J0)):
            m.d.comb += res.ready.eq(1)
            m.d.sync += ekj0[t[0]].eq(head.block)
        with m.Elif(res.valid & mine & (ks_state == 2)):
            m.d.comb += res.ready.eq(1)
        with m.If(in_payload):
            with m.If(res.valid & mine & (kind == KIND_KS)):
                m.d.comb += [self.ks.eq(word_ks), res.ready.eq(bottom)]
                m.d.sync += prev_oct.eq(keep_oct)
            with m.Else():
                m.d.sync += prev_oct.eq(0)
        # a payload word without its keystream: ``ks_bad`` (same cycle, RxFrame marks the word's slot and the rest of
        # the frame: /E/ blocks, never the ciphertext as data), ``ks_underrun`` (registered pulse, the counter)
        m.d.comb += self.ks_bad.eq(in_payload & ~(res.valid & mine & (kind == KIND_KS)))
        m.d.sync += self.ks_underrun.eq(self.ks_bad)

        # ------------------------------------------------------------------ tap → GHASH → expected tag
        m.d.comb += [gcm.tap.eq(self.ct), gcm.tap_wc.eq(self.ct_wc), gcm.tap_run.eq(self.ct_valid),
                     gcm.pre_wc.eq(self.wc), gcm.pre_run.eq(self.run),       # RxFrame registers ct_wc / ct_valid from these
                     gcm.mode.eq(tap_mode), gcm.slot.eq(tap_slot), gcm.h.eq(sl.h), gcm.h_new.eq(sl.h_new),
                     sl.ghash_ready.eq(gcm.h_ready)]
        exp_tag, exp_ok = Signal(128), Signal()
        with m.If(gcm.frame_end & (gcm.end_mode != MODE_CLEAR)):
            m.d.sync += exp_ok.eq(0)
        with m.Elif(gcm.s_valid):
            m.d.sync += [exp_tag.eq(gcm.s ^ ekj0[gcm.s_frame[0]]), exp_ok.eq(1),
                         self.tag_ready_word.eq(self.ct_wc + 1)]

        # pending tag (golden ``_pending``): set at the decision of a decrypted / verified frame, compared at word 9
        # of the next frame that is not a replay
        pend, pend_fc, pend_jump = Signal(), Signal(64), Signal()
        check = self.ct_valid & (self.ct_wc == TAG_CHECK_WORD) & ~self.presync_now & ~self.replay_now
        match = exp_ok & (exp_tag == self.oh_tag)
        m.d.sync += [self.tag_ok.eq(check & pend & match), self.tag_fail.eq(check & pend & ~match),
                     self.tag_late.eq(self.tag_late | (check & pend & ~exp_ok)),
                     self.accept.eq(check & pend & match & pend_jump), self.accept_fc.eq(pend_fc)]
        with m.If(self.oh.valid & (oh.presync | ~oh.replay)):
            m.d.sync += [pend.eq(ok), pend_fc.eq(oh.fc), pend_jump.eq(0)]
        with m.If(self.fc_jump):
            m.d.sync += pend_jump.eq(1)                         # RxFrame's pulse for the frame just decided

        # relock: the link state restarts (after the statements above: it wins)
        with m.If(clear):
            m.d.sync += [cur["valid"].eq(0), nxt["valid"].eq(0), seq_active.eq(0), pend.eq(0), ksp_run.eq(0),
                         ks_state.eq(2)]
        return m


def connect_rx_sec(m, frame, sec):
    """The wiring between :class:`~.rx_frame.RxFrame` (``security=True``) and :class:`RxSec` (both in one domain)."""
    m.d.comb += [sec.wc.eq(frame.i.payload.wc), sec.run.eq(frame.i.valid), sec.presync.eq(frame.i.payload.presync),
                 sec.blind.eq(frame.blind), frame.keystream.eq(sec.ks), frame.ks_bad.eq(sec.ks_bad),
                 sec.ct.eq(frame.ct), sec.ct_wc.eq(frame.ct_wc), sec.ct_valid.eq(frame.ct_valid),
                 sec.oh.valid.eq(frame.oh.valid), sec.oh.payload.eq(frame.oh.payload),
                 sec.fc_now.eq(frame.fc_now), sec.an_now.eq(frame.an_now), sec.fc_known_now.eq(frame.fc_known_now),
                 sec.replay_now.eq(frame.replay_now), sec.presync_now.eq(frame.presync_now),
                 sec.oh_tag.eq(frame.oh_tag), sec.pred_fc.eq(frame.pred_fc), sec.pred_v.eq(frame.pred_v),
                 sec.fc_jump.eq(frame.fc_jump),
                 frame.sec_ok.eq(sec.sec_ok), frame.accept.eq(sec.accept), frame.accept_fc.eq(sec.accept_fc)]
