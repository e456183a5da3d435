"""Asynchronous FIFO whose read side never reaches the block RAM combinationally (issue 6 timing).

Same construction as ``amaranth.lib.fifo.AsyncFIFO`` (Cummings "style #2": Gray-code pointers, two-flop synchronisers,
``depth`` entries in block RAM) and the same port names (``w_en`` / ``w_data`` / ``w_rdy``, ``r_en`` / ``r_data`` /
``r_rdy`` / ``r_level``), with one difference that matters for timing: the RAM's read address is a register and the
read side is served from a two-entry register buffer that the RAM fills ahead of the reader. A read is issued when
the RAM holds an unread entry and the buffer has room for it counting the read in flight, so ``r_en`` only moves the
buffer's read side: a reader whose ``r_en`` depends on ``r_data`` (a compare, a decision) has a register-to-register
path instead of RAM output → logic → pointer increment → RAM address. ``AsyncFIFO`` reads at ``consume_r_nxt``,
which makes exactly that loop; on the ECP5 a 258-bit FIFO spans 15 EBRs and the address fan-out alone costs 2 ns
(docs/physec.md, FPGA figures). The construction is the one of :class:`din.rtl.physec.tx_fifo.TxClientFifo`.

* Write side (``w_domain``): ``w_rdy`` is low when the RAM is full (a registered Gray compare of the write pointer
  against the synchronised read pointer: a slot the reader frees is writable one write cycle later than in
  ``AsyncFIFO``); ``w_en`` while ``w_rdy`` is low writes nothing. The write pointer and its successor are kept in binary and
  Gray registers, so a write only selects between registers.
* Read side (``r_domain``): ``r_rdy`` / ``r_data`` come from the buffer (registers; ``r_data`` through a 2-way
  multiplexer). Latency from a write to ``r_rdy``: the two-flop synchroniser, then 2 cycles when the buffer is empty.
  ``r_level`` (a register, one cycle late): entries written and not yet read, including the buffer and the read in
  flight, as the read side sees them. ``r_written``: the synchronised write pointer (entries written, mod
  2^(log2(depth)+1)); a write at write edge ``c`` is counted from the second read edge strictly after ``c``.

Reset: as ``AsyncFIFO``, the write domain's reset empties the FIFO (the read side takes the synchronised write
pointer as its read pointer and clears its buffer while it sees that reset, synchronised); reset both domains
together.
"""

from amaranth import Cat, Module, Mux, ResetSignal, Signal
from amaranth.lib import wiring
from amaranth.lib.cdc import AsyncFFSynchronizer, FFSynchronizer
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from .layouts import validate_width

__all__ = ["AsyncPrefetchFIFO"]


def _gray(v):
    return v ^ (v >> 1)


