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

TX keeps a 64-bit residue, RX four 64-bit word slots (``i.ready`` stays high while locked at every alignment); the data moves through one 32- or 64-way multiplexer (the
block boundary takes only even offsets on TX, any on RX). TX latency: one cycle (output register); RX: combinational
from the word registers (the block lock registers the block).
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .layouts import BLOCK66, LINE_WORD

__all__ = ["TxGearbox66", "RxGearbox66"]

BLOCK_BITS = 66
WORD_BITS = 64
#: RX word slots: a candidate needs up to 3 words (boundary at bit 63 of the oldest); the fourth keeps ``i.ready``
#: a register that stays high while locked at any bit alignment (with 3, an odd alignment stalls once per 33 words)
SLOTS = 4


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
    transfer: high = reject and move the boundary one bit. ``i.ready`` is a register (a word slot free)."""

    def __init__(self):
        self.params = {}
        super().__init__({"i": In(stream.Signature(LINE_WORD)), "o": Out(stream.Signature(BLOCK66)),
                          "slip": In(1)})

    def elaborate(self, platform):
        m = Module()
        window = Signal(SLOTS * WORD_BITS)   # word 0 (oldest) in bits 63:0
        words = Signal(range(SLOTS + 1))
        ptr = Signal(range(WORD_BITS))       # block boundary inside word 0
        cand = Signal(BLOCK_BITS)
        with m.Switch(ptr):
            for k in range(WORD_BITS):
                with m.Case(k):
                    m.d.comb += cand.eq(window[k:k + BLOCK_BITS])
        m.d.comb += [
            self.o.valid.eq((words >= 3) | ((words == 2) & (ptr <= 2 * WORD_BITS - BLOCK_BITS))),
            self.o.payload.header.eq(cand[:2]), self.o.payload.payload.eq(cand[2:]),
        ]
        consumed = Mux(self.o.valid & self.o.ready, Mux(self.slip, 1, BLOCK_BITS), 0)
        nxt = Signal(range(WORD_BITS + BLOCK_BITS))
        m.d.comb += nxt.eq(ptr + consumed)
        drop = nxt[6:8]                      # whole words consumed: 0, 1 or 2
        kept = Signal(range(SLOTS + 1))
        m.d.comb += kept.eq(words - drop)
        shifted = Signal(SLOTS * WORD_BITS)
        with m.Switch(drop):
            for k in range(3):
                with m.Case(k):
                    m.d.comb += shifted.eq(window[WORD_BITS * k:])
        take = self.i.valid & self.i.ready
        new_words = []
        for s in range(SLOTS):
            slot = shifted[WORD_BITS * s:WORD_BITS * (s + 1)]
            new_words.append(Mux(take & (kept == s), self.i.payload, slot))
        held = Signal(range(SLOTS + 1))
        in_ready = Signal(init=1)            # registered: a free slot after this cycle
        m.d.comb += [held.eq(kept + take), self.i.ready.eq(in_ready)]
        m.d.sync += [window.eq(Cat(*new_words)), ptr.eq(nxt[:6]), words.eq(held), in_ready.eq(held < SLOTS)]
        return m
