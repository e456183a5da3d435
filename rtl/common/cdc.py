"""Clock-domain crossings of register values that Amaranth's ``lib.cdc`` does not provide (it gives single-bit
``FFSynchronizer`` / ``PulseSynchronizer`` / ``ResetSynchronizer``).

* :class:`BusSynchronizer`: a multi-bit, slowly changing value (configuration, status) from ``i_domain`` to
  ``o_domain`` with a toggle request / acknowledge handshake. The source holds the value in a register while a
  transfer is in flight and the destination captures it only after the request toggle has passed two synchroniser
  flops, so no bit is ever sampled while it changes. A new value is sent as soon as the previous transfer is
  acknowledged; the last value written always arrives (latency about 3 destination + 3 source cycles).
* :class:`GrayCounterSync`: a free-running counter (wrapping, ``width`` bits) that grows by at most one per source
  cycle, read in another domain. The source keeps its Gray code in a register (one bit changes per source cycle), the
  destination samples it through two flops and converts back to binary into a register: the value read is exact,
  at most four destination cycles old, and never a mix of two counts.

Both use only ``FFSynchronizer`` (two flops, marked for the tools like every Amaranth synchroniser).
"""

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

__all__ = ["BusSynchronizer", "GraySync", "GrayCounterSync", "gray_to_binary"]


def gray_to_binary(gray):
    """Binary value of Gray code ``gray`` (an XOR chain from the top bit; fine for a 32-bit register read)."""
    bits = [gray[len(gray) - 1]]
    for k in reversed(range(len(gray) - 1)):
        bits.insert(0, bits[0] ^ gray[k])
    return Cat(*bits)


class BusSynchronizer(wiring.Component):
    """``i`` (in ``i_domain``) appears on ``o`` (in ``o_domain``) with a req/ack handshake (module docstring).

    ``o`` holds ``init`` from reset until the first transfer completes. Reset both domains together.
    """

    def __init__(self, width, *, i_domain, o_domain, init=0):
        self.width, self.i_domain, self.o_domain, self.init = width, i_domain, o_domain, init
        super().__init__({"i": In(width), "o": Out(width, init=init)})

    def elaborate(self, platform):
        m = Module()
        hold = Signal(self.width, init=self.init)        # source register, stable while a transfer is in flight
        req = Signal()                                   # source toggle
        ack = Signal()                                   # destination toggle
        req_o = Signal()
        ack_i = Signal()
        seen = Signal()                                  # destination: last request toggle handled
        m.submodules.req_sync = FFSynchronizer(req, req_o, o_domain=self.o_domain)
        m.submodules.ack_sync = FFSynchronizer(ack, ack_i, o_domain=self.i_domain)
        # source: start a transfer when idle (ack caught up) and the value differs from the one last sent
        with m.If((ack_i == req) & (self.i != hold)):
            m.d[self.i_domain] += [hold.eq(self.i), req.eq(~req)]
        # destination: capture on a request edge, acknowledge
        with m.If(req_o != seen):
            m.d[self.o_domain] += [self.o.eq(hold), seen.eq(req_o), ack.eq(req_o)]
        return m


class GraySync(wiring.Component):
    """A binary value ``i`` (``i_domain``) that changes by at most one count per source cycle (a counter, a FIFO
    level) read as ``o`` in ``o_domain``: Gray code registered in the source domain, two flops, back to binary."""

    def __init__(self, width=32, *, i_domain, o_domain):
        self.width, self.i_domain, self.o_domain = width, i_domain, o_domain
        super().__init__({"i": In(width), "o": Out(width)})

    def elaborate(self, platform):
        m = Module()
        gray = Signal(self.width)
        gray_o = Signal(self.width)
        m.d[self.i_domain] += gray.eq(self.i ^ (self.i >> 1))
        m.submodules.sync = FFSynchronizer(gray, gray_o, o_domain=self.o_domain)
        m.d[self.o_domain] += self.o.eq(gray_to_binary(gray_o))      # registered: the XOR chain ends here
        return m


class GrayCounterSync(wiring.Component):
    """Count ``inc`` pulses (``i_domain``, at most one per cycle) into a ``width``-bit wrapping counter; ``count``
    is its value in ``o_domain`` (module docstring). ``count_i`` is the binary count in the source domain."""

    def __init__(self, width=32, *, i_domain, o_domain):
        self.width, self.i_domain, self.o_domain = width, i_domain, o_domain
        super().__init__({"inc": In(1), "count_i": Out(width), "count": Out(width)})

    def elaborate(self, platform):
        m = Module()
        binary = Signal(self.width)
        m.d[self.i_domain] += binary.eq(binary + self.inc)
        m.d.comb += self.count_i.eq(binary)
        m.submodules.gray = gray = GraySync(self.width, i_domain=self.i_domain, o_domain=self.o_domain)
        m.d.comb += [gray.i.eq(binary), self.count.eq(gray.o)]
        return m
