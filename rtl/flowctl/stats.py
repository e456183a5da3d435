"""Per-flow statistics in block RAM (spec flowctl.md §8, background §5.10): one RAM word per flow, updated by a
read-modify-write pipeline, read by software through the indirect window.

:class:`StatRam` holds ``depth`` words of ``fields`` (name → width). One event per cycle (``ev_valid``, ``ev_addr``,
``ev_arg``): with ``op = "add"`` every field adds its argument (wrapping), with ``op = "max"`` the single field keeps
the larger of its value and the argument (a high-water mark). Timing: the event's address goes to the RAM's read
port in its cycle t, the word is modified and written in t+1; the read port is transparent for the write port, so an
event of the same word in t+1 reads what t wrote (back-to-back events on one flow are exact).

Software reads (``rd_req`` with ``rd_addr``, held until ``rd_ack``) use the read port in a cycle without an event,
so a read waits while events arrive every cycle (never for long: the events come at most once per packet or per cell
of one flow); ``rd_data`` is valid with the ``rd_ack`` pulse and held after it.

Reset (``rst`` and the flowctl soft reset, which resets this domain): a clear walk writes zero to every word, one per
cycle (``clearing``, ``depth`` cycles); events meanwhile are not counted (the queue manager is still initialising its
free list for ``cells`` ≥ ``flows`` cycles, so none arrive) and software reads wait.
"""

from amaranth import Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["StatRam"]


class StatRam(wiring.Component):
    def __init__(self, *, depth, fields, op="add"):
        if op not in ("add", "max"):
            raise ValueError(f"op must be 'add' or 'max', not {op!r}")
        if op == "max" and len(fields) != 1:
            raise ValueError("op 'max' keeps one field")
        self.depth, self.op = depth, op
        self.layout = data.StructLayout(dict(fields))
        super().__init__({
            "ev_valid": In(1), "ev_addr": In(range(depth)), "ev_arg": In(self.layout),
            "rd_req": In(1), "rd_addr": In(range(depth)), "rd_ack": Out(1), "rd_data": Out(self.layout),
            "clearing": Out(1, init=1),
        })

    def elaborate(self, platform):
        m = Module()
        mem = m.submodules.mem = Memory(shape=self.layout, depth=self.depth, init=[])
        wp = mem.write_port()
        rp = mem.read_port(transparent_for=(wp,))
        clr_addr = Signal(range(self.depth))
        ev = self.ev_valid & ~self.clearing
        s1_ev, s1_rd = Signal(), Signal()
        # one read per request: none while one is in flight or acknowledged (the requester drops rd_req on rd_ack)
        rd = self.rd_req & ~ev & ~self.clearing & ~s1_rd & ~self.rd_ack
        s1_addr = Signal(range(self.depth))
        s1_arg = Signal(self.layout)
        m.d.comb += rp.addr.eq(Mux(ev, self.ev_addr, self.rd_addr))
        m.d.sync += [s1_ev.eq(ev), s1_rd.eq(rd), s1_addr.eq(self.ev_addr), s1_arg.eq(self.ev_arg),
                     self.rd_ack.eq(s1_rd)]
        old = rp.data
        new = Signal(self.layout)
        for name in self.layout.members:
            a, b = getattr(old, name), getattr(s1_arg, name)
            if self.op == "add":
                m.d.comb += getattr(new, name).eq(a + b)
            else:
                m.d.comb += getattr(new, name).eq(Mux(b > a, b, a))
        with m.If(self.clearing):
            m.d.comb += [wp.addr.eq(clr_addr), wp.data.eq(0), wp.en.eq(1)]
            m.d.sync += clr_addr.eq(clr_addr + 1)
            with m.If(clr_addr == self.depth - 1):
                m.d.sync += self.clearing.eq(0)
        with m.Elif(s1_ev):
            m.d.comb += [wp.addr.eq(s1_addr), wp.data.eq(new), wp.en.eq(1)]
        with m.If(s1_rd):
            m.d.sync += self.rd_data.eq(old)
        return m
