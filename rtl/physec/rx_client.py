"""PHYSec RX client side (physec.md §1, §3, §8, §9): 257b client blocks from the receiver (line domain) to client
XGMII words (client domain).

```
blocks {257b, e} (line) ─► [idle flag, decode_meta] ─► AsyncPrefetchFIFO (depth × 267) ─► [start / underflow / flush control]
    ─► Detranscoder257(meta_in) (4 × 66b)
    ─► Decoder66 ─► XGMII (client, one word every cycle) ; Local Fault ordered sets while the receiver is not in SYNC
```

**Clocking and rate adaptation (decision, docs/physec.md).** In steady state the receiver gives the client its exact
bit stream back, provided the client domain runs at the far-end client's rate (the client clock recovered from GMP, or
in a loopback the transmitter's own client clock). Two things break that balance: a far-end transmitter whose client
starts with frame 0 (its Cm controller then carries 1016 blocks per frame for about 50 frames while its FIFO drains the
blocks that came in during frame 0, physec.md §5 and docs/physec.md; :mod:`.phy` avoids this at its own transmitter),
and a free-running RX client clock (±200 ppm at most). Like a 10GBASE-R PCS
(IEEE 802.3 Cl. 49.2.4.7 allows idle insertion and deletion for clock compensation), the client side then adapts
with whole idle groups (a 257b block of four idle blocks, 32 idle octets), only inside an inter-packet gap:

* deletion: the group at the FIFO head is all idle, the group sent before it was all idle too (so at least 32 idle
  octets remain in that gap) and there is a surplus: the lowest FIFO level seen in the last window of 4096 client
  cycles (longer than a frame, so the dip of every frame's overhead is in it) was above ``keep_level``; at most that
  many groups are deleted in the next window. The FIFO thus settles with its lowest level near ``keep_level``, which
  keeps the latency low after a start-up surplus; ``idle_deleted`` pulses;
* insertion: a group is due, the FIFO holds fewer than ``insert_level`` blocks and the group sent before was all idle;
  ``idle_inserted`` pulses. (The level also dips by about 9 blocks every frame, when the AM and overhead slots pass;
  inserting early, in a gap, keeps that dip from reaching an empty FIFO inside a packet.)

Frames are never touched. The FIFO is deep enough (``depth`` 1024) to hold the whole start-up surplus when the client
sends back-to-back frames through it, and drains it through the next idle gaps.

**Start.** After the receiver reaches SYNC the FIFO fills until it holds ``start_level`` blocks; then one block is read
every 4 client cycles. Blocks arrive in bursts (a block per 257 line bits during the payload, nothing during the
AM/overhead slots and stuff slots), so ``start_level`` must cover ``insert_level`` plus about 9 blocks of overhead
gap plus the stuff jitter, or a start just before a frame's overhead inserts an idle group; the PHY uses 16 (the
cocotb loopback reports the water marks when a counter is wrong), and the surplus above ``keep_level`` is deleted in
the next idle gaps.

**Defined results.**

* Not in SYNC (``link_up`` low, synchronised): the output is Local Fault (lane 0 /Q/ 0x9C, lanes 1–3 00 00 01, the
  same in lanes 4–7; ``ctrl`` = 0x11), the FIFO is flushed, the start fill begins again at the next SYNC.
* Underflow (a group is due, the FIFO is empty and the stream is not in an idle gap): the four /E/ blocks go out
  instead (a packet in flight ends in error at the MAC), ``underflow`` pulses, and the start fill begins again (idles
  meanwhile).
* Overflow (line side, the FIFO full when a block arrives): the block is dropped, ``overflow`` pulses (line domain) and
  the next block written is replaced by /E/ so the loss is visible in the client stream.
* /E/ blocks from the receiver (Cm unknown, frame not delivered) decode to XGMII /E/ words; ``e_blocks`` pulses per one
  read; a 257b block the detranscoder cannot interpret gives /E/ too and pulses ``xcode_err``.

Ports: ``blocks`` (in, line domain, no ready), ``link_up`` (in, line domain: the receiver's SYNC), ``xgmii`` (out,
client domain, a register that holds Local Fault from reset; ``valid`` is always 1 and ``ready`` is ignored: a PCS does not stall), status in the
client domain: ``local_fault``, ``running`` (reading the FIFO), ``level`` (FIFO blocks), ``underflow`` / ``xcode_err`` /
``e_blocks`` / ``data_blocks`` / ``idle_deleted`` / ``idle_inserted`` (registered pulses, one cycle after the
decision); line domain: ``overflow`` (registered pulse).

Domains: ``line`` (write) and ``sync`` (client); the PHY top renames them. Reset both together.
"""

from amaranth import Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from ..common.layouts import validate_width
from ..common.prefetch_fifo import AsyncPrefetchFIFO
from .layouts import XGMII
from .pcs import Decoder66
from .rx_gmp import E_BLOCK257, RX_BLOCK
from .transcode import BLOCK257_META, DETX_META, Detranscoder257, decode_meta

__all__ = ["RxClient", "LOCAL_FAULT", "IDLE_WORD", "IDLE_BLOCK257", "idle_block257"]

