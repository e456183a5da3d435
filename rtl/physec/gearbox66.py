"""66 ↔ 64 gearboxes for the serial side of a 10GBASE-R client port (IEEE 802.3 Cl. 49.2.7 / 49.2.9, physec.md §1).

Bit order: a 66b block is sent header bit 0, header bit 1, payload bit 0 ... payload bit 63 (:data:`BLOCK66`);
serial word bit i (:data:`LINE_WORD`) is sent i-th; words follow each other with no gap.

* :class:`TxGearbox66`: 66b blocks in, 64-bit words out, 33 words per 32 blocks. With a free-running output it
  takes a block in 32 of every 33 cycles: ``i.ready`` is low for one cycle in 33 (the cycle that sends the 64 bits left
  over after 32 blocks). At 156.25 MHz × 66 = 161.1328125 MHz × 64 the serial side in its own clock domain runs
  continuously; in one domain (the tests), the block side sees one idle cycle every 33.
* :class:`RxGearbox66`: 64-bit words in, *candidate* 66b blocks out at the current block boundary, for
  :class:`din.rtl.physec.blocklock.BlockLock`. A transfer on ``o`` consumes 66 bits; a transfer with ``slip`` high
  rejects the candidate and consumes **one** bit, so the next candidate starts one bit later (the golden model's SLIP,
  golden/physec/blocklock.py). While locked the output stalls once every 33 cycles; while hunting, slips consume less
  than the input brings, so ``i.ready`` goes low: a serial source that cannot be held loses words only while hunting,
  which changes which offsets are tried, never a locked stream.

TX keeps a 64-bit residue and moves the data through one 32-way multiplexer (the block boundary takes only even
offsets); latency one cycle (output register). RX keeps eight 64-bit word slots and issues candidates speculatively
through three registered stages (word select, byte shift, bit shift), so the slip decision of the block lock never
reaches the data multiplexers (issue 6: the one-cycle pointer → header → slip → pointer loop ran at about 100 MHz).
RX latency: 3 cycles from the cycle after the word that completes a block is taken to the candidate on ``o``; a
slip takes effect 3 cycles later than in the one-cycle design (the candidates issued meanwhile are flushed), which
changes when lock is reached, never which candidates are tried. ``i.ready`` stays high while locked at every alignment.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .layouts import BLOCK66, LINE_WORD

__all__ = ["TxGearbox66", "RxGearbox66"]

BLOCK_BITS = 66
WORD_BITS = 64
#: RX word slots (a power of two): the candidates in flight, the one being issued and the conservative, registered
#: ``i.ready`` need up to 7 words; with 8 ``i.ready`` stays high while locked at every bit alignment
RX_SLOTS = 8


class TxGearbox66(wiring.Component):
    """66b blocks in, 64-bit serial words out (no parameters). Latency one cycle; ``i.ready`` depends on ``o.ready``."""

    def __init__(self):
        self.params = {}
        super().__init__({"i": In(stream.Signature(BLOCK66)), "o": Out(stream.Signature(LINE_WORD))})

    def elaborate(self, platform):
        m = Module()
        res = Signal(WORD_BITS)              # bits left over, oldest in bit 0; bits >= fill are zero
        fill = Signal(range(WORD_BITS + 1))  # always even: 0, 2, ..., 64
        block = Cat(self.i.payload.header, self.i.payload.payload)
        joined = Signal(2 * WORD_BITS)
        with m.Switch(fill):
            for k in range(0, WORD_BITS, 2):
                with m.Case(k):
                    m.d.comb += joined.eq(Cat(res[:k], block))
        full = fill == WORD_BITS
        load = ~self.o.valid | self.o.ready
        m.d.comb += self.i.ready.eq(~full & load)
        with m.If(load):
            with m.If(full):                                 # the 33rd word: the residue alone
                m.d.sync += [self.o.valid.eq(1), self.o.payload.eq(res), res.eq(0), fill.eq(0)]
            with m.Elif(self.i.valid):
                m.d.sync += [self.o.valid.eq(1), self.o.payload.eq(joined[:WORD_BITS]),
                             res.eq(joined[WORD_BITS:]), fill.eq(fill + 2)]
            with m.Else():
                m.d.sync += self.o.valid.eq(0)
        return m


class RxGearbox66(wiring.Component):
    """64-bit serial words in, candidate 66b blocks out; ``slip`` (from the block lock) qualifies each ``o``
    transfer: high = reject and move the boundary one bit. ``i.ready`` is a register (a word slot free).

    Pipelined, speculative: the read pointer ``rd`` (absolute bit position, modulo ``RX_SLOTS`` × 64 × 2) issues a
    candidate every cycle there are 66 bits from it, assuming it will be accepted (``rd`` += 66). Stage A selects the
    three words that hold it (``rd`` / 64 ... + 2, one 8-way multiplexer per bit); they are shifted by ``rd`` mod 64
    in two steps (stage C: bytes, ``rd`` bits 5:3; stage B: bits, ``rd`` bits 2:0) into the 66-bit candidate on ``o``.
    A transfer with ``slip`` flushes the candidates still in stages A and C and sets ``rd`` to the rejected
    candidate's position + 1, so the candidates offered are exactly the golden model's sequence; a slip costs 4
    cycles instead of 1 (the serial side is held meanwhile through ``i.ready``). The slip decision thus only drives
    the pointer multiplexer and the stage valid bits, never the data path.
    """

    def __init__(self):
        self.params = {}
        super().__init__({"i": In(stream.Signature(LINE_WORD)), "o": Out(stream.Signature(BLOCK66)),
                          "slip": In(1)})

    def elaborate(self, platform):
        m = Module()
        nw = RX_SLOTS.bit_length()           # word counters modulo 2 * RX_SLOTS
        buf = [Signal(WORD_BITS, name=f"slot{k}") for k in range(RX_SLOTS)]
        wr = Signal(nw)                      # words written (mod 2 * RX_SLOTS)
        rd = Signal(nw + 6)                  # next candidate to issue: word rd[6:], bit rd[:6]
        rd_word, rd_ofs = rd[6:], rd[:6]

        # stage A: the words holding the candidate at rd (bits 0 .. 128 of words rd_word, +1, +2)
        a_valid = Signal()
        a_win = Signal(2 * WORD_BITS + 1)
        a_ofs = Signal(6)
        a_next = Signal.like(rd)             # rewind target if this candidate is slipped: its position + 1
        # stage C: shifted by a_ofs[5:3] bytes (66 + 7 bits left)
        c_valid = Signal()
        c_win = Signal(BLOCK_BITS + 7)
        c_ofs = Signal(3)
        c_next = Signal.like(rd)
        # stage B: shifted by c_ofs bits: the candidate (o.payload)
        b_valid = Signal()
        cand = Signal(BLOCK_BITS)
        b_next = Signal.like(rd)

        adv = ~b_valid | self.o.ready
        rewind = b_valid & self.o.ready & self.slip
        ahead = Signal(nw)
        m.d.comb += ahead.eq(wr - rd_word)
        avail = (ahead >= 3) | ((ahead == 2) & (rd_ofs != WORD_BITS - 1))       # 66 bits from rd are written
        issue = adv & avail & ~rewind

        sel = [Signal(WORD_BITS, name=f"sel{k}") for k in range(3)]
        for k in range(3):
            with m.Switch(rd_word[:nw - 1]):
                for w in range(RX_SLOTS):
                    with m.Case(w):
                        m.d.comb += sel[k].eq(buf[(w + k) % RX_SLOTS])
        coarse = Signal.like(c_win)
        with m.Switch(a_ofs[3:]):
            for k in range(8):
                with m.Case(k):
                    m.d.comb += coarse.eq(a_win[8 * k:8 * k + len(c_win)])
        fine = Signal(BLOCK_BITS)
        with m.Switch(c_ofs):
            for k in range(8):
                with m.Case(k):
                    m.d.comb += fine.eq(c_win[k:k + BLOCK_BITS])
        with m.If(adv):
            m.d.sync += [a_valid.eq(issue), a_win.eq(Cat(sel[0], sel[1], sel[2][0])), a_ofs.eq(rd_ofs),
                         a_next.eq(rd + 1),
                         c_valid.eq(a_valid & ~rewind), c_win.eq(coarse), c_ofs.eq(a_ofs[:3]), c_next.eq(a_next),
                         b_valid.eq(c_valid & ~rewind), cand.eq(fine), b_next.eq(c_next)]
        with m.If(rewind):
            m.d.sync += rd.eq(b_next)
        with m.Elif(issue):
            m.d.sync += rd.eq(rd + BLOCK_BITS)
        m.d.comb += [self.o.valid.eq(b_valid), self.o.payload.header.eq(cand[:2]),
                     self.o.payload.payload.eq(cand[2:])]

        # input: a word slot is free unless it may still be read; the oldest bit that may be read again is the
        # position of the oldest candidate in flight (rd - 66 per valid stage). ``i.ready`` is a register computed
        # from this cycle's oldest position, which can only grow: conservative by one cycle, and the slip decision
        # stays out of it.
        in_ready = Signal(init=1)
        base = Signal(nw)
        oldest = Signal.like(rd)
        in_flight = Signal(2)
        m.d.comb += [in_flight.eq(a_valid + c_valid + b_valid),
                     oldest.eq(rd - Mux(in_flight[1], Mux(in_flight[0], 3 * BLOCK_BITS, 2 * BLOCK_BITS),
                                        Mux(in_flight[0], BLOCK_BITS, 0)))]
        take = self.i.valid & in_ready
        wr_next = Signal(nw)
        m.d.comb += [wr_next.eq(wr + take), self.i.ready.eq(in_ready)]
        held = Signal(nw)
        m.d.comb += [base.eq(oldest[6:]), held.eq(wr_next - base)]
        m.d.sync += [wr.eq(wr_next), in_ready.eq(held < RX_SLOTS)]
        with m.If(take):
            with m.Switch(wr[:nw - 1]):
                for w in range(RX_SLOTS):
                    with m.Case(w):
                        m.d.sync += buf[w].eq(self.i.payload)
        return m
