"""GHASH for the PHYSec security engine (NIST SP 800-38D §6.3–§6.4; physec.md §7 "Precomputation").

``S = GHASH_H(X_1 … X_m)``: ``Y_0 = 0``, ``Y_i = (Y_{i-1} XOR X_i) · H`` in GF(2^128), ``S = Y_m``.

Blocks are 128-bit integers as in the spec (SP 800-38D §6.3): block bit 0, the coefficient of x^0, is the most
significant bit of the integer. Everything below is derived from ``R = 11100001 ‖ 0^120`` (SP 800-38D §6.3, the
polynomial x^128 + x^7 + x^2 + x + 1) at elaboration: ``x^m mod g`` for every product degree m is found by repeated
multiplication by x (the right shift of Algorithm 1), and a product bit is the XOR of the partial products that land
on it. No table is typed in.

Multiplier: digit-serial with ``digit_bits`` = d in {128, 64, 32}: each cycle multiplies a d-bit digit of the operand by
``G_k = x^(d·k) · H`` and accumulates, so a block takes 128/d cycles and the loop ``Y_i = (Y_{i-1} XOR X_i) · H``
closes within those cycles (no aggregation needed at the line's rate of one block per two cycles with d = 64).
``G_1 … G_{128/d-1}`` are computed by hardware when H is loaded: ``G_k = x^d · G_{k-1}``, one per cycle (128/d − 1
cycles). Multiplying by the fixed power x^d is a sparse linear map: the coefficients d..127 move up and the d that
overflow fold back through ``x^128 = x^7 + x^2 + x + 1``, so each bit is the XOR of at most five others.
The G registers rotate and the operand shifts, so the multiplier has no input multiplexer.
"""

import operator

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..common.tree import balanced_reduce

__all__ = ["R", "mul_x", "x_power_mod", "IN_LAYOUT", "OUT_LAYOUT", "Ghash"]

#: SP 800-38D §6.3: R = 11100001 ‖ 0^120 (x^128 = x^7 + x^2 + x + 1)
R = 0xE1 << 120
ONE = 1 << 127                  # the block 10…0 is the field element 1 (coefficient of x^0 first)
IN_LAYOUT = data.StructLayout({"block": 128, "last": 1})
OUT_LAYOUT = data.StructLayout({"s": 128})


def mul_x(v):
    """v · x in GF(2^128) (the step of SP 800-38D Algorithm 1), blocks as integers."""
    return (v >> 1) ^ R if v & 1 else v >> 1


def x_power_mod(count):
    """[x^0 mod g, x^1 mod g, …, x^(count-1) mod g] as blocks."""
    out, v = [], ONE
    for _ in range(count):
        out.append(v)
        v = mul_x(v)
    return out


def _times_x_power(m, v, s, name):
    """``v · x^s`` in GF(2^128) for a block ``v`` (a Value) and a constant ``1 <= s <= 121``: the shifted coefficient
    vector, reduced (s ≤ 121 keeps the fold inside 128 coefficients, so each bit is the XOR of at most five)."""
    shifted = Signal(128 + s, name=f"{name}_shifted")          # bit i = coefficient of x^i, degree up to 127 + s
    m.d.comb += shifted.eq(Cat(Const(0, s), _reverse(v)))
    return _reduce(m, shifted, name)


def _reduce(m, coeffs, name):
    """A coefficient vector (bit i = coefficient of x^i, any width ≥ 128) reduced modulo g: each coefficient m ≥ 128
    folds back as ``x^m mod g`` (derived from R by :func:`x_power_mod`). Returns the 128-bit block."""
    red = x_power_mod(len(coeffs))
    folds = [Mux(coeffs[k], Const(int(f"{red[k]:0128b}"[::-1], 2), 128), 0) for k in range(128, len(coeffs))]
    zc = Signal(128, name=f"{name}_zc")
    m.d.comb += zc.eq(_xor_all([coeffs[:128]] + folds))
    return _reverse(zc)


def _reverse(sig):
    """Bit-reversed view: a block (coefficient of x^0 in the top bit) <-> a coefficient vector (x^i in bit i)."""
    return Cat(*(sig[len(sig) - 1 - i] for i in range(len(sig))))


def _digit_times(m, digit, g, d, name):
    """``digit`` (d bits, bit j = coefficient of x^j) times block ``g``, reduced: a 128-bit block.

    Written as wide operations so the netlist stays small: the carry-less product is the XOR of ``g`` shifted by j
    for every set digit bit j (a (d + 127)-bit coefficient vector), then each coefficient m >= 128 folds back as
    ``x^m mod g`` (derived from R by :func:`x_power_mod`)."""
    deg = d + 127
    gc = Signal(128, name=f"{name}_gc")
    m.d.comb += gc.eq(_reverse(g))
    prod = Signal(deg, name=f"{name}_clmul")
    m.d.comb += prod.eq(_xor_all([Mux(digit[j], gc, 0) << j for j in range(d)]))
    return _reduce(m, prod, name)


