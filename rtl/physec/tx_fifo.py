"""PHYSec TX client FIFO: 257b blocks from the client domain ``sync`` (156.25 MHz) to the line domain ``line``
(161.1328125 MHz), physec.md §1 and §5.

Construction: ``amaranth.lib.fifo.AsyncFIFO`` (Gray-code pointers, two-flop synchronisers, ``depth`` entries of 257
bits in block RAM) followed by one output register in ``line`` (the block RAM's output never drives logic directly).

* Client side (``s``, ``sync``): a client PCS never stalls, so ``s.ready`` is always 1. A block offered while the
  memory is full is dropped and sets the sticky ``overflow`` flag (``sync`` domain); it never happens with the Cm
  controller of :mod:`.tx_gmp`, both clocks within ±100 ppm and the client started with the framer (the FIFO peaks at
  about 1004 blocks during start-up, when frame 0 carries no client data; ``depth`` defaults to 1024).
* Line side (``o``, ``line``): an ordinary stream; ``o.valid`` is a register.
* ``written`` (``line``): the number of blocks written, mod 2^(log2(depth)+1), as the line domain sees it: the
  synchronised write pointer (``r_level`` plus the reads). The Cm controller subtracts the blocks it has scheduled
  into frames, so its level does not depend on how far the mapper has read ahead.
  Timing: a block written at client edge ``c`` is counted in ``written`` in the line cycle that starts two line edges
  after ``c`` (first edge strictly after ``c``, then the second synchroniser flop): the golden model's
  ``ClientClock(latency=...)`` is set from this (see ``din.sim.physec.tb_tx_model``).
* ``level`` (``line``): blocks in the FIFO including the output register, as seen from the line domain.

Reset: the write domain's reset empties the FIFO (AsyncFIFO semantics); reset both domains together.
"""

from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import AsyncFIFO
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from ..common.layouts import validate_width
from .layouts import BLOCK257

__all__ = ["TxClientFifo"]


class TxClientFifo(wiring.Component):
    """Client FIFO of 257b blocks, ``sync`` → ``line``. Keyword-only ``depth`` (blocks, a power of 2)."""

    def __init__(self, *, depth=1024):
        validate_width("depth", depth, minimum=4, power_of_2=True)
        self.depth = depth
        self.ptr_bits = exact_log2(depth) + 1
        super().__init__({
            "s": In(stream.Signature(BLOCK257)),
            "o": Out(stream.Signature(BLOCK257)),
            "written": Out(self.ptr_bits),
            "level": Out(self.ptr_bits),
            "overflow": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.cdc = fifo = AsyncFIFO(width=257, depth=self.depth, w_domain="sync", r_domain="line")

        # ---- client side: never stalls; a block meeting a full FIFO is dropped and flagged
        m.d.comb += [self.s.ready.eq(1), fifo.w_en.eq(self.s.valid), fifo.w_data.eq(self.s.payload)]
        with m.If(self.s.valid & ~fifo.w_rdy):
            m.d.sync += self.overflow.eq(1)

        # ---- line side: one output register after the block RAM
        reads = Signal(self.ptr_bits)                # blocks read out of the AsyncFIFO (== its consume pointer)
        take = fifo.r_rdy & (~self.o.valid | self.o.ready)
        m.d.comb += fifo.r_en.eq(take)
        with m.If(take):
            m.d.line += [self.o.valid.eq(1), self.o.payload.eq(fifo.r_data), reads.eq(reads + 1)]
        with m.Elif(self.o.ready):
            m.d.line += self.o.valid.eq(0)
        m.d.comb += [self.written.eq(fifo.r_level + reads),
                     self.level.eq(fifo.r_level + self.o.valid)]
        return m
