"""10GBASE-R block lock, IEEE 802.3 Cl. 49.2.13.2.2 / Figure 49-14, exactly as golden/physec/blocklock.py (physec.md §2).

Candidates come from :class:`din.rtl.physec.gearbox66.RxGearbox66`; each one is tested on its sync header
(01 or 10 valid, 00 and 11 invalid):

* ``sh_cnt`` counts tested headers, ``sh_invld_cnt`` the invalid ones, both cleared every 64 headers;
* not locked: 64 consecutive valid headers → lock (the 64th block is already delivered); any invalid header → SLIP;
* locked: 16 invalid headers within a window of 64 → unlock and SLIP;
* SLIP: the candidate is rejected and the gearbox moves the boundary one bit later (``slip`` high during the
  transfer; the gearbox then consumes one bit, not 66), counters cleared.

Blocks are delivered only while locked, including blocks with an invalid header that did not make 16 (the decoder turns
them into /E/). Counters (``counter_width`` bits, wrapping): ``slip_count`` slips, ``lock_count`` times lock was
gained, ``sh_err_count`` invalid headers seen while locked (each header bit error in a locked stream counts once).

One output register: latency one cycle, ``i.ready = ~o.valid | o.ready``; ``slip`` is combinational from the
candidate (only meaningful with ``i.valid``).
"""

from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from din.rtl.common.layouts import validate_width

from .layouts import BLOCK66, SYNC_CTRL, SYNC_DATA

__all__ = ["BlockLock", "LOCK_HEADERS", "UNLOCK_INVALID"]

LOCK_HEADERS = 64        # Cl. 49.2.13.2.2: 64 valid sync headers to lock; the window of the invalid count
UNLOCK_INVALID = 16      # 16 invalid headers in a window of 64 drop lock


class BlockLock(wiring.Component):
    """Block lock state machine on a candidate-block stream (keyword-only ``counter_width``)."""

    def __init__(self, *, counter_width=32):
        validate_width("counter_width", counter_width, minimum=1, maximum=64)
        self.params = {"counter_width": counter_width}
        super().__init__({
            "i": In(stream.Signature(BLOCK66)), "o": Out(stream.Signature(BLOCK66)), "slip": Out(1),
            "block_lock": Out(1), "slip_count": Out(counter_width), "lock_count": Out(counter_width),
            "sh_err_count": Out(counter_width),
        })

    def elaborate(self, platform):
        m = Module()
        sh_cnt = Signal(range(LOCK_HEADERS))
        sh_invld = Signal(range(UNLOCK_INVALID))
        hdr = self.i.payload.header
        valid = (hdr == SYNC_DATA) | (hdr == SYNC_CTRL)
        window_end = sh_cnt == LOCK_HEADERS - 1                       # this header is the 64th
        do_slip = ~valid & ((sh_invld == UNLOCK_INVALID - 1) | ~self.block_lock)
        gain = valid & window_end & (sh_invld == 0) & ~self.block_lock
        take = self.i.valid & self.i.ready
        m.d.comb += [self.slip.eq(self.i.valid & do_slip), self.i.ready.eq(~self.o.valid | self.o.ready)]

        with m.If(self.i.ready):
            m.d.sync += [self.o.valid.eq(take & ~do_slip & (self.block_lock | gain)),
                         self.o.payload.eq(self.i.payload)]
        with m.If(take):
            with m.If(do_slip):                                       # SLIP (or 16 bad: unlock and SLIP)
                m.d.sync += [self.block_lock.eq(0), sh_cnt.eq(0), sh_invld.eq(0),
                             self.slip_count.eq(self.slip_count + 1)]
            with m.Elif(window_end):                                  # end of a 64-header window
                m.d.sync += [sh_cnt.eq(0), sh_invld.eq(0)]
                with m.If(gain):
                    m.d.sync += [self.block_lock.eq(1), self.lock_count.eq(self.lock_count + 1)]
            with m.Else():
                m.d.sync += sh_cnt.eq(sh_cnt + 1)
                with m.If(~valid):
                    m.d.sync += sh_invld.eq(sh_invld + 1)
            with m.If(~valid & self.block_lock):
                m.d.sync += self.sh_err_count.eq(self.sh_err_count + 1)
        return m