def _xor_all(terms):
    """Balanced XOR tree of ``terms`` (keeps the expression shallow for the simulators and the exporter)."""
    return balanced_reduce(terms, operator.xor)


class Ghash(wiring.Component):
    """GHASH over a stream of 128-bit blocks.

    Parameters: ``digit_bits`` (128, 64 or 32): a block every 128/d cycles.

    Ports: ``h`` (128) and ``h_load``: a pulse loads H and starts the precomputation of the G_k; ``h_ready`` is high
    when it is done and no block is in progress. ``i`` stream {block 128, last 1}: the blocks of one message, ``last``
    on its final block (the length block in GCM); the next block after ``last`` starts a new message from Y_0 = 0.
    ``o`` stream {s 128}: one GHASH value per message. ``i.ready`` is low while a block is being multiplied, while H is
    being prepared, and while a result waits on ``o``.

    Latency: 128/d cycles from the last block to ``o.valid``.
    """

    def __init__(self, *, digit_bits=64):
        if digit_bits not in (128, 64, 32):
            raise ValueError(f"digit_bits must be 128, 64 or 32, not {digit_bits!r}")
        self.digit_bits = digit_bits
        self.digits = 128 // digit_bits
        self.params = {"digit_bits": digit_bits}
        super().__init__({
            "h": In(128), "h_load": In(1), "h_ready": Out(1),
            "i": In(stream.Signature(IN_LAYOUT)),
            "o": Out(stream.Signature(OUT_LAYOUT)),
        })

    def elaborate(self, platform):
        m = Module()
        d, n = self.digit_bits, self.digits

        # --- H and G_k = x^(d k) H = x^d · G_{k-1}, one per cycle after the load; g[0] is the one in use (the ring
        # rotates)
        g = [Signal(128, name=f"g{k}") for k in range(n)]
        walk = Signal(128)
        steps = Signal(range(n + 1))
        preparing = Signal()
        with m.If(self.h_load):
            m.d.sync += [g[0].eq(self.h), walk.eq(self.h), steps.eq(1), preparing.eq(n > 1)]
        with m.Elif(preparing):
            nxt = Signal(128)
            if n > 1:
                m.d.comb += nxt.eq(_times_x_power(m, walk, d, "xd"))
            m.d.sync += [walk.eq(nxt), steps.eq(steps + 1)]
            for k in range(1, n):
                with m.If(steps == k):
                    m.d.sync += g[k].eq(nxt)
            with m.If(steps == n - 1):
                m.d.sync += preparing.eq(0)

        # --- the accumulation
        acc = Signal(128)                 # Y (or its partial sum during a block)
        fresh = Signal(init=1)            # the next block starts a message
        rest = Signal(max(128 - d, 1))    # operand digits still to multiply (next digit in the top bits)
        k = Signal(range(n + 1))          # digit index, 0 = idle / first digit
        last = Signal()
        busy = k != 0

        m.d.comb += self.h_ready.eq(~preparing & ~busy & ~self.h_load)
        out_free = ~self.o.valid | self.o.ready
        m.d.comb += self.i.ready.eq(~preparing & ~self.h_load & ~busy & out_free)
        take = self.i.valid & self.i.ready

        operand = Mux(fresh, 0, acc) ^ self.i.payload.block       # Y_{i-1} XOR X_i
        top = lambda v, w: v[w - d:w]                                  # noqa: E731 (the digit of lowest degree)
        digit_src = Mux(busy, top(rest, 128 - d), top(operand, 128)) if n > 1 else operand
        digit = Signal(d)                                               # bit j = coefficient j of the digit
        m.d.comb += digit.eq(_reverse(digit_src[-d:] if n > 1 else digit_src))
        prod = Signal(128)
        m.d.comb += prod.eq(_digit_times(m, digit, g[0], d, "mul"))
        acc_next = Mux(busy, acc, 0) ^ prod

        with m.If(self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        finishing = Signal()
        with m.If(take):
            m.d.sync += [acc.eq(acc_next), fresh.eq(self.i.payload.last), last.eq(self.i.payload.last)]
            if n > 1:
                m.d.sync += [rest.eq(operand[:128 - d]), k.eq(1)]
            else:
                m.d.comb += finishing.eq(self.i.payload.last)
        if n > 1:
            with m.If(busy):
                m.d.sync += [acc.eq(acc_next), rest.eq(Cat(Const(0, d), rest[:128 - 2 * d]) if n > 2 else 0)]
                m.d.sync += k.eq(Mux(k == n - 1, 0, k + 1))
                m.d.comb += finishing.eq((k == n - 1) & last)
            with m.If(take | busy):                                   # rotate the G ring with the digits
                m.d.sync += [g[j].eq(g[(j + 1) % n]) for j in range(n)]
        with m.If(finishing):
            m.d.sync += [self.o.valid.eq(1), self.o.payload.s.eq(acc_next)]
        return m
