"""The PHYSec receiver (physec.md §7, §8): AM hunt / presync / sync / loss of frame, overhead checks, replay and tag
checks, decryption, GMP demapping, 257b → 66b → XGMII, Local Fault while not in SYNC.

Feed it line-dump bytes (§10) with :meth:`Receiver.feed` (any chunking) and call :meth:`Receiver.finish`; the client
words of delivered frames accumulate in :meth:`Receiver.output`, one :class:`RxFrameReport` per frame in
:attr:`Receiver.reports`, counters in :attr:`Receiver.counters`.

Alignment (§8). HUNT looks for an exact 120-bit AM at every bit offset (a 104-bit middle part of the AM is searched
as octets for each of the 8 bit shifts, each hit then compared bit by bit). PRESYNC needs an exact AM 263 168 bits after
the hit, else HUNT resumes at the bit after the hit. The PRESYNC frame's overhead (when its OHCRC16 is good) gives JC,
FC, AN and MODE; its data is not delivered and no tag is checked. In SYNC the AM may differ in up to 3 of 120 bits;
frames with a missed AM are processed normally; the 4th consecutive miss is loss of frame (``lof``): that frame is not
processed and HUNT restarts at its first bit. Local Fault: the client side sends LF ordered sets while not in SYNC; the
model counts them (``lf_words`` = line bits spent outside SYNC // 66, one client word per 66 line bits), never writes them.

Per frame in SYNC, in the order the fields arrive:
1. descramble, parse O0..O63, OHCRC16 over O0..O13. On a CRC error (``oh_crc_err``) FC / MODE / AN are predicted
   (FC of the last processed frame + frames since, MODE and AN unchanged); with nothing to predict from, the frame is
   not decrypted and its client blocks are /E/. JC is used whenever its own CRC-8 is good (decision: JC has its own
   check; OHCRC16 guards FC / MODE / AN).
2. replay: FC ≤ the last accepted FC → ``replay``; the frame is discarded whole (no decryption, no TAG compare, JC
   ignored, pending tag and Cm kept); its client blocks are delivered as /E/ (as many as the expected Cm).
3. TAG compare against the pending expected tag of the previous frame (``tag_ok`` / ``tag_fail``). Not compared: after
   a MODE 00 frame, after a frame that was not decrypted, in the first frame after lock.
4. FC reference ("last accepted FC"): FC = reference + 1 is accepted at once; a forward jump counts ``fc_jump`` and is
   accepted when its tag verifies (step 3 of the next frame). After lock the PRESYNC frame's FC is the reference.
5. MODE 11 → /E/, ``bad_mode``. AN without a slot → /E/, ``unknown_an``. MODE 10 → decrypt; MODE 01 → GMAC; the
   expected tag of this frame becomes pending. RX_REQUIRE_ENCRYPTION and MODE ≠ 10 → /E/, ``policy_drop`` (counted only
   for frames that carry client blocks).
6. demap the Cm(n) announced by the previous frame; unknown Cm (JC error) → /E/ × the last good Cm; 257b decode errors
   count ``xcode_err``. Output starts with the first frame after lock whose Cm is known.

Store-and-forward (optional): a frame with a pending tag is held and released when the next frame's TAG verifies,
else replaced by /E/ blocks; a held frame is dropped on loss of frame and at the end of the stream.

Keystream prediction (``predict_keystream=True``; the hardware receiver's rule, docs/physec-security.md "Receive side").
A receiver with a one-XOR decrypt path cannot start the keystream from the received FC (it arrives 28.5 words before
the payload, less than an AES pipeline's latency), so it computes frame n+1's keystream and E_K(J0) from a prediction
made at frame n: FC(n+1) = the expected FC above (the FC used for frame n + 1, also after a replayed or OHCRC-errored
frame), AN(n+1) = AN(n), or NAN(n) when frame n is the 8th consecutive KSP frame (the transmitter sends exactly 8 KSP
frames before a switch, §7 "Rekey"; a frame with an OHCRC16 error inside a KSP run counts as a KSP frame with the
run's NAN). The PRESYNC frame with a good OHCRC16 makes the first prediction. A MODE 01 / 10 frame whose AN has a slot
but whose (FC, AN) is not the predicted one (a forward jump, a lost switch) is not decrypted: its client blocks are
/E/, ``ks_miss`` counts, and no tag is pending for it (as for any frame that was not decrypted). The default
(``False``) is the spec's cut-through rule, where such a frame is decrypted.
"""

from dataclasses import dataclass, field

import numpy as np

from .frame import (AM_BITS, AM_OCTETS, BITREV, FRAME_BITS, MODE_CLEAR, MODE_GCM, MODE_GMAC, MODE_RESERVED,
                    OH_OCTETS, Overhead)
