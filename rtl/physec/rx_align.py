"""PHYSec receiver alignment (physec.md §8): AM search at every bit offset, HUNT / PRESYNC / SYNC, loss of frame, and
the barrel realignment of the line word stream to frame-aligned 64-bit words (``sync`` domain; the RX top renames it
to ``line``).

Input: 64-bit line words (bit i of a word is the line bit sent i-th, physec.md §4), ``always_ready`` (the receiver never
stalls the line); ``valid`` may drop (gaps are skipped, every stage carries a valid token).

Datapath (one line word per cycle):

* S0: a window of the last three words ``Cat(a, b, c)`` (``a`` oldest). An AM starting at bit ``k`` (0..63) of ``a``
  is window bits ``k .. k+119`` (at most bit 182, so three words are enough).
* S1: 64 comparators, one per bit offset, each split into 8 registered 15-bit equalities; and the 120 window bits at
  the locked offset XORed with the AM (for the bit-error count in SYNC; the window is shifted by octets as it is
  loaded in S0, by bits here).
* S2: the 64 hit bits (AND of the 8 partials); popcounts of the AM difference in eight 16-bit groups.
* S3: the first (lowest offset) hit of the word and whether there is one; the hit at the followed offset (the
  PRESYNC check); the AM bit-error count (0..120).
* FSM on the S3 registers, for the word ``a`` (the word in which a candidate AM starts):

  - HUNT: the first exact AM → PRESYNC at that bit; the frame that starts there is output flagged ``presync``
    (its overhead is read, its data never delivered).
  - PRESYNC: 263 168 bits (4112 words, same offset) later the AM must be exact → SYNC (``locked`` pulse), and that
    frame is the first processed one. Else the hunt resumes after the failed position (golden ``receiver.py``: at
    the bit after the hit): the first exact AM seen *during* the PRESYNC frame (recorded while waiting) becomes the
    new candidate; its frame started in the past, so its overhead was not seen (``blind`` pulse: the link state
    restarts with nothing known, as for a PRESYNC frame with a bad OHCRC16); otherwise an exact AM later in the check
    word itself; otherwise HUNT.
  - SYNC: the AM at the locked offset may differ in up to 3 of 120 bits. A miss (``am_miss``) still processes the
    frame, the 4th consecutive miss is loss of frame (``lof``): that frame is not output, and the hunt restarts at
    its first bit (the golden model's decision): an exact AM later in the same word, else HUNT from the next word.

* Output stages S4 (words, offset and flags registered) and S5 (``Cat(a, b)`` shifted by the offset): frame-aligned
  words ``data`` = ``f[64·wc .. 64·wc+63]`` with ``wc`` the word index in the frame (0..4111; word 0 carries the AM).
  A frame that starts being output is always output whole (decisions happen only at word 0).

Latency: input word to the aligned word that holds its first bit: 6 or 7 cycles. Limits (documented choices): one
candidate AM is remembered per PRESYNC frame, and at most one AM start per 64-bit word is seen (the first), which a
real AM stream never violates (the AM does not overlap itself by less than 120 bits).
"""

import operator

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..common.tree import balanced_reduce
from .consts import AM_BITS, AM_LOF_MISSES, AM_OCTETS, AM_SYNC_MAX_BIT_ERRORS, FRAME_WORDS, LINE_WORD_BITS
from .layouts import LINE_WORD

__all__ = ["AM_VALUE", "RX_ALIGNED", "HUNT", "PRESYNC", "SYNC", "RxAlign", "priority_encoder", "tree_sum"]

#: the AM as a number whose bit i is f[i] (each octet sent LSB first, octet 0 first: a little-endian integer)
AM_VALUE = int.from_bytes(AM_OCTETS, "little")
assert AM_VALUE.bit_length() <= AM_BITS

#: a frame-aligned word: ``data`` bit i = f[64·wc + i]; ``presync``: the PRESYNC frame (overhead only);
#: ``am_err``: AM bits that differ (meaningful on word 0)
RX_ALIGNED = data.StructLayout({"data": LINE_WORD_BITS, "wc": 13, "presync": 1, "am_err": 7})

