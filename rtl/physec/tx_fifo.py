"""PHYSec TX client FIFO: 257b blocks from the client domain ``sync`` (156.25 MHz) to the line domain ``line``
(161.1328125 MHz), physec.md §1 and §5.

Construction (Cummings "style #2" like ``amaranth.lib.fifo.AsyncFIFO``, rebuilt here for timing, issue 6): Gray-code
pointers with two-flop synchronisers, ``depth`` entries of 257 bits in block RAM, and on the line side a two-entry
register buffer that the block RAM fills ahead of the reader.

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

from amaranth import Cat, Module, Mux, ResetSignal, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import AsyncFFSynchronizer, FFSynchronizer
from amaranth.lib.memory import Memory
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
        n = self.ptr_bits
        mem = m.submodules.mem = Memory(shape=257, depth=self.depth, init=[])
        wport = mem.write_port(domain="sync")
        rport = mem.read_port(domain="line")

        def gray(v):
            return v ^ (v >> 1)

        def ungray(g):
            bits = [g[-1]]
            for k in reversed(range(n - 1)):
                bits.insert(0, bits[0] ^ g[k])
            return Cat(*bits)

        # ---- client side: never stalls; a block meeting a full FIFO is dropped and flagged
        w_bin, w_gry = Signal(n), Signal(n)
        w_bin1, w_gry1 = Signal(n, init=1), Signal(n, init=gray(1))    # the successor, precomputed
        r_gry = Signal(n, reset_less=True)                             # read pointer (Gray), line domain
        r_gry_w = Signal(n)                                            # ... as seen by sync
        m.submodules.r_cdc = FFSynchronizer(r_gry, r_gry_w, o_domain="sync")
        full = (w_gry[-1] != r_gry_w[-1]) & (w_gry[-2] != r_gry_w[-2]) & (w_gry[:-2] == r_gry_w[:-2])
        write = self.s.valid & ~full
        m.d.comb += [self.s.ready.eq(1), wport.addr.eq(w_bin[:-1]), wport.data.eq(self.s.payload),
                     wport.en.eq(write)]
        nxt = w_bin1 + 1
        with m.If(write):
            m.d.sync += [w_bin.eq(w_bin1), w_gry.eq(w_gry1), w_bin1.eq(nxt), w_gry1.eq(gray(nxt))]
        with m.If(self.s.valid & full):
            m.d.sync += self.overflow.eq(1)

        # ---- line side
        w_gry_r = Signal(n)
        m.submodules.w_cdc = FFSynchronizer(w_gry, w_gry_r, o_domain="line")
        w_rst = ResetSignal("sync")
        r_rst = Signal()
        m.submodules.rst_cdc = AsyncFFSynchronizer(w_rst, r_rst, o_domain="line")
        r_bin = Signal(n, reset_less=True)
        r_bin1, r_gry1 = Signal(n, reset_less=True, init=1), Signal(n, reset_less=True, init=gray(1))
        w_bin_r = Signal(n)
        m.d.comb += w_bin_r.eq(ungray(w_gry_r))
        # two-entry buffer: entry k valid in ``bv[k]``; written at ``wsel``, read at ``rsel``
        buf = [Signal(257, name=f"buf{k}") for k in range(2)]
        bv = Signal(2)
        wsel, rsel, inflight = Signal(), Signal(), Signal()
        held = Signal(2)
        m.d.comb += held.eq(bv[0] + bv[1] + inflight)
        stale = Signal()                                               # r_bin1 / r_gry1 to recompute (after r_rst)
        issue = (r_gry != w_gry_r) & (held < 2) & ~stale
        pop = self.o.valid & self.o.ready
        m.d.comb += [rport.addr.eq(r_bin[:-1]), rport.en.eq(1),
                     self.o.valid.eq(bv.bit_select(rsel, 1)), self.o.payload.eq(Mux(rsel, buf[1], buf[0]))]
        nxt_r = r_bin1 + 1
        bv_set = Signal(2)
        bv_clr = Signal(2)
        with m.If(inflight):                                           # the RAM data of last cycle's read
            m.d.line += [buf[0].eq(Mux(wsel, buf[0], rport.data)), buf[1].eq(Mux(wsel, rport.data, buf[1])),
                         wsel.eq(~wsel)]
            m.d.comb += bv_set.eq(Mux(wsel, 0b10, 0b01))
        with m.If(pop):
            m.d.line += rsel.eq(~rsel)
            m.d.comb += bv_clr.eq(Mux(rsel, 0b10, 0b01))
        m.d.line += [bv.eq((bv & ~bv_clr) | bv_set), inflight.eq(issue)]
        with m.If(issue):
            m.d.line += [r_bin.eq(r_bin1), r_gry.eq(r_gry1), r_bin1.eq(nxt_r), r_gry1.eq(gray(nxt_r))]
        with m.If(stale):
            m.d.line += [r_bin1.eq(r_bin + 1), r_gry1.eq(gray(r_bin + 1)), stale.eq(0)]
        with m.If(r_rst):                                              # write side in reset: empty
            # the successors are recomputed in the cycle after (``stale``: no read issued then)
            m.d.line += [r_bin.eq(w_bin_r), r_gry.eq(w_gry_r), stale.eq(1),
                         bv.eq(0), inflight.eq(0), wsel.eq(0), rsel.eq(0)]
        m.d.comb += self.written.eq(w_bin_r)
        m.d.line += self.level.eq(w_bin_r - r_bin + held)             # status: registered, one cycle late
        return m
