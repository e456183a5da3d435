"""PHYSec RX client side (physec.md §1, §3, §8, §9): 257b client blocks from the receiver (line domain) to client
XGMII words (client domain).

```
blocks {257b, e} (line) ─► AsyncFIFO (depth × 258) ─► [start / underflow / flush control] ─► Detranscoder257 (4 × 66b)
    ─► Decoder66 ─► XGMII (client, one word every cycle) ; Local Fault ordered sets while the receiver is not in SYNC
```

**Clocking (decision, docs/physec.md).** The receiver gives the client its exact bit stream back: it neither adds nor
deletes idles. The client domain must therefore run at the far-end client's rate: in a real node it is the client clock
recovered from GMP (Cm per frame and the FIFO ``level`` are what a clock-recovery loop steers a PLL with, as in OTN
GMP demappers); in the tests it is the far-end transmitter's client clock. With a free-running clock the FIFO slowly
drains or fills; each event has a defined result (below) and is counted, never silent.

**Start.** After the receiver reaches SYNC the FIFO fills until it holds ``start_level`` blocks; then one block is read
every 4 client cycles. Blocks arrive in bursts (a block per 257 line bits during the payload, nothing during the
AM/overhead slots and stuff slots), so ``start_level`` must cover about 9 blocks of overhead gap plus the stuff jitter;
the default 12 leaves a margin (the cocotb test reports the low-water mark).

**Defined results.**

* Not in SYNC (``link_up`` low, synchronised): the output is Local Fault (lane 0 /Q/ 0x9C, lanes 1–3 00 00 01, the
  same in lanes 4–7; ``ctrl`` = 0x11), the FIFO is flushed, the start fill begins again at the next SYNC.
* Underflow (a group is due and the FIFO is empty): the four /E/ blocks go out instead (a packet in flight ends in
  error at the MAC), ``underflow`` pulses, and the start fill begins again (idles meanwhile).
* Overflow (line side, the FIFO full when a block arrives): the block is dropped, ``overflow`` pulses (line domain) and
  the next block written is replaced by /E/ so the loss is visible in the client stream.
* /E/ blocks from the receiver (Cm unknown, frame not delivered) decode to XGMII /E/ words; ``e_blocks`` pulses per one
  read; a 257b block the detranscoder cannot interpret gives /E/ too and pulses ``xcode_err``.

Ports: ``blocks`` (in, line domain, no ready), ``link_up`` (in, line domain: the receiver's SYNC), ``xgmii`` (out,
client domain, a register that holds Local Fault from reset; ``valid`` is always 1 and ``ready`` is ignored: a PCS does not stall), status in the
client domain: ``local_fault``, ``running`` (reading the FIFO), ``level`` (FIFO blocks), ``underflow`` / ``xcode_err`` /
``e_blocks`` / ``data_blocks`` (pulses); line domain: ``overflow`` (pulse).

Domains: ``line`` (write) and ``sync`` (client); the PHY top renames them. Reset both together.
"""

from amaranth import Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.fifo import AsyncFIFO
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from ..common.layouts import validate_width
from .layouts import XGMII
from .pcs import Decoder66
from .rx_gmp import E_BLOCK257, RX_BLOCK
from .transcode import Detranscoder257

__all__ = ["RxClient", "LOCAL_FAULT", "IDLE_WORD"]

#: physec.md §8: Local Fault ordered set in lanes 0–3 and 4–7 (data, ctrl)
LOCAL_FAULT = (0x0100009C_0100009C, 0x11)
#: XGMII idle word (/I/ 0x07 on all lanes)
IDLE_WORD = (0x0707070707070707, 0xFF)