HUNT, PRESYNC, SYNC = 0, 1, 2
_CHUNK = 15                                  # bits per registered partial comparison (8 per offset)


def priority_encoder(bits):
    """``(any, index)`` of the lowest set bit of ``bits`` (a list of 1-bit values, a power of two long), a log-depth
    tree of muxes."""
    if len(bits) == 1:
        return bits[0], Const(0, 0)
    half = len(bits) // 2
    a_lo, i_lo = priority_encoder(bits[:half])
    a_hi, i_hi = priority_encoder(bits[half:])
    return a_lo | a_hi, Mux(a_lo, Cat(i_lo, Const(0, 1)), Cat(i_hi, Const(1, 1)))


def tree_sum(values):
    """Balanced adder tree over ``values``."""
    return balanced_reduce(values, operator.add)


class RxAlign(wiring.Component):
    """AM search, lock state machine and realignment (see the module docstring).

    Ports: ``i`` (line words in), ``o`` (frame-aligned words, :data:`RX_ALIGNED`, no backpressure), ``state``
    (HUNT 0 / PRESYNC 1 / SYNC 2), and one-cycle pulses (registered: the cycle after the decision, with the new
    ``state``) ``lof`` (loss of frame), ``locked`` (PRESYNC confirmed),
    ``am_miss`` (a SYNC AM with more than 3 differing bits), ``am_ok`` with ``am_ok_err`` (an accepted SYNC AM and its
    differing bits), ``blind`` (a PRESYNC candidate whose overhead was not seen; see the module docstring).
    """

    def __init__(self):
        super().__init__({
            "i": In(stream.Signature(LINE_WORD, always_ready=True)),
            "o": Out(stream.Signature(RX_ALIGNED, always_ready=True)),
            "state": Out(2),
            "lof": Out(1), "locked": Out(1), "am_miss": Out(1), "am_ok": Out(1), "am_ok_err": Out(2),
            "blind": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        W = LINE_WORD_BITS
        off = Signal(6)                              # offset of the frame being followed (PRESYNC / SYNC)

        # S0: the window
        a, b, c = Signal(W), Signal(W), Signal(W)
        v0 = Signal()
        m.d.sync += v0.eq(self.i.valid)
        # the window at the followed offset, shifted by whole octets (off bits 5:3) as it is loaded; the bit shift
        # (off bits 2:0) is in S1. ``off`` only matters for the AM bit-error count in SYNC, where it is constant.
        wsh = Signal(AM_BITS + 7)
        with m.If(self.i.valid):
            m.d.sync += [a.eq(b), b.eq(c), c.eq(self.i.payload),
                         wsh.eq(Cat(b, c, self.i.payload).bit_select(Cat(Const(0, 3), off[3:]), AM_BITS + 7))]
        win = Cat(a, b, c)

        # S1: partial comparisons per offset; AM difference at the locked offset
        eq1 = [Signal(AM_BITS // _CHUNK, name=f"eq1_{k}") for k in range(W)]
        for k in range(W):
            m.d.sync += eq1[k].eq(Cat(win[k + _CHUNK * j:k + _CHUNK * (j + 1)] ==
                                      ((AM_VALUE >> (_CHUNK * j)) & ((1 << _CHUNK) - 1))
                                      for j in range(AM_BITS // _CHUNK)))
        x1 = Signal(AM_BITS)
        m.d.sync += x1.eq(wsh.bit_select(off[:3], AM_BITS) ^ AM_VALUE)
        v1, a1, b1 = Signal(), Signal(W), Signal(W)
        m.d.sync += [v1.eq(v0), a1.eq(a), b1.eq(b)]

        # S2: hits; popcount of each octet of the difference
        hit2 = Signal(W)
        m.d.sync += hit2.eq(Cat(e.all() for e in eq1))
        pc2 = [Signal(5, name=f"pc2_{g}") for g in range((AM_BITS + 15) // 16)]
        for g, p in enumerate(pc2):
            m.d.sync += p.eq(tree_sum(x1[i] for i in range(16 * g, min(16 * g + 16, AM_BITS))))
        v2, a2, b2 = Signal(), Signal(W), Signal(W)
        m.d.sync += [v2.eq(v1), a2.eq(a1), b2.eq(b1)]

        # S3: first hit, AM bit errors
        any3, first3, err3 = Signal(), Signal(6), Signal(7)
        h_any, h_idx = priority_encoder([hit2[k] for k in range(W)])
        # An exact AM at the followed offset (the PRESYNC check) and "the first hit is at or after it" (``later_hit``,
        # first3 >= off), for the offset the FSM follows when it looks at them. Both are used only at a frame start
        # (wc0). ``off`` changes either in start_presync, which sets wc to 1 (so neither is looked at in the next
        # cycle), or in the candidate switch, whose check can come in the very next cycle: so both are registered for
        # ``off`` and for ``cand_off``, and ``switched`` (set with the switch) selects. The compare is "no hit below
        # the offset": a 64-bit AND-OR with a below-mask register kept with each offset (``ltm_*``; the mask of
        # first3 is the complement of the prefix OR of that word's hits, ``pfx3``), so no index compare is in the
        # FSM's cycle (the rx_line critical path before).
        ex_o, ex_c, lat_o, lat_c = (Signal(name=n) for n in ("ex_o", "ex_c", "lat_o", "lat_c"))
        switched = Signal()                          # off := cand_off in the cycle before
        cand_off = Signal(6)
        pfx3 = Signal(W)                             # pfx3[k]: a hit at offset <= k in the S3 word
        ltm_off, ltm_cand = Signal(W), Signal(W)     # bit k: k < off, k < cand_off
        pfx = hit2
        for d in (1, 2, 4, 8, 16, 32):
            pfx = pfx | (pfx << d)[:W]
        m.d.sync += [any3.eq(h_any), first3.eq(h_idx), err3.eq(tree_sum(pc2)), pfx3.eq(pfx),
                     ex_o.eq(hit2.bit_select(off, 1)), ex_c.eq(hit2.bit_select(cand_off, 1)),
                     lat_o.eq(~(hit2 & ltm_off).any()), lat_c.eq(~(hit2 & ltm_cand).any()), switched.eq(0)]
        exact3 = Mux(switched, ex_c, ex_o)
        v3, a3, b3 = Signal(), Signal(W), Signal(W)
        m.d.sync += [v3.eq(v2), a3.eq(a2), b3.eq(b2)]

        # FSM
        state = Signal(2, init=HUNT)
        wc = Signal(13)                              # index in the followed frame of word a3
        misses = Signal(range(AM_LOF_MISSES))
        out_on = Signal()                            # a frame is being output
        out_pres = Signal()
        cand_v, cand_wc, cand_wc0 = Signal(), Signal(13), Signal()
        m.d.comb += self.state.eq(state)
        # the pulses are registered (one cycle after the FSM decision), so the counters and the frame stage start
        # from a register
        lof, locked, am_miss, am_ok, blind = (Signal(name=f"{n}_c") for n in ("lof", "locked", "am_miss", "am_ok",
                                                                             "blind"))
        am_ok_err = Signal(2, name="am_ok_err_c")
        m.d.sync += [self.lof.eq(lof), self.locked.eq(locked), self.am_miss.eq(am_miss), self.am_ok.eq(am_ok),
                     self.am_ok_err.eq(am_ok_err), self.blind.eq(blind)]

        emit, e_off, e_wc, e_pres = Signal(), Signal(6), Signal(13), Signal()
        wc_last = wc == FRAME_WORDS - 1
        wc_next = Mux(wc_last, 0, wc + 1)
        wc0 = Signal(init=1)                         # wc == 0, kept with every write of wc (a register)
        m.d.comb += [emit.eq(out_on), e_off.eq(off), e_wc.eq(wc), e_pres.eq(out_pres)]

        def start_presync(offset):
            assert offset is first3                  # ltm_off below is first3's mask
            m.d.sync += [state.eq(PRESYNC), off.eq(offset), ltm_off.eq(~pfx3), wc.eq(1), wc0.eq(0),
                         cand_v.eq(0), out_on.eq(1), out_pres.eq(1)]
            m.d.comb += [emit.eq(1), e_off.eq(offset), e_wc.eq(0), e_pres.eq(1)]

        def stop():
            m.d.sync += [state.eq(HUNT), out_on.eq(0)]
            m.d.comb += emit.eq(0)

        assert AM_SYNC_MAX_BIT_ERRORS == 3
        # an exact AM at or after the failed position, same word (the first one of the word, as first3 >= off)
        later_hit = any3 & Mux(switched, lat_c, lat_o)
        with m.If(v3):
            m.d.sync += [wc.eq(wc_next), wc0.eq(wc_last)]
            with m.Switch(state):
                with m.Case(HUNT):
                    m.d.comb += emit.eq(0)
                    with m.If(any3):
                        start_presync(first3)
                with m.Case(PRESYNC):
                    with m.If(wc0):
                        with m.If(exact3):
                            # this frame is the first processed one: output it (after a candidate switch nothing
                            # was being output, the candidate's PRESYNC frame having started in the past)
                            m.d.sync += [state.eq(SYNC), misses.eq(0), out_pres.eq(0), out_on.eq(1)]
                            m.d.comb += [locked.eq(1), emit.eq(1), e_pres.eq(0)]
                        with m.Elif(cand_v):
                            # the first exact AM after the failed hit started cand_wc words into that frame
                            m.d.sync += [off.eq(cand_off), ltm_off.eq(ltm_cand), switched.eq(1), wc.eq(cand_wc),
                                         wc0.eq(cand_wc0), cand_v.eq(0), out_on.eq(0)]
                            m.d.comb += [emit.eq(0), blind.eq(1)]
                        with m.Elif(later_hit):
                            start_presync(first3)
                        with m.Else():
                            stop()
                    with m.Elif(any3 & ~cand_v):
                        # the first exact AM after the failed hit starts ``wc`` words into that frame: store the wc
                        # to load at the failed check so that the candidate's check comes at wc 0
                        m.d.sync += [cand_v.eq(1), cand_off.eq(first3), ltm_cand.eq(~pfx3),
                                     cand_wc.eq(Mux(wc == 1, 0, FRAME_WORDS + 1 - wc)), cand_wc0.eq(wc == 1)]
                with m.Case(SYNC):
                    with m.If(wc0):
                        with m.If(err3[2:] == 0):                 # err3 <= AM_SYNC_MAX_BIT_ERRORS
                            m.d.sync += misses.eq(0)
                            m.d.comb += [am_ok.eq(1), am_ok_err.eq(err3)]
                        with m.Else():
                            m.d.comb += am_miss.eq(1)
                            with m.If(misses == AM_LOF_MISSES - 1):
                                m.d.comb += lof.eq(1)
                                with m.If(later_hit):
                                    start_presync(first3)
                                with m.Else():
                                    stop()
                            with m.Else():
                                m.d.sync += misses.eq(misses + 1)

        # S4: register the words, offset and flags; S5: shift
        v4, a4, b4, off4, wc4, pres4, err4 = Signal(), Signal(W), Signal(W), Signal(6), Signal(13), Signal(), Signal(7)
        m.d.sync += [v4.eq(v3 & emit), a4.eq(a3), b4.eq(b3), off4.eq(e_off), wc4.eq(e_wc), pres4.eq(e_pres),
                     err4.eq(err3)]
        m.d.sync += [self.o.valid.eq(v4), self.o.payload.data.eq(Cat(a4, b4).bit_select(off4, W)),
                     self.o.payload.wc.eq(wc4), self.o.payload.presync.eq(pres4), self.o.payload.am_err.eq(err4)]
        return m
