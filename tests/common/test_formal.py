"""Bounded model checks of the common building blocks with Yosys's SAT solver.

The properties only use the ports (a shadow model in the wrapper), so they state the documented behaviour and stay
valid when the internals change: input beats carry their sequence number as data; the output must carry the
sequence number of the beat it delivers (nothing lost, duplicated or reordered), hold its beat under backpressure
(AXI-Stream rule), and for the packet FIFO report a consistent ``level`` and never stall inside a frame.
"""

import pytest
from amaranth import Elaboratable, Module, Signal
from amaranth.hdl import Assert, Assume

from din.rtl.common.packet_fifo import PacketFIFO
from din.rtl.common.skid import SkidBuffer
from din.sim.common.formal import prove


class _Counter(Elaboratable):
    def __init__(self, limit):
        self.inc = Signal()
        self.limit = limit

    def elaborate(self, platform):
        m = Module()
        c = Signal(4)
        with m.If(self.inc & (c < 10)):
            m.d.sync += c.eq(c + 1)
        m.d.comb += Assert(c <= self.limit)
        return m


@pytest.mark.parametrize("mode", ["bmc", "prove"])
def test_harness_proves_true_and_refutes_false_properties(mode):
    good = _Counter(10)
    assert prove(good, name=f"counter-good-{mode}", ports=[good.inc], mode=mode, depth=14)
    bad = _Counter(9)
    result = prove(bad, name=f"counter-bad-{mode}", ports=[bad.inc], mode=mode, depth=14)
    assert not result, "a false property was reported as proven"
    assert (result.workdir / "cex.vcd").exists()


class _StreamHarness(Elaboratable):
    """Drive ``dut.s_axis`` with beats numbered by acceptance; check what ``dut.m_axis`` delivers.

    Without drops every delivered beat must carry the delivery count (nothing lost, duplicated or reordered). With
    ``drops=True`` delivered beats must be an increasing subsequence, consecutive inside a frame (frames are
    dropped whole, never cut).
    """

    def __init__(self, dut, *, max_frame=None, seq_bits=6, drops=False):
        self.dut = dut
        self.max_frame = max_frame
        self.seq_bits = seq_bits
        self.drops = drops
        self.in_valid, self.in_last, self.out_ready = Signal(), Signal(), Signal()

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = dut = self.dut
        s, o = dut.s_axis, dut.m_axis
        sent, got = Signal(self.seq_bits), Signal(self.seq_bits)
        in_len = Signal(4)                   # beats of the current input frame so far
        out_mid = Signal()                   # delivered part of a frame, not its last beat
        m.d.comb += [s.valid.eq(self.in_valid), s.payload.data.eq(sent), s.payload.keep.eq(0xFF),
                     s.payload.last.eq(self.in_last), o.ready.eq(self.out_ready)]
        # the source obeys AXI-Stream: valid and payload hold until accepted
        prev_hold, prev_last = Signal(), Signal()
        m.d.sync += [prev_hold.eq(s.valid & ~s.ready), prev_last.eq(s.payload.last)]
        with m.If(prev_hold):
            m.d.comb += [Assume(s.valid, "source holds valid"), Assume(s.payload.last == prev_last, "source holds last")]
        if self.max_frame is not None:       # frames short enough to stream (no oversize drop)
            m.d.comb += Assume(~s.valid | s.payload.last | (in_len < self.max_frame - 1), "frame length bound")
        with m.If(s.valid & s.ready):
            m.d.sync += [sent.eq(sent + 1), in_len.eq(in_len + 1)]
            with m.If(s.payload.last):
                m.d.sync += in_len.eq(0)
        # the output: right data in order, held under backpressure, no gap inside a frame
        data = o.payload.data[:self.seq_bits]
        o_hold, o_data, o_last = Signal(), Signal(self.seq_bits), Signal()
        last_out, any_out = Signal(self.seq_bits), Signal()
        m.d.sync += [o_hold.eq(o.valid & ~o.ready), o_data.eq(data), o_last.eq(o.payload.last)]
        with m.If(o.valid):
            if self.drops:
                with m.If(out_mid):
                    m.d.comb += Assert(data == last_out + 1, "a frame is delivered whole")
                with m.Elif(any_out):
                    m.d.comb += Assert(data > last_out, "frames in order")
                m.d.comb += Assert(data < sent, "only beats that were sent")
            else:
                m.d.comb += Assert(data == got, "beats in order, none lost or duplicated")
        with m.If(o_hold):
            m.d.comb += [Assert(o.valid, "output holds valid"), Assert(data == o_data, "output holds data"),
                         Assert(o.payload.last == o_last, "output holds last")]
        with m.If(o.valid & o.ready):
            m.d.sync += [got.eq(got + 1), out_mid.eq(~o.payload.last), last_out.eq(data), any_out.eq(1)]
        self._extra(m, sent, got, out_mid)
        return m

    def _extra(self, m, sent, got, out_mid):
        m.d.comb += Assert((sent - got)[:self.seq_bits] <= 2, "a skid buffer holds at most two beats")


class _FifoHarness(_StreamHarness):
    def _extra(self, m, sent, got, out_mid):
        dut = self.dut
        m.d.comb += [Assert(dut.level <= dut.depth, "level within depth"),
                     Assert(dut.frames <= dut.level, "frames within level")]
        if self.drops:
            m.d.comb += [Assert(dut.s_axis.ready, "drop_when_full never backpressures"),
                         Assert(~dut.drop_bad & ~dut.drop_oversize, "only full drops")]
        else:
            m.d.comb += [Assert(dut.level == (sent - got)[:self.seq_bits], "level = beats held"),
                         Assert(~dut.drop_bad & ~dut.drop_oversize & ~dut.drop_full, "no drops")]
        with m.If(out_mid):                  # once a frame has started on m_axis, valid stays high to its last beat
            m.d.comb += Assert(dut.m_axis.valid, "no gap inside a frame")


def test_skid_buffer_bounded():
    """24 cycles from reset under every input / ready sequence. (These port-level properties are not inductive on
    their own, the skid register's content is unconstrained by them, so this is a bounded check, not induction.)"""
    h = _StreamHarness(SkidBuffer(data_width=8, user_width=0))
    r = prove(h, name="skid-bmc", ports=[h.in_valid, h.in_last, h.out_ready], depth=24)
    assert r, r.counterexample()


@pytest.mark.parametrize("drop_when_full", [False, True], ids=["backpressure", "drop_when_full"])
def test_packet_fifo_bounded(drop_when_full):
    """Depth 4 (pointers wrap after 8 beats), frames of at most 2 beats, no bad frames: 14 cycles from reset."""
    fifo = PacketFIFO(data_width=8, user_width=1, depth=4, drop_bad_frame=True, drop_when_full=drop_when_full)
    h = _FifoHarness(fifo, max_frame=2, seq_bits=5, drops=drop_when_full)
    r = prove(h, name=f"packet-fifo-{'dwf' if drop_when_full else 'bp'}",
              ports=[h.in_valid, h.in_last, h.out_ready], depth=14)
    assert r, r.counterexample()
