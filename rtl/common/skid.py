"""Stream register slice (skid buffer): registers every forward and backward signal, one beat per cycle.

Forencich's ``axis_register`` (REG_TYPE=2) in Amaranth: two payload registers (main and skid). ``i.ready`` is a
register (it is high exactly when the skid register is empty), so the slice cuts the combinational ready path as well
as the forward path. Latency one cycle; throughput one beat per cycle under any pattern of ``o.ready``.
"""

from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .layouts import BeatLayout

__all__ = ["StreamSkidBuffer", "SkidBuffer"]


class StreamSkidBuffer(wiring.Component):
    """Register slice for a stream of any payload shape (keyword-only ``payload_shape``)."""

    def __init__(self, *, payload_shape):
        self.payload_shape = payload_shape
        super().__init__({"i": In(stream.Signature(payload_shape)), "o": Out(stream.Signature(payload_shape))})

    def elaborate(self, platform):
        m = Module()
        skid = Signal.like(self.i.payload, name="skid_payload")
        skid_valid = Signal()

        # Ready is registered: accept whenever the skid register is free.
        m.d.comb += self.i.ready.eq(~skid_valid)

        with m.If(self.i.ready):                       # skid empty
            with m.If(~self.o.valid | self.o.ready):   # main register free or draining: load it directly
                m.d.sync += [self.o.valid.eq(self.i.valid), self.o.payload.eq(self.i.payload)]
            with m.Elif(self.i.valid):                 # main register stalled: park the beat in the skid
                m.d.sync += [skid_valid.eq(1), skid.eq(self.i.payload)]
        with m.Elif(self.o.ready):                     # skid full and output drains: move skid to main
            m.d.sync += [self.o.valid.eq(1), self.o.payload.eq(skid), skid_valid.eq(0)]
        return m


class SkidBuffer(StreamSkidBuffer):
    """AXI-Stream register slice for packet beats; exported as ``din_skid_buffer`` with ``s_axis`` / ``m_axis``."""

    def __init__(self, *, data_width=64, user_width=1, dest_width=0):
        self.params = {"data_width": data_width, "user_width": user_width, "dest_width": dest_width}
        layout = BeatLayout(data_width=data_width, user_width=user_width, dest_width=dest_width)
        self.payload_shape = layout
        wiring.Component.__init__(self, {
            "s_axis": In(stream.Signature(layout)),
            "m_axis": Out(stream.Signature(layout)),
        })

    @property
    def i(self):
        return self.s_axis

    @property
    def o(self):
        return self.m_axis
