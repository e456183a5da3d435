"""PHYSec TX security engine (physec.md §7; issue 7 item 3, transmit side): key slots, the per-frame security plan,
the AES-256 CTR keystream computed ahead, the GHASH over what is sent and the tag of frame n for frame n+1.

It plugs into :class:`.tx_frame.TxFrame` (``security=True``) and works in its clock domain (``sync`` here, renamed to
``line`` by :class:`.tx_top.PhysecTx`). The key slots with the AES core and the GHASH side are the shared pieces of
:mod:`.sec_common` (:class:`~.sec_common.SecSlots`, :class:`~.sec_common.GcmTap`), which the receiver uses too::

    key slots {AN, key, salt, SSCI} ─► Aes256 key expansion, H = E_K(0) ─► H per slot, ``slot_valid``
    planner (FC, slot, MODE, AN, NAN, KSP, blocked per frame, up to 4 frames ahead)
      ├─► TxFrame's plan: MODE / AN / NAN / KSP of the frame it builds, ``blocked`` of it and of the next
      └─► AES request sequencer: J0(n) = IV(n) ‖ 0^31 ‖ 1, then IV(n) ‖ ctr, ctr = 2..2041 (MODE 10 only)
    Aes256 (ring, output FIFO) ─► keystream words for TxFrame's gearbox word (``ks``), E_K(J0(n)) kept per frame
    TxFrame stage A (gearbox word ⊕ ks, before PRBS31 and TAG) ─► ``tap`` ─► GCM block assembler ─► FIFO ─► Ghash
    Ghash S(n) ⊕ E_K(J0(n)) ─► ``tag`` (T(n), inserted into frame n+1 by TxFrame's delayed TAG stage)

Frame layout facts used (physec.md §4, §7): the frame is the octet stream f-octet q = f[8q .. 8q+7] with f[8q] the most
significant bit (so a line word w holds f-octets 8w .. 8w+7, each bit-reversed in the word); O0..O13 = f-octets 15..28
(words 1..3); the payload P = f-octets 257 .. 32895 (32 639 octets, words 32..4111: word 32 holds P[0..6] in its octets
1..7, word 32+k the octets P[8k−1 .. 8k+6]). The keystream half-block h_k = keystream octets 8k .. 8k+7 therefore
serves word 32+k (its octets 0..6) and word 33+k (its octet 7).

GHASH inputs per mode (SP 800-38D; physec.md §7; :class:`~.sec_common.GcmTap`):

* MODE 10 (GCM): A ‖ 0^16 ‖ C ‖ 0^8 ‖ len block: A at tap word 10, C block j (f-octets 257+16j .. 272+16j) complete at
  tap word 34+2j, the last (15 octets + one zero) at word 0 of the next frame, then the length block
  ([112]64 ‖ [261 112]64), a constant that GHASH adds as its precomputed tail (``Ghash(tails=...)``).
* MODE 01 (GMAC): one AAD string A ‖ P (32 653 octets): block 0 = A ‖ P[0..1] at tap word 32, block j ≥ 1
  (P[16j−14 .. 16j+1] = f-octets 243+16j .. 258+16j) at tap word 32+2j, the last (P[32 626 .. 32 638] and 3 zeros)
  at word 0 of the next frame, then the length block ([261 224]64 ‖ [0]64), GHASH's other tail.
* MODE 00: nothing; the next frame's TAG is zero.

The tag T(n) = S(n) ⊕ E_K(J0(n)) is ready about 9 cycles after frame n's last word passes the tap; TxFrame inserts
it through a delay of ``tag_delay`` stages after the tap (``tag_late`` flags a tag that was not ready in time; never
expected with the default delay). ``tag_ready_word`` is the tap word from which the last tag was ready (the margin is
3 + ``tag_delay`` − it).

Keystream supply: the ring of the AES core issues one block per two cycles and its output FIFO (52 blocks with
credits) fills during the 32 overhead words, so the keystream is waiting before word 32 (the frame needs 2041 AES
blocks in 4112 cycles). A keystream word that is not there (never expected; e.g. after a key slot was rewritten while
in use) is *not* sent in clear: TxFrame replaces the data word by zero (``kill``), ``ks_underrun`` counts it. Results
of frames the consumer has already passed are dropped by their frame tag, so such an event does not shift later
frames.

Security plan of frame n (as :class:`din.golden.physec.security.TxSecurity`): FC(n) = FC_INIT + n, saturating;
``usable`` = the active slot is valid (H ready) and FC(n) < FC_LIMIT; MODE = ``mode`` if usable else 00; ``blocked``
= ``require_encryption`` and not usable (or ``mode`` is 00 / the reserved 11: fail closed); REKEY_REQUIRED (sticky)
from FC(n) ≥ FC_LIMIT − ``rekey_warn``. Key switch (``sw_req`` with ``sw_slot`` and ``sw_at``, an FC): frames whose FC
is in [sw_at − 8, sw_at) carry NAN = the new slot's AN and KSP = 1; the first frame with FC ≥ sw_at after at least 8
KSP frames uses the new slot (so a request made late still gives 8 KSP frames, later). A request while one is pending
replaces it.
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .consts import FRAME_WORDS
from .sec_common import (KEY_PORT, KIND_J0, KIND_KS, MODE_CLEAR, MODE_GCM, MODE_GMAC, GcmTap,
                         SecSlots, at_or_after_payload, forward_key_port, keystream_word)

__all__ = ["TxSec", "KSP_FRAMES", "MODE_CLEAR", "MODE_GMAC", "MODE_GCM"]

KSP_FRAMES = 8                         # physec.md §7 "Rekey"
KS_BLOCKS = 2040                       # ceil(32 639 / 16) keystream blocks per MODE 10 frame
J0_WORD = 24                           # output word at which E_K(J0(n)) is taken off the AES FIFO (frame 0's J0
#                                        arrives at word ~15: its request goes out when the transmitter is enabled)
PLANS = 4
FC_MAX = (1 << 64) - 1


class TxSec(wiring.Component):
    """The TX security engine (module docstring). Parameters: the AES core's ``aes_units`` / ``aes_table`` /
    ``aes_sbox_style`` / ``aes_lookup_reg`` (GHASH: one block per two cycles, the line's rate)."""

    def __init__(self, *, aes_units=7, aes_table="sbox", aes_sbox_style="ebr", aes_lookup_reg=True):
        self.slots = SecSlots(aes_units=aes_units, aes_table=aes_table, aes_sbox_style=aes_sbox_style,
                              aes_lookup_reg=aes_lookup_reg)
        self.gcm = GcmTap()
        super().__init__({
            # key slots (write side of the register map)
            **KEY_PORT,
            # configuration
            "enable": In(1), "fc_init": In(64), "fc_limit": In(64), "rekey_warn": In(32), "mode": In(2),
            "require_encryption": In(1), "tx_slot": In(1),
            "sw_req": In(1), "sw_slot": In(1), "sw_at": In(64),
            # TxFrame's plan (frame it builds next) and its ``planned`` strobe
            "planned": In(1),
            "plan_mode": Out(2), "plan_an": Out(2), "plan_nan": Out(2), "plan_ksp": Out(1),
            "plan_blocked": Out(1), "plan_blocked_next": Out(1),
            # keystream for TxFrame's gearbox word
            "wc": In(13), "out_run": In(1), "ks": Out(64), "kill": Out(1),
            # tap (TxFrame stage A: the word after the keystream XOR, before PRBS31 / TAG)
            "tap": In(64), "tap_wc": In(13), "tap_run": In(1),
            # T(n−1) for the TAG of the frame at TxFrame's TAG stage
            "tag": Out(128), "tag_ok": Out(1),
            # status
            "active_an": Out(2), "rekey_required": Out(1), "cfg_err": Out(1), "ks_underrun": Out(32),
            "j0_missing": Out(1), "tag_ready_word": Out(13),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.slots = sl = self.slots
        m.submodules.gcm = gcm = self.gcm
        m.d.comb += forward_key_port(self, sl)
        an_r, salt_r, ssci_r, h_ok = sl.an, sl.salt, sl.ssci, sl.slot_valid

        # ------------------------------------------------------------------ planner
        pl_fc = Array(Signal(64, name=f"pl_fc{k}") for k in range(PLANS))
        pl_mode = Array(Signal(2, name=f"pl_mode{k}") for k in range(PLANS))
        pl_an = Array(Signal(2, name=f"pl_an{k}") for k in range(PLANS))
        pl_nan = Array(Signal(2, name=f"pl_nan{k}") for k in range(PLANS))
        pl_ksp = Array(Signal(name=f"pl_ksp{k}") for k in range(PLANS))
        pl_slot = Array(Signal(name=f"pl_slot{k}") for k in range(PLANS))
        pl_blocked = Array(Signal(name=f"pl_blocked{k}") for k in range(PLANS))
        # frame indices mod 8: p = next to plan, t = TxFrame's, s = sequencer's, o = output word's, x = tap's
        p_i, t_i, s_i, o_i = (Signal(3, name=n) for n in ("p_i", "t_i", "s_i", "o_i"))
        x_i = gcm.frame
        started = Signal()
        fc_p = Signal(64)
        cur_slot = Signal()
        sw_armed, sw_slot, sw_at = Signal(), Signal(), Signal(64)
        ksp_cnt = Signal(range(KSP_FRAMES + 1))
        start = self.enable & ~started
        with m.If(start):
            m.d.sync += [started.eq(1), fc_p.eq(self.fc_init), cur_slot.eq(self.tx_slot)]
        with m.If(self.sw_req):
            m.d.sync += [sw_armed.eq(1), sw_slot.eq(self.sw_slot), sw_at.eq(self.sw_at), ksp_cnt.eq(0)]
        # The 64-bit FC compares are registered (the routed critical path of the integrated TX went through them):
        # they see fc_p and sw_at of the previous cycle, so a plan is made only when neither changed in the cycle
        # before (``fresh``): at most one plan every other cycle, for frames thousands of cycles long.
        warn_at = Mux(self.fc_limit > self.rekey_warn, self.fc_limit - self.rekey_warn, 0)
        ge_sw, ksp_win, below_limit, ge_warn = Signal(), Signal(), Signal(), Signal()
        m.d.sync += [ge_sw.eq(fc_p >= sw_at), ksp_win.eq(Cat(fc_p, Const(0, 1)) + KSP_FRAMES >= sw_at),
                     below_limit.eq(fc_p < self.fc_limit), ge_warn.eq(fc_p >= warn_at)]
        fresh = Signal()
        m.d.sync += fresh.eq(~start & ~self.sw_req)
        # four plan entries: frames x (the tap, the oldest reader) .. p − 1; the sequencer is normally ahead of x
        can_plan = started & fresh & ((p_i - x_i)[:3] < PLANS) & ((p_i - s_i)[:3] < PLANS)
        with m.If(can_plan & ~self.sw_req):
            m.d.sync += fresh.eq(0)
            switch_now = sw_armed & (ksp_cnt == KSP_FRAMES) & ge_sw
            ksp = sw_armed & ~switch_now & ksp_win
            slot = Mux(switch_now, sw_slot, cur_slot)
            usable = h_ok.bit_select(slot, 1) & below_limit
            mode_ok = (self.mode == MODE_GCM) | (self.mode == MODE_GMAC)
            mode = Mux(usable & mode_ok, self.mode, MODE_CLEAR)
            idx = p_i[:2]
            m.d.sync += [pl_fc[idx].eq(fc_p), pl_mode[idx].eq(mode), pl_an[idx].eq(an_r[slot]),
                         pl_nan[idx].eq(Mux(ksp, an_r[sw_slot], an_r[slot])), pl_ksp[idx].eq(ksp),
                         pl_slot[idx].eq(slot), pl_blocked[idx].eq(self.require_encryption & ~(usable & mode_ok)),
                         p_i.eq(p_i + 1), fc_p.eq(Mux(fc_p == FC_MAX, fc_p, fc_p + 1))]
            with m.If(switch_now):
                m.d.sync += [cur_slot.eq(sw_slot), sw_armed.eq(0)]
            with m.If(ksp & (ksp_cnt != KSP_FRAMES)):
                m.d.sync += ksp_cnt.eq(ksp_cnt + 1)
            with m.If(ge_warn):
                m.d.sync += self.rekey_required.eq(1)
            with m.If(self.mode == 0b11):
                m.d.sync += self.cfg_err.eq(1)
        m.d.comb += self.active_an.eq(an_r[cur_slot])

        # TxFrame's view: the plan of the frame it builds next, and whether the one after is blocked
        t2 = t_i[:2]
        m.d.comb += [self.plan_mode.eq(pl_mode[t2]), self.plan_an.eq(pl_an[t2]), self.plan_nan.eq(pl_nan[t2]),
                     self.plan_ksp.eq(pl_ksp[t2]), self.plan_blocked.eq(pl_blocked[t2]),
                     self.plan_blocked_next.eq(pl_blocked[(t_i + 1)[:2]])]
        with m.If(self.planned):
            m.d.sync += t_i.eq(t_i + 1)

        # ------------------------------------------------------------------ AES requests: H first, then frames
        seq_active, seq_ctr, seq_left = Signal(), Signal(32), Signal(range(KS_BLOCKS + 2))
        seq_iv, seq_slot = Signal(96), Signal()
        # a slot rewritten while its frame is being requested (software must write the inactive slot only) stalls
        # the requests: no block is computed with half-expanded round keys; the words that miss their keystream are
        # sent as zero and counted (``ks_underrun``), never in clear
        m.d.comb += [sl.req.valid.eq(seq_active & sl.expanded.bit_select(seq_slot, 1)),
                     sl.req.payload.block.eq(Cat(seq_ctr, seq_iv)), sl.req.payload.slot.eq(seq_slot),
                     sl.req.payload.kind.eq(Mux(seq_ctr == 1, KIND_J0, KIND_KS)), sl.req.payload.frame.eq(s_i[:2])]
        req_taken = sl.req.valid & sl.req.ready
        with m.If(seq_active):
            with m.If(req_taken):
                m.d.sync += [seq_ctr.eq(seq_ctr + 1), seq_left.eq(seq_left - 1)]
                with m.If(seq_left == 1):
                    m.d.sync += [seq_active.eq(0), s_i.eq(s_i + 1)]
        # the next frame's decision in two registered steps (timing: key state and plan → 130 enables was one
        # cycle across the die): ``pre`` latches the decision's inputs, the cycle after acts on them (a decision
        # every other cycle; one per frame is needed). Between the two, ``o_i`` can only move forward (``pre_go``
        # only gets truer), the plan entry cannot be overwritten (p − s < PLANS), and a slot's ``slot_valid`` seen one
        # cycle early is the same as its key arriving one cycle later
        pre_v, pre_skip, pre_go, pre_slot = Signal(), Signal(), Signal(), Signal()
        pre_iv, pre_left = Signal(96), Signal.like(seq_left)
        m.d.sync += pre_v.eq(0)
        with m.If(~seq_active & ~pre_v & (s_i != p_i)):
            s2 = s_i[:2]
            fs = pl_slot[s2]
            m.d.sync += [pre_v.eq(1), pre_slot.eq(fs),
                         # nothing to compute (or no key: underrun, flagged)
                         pre_skip.eq((pl_mode[s2] == MODE_CLEAR) | ~h_ok.bit_select(fs, 1)),
                         # a frame's requests start when the output is at most one frame before it: results carry
                         # the frame number mod 4 and a frame 2 or 3 ahead would look stale (behind by 2 or 1) and be
                         # dropped. Found with a key installed in operation: the planned MODE 00 frames were skipped
                         # and the first MODE 10 frame's keystream, requested 3 frames ahead, was dropped (2962
                         # words sent as zero, ks_underrun)
                         pre_go.eq((s_i - o_i)[:3] <= 1),
                         pre_iv.eq(salt_r[fs] ^ Cat(pl_fc[s2], ssci_r[fs])),
                         pre_left.eq(Mux(pl_mode[s2] == MODE_GCM, KS_BLOCKS + 1, 1))]
        with m.Elif(pre_v):
            with m.If(pre_skip):
                m.d.sync += s_i.eq(s_i + 1)
            with m.Elif(pre_go):
                m.d.sync += [seq_active.eq(1), seq_ctr.eq(1), seq_slot.eq(pre_slot), seq_iv.eq(pre_iv),
                             seq_left.eq(pre_left)]

        # ------------------------------------------------------------------ AES results (keystream and J0)
        res = sl.res
        head = res.payload
        kind, hpar = head.kind, head.frame

        # output word side: o_i = frame of TxFrame's gearbox word
        o2 = o_i[:2]
        mode_o = pl_mode[o2]
        last_word = self.wc == FRAME_WORDS - 1
        with m.If(self.out_run & last_word):
            m.d.sync += o_i.eq(o_i + 1)
        behind = (o_i[:2] - hpar)[:2]
        stale = res.valid & ((behind == 1) | (behind == 2))
        ours = res.valid & (hpar == o2)
        ekj0 = Array(Signal(128, name=f"ekj0_{k}") for k in range(2))
        prev_oct = Signal(8)
        in_payload = self.out_run & (mode_o == MODE_GCM) & at_or_after_payload(self.wc)
        bottom = self.wc[0]                                  # odd words use the bottom half of the block
        have_ks = ours & (kind == KIND_KS)
        word_ks, keep_oct = keystream_word(head.block, self.wc, prev_oct)
        with m.If(stale):
            m.d.comb += res.ready.eq(1)
        with m.Elif(self.out_run & (self.wc == J0_WORD) & (mode_o != MODE_CLEAR)):
            with m.If(ours & (kind == KIND_J0)):
                m.d.comb += res.ready.eq(1)
                m.d.sync += ekj0[o_i[0]].eq(head.block)
            with m.Else():
                m.d.sync += self.j0_missing.eq(1)
        with m.Elif(in_payload):
            with m.If(have_ks):
                m.d.comb += [self.ks.eq(word_ks), res.ready.eq(bottom)]
                m.d.sync += prev_oct.eq(keep_oct)
            with m.Else():
                m.d.comb += self.kill.eq(1)
                m.d.sync += [self.ks_underrun.eq(self.ks_underrun + 1), prev_oct.eq(0)]

        # ------------------------------------------------------------------ tap → GCM blocks → GHASH
        m.d.comb += [gcm.tap.eq(self.tap), gcm.tap_wc.eq(self.tap_wc), gcm.tap_run.eq(self.tap_run),
                     gcm.pre_wc.eq(self.wc), gcm.pre_run.eq(self.out_run),          # TxFrame registers the tap from these
                     gcm.mode.eq(pl_mode[x_i[:2]]), gcm.slot.eq(pl_slot[x_i[:2]]), gcm.h.eq(sl.h),
                     gcm.h_new.eq(sl.h_new), sl.ghash_ready.eq(gcm.h_ready)]

        # tag of the frame that left the tap: zero after a MODE 00 frame, else S ⊕ E_K(J0) when GHASH is done
        with m.If(gcm.frame_end):
            with m.If(gcm.end_mode == MODE_CLEAR):
                m.d.sync += [self.tag.eq(0), self.tag_ok.eq(1)]
            with m.Else():
                m.d.sync += self.tag_ok.eq(0)
        with m.Elif(gcm.s_valid):
            m.d.sync += [self.tag.eq(gcm.s ^ ekj0[gcm.s_frame[0]]), self.tag_ok.eq(1),
                         self.tag_ready_word.eq(self.tap_wc + 1)]      # tag_ok is high from the tap's next word on
        with m.If(~started):
            m.d.sync += self.tag_ok.eq(1)
        return m
