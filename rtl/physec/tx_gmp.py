"""PHYSec TX GMP (physec.md §5, ITU-T G.709 Annex D): the Cm controller with the JC octets, and the slot rule.

:class:`CmController` is the deterministic controller of ``docs/physec.md`` ("The Cm controller"), modelled
identically to ``golden/physec/gmp.py`` so the RTL's Cm decisions equal the golden transmitter's:

* at the sample point of frame n (``sample``, a one-cycle strobe in the line domain) it takes the FIFO level
  ``L(n) = written − Σ_{k<n} Cm(k)`` (``written``: client blocks written into the client FIFO as the line domain
  sees them, mod 2^ptr_bits, from :class:`.tx_fifo.TxClientFifo`), and with the already announced ``Cm(n)``:

      x = L(n) − Cm(n) + 2·997 − TARGET
      Cm(n+1) = 1016 if x ≥ 1016;  x if 980 ≤ x < 1016;  0 if x < 980

* it outputs ``cm`` = Cm(n) (the count frame n maps), ``cm_next`` = Cm(n+1) (announced in frame n's JC) and
  ``jc`` = JC1‖JC2‖JC3 (JC1 in bits 23..16; JC1 = Cm[13:6], JC2 = {Cm[5:0], II = 0, DI = 0}, JC3 = CRC-8 of
  G.709 Annex D, x^8 + x^3 + x^2 + 1, init 0, over JC1‖JC2, from ``amaranth.lib.crc``), valid with the ``done``
  pulse :data:`LATENCY` cycles after ``sample``. The first frame after reset has Cm(0) = 0.

* fail closed (physec.md §7, the golden ``CmController.frame(blocked_next, blocked_now)``): ``block_next`` (frame
  n+1 will carry no client data) announces Cm(n+1) = 0; ``block_now`` (frame n is blocked; its Cm was announced as
  0) flushes the FIFO: ``drop`` = L(n) blocks are counted as gone (the frame builder pops them during frame n) and
  the rule sees level 0. Both are sampled between ``sample`` and ``done``.

  The golden model reads ``L(n)`` at the start of frame n; the RTL reads it ``SAMPLE_LEAD`` line words earlier (the
  overhead needs the result before the frame starts). The difference is a constant delay of every FIFO entry seen
  by the controller, which is what ``ClientClock(latency=...)`` of the golden model expresses.

:class:`GmpSlots` walks the 1016 payload slots of one frame: slot j carries a client block iff
``(j · Cm) mod 1016 < Cm`` (else 257 zero bits), computed incrementally: ``s_j = (j·Cm) mod 1016`` and slot j+1
carries data iff ``s_j + Cm ≥ 1016`` (the sum wraps exactly when the remainder falls below Cm). ``data`` is a register.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.hdl import DomainRenamer
from amaranth.lib import crc, wiring
from amaranth.lib.wiring import In, Out

from ..common.layouts import validate_width
from .consts import CM_MAX, CM_MIN_ACCEPTED, JC_CRC8_INIT, JC_CRC8_POLY, PAYLOAD_SLOTS

__all__ = ["JC_CRC8", "CmController", "GmpSlots", "CM_BITS"]

CM_BITS = 11                      # Cm ≤ 1016 (JC carries 14 bits; the upper three are zero)
#: physec.md §4: JC3, G.709 Annex D CRC-8 (MSB first, no reflection, no final XOR); check "123456789" -> 0x01
JC_CRC8 = crc.Algorithm(crc_width=8, polynomial=JC_CRC8_POLY, initial_crc=JC_CRC8_INIT, reflect_input=False,
                        reflect_output=False, xor_output=0)


class CmController(wiring.Component):
    """The Cm rule and JC octets (module docstring), ``line`` domain. Keyword-only ``ptr_bits`` (width of
    ``written``, log2(FIFO depth) + 1) and ``target`` (the FIFO level aimed at, in blocks; golden default 8)."""

    #: cycles from the ``sample`` strobe to the ``done`` pulse
    LATENCY = 5

    def __init__(self, *, ptr_bits=11, target=8):
        validate_width("ptr_bits", ptr_bits, minimum=2, maximum=16)
        validate_width("target", target, minimum=0, maximum=64)
        self.ptr_bits, self.target = ptr_bits, target
        super().__init__({
            "written": In(ptr_bits),
            "sample": In(1),
            "block_now": In(1), "block_next": In(1), "drop": Out(ptr_bits),
            "done": Out(1),
            "cm": Out(CM_BITS),
            "cm_next": Out(CM_BITS),
            "jc": Out(24),
        })

    def elaborate(self, platform):
        m = Module()
        bias = 2 * 997 - self.target
        w_q = Signal(self.ptr_bits)          # written, at the sample point
        sum_lt = Signal(self.ptr_bits)       # Σ Cm(k) for k < n (mod 2^ptr_bits)
        cm_n = Signal(CM_BITS)               # Cm(n), announced one frame earlier (0 for frame 0)
        level = Signal(self.ptr_bits)
        x = Signal(13)                       # L − Cm(n) + bias ≥ 2·997 − 64 − 1016 > 0
        stage = Signal(4)                    # one-hot pipeline tokens after the sample
        m.d.line += stage.eq(Cat(self.sample, stage[:3]))
        with m.If(self.sample):
            m.d.line += w_q.eq(self.written)
        with m.If(stage[0]):
            m.d.line += level.eq(w_q - sum_lt)
        with m.If(stage[1]):
            # fail closed (physec.md §7): a blocked frame flushes the FIFO at its start (the level L(n) is dropped)
            m.d.line += [x.eq(Mux(self.block_now, 0, level) - cm_n + bias),
                         self.drop.eq(Mux(self.block_now, level, 0))]
        with m.If(stage[2]):
            rule = Mux(x >= PAYLOAD_SLOTS, CM_MAX, Mux(x >= CM_MIN_ACCEPTED, x, 0))
            m.d.line += [
                self.cm_next.eq(Mux(self.block_next, 0, rule)),
                self.cm.eq(cm_n),
            ]
        # stage 3: JC octets and their CRC-8 (one 16-bit word through lib.crc, result one cycle later)
        m.submodules.crc8 = crc8 = DomainRenamer("line")(JC_CRC8(data_width=16).create())
        jc1 = Cat(self.cm_next[6:], Const(0, 14 - CM_BITS))      # Cm[13:6]
        jc2 = Cat(Const(0, 2), self.cm_next[:6])           # {Cm[5:0], II = 0, DI = 0}
        m.d.comb += [crc8.start.eq(stage[3]), crc8.valid.eq(stage[3]), crc8.data.eq(Cat(jc2, jc1))]
        m.d.comb += self.jc.eq(Cat(crc8.crc, jc2, jc1))
        with m.If(stage[3]):                               # advance to frame n+1
            m.d.line += [sum_lt.eq(sum_lt + cm_n + self.drop), cm_n.eq(self.cm_next)]
        m.d.line += self.done.eq(stage[3])
        return m


class GmpSlots(wiring.Component):
    """Slot rule of one frame, ``line`` domain. ``start`` (with ``cm``) makes slot 1 current; ``step`` moves to
    the next slot; ``data`` (a register) says whether the current slot carries a client block."""

    def __init__(self):
        super().__init__({"start": In(1), "cm": In(CM_BITS), "step": In(1), "data": Out(1)})

    def elaborate(self, platform):
        m = Module()
        s = Signal(10)                       # (j · Cm) mod 1016 for the current slot j
        cm = Signal(CM_BITS)
        t = Signal(CM_BITS + 1)
        m.d.comb += t.eq(s + cm)
        wrap = t >= PAYLOAD_SLOTS
        with m.If(self.start):
            full = self.cm == PAYLOAD_SLOTS                # slot 1: (1·Cm) mod 1016 < Cm only for Cm = 1016
            m.d.line += [cm.eq(self.cm), s.eq(Mux(full, 0, self.cm)), self.data.eq(full)]
        with m.Elif(self.step):
            m.d.line += [s.eq(Mux(wrap, t - PAYLOAD_SLOTS, t)), self.data.eq(wrap)]
        return m