class RxClient(wiring.Component):
    """The RX client side (module docstring). Keyword-only ``depth`` (FIFO blocks, power of 2) and
    ``start_level`` (blocks in the FIFO before reading starts)."""

    def __init__(self, *, depth=64, start_level=12):
        try:
            validate_width("depth", depth, minimum=16, power_of_2=True)
            if not isinstance(start_level, int) or not 1 <= start_level <= depth - 8:
                raise ValueError(f"start_level must be an integer from 1 to depth - 8 = {depth - 8}, "
                                 f"not {start_level!r}")
        except (TypeError, ValueError):
            self._MustUse__silence = True          # a rejected component is not an unused one
            raise
        self.depth, self.start_level = depth, start_level
        self.params = {"depth": depth, "start_level": start_level}
        level_bits = exact_log2(depth) + 1
        super().__init__({
            "blocks": In(stream.Signature(RX_BLOCK, always_ready=True)),
            "link_up": In(1),
            "xgmii": Out(stream.Signature(XGMII, always_ready=True)),
            "local_fault": Out(1), "running": Out(1), "level": Out(level_bits),
            "underflow": Out(1), "xcode_err": Out(1), "e_blocks": Out(1), "data_blocks": Out(1),
            "overflow": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.fifo = fifo = AsyncFIFO(width=RX_BLOCK.size, depth=self.depth, w_domain="line", r_domain="sync")

        # ---- line side: write every block; a full FIFO drops it and poisons the next one
        poison = Signal()
        wblk = Signal(RX_BLOCK)
        m.d.comb += wblk.eq(self.blocks.payload)
        with m.If(poison):
            m.d.comb += [wblk.block.eq(E_BLOCK257), wblk.e.eq(1)]
        m.d.comb += [fifo.w_en.eq(self.blocks.valid), fifo.w_data.eq(wblk)]
        m.d.comb += self.overflow.eq(self.blocks.valid & ~fifo.w_rdy)
        with m.If(self.blocks.valid):
            m.d.line += poison.eq(~fifo.w_rdy)

        # ---- client side
        link = Signal()
        m.submodules.link_sync = FFSynchronizer(self.link_up, link, o_domain="sync")
        m.submodules.detx = detx = Detranscoder257()
        m.submodules.dec = dec = Decoder66()
        wiring.connect(m, detx.o, dec.i)

        running = Signal()
        head = Signal(RX_BLOCK)
        m.d.comb += head.eq(fifo.r_data)
        due = running & detx.i.ready                   # a group goes into the detranscoder this cycle
        m.d.comb += [
            detx.i.valid.eq(running),
            detx.i.payload.eq(Mux(fifo.r_rdy, head.block, E_BLOCK257)),
            fifo.r_en.eq(Mux(link, due, 1)),             # not in SYNC: flush
            self.underflow.eq(due & ~fifo.r_rdy),
            self.e_blocks.eq(due & fifo.r_rdy & head.e),
            self.data_blocks.eq(due & fifo.r_rdy & ~head.e),
            self.xcode_err.eq(detx.xcode_err),
            self.level.eq(fifo.r_level),
            self.running.eq(running),
            dec.o.ready.eq(1),
        ]
        with m.If(~link | (due & ~fifo.r_rdy)):
            m.d.sync += running.eq(0)
        with m.Elif(fifo.r_level >= self.start_level):
            m.d.sync += running.eq(1)

        # output register: LF while not in SYNC, the decoder's words while they come, idles otherwise
        word = Signal(XGMII)
        lf = Signal()
        m.d.comb += lf.eq(~link)
        with m.If(lf):
            m.d.comb += [word.data.eq(LOCAL_FAULT[0]), word.ctrl.eq(LOCAL_FAULT[1])]
        with m.Elif(dec.o.valid):
            m.d.comb += word.eq(dec.o.payload)
        with m.Else():
            m.d.comb += [word.data.eq(IDLE_WORD[0]), word.ctrl.eq(IDLE_WORD[1])]
        out = Signal(XGMII, init={"data": LOCAL_FAULT[0], "ctrl": LOCAL_FAULT[1]})     # LF from reset on
        m.d.sync += [out.eq(word), self.local_fault.eq(lf)]
        m.d.comb += [self.xgmii.payload.eq(out), self.xgmii.valid.eq(1)]
        return m