from .gmp import jc_decode
from .frame import unpack_slots
from .pcs6466 import XGMII_ERROR, decode_blocks
from .prbs import FRAME_MASK_OCTETS
from .security import KSP_FRAMES, tag_of
from .transcode257 import decode_groups

__all__ = ["Receiver", "RxCounters", "RxFrameReport", "HUNT", "PRESYNC", "SYNC"]

HUNT, PRESYNC, SYNC = "HUNT", "PRESYNC", "SYNC"
AM_TOLERANCE = 3          # differing AM bits accepted in SYNC (physec.md §8)
LOF_MISSES = 4            # consecutive missed AMs that make loss of frame


@dataclass
class RxCounters:
    frames_rx: int = 0
    tag_ok: int = 0
    tag_fail: int = 0
    replay: int = 0
    fc_jump: int = 0
    oh_crc_err: int = 0
    jc_err: int = 0
    xcode_err: int = 0
    lof: int = 0
    unknown_an: int = 0
    bad_mode: int = 0
    policy_drop: int = 0
    am_miss: int = 0
    locks: int = 0
    lf_words: int = 0
    blocks_delivered: int = 0
    e_blocks: int = 0
    rdi_seen: int = 0
    rif_seen: int = 0
    ks_miss: int = 0


@dataclass
class RxFrameReport:
    pos: int                      # line bit position of f[0]
    fc: int | None                # FC used (received or predicted)
    mode: int | None
    an: int | None
    cm: int | None                # Cm of this frame (announced by the previous one)
    am_diff: int
    oh_ok: bool
    replay: bool = False
    fc_jump: bool = False
    tag_checked: bool = False     # this frame's TAG field was compared (it verifies the previous frame)
    tag_ok: bool = False
    decrypted: bool = False
    blocks: int = 0               # client blocks output for this frame
    e_blocks: int = 0             # of which /E/
    kcc: bytes = b""


