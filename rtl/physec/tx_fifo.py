"""PHYSec TX client FIFO: 257b blocks from the client domain ``sync`` (156.25 MHz) to the line domain ``line``
(161.1328125 MHz), physec.md §1 and §5.

Construction: :class:`din.rtl.common.prefetch_fifo.AsyncPrefetchFIFO` (Cummings "style #2" like
``amaranth.lib.fifo.AsyncFIFO``, rebuilt for timing, issue 6): Gray-code pointers with two-flop synchronisers,
``depth`` entries of 257 bits in block RAM, and on the line side a two-entry register buffer that the block RAM fills
ahead of the reader. This module adds the client-side rules.

* Client side (``s``, ``sync``): a client PCS never stalls, so ``s.ready`` is always 1. A block offered while the
  memory is full is dropped and sets the sticky ``overflow`` flag (``sync`` domain); it never happens with the Cm
  controller of :mod:`.tx_gmp`, both clocks within ±100 ppm and the client started with the framer (the FIFO peaks at
  about 1004 blocks during start-up, when frame 0 carries no client data; ``depth`` defaults to 1024). The write
  pointer and its successor are kept in binary and Gray registers, so a write only selects between registers.
* Line side (``o``, ``line``): an ordinary stream; ``o.valid`` and ``o.payload`` come from the two-entry buffer
  (registers; the payload through a 2-way multiplexer on a register). The block RAM's read address is a register:
  a read is issued when the RAM holds an unread block and the buffer has room for it counting the read in flight,
  so ``o.ready`` only moves the buffer's read side and never reaches the RAM. Latency from ``written`` seeing a block
  to ``o.valid``: 2 cycles when the buffer is empty.
* ``written`` (``line``): the number of blocks written, mod 2^(log2(depth)+1), as the line domain sees it: the
  synchronised write pointer. The Cm controller subtracts the blocks it has scheduled into frames, so its level
  does not depend on how far the mapper has read ahead.
  Timing: a block written at client edge ``c`` is counted in ``written`` in the line cycle that starts two line edges
  after ``c`` (first edge strictly after ``c``, then the second synchroniser flop): the golden model's
  ``ClientClock(latency=...)`` is set from this (see ``din.sim.physec.tb_tx_model``).
* ``level`` (``line``, a register: one cycle late): blocks in the FIFO including the output buffer and the read in
  flight, as seen from the line domain.

Reset: as ``AsyncFIFO``, the write domain's reset empties the FIFO (the line side takes the synchronised write
pointer as its read pointer and clears its buffer while it sees that reset); reset both domains together.
"""

from amaranth import Module
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from ..common.layouts import validate_width
from ..common.prefetch_fifo import AsyncPrefetchFIFO
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
        m.submodules.fifo = fifo = AsyncPrefetchFIFO(width=257, depth=self.depth, w_domain="sync", r_domain="line")
        # client side: never stalls; a block meeting a full FIFO is dropped and flagged (sticky)
        m.d.comb += [self.s.ready.eq(1), fifo.w_en.eq(self.s.valid), fifo.w_data.eq(self.s.payload)]
        with m.If(self.s.valid & ~fifo.w_rdy):
            m.d.sync += self.overflow.eq(1)
        # line side
        m.d.comb += [self.o.valid.eq(fifo.r_rdy), self.o.payload.eq(fifo.r_data), fifo.r_en.eq(self.o.ready),
                     self.written.eq(fifo.r_written), self.level.eq(fifo.r_level)]
        return m