#: physec.md §8: Local Fault ordered set in lanes 0–3 and 4–7 (data, ctrl)
LOCAL_FAULT = (0x0100009C_0100009C, 0x11)
#: XGMII idle word (/I/ 0x07 on all lanes)
IDLE_WORD = (0x0707070707070707, 0xFF)


def idle_block257():
    """The 257b block of four idle control blocks (type 0x1E, eight /I/ codes 0x00; physec.md §3: x<0> = 0, x<1..4>
    = 0, then the payloads without bits 4..7 of the first type byte). Its ones are the spec's all-idle check values."""
    bits = [0, 0, 0, 0, 0]
    for j in range(4):
        for i in range(64):
            if j == 0 and 4 <= i < 8:
                continue
            bits.append((0x1E >> i) & 1 if i < 8 else 0)
    return sum(b << i for i, b in enumerate(bits))


IDLE_BLOCK257 = idle_block257()


class RxClient(wiring.Component):
    """The RX client side (module docstring). Keyword-only ``depth`` (FIFO blocks, power of 2), ``start_level``
    (blocks in the FIFO before reading starts), ``keep_level`` (the lowest level per window that the deletion of
    idle groups converges to; default 6) and ``insert_level`` (idle groups are inserted below it; default 4)."""

    WINDOW_BITS = 12                 # 4096 client cycles = 26.2 µs at 156.25 MHz, longer than a frame (25.5 µs)

    def __init__(self, *, depth=2048, start_level=16, keep_level=6, insert_level=4):
        try:
            validate_width("depth", depth, minimum=16, power_of_2=True)
            if not isinstance(start_level, int) or not 1 <= start_level <= depth - 8:
                raise ValueError(f"start_level must be an integer from 1 to depth - 8 = {depth - 8}, "
                                 f"not {start_level!r}")
            if not isinstance(insert_level, int) or not 0 <= insert_level < start_level:
                raise ValueError(f"insert_level must be an integer from 0 to start_level - 1, not {insert_level!r}")
            if not isinstance(keep_level, int) or not insert_level < keep_level < depth:
                raise ValueError(f"keep_level must be an integer between insert_level and depth, "
                                 f"not {keep_level!r}")
        except (TypeError, ValueError):
            self._MustUse__silence = True          # a rejected component is not an unused one
            raise
        self.depth, self.start_level = depth, start_level
        self.keep_level, self.insert_level = keep_level, insert_level
        self.params = {"depth": depth, "start_level": start_level, "keep_level": keep_level,
                       "insert_level": insert_level}
        level_bits = exact_log2(depth) + 1
        super().__init__({
            "blocks": In(stream.Signature(RX_BLOCK, always_ready=True)),
            "link_up": In(1),
            "xgmii": Out(stream.Signature(XGMII, always_ready=True)),
            "local_fault": Out(1), "running": Out(1), "level": Out(level_bits),
            "underflow": Out(1), "xcode_err": Out(1), "e_blocks": Out(1), "data_blocks": Out(1),
            "idle_deleted": Out(1), "idle_inserted": Out(1),
            "overflow": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        # Timing (issue 6): the FIFO serves reads from registers (AsyncPrefetchFIFO: the read address never depends on
        # r_en), and whether an entry is an all-idle group is decided on the write side and stored with it, so the
        # client side's decisions start from registers, not from a 257-bit compare of the RAM output.
        # The detranscoder's decisions (first control block, type nibble, error) are computed there too and stored
        # with the block (DETX_META, 8 bits: 267-bit entries, one EBR more than 259 at depth 2048), so the client side's path from the
        # FIFO to the 66b registers is one group multiplexer and the restore multiplexers.
        entry = data.StructLayout({"blk": RX_BLOCK, "idle": 1, "meta": DETX_META})
        m.submodules.fifo = fifo = AsyncPrefetchFIFO(width=entry.size, depth=self.depth, w_domain="line",
                                                     r_domain="sync")

        # ---- line side: a register stage (the block and its idle compare), then the write; a full FIFO drops the
        # block and poisons the next one
        v1, blk1, idle1, meta1 = Signal(), Signal(RX_BLOCK), Signal(), Signal(DETX_META)
        m.d.line += [v1.eq(self.blocks.valid), blk1.eq(self.blocks.payload),
                     idle1.eq((self.blocks.payload.block == IDLE_BLOCK257) & ~self.blocks.payload.e),
                     meta1.eq(decode_meta(m, self.blocks.payload.block))]
        e_meta = decode_meta(m, Const(E_BLOCK257, 257))            # constants: they fold away
        idle_meta = decode_meta(m, Const(IDLE_BLOCK257, 257))
        poison = Signal()
        went = Signal(entry)
        m.d.comb += [went.blk.eq(blk1), went.idle.eq(idle1), went.meta.eq(meta1)]
        with m.If(poison):
            m.d.comb += [went.blk.block.eq(E_BLOCK257), went.blk.e.eq(1), went.idle.eq(0), went.meta.eq(e_meta)]
        m.d.comb += [fifo.w_en.eq(v1), fifo.w_data.eq(went)]
        m.d.line += self.overflow.eq(v1 & ~fifo.w_rdy)                 # registered pulse (it feeds a counter)
        with m.If(v1):
            m.d.line += poison.eq(~fifo.w_rdy)

        # ---- client side
        link = Signal()
        m.submodules.link_sync = FFSynchronizer(self.link_up, link, o_domain="sync")
        m.submodules.detx = detx = Detranscoder257(meta_in=True)
        m.submodules.dec = dec = Decoder66(pipelined=True)
        wiring.connect(m, detx.o, dec.i)

        running = Signal()
        rent = Signal(entry)
        m.d.comb += rent.eq(fifo.r_data)
        head = rent.blk
        head_idle = Signal()
        m.d.comb += head_idle.eq(fifo.r_rdy & rent.idle)
        prev_idle = Signal()                           # the last group chosen for the detranscoder was all idle
        # Timing (issue 6): the group is chosen into a stage register one cycle before the detranscoder takes it, so
        # neither the choice nor the 257b restore shares a cycle with the other. The detranscoder takes a group every
        # 4 cycles (its 66b side never stalls: the decoder is always ready), so a 2-bit phase counter that runs with
        # ``running`` says when: ``due`` (a register) is high in phase 2, the stage is taken in phase 3. ``due`` also
        # requires an empty stage, so a group is never overwritten (it cannot be full then; the check costs nothing).
        ph = Signal(2)
        due = Signal()
        stage = Signal(BLOCK257_META)
        stage_v = Signal()
        m.d.sync += [ph.eq(Mux(running, ph + 1, 0)), due.eq(running & (ph == 1) & ~stage_v)]
        # the FIFO level is a register (one cycle late) and its compares are registered once more (two cycles late);
        # every decision below takes them (a block more or less changes none of them materially: a block is read
        # every 4 cycles at most)
        level = fifo.r_level
        low, started = Signal(), Signal()
        m.d.sync += [low.eq(level < self.insert_level), started.eq(level >= self.start_level)]
        insert = due & prev_idle & (~fifo.r_rdy | low)
        take = due & fifo.r_rdy & ~insert
        # surplus per window: the lowest level of the last window above keep_level
        lvl_bits = len(level)
        win = Signal(self.WINDOW_BITS)
        win_min = Signal(lvl_bits, init=(1 << lvl_bits) - 1)
        excess = Signal(lvl_bits)
        # a deletion only in phase 3, the cycle after ``due``: at most one FIFO read per cycle pair, so the FIFO's
        # two-entry read buffer (refilled two cycles after a read) is full again at the next ``due`` and a group
        # that is in the FIFO is never mistaken for an empty FIFO (which would insert an idle group)
        delete = running & (ph == 3) & head_idle & prev_idle & (excess != 0)
        m.d.sync += win.eq(win + 1)
        with m.If(win == (1 << self.WINDOW_BITS) - 1):
            m.d.sync += [win_min.eq((1 << lvl_bits) - 1),
                         excess.eq(Mux(running & (win_min > self.keep_level), win_min - self.keep_level, 0))]
        with m.Else():
            with m.If(running & (level < win_min)):
                m.d.sync += win_min.eq(level)
            with m.If(delete):
                m.d.sync += excess.eq(excess - 1)
        with m.If(detx.i.valid & detx.i.ready):
            m.d.sync += stage_v.eq(0)
        with m.If(due):
            m.d.sync += [stage_v.eq(1),
                         stage.block.eq(Mux(insert, IDLE_BLOCK257, Mux(fifo.r_rdy, head.block, E_BLOCK257))),
                         stage.meta.eq(Mux(insert, idle_meta, Mux(fifo.r_rdy, rent.meta, e_meta)))]
        m.d.comb += [
            detx.i.valid.eq(stage_v),
            detx.i.payload.eq(stage),
            fifo.r_en.eq(Mux(link, take | delete, 1)),  # not in SYNC: flush
            self.level.eq(level),
            self.running.eq(running),
            dec.o.ready.eq(1),
        ]
        with m.If(due):
            # the group chosen is all idle iff it is an inserted one or the FIFO head was (head_idle: /E/-flagged
            # blocks are /E/ groups), so the head compare serves both and no second 257-bit compare is needed
            m.d.sync += prev_idle.eq(insert | head_idle)
        with m.If(~link | (due & ~fifo.r_rdy & ~prev_idle)):
            m.d.sync += [running.eq(0), prev_idle.eq(0)]
        with m.Elif(started):
            m.d.sync += running.eq(1)
        with m.If(~link):
            m.d.sync += stage_v.eq(0)
        # the pulses are registered (they feed counters and clock-domain crossings): one cycle after the decision
        m.d.sync += [
            self.underflow.eq(due & ~fifo.r_rdy & ~prev_idle),
            self.idle_inserted.eq(insert),
            self.idle_deleted.eq(delete),
            self.e_blocks.eq(take & head.e),
            self.data_blocks.eq(take & ~head.e),
            self.xcode_err.eq(detx.xcode_err),
        ]

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
