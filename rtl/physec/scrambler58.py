"""Self-synchronous scrambler and descrambler G(x) = 1 + x^39 + x^58, IEEE 802.3 Cl. 49.2.6 / 49.2.10 (physec.md §2).

Over the payload bits in transmission order, the scrambler computes ``S[n] = D[n] ^ S[n-39] ^ S[n-58]`` and the
descrambler ``D[n] = S[n] ^ S[n-39] ^ S[n-58]``; the 2-bit sync header passes unscrambled. Both handle ``width`` payload
bits per cycle (64: one 66b block per cycle). The parallel equations are **derived at elaboration time** from the taps
by running the bit-serial recurrence symbolically over GF(2) (:func:`parallel_equations`), never written by hand; the
tests check them against the golden bit-serial model.

State: the last 58 scrambled bits, bit 57 the most recent (the golden model's convention), reset to 0. The state
advances only on a transfer, so stalls do not disturb it. The descrambler needs no seed: it is right once 58 scrambled
bits have passed (the first block after reset may decode wrongly, exactly as in the golden model).

One pipeline register: latency one cycle, one block per cycle, ``i.ready = ~o.valid | o.ready``.
"""

from functools import reduce
from operator import xor

from amaranth import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from din.rtl.common.layouts import validate_width

from .consts import SCRAMBLER58_TAPS
from .layouts import BLOCK66

__all__ = ["parallel_equations", "Scrambler58", "Descrambler58"]


def _validate_taps(taps):
    if (not isinstance(taps, tuple) or len(taps) < 2 or len(set(taps)) != len(taps)
            or any(not isinstance(t, int) or t < 1 for t in taps)):
        raise ValueError(f"taps must be a tuple of at least two distinct positive integers (the exponents of G(x) "
                         f"other than 1), not {taps!r}")
    return tuple(sorted(taps, reverse=True))


def parallel_equations(*, taps=SCRAMBLER58_TAPS, width=64, descramble=False):
    """Unroll the recurrence over ``width`` bits. Variables: bit i < ``width`` is input bit i of the word, bit
    ``width + j`` is state bit j (``S[n - order + j]``). Returns ``(outputs, next_state)``: one XOR mask per output
    bit and per next state bit."""
    taps = _validate_taps(taps)
    order = taps[0]
    hist = [1 << (width + j) for j in range(order)]       # hist[-t] is S[n - t] as a mask over the variables
    outs = []
    for n in range(width):
        out = (1 << n) ^ reduce(xor, (hist[-t] for t in taps))   # input bit n XOR the tapped scrambled bits
        outs.append(out)
        hist.append((1 << n) if descramble else out)           # the history holds scrambled bits either way
    return outs, hist[-order:]


class _Scrambler(wiring.Component):
    descramble = False

    def __init__(self, *, taps=SCRAMBLER58_TAPS, width=64):
        self._taps = _validate_taps(taps)
        validate_width("width", width, minimum=1)
        if width != BLOCK66.size - 2:
            raise ValueError(f"width must be {BLOCK66.size - 2} (the BLOCK66 payload), not {width}")
        self.params = {"taps": list(self._taps), "width": width}
        self.order = self._taps[0]
        self.outs, self.next_state = parallel_equations(taps=self._taps, width=width, descramble=self.descramble)
        super().__init__({"i": In(stream.Signature(BLOCK66)), "o": Out(stream.Signature(BLOCK66))})

    def elaborate(self, platform):
        m = Module()
        state = Signal(self.order)
        var = Cat(self.i.payload.payload, state)

        def xor_of(mask):
            bits = [var[k] for k in range(len(var)) if (mask >> k) & 1]
            return reduce(xor, bits)

        out = Cat(*(xor_of(mask) for mask in self.outs))
        m.d.comb += self.i.ready.eq(~self.o.valid | self.o.ready)
        with m.If(self.i.ready):
            m.d.sync += [self.o.valid.eq(self.i.valid), self.o.payload.header.eq(self.i.payload.header),
                         self.o.payload.payload.eq(out)]
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += state.eq(Cat(*(xor_of(mask) for mask in self.next_state)))
        return m


class Scrambler58(_Scrambler):
    """Transmit scrambler on :data:`BLOCK66` streams (keyword-only ``taps``, ``width``)."""
    descramble = False


class Descrambler58(_Scrambler):
    """Receive descrambler on :data:`BLOCK66` streams (keyword-only ``taps``, ``width``)."""
    descramble = True