class AsyncPrefetchFIFO(wiring.Component):
    """Keyword-only ``width`` (bits), ``depth`` (entries in RAM, a power of 2 ≥ 4), ``w_domain``, ``r_domain``."""

    def __init__(self, *, width, depth, w_domain="write", r_domain="read"):
        validate_width("width", width, minimum=1)
        validate_width("depth", depth, minimum=4, power_of_2=True)
        self.width, self.depth = width, depth
        self._w_domain, self._r_domain = w_domain, r_domain
        self.ptr_bits = exact_log2(depth) + 1
        super().__init__({
            "w_en": In(1), "w_data": In(width), "w_rdy": Out(1),
            "r_en": In(1), "r_data": Out(width), "r_rdy": Out(1), "r_level": Out(self.ptr_bits),
            "r_written": Out(self.ptr_bits),
        })

    def elaborate(self, platform):
        m = Module()
        n = self.ptr_bits
        wd, rd = m.d[self._w_domain], m.d[self._r_domain]
        mem = m.submodules.mem = Memory(shape=self.width, depth=self.depth, init=[])
        wport = mem.write_port(domain=self._w_domain)
        rport = mem.read_port(domain=self._r_domain)

        def ungray(g):
            bits = [g[-1]]
            for k in reversed(range(n - 1)):
                bits.insert(0, bits[0] ^ g[k])
            return Cat(*bits)

        # ---- write side
        w_bin, w_gry = Signal(n), Signal(n)
        w_bin1, w_gry1 = Signal(n, init=1), Signal(n, init=_gray(1))    # the successor, precomputed
        r_gry = Signal(n, reset_less=True)                              # read pointer (Gray), read domain
        r_gry_w = Signal(n)                                             # ... as seen by the write domain
        m.submodules.r_cdc = FFSynchronizer(r_gry, r_gry_w, o_domain=self._w_domain)
        # ``full`` is a register (timing, issue 7: the Gray compare in front of the block RAMs' write enables was the
        # client clock's critical path in the integrated PHYSec TX): the pointer after this cycle's write against the
        # read pointer seen now. The read pointer only moves away, so the flag is conservative: a slot freed by the
        # reader becomes writable one cycle later than with a combinational compare, never earlier
        full = Signal()
        write = self.w_en & ~full
        w_gry_next = Mux(write, w_gry1, w_gry)
        wd += full.eq((w_gry_next[-1] != r_gry_w[-1]) & (w_gry_next[-2] != r_gry_w[-2]) &
                      (w_gry_next[:-2] == r_gry_w[:-2]))
        m.d.comb += [self.w_rdy.eq(~full), wport.addr.eq(w_bin[:-1]), wport.data.eq(self.w_data),
                     wport.en.eq(write)]
        nxt = (w_bin1 + 1)[:n]              # n bits: the Gray code of the carry-out bit would be wrong at wrap-around
        with m.If(write):
            wd += [w_bin.eq(w_bin1), w_gry.eq(w_gry1), w_bin1.eq(nxt), w_gry1.eq(_gray(nxt))]

        # ---- read side
        w_gry_r = Signal(n)
        m.submodules.w_cdc = FFSynchronizer(w_gry, w_gry_r, o_domain=self._r_domain)
        r_rst = Signal()
        m.submodules.rst_cdc = AsyncFFSynchronizer(ResetSignal(self._w_domain), r_rst, o_domain=self._r_domain)
        r_bin = Signal(n, reset_less=True)
        r_bin1, r_gry1 = Signal(n, reset_less=True, init=1), Signal(n, reset_less=True, init=_gray(1))
        w_bin_r = Signal(n)
        m.d.comb += w_bin_r.eq(ungray(w_gry_r))
        # two-entry buffer: entry k valid in ``bv[k]``; written at ``wsel``, read at ``rsel``
        buf = [Signal(self.width, name=f"buf{k}") for k in range(2)]
        bv = Signal(2)
        wsel, rsel, inflight = Signal(), Signal(), Signal()
        held = Signal(2)
        m.d.comb += held.eq(bv[0] + bv[1] + inflight)
        stale = Signal()                                                # r_bin1 / r_gry1 to recompute (after r_rst)
        issue = (r_gry != w_gry_r) & (held < 2) & ~stale
        pop = self.r_rdy & self.r_en
        m.d.comb += [rport.addr.eq(r_bin[:-1]), rport.en.eq(1),
                     self.r_rdy.eq(bv.bit_select(rsel, 1)), self.r_data.eq(Mux(rsel, buf[1], buf[0]))]
        nxt_r = (r_bin1 + 1)[:n]
        bv_set, bv_clr = Signal(2), Signal(2)
        with m.If(inflight):                                            # the RAM data of last cycle's read
            rd += [buf[0].eq(Mux(wsel, buf[0], rport.data)), buf[1].eq(Mux(wsel, rport.data, buf[1])),
                   wsel.eq(~wsel)]
            m.d.comb += bv_set.eq(Mux(wsel, 0b10, 0b01))
        with m.If(pop):
            rd += rsel.eq(~rsel)
            m.d.comb += bv_clr.eq(Mux(rsel, 0b10, 0b01))
        rd += [bv.eq((bv & ~bv_clr) | bv_set), inflight.eq(issue)]
        with m.If(issue):
            rd += [r_bin.eq(r_bin1), r_gry.eq(r_gry1), r_bin1.eq(nxt_r), r_gry1.eq(_gray(nxt_r))]
        with m.If(stale):
            rd += [r_bin1.eq(r_bin + 1), r_gry1.eq(_gray((r_bin + 1)[:n])), stale.eq(0)]
        with m.If(r_rst):                                               # write side in reset: empty
            # the successors are recomputed in the cycle after (``stale``: no read issued then)
            rd += [r_bin.eq(w_bin_r), r_gry.eq(w_gry_r), stale.eq(1),
                   bv.eq(0), inflight.eq(0), wsel.eq(0), rsel.eq(0)]
        rd += self.r_level.eq(w_bin_r - r_bin + held)                   # registered, one cycle late
        m.d.comb += self.r_written.eq(w_bin_r)
        return m