class Receiver:
    def __init__(self, keys, *, rx_require_encryption=None, store_and_forward=False, predict_keystream=False):
        self.keys = keys
        self.predict_keystream = predict_keystream
        self.rx_require_encryption = keys.rx_require_encryption if rx_require_encryption is None \
            else rx_require_encryption
        self.store_and_forward = store_and_forward
        self.counters = RxCounters()
        self.reports = []
        self.state = HUNT
        self._buf = bytearray()
        self._b0 = 0                  # absolute line bit of _buf[0]
        self._pos = 0                 # HUNT: search from here; SYNC: f[0] of the next frame
        self._hit = None
        self._unsync_since = 0
        self._out = []
        self._held = None             # store-and-forward: (data, ctrl) waiting for the next TAG
        self._ref = None              # last accepted FC
        self._pending = None          # (expected tag, fc, needs_accept) of the previous frame
        self._reset_link_state()
        self.tag_fail_last = False    # for RIF in this node's transmitter
        self._patterns = []
        am_line = np.frombuffer(AM_OCTETS, dtype=np.uint8)
        bits = np.unpackbits(am_line, bitorder="little")
        for s in range(8):
            self._patterns.append(np.packbits(bits[8 - s:112 - s], bitorder="little").tobytes())

    def _reset_link_state(self):
        self._misses = 0
        self._cm_next = None
        self._cm_last = None
        self._delivering = False
        self._expect_fc = None
        self._mode_an = None          # (mode, an) of the last processed frame
        self._pending = None
        self._pred = None             # predict_keystream: (FC, AN) predicted for the next frame
        self._ksp_run = 0             # consecutive KSP frames seen
        self._ksp_nan = 0             # the NAN of that run

    @property
    def in_sync(self):
        return self.state == SYNC

    # ---------------------------------------------------------------- buffer
    @property
    def _end(self):
        return self._b0 + 8 * len(self._buf)

    def _bits(self, p, n):
        off = p - self._b0
        i, s = off // 8, off % 8
        chunk = np.frombuffer(self._buf, dtype=np.uint8, count=(s + n + 7) // 8, offset=i)
        return np.unpackbits(chunk, bitorder="little")[s:s + n]

    def _frame(self, p):
        """(AM bits (120,), body octets MSB first, still scrambled) of the frame at line bit p."""
        off = p - self._b0
        if off % 8 == 0:
            fb = np.frombuffer(self._buf, dtype=np.uint8, count=FRAME_BITS // 8, offset=off // 8)
            return np.unpackbits(fb[:15], bitorder="little"), BITREV[fb[15:]]
        bits = self._bits(p, FRAME_BITS)
        return bits[:120], np.packbits(bits[120:], bitorder="big")

    def _trim(self):
        keep_from = min(self._pos, self._hit if self._hit is not None else self._pos) - 8
        drop = max(0, (keep_from - self._b0) // 8)
        if drop > (1 << 22):
            del self._buf[:drop]
            self._b0 += 8 * drop

    # ---------------------------------------------------------------- alignment
    def _am_exact(self, p):
        return np.array_equal(self._bits(p, 120), AM_BITS)

    def _find_am(self, h):
        """First p ≥ h with an exact AM whose 120 bits are all in the buffer, or None."""
        start = max(0, (h - self._b0) // 8 - 1)
        best = None
        for s, pat in enumerate(self._patterns):
            idx = self._buf.find(pat, start)
            while idx >= 0:
                p = self._b0 + 8 * (idx - 1) + s
                if p + 120 > self._end:
                    break
                if p >= h and (best is None or p < best) and p >= self._b0 and self._am_exact(p):
                    best = p
                    break
                if best is not None and p > best:
                    break
                idx = self._buf.find(pat, idx + 1)
        return best

    def feed(self, data):
        self._buf.extend(data)
        while True:
            if self.state == HUNT:
                p = self._find_am(self._pos)
                if p is None:
                    self._pos = max(self._pos, self._end - 119)
                    break
                self._hit, self.state = p, PRESYNC
            if self.state == PRESYNC:
                p = self._hit
                if p + FRAME_BITS + 120 > self._end:
                    break
                if self._am_exact(p + FRAME_BITS):
                    self._lock(p)
                else:
                    self.state, self._pos, self._hit = HUNT, p + 1, None
                continue
            if self.state == SYNC:
                if self._pos + FRAME_BITS > self._end:
                    break
                self._process(self._pos)
        self._trim()

    def finish(self):
        if self.state != SYNC:
            self.counters.lf_words += (self._end - self._unsync_since) // 66
            self._unsync_since = self._end
        self._held = None

    def output(self):
        """Client words delivered so far: (data uint64, ctrl uint8)."""
        if not self._out:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint8)
        return (np.concatenate([d for d, _ in self._out]), np.concatenate([c for _, c in self._out]))

    def _lock(self, p):
        """PRESYNC confirmed: read the PRESYNC frame's overhead, go to SYNC at the confirming AM."""
        self._reset_link_state()
        _, body = self._frame(p)
        oh, ok = Overhead.parse(body[:64] ^ FRAME_MASK_OCTETS[:64])
        if ok:
            self._ref = oh.fc
            self._expect_fc = oh.fc + 1
            self._mode_an = (oh.mode, oh.an)
            self._cm_next = jc_decode(oh.jc)
            if self._cm_next is not None:
                self._cm_last = self._cm_next
            self._predict(oh.fc + 1, oh.an, oh)
        else:
            self._ref = None
        self.state, self._pos, self._hit = SYNC, p + FRAME_BITS, None
        self.counters.locks += 1
        self.counters.lf_words += (self._pos - self._unsync_since) // 66

    # ---------------------------------------------------------------- per frame
    def _emit(self, n_blocks, data=None, ctrl=None):
        """Output n_blocks client blocks: the decoded words, or /E/ when data is None."""
        if data is None:
            data = np.full(4 * n_blocks, XGMII_ERROR[0], dtype=np.uint64)
            ctrl = np.full(4 * n_blocks, XGMII_ERROR[1], dtype=np.uint8)
        return data, ctrl

    def _predict(self, fc_next, an, oh):
        """The (FC, AN) of the next frame (module docstring); ``oh`` is None for a frame with an OHCRC16 error."""
        if oh is not None:
            self._ksp_run = min(self._ksp_run + 1, KSP_FRAMES + 1) if oh.ksp else 0
            if oh.ksp:
                self._ksp_nan = oh.nan
        elif self._ksp_run:
            self._ksp_run = min(self._ksp_run + 1, KSP_FRAMES + 1)
        switch = self._ksp_run == KSP_FRAMES
        self._pred = (fc_next, self._ksp_nan if switch else an)

    def _process(self, p):
        c = self.counters
        am, body_s = self._frame(p)
        am_diff = int(np.count_nonzero(am != AM_BITS))
        if am_diff > AM_TOLERANCE:
            c.am_miss += 1
            self._misses += 1
            if self._misses == LOF_MISSES:
                c.lof += 1
                self.state, self._unsync_since, self._held = HUNT, p, None
                return                                          # this frame is not processed; HUNT from p
        else:
            self._misses = 0
        self._pos = p + FRAME_BITS
        c.frames_rx += 1
        body = body_s ^ FRAME_MASK_OCTETS
        oh, oh_ok = Overhead.parse(body[:64])
        aad = body[:14].tobytes()
        payload = body[OH_OCTETS:]
        if oh_ok:
            fc, mode, an = oh.fc, oh.mode, oh.an
            c.rdi_seen += oh.rdi
            c.rif_seen += oh.rif
        else:
            c.oh_crc_err += 1
            if self._expect_fc is not None and self._mode_an is not None:
                fc, (mode, an) = self._expect_fc, self._mode_an
            else:
                fc = mode = an = None
        rep = RxFrameReport(pos=p, fc=fc, mode=mode, an=an, cm=self._cm_next, am_diff=am_diff, oh_ok=oh_ok,
                            kcc=oh.kcc)
        self.reports.append(rep)
        cm_this = self._cm_next
        e_count = cm_this if cm_this is not None else (self._cm_last if self._delivering else 0)
        cm_new = jc_decode(oh.jc)

        # 2. replay: discarded whole
        if fc is not None and self._ref is not None and fc <= self._ref:
            c.replay += 1
            rep.replay = True
            if self._expect_fc is not None:
                self._expect_fc += 1
            if self._pred is not None:
                self._pred = (self._pred[0] + 1, self._pred[1])
            self._deliver(rep, e_count, None, hold=False)
            return
        if cm_new is None:
            c.jc_err += 1
        # 3. TAG of the previous frame
        self.tag_fail_last = False
        if self._pending is not None:
            exp, pfc, needs_accept = self._pending
            rep.tag_checked = True
            rep.tag_ok = exp == oh.tag
            if rep.tag_ok:
                c.tag_ok += 1
                if needs_accept:
                    self._ref = max(self._ref if self._ref is not None else pfc, pfc)
                self._release_held(True)
            else:
                c.tag_fail += 1
                self.tag_fail_last = True
                self._release_held(False)
        self._pending = None
        # 4. FC reference
        if fc is not None:
            if self._ref is None or fc == self._ref + 1:
                self._ref, jump = fc, False
            else:
                c.fc_jump += 1
                rep.fc_jump = jump = True
            self._expect_fc = fc + 1
            self._mode_an = (mode, an)
        elif self._expect_fc is not None:
            self._expect_fc += 1
        # 5. security
        pred, self._pred = self._pred, None
        if fc is not None and self._expect_fc is not None:
            self._predict(self._expect_fc, an, oh if oh_ok else None)
        plain, deliver = None, False
        if fc is None:
            pass
        elif mode == MODE_RESERVED:
            c.bad_mode += 1
        elif mode == MODE_CLEAR:
            plain = payload
            deliver = not self.rx_require_encryption
        else:
            slot = self.keys.slot_for(an)
            if slot is None:
                c.unknown_an += 1
            elif self.predict_keystream and pred != (fc, an):
                c.ks_miss += 1
            else:
                plain, exp = tag_of(slot, mode, fc, aad, payload)
                rep.decrypted = mode == MODE_GCM
                self._pending = (exp, fc, jump)
                deliver = mode == MODE_GCM or not self.rx_require_encryption
        if plain is not None and not deliver and mode in (MODE_CLEAR, MODE_GMAC) and e_count:
            c.policy_drop += 1
        # 6. demap
        if cm_this is not None and deliver:
            groups = unpack_slots(plain, cm_this)
            hdr, pay, err = decode_groups(groups)
            c.xcode_err += int(np.count_nonzero(err))
            data, ctrl = decode_blocks(hdr.reshape(-1), pay.reshape(-1))
            self._deliver(rep, cm_this, (data, ctrl), hold=self._pending is not None)
        else:
            self._deliver(rep, e_count, None, hold=False)
        if cm_new is not None:
            self._cm_next = self._cm_last = cm_new
        else:
            self._cm_next = None

    def _deliver(self, rep, n_blocks, words, hold):
        if rep.cm is not None:
            self._delivering = True
        if not self._delivering or not n_blocks:
            return
        data, ctrl = words if words is not None else self._emit(n_blocks)
        rep.blocks = n_blocks
        rep.e_blocks = 0 if words is not None else n_blocks
        self.counters.blocks_delivered += n_blocks
        self.counters.e_blocks += rep.e_blocks
        if self.store_and_forward and hold:
            self._held = (data, ctrl)
        else:
            self._out.append((data, ctrl))

    def _release_held(self, ok):
        if self._held is None:
            return
        data, ctrl = self._held
        self._held = None
        if not ok:
            data, ctrl = self._emit(len(data) // 4)
        self._out.append((data, ctrl))
