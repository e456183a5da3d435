"""Frame-synchronous additive PRBS31 line scrambler, ``width`` bits per cycle (physec.md §6).

The scrambler of physec.md §6: a 31-bit state ``s`` is all ones at ``f[120]`` of every frame; per bit
``b = s[30] XOR s[27]`` is output and shifted in (``s = (s << 1 | b) mod 2^31``), x^31 + x^28 + 1. ``f[120]`` is bit
``start_bit = 56`` of line word 1 (physec.md §4: word bit i = ``f[64w + i]``), so the first scrambled word has zeros in
bits ``0 .. start_bit-1`` (the end of the AM, never scrambled) and the first ``width - start_bit`` PRBS bits above.

Nothing here is a hand-written table: :func:`lfsr_step_matrix` builds the one-bit GF(2) state-transition matrix from
the taps (:data:`din.rtl.physec.consts.PRBS31_TAPS`), and every word-wide matrix and constant is a power or product of it,
computed at elaboration time. A matrix is a list of row bit masks: row ``r`` is the set of state bits XORed into bit
``r`` of the result.

The word is combinational from two registers (the state at the start of the current word and a "first word" flag),
so a consumer XORs it onto its line word in the same cycle and advances the scrambler with the same handshake.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..common.layouts import validate_width
from .consts import PRBS31_TAPS

__all__ = ["Prbs31Words", "lfsr_step_matrix", "mat_mul", "mat_pow", "mat_vec", "output_rows", "STATE_BITS"]

STATE_BITS = max(PRBS31_TAPS)          # 31
_ALL_ONES = (1 << STATE_BITS) - 1      # state at f[120] (physec.md §6)


# ------------------------------------------------------------------------------------------------ GF(2) matrices

def lfsr_step_matrix(taps=PRBS31_TAPS):
    """One step of the Fibonacci LFSR of physec.md §6: ``s' = (s << 1 | b) mod 2^n`` with ``b = XOR of s[t-1]``.

    Returns ``(step, out_row)``: ``step[r]`` is the row mask of new state bit ``r``; ``out_row`` is the mask of the
    output bit ``b`` (for x^31 + x^28 + 1: ``s[30] XOR s[27]``).
    """
    n = max(taps)
    out_row = 0
    for t in taps:
        out_row ^= 1 << (t - 1)
    step = [out_row] + [1 << (r - 1) for r in range(1, n)]     # bit 0 <- b, bit r <- old bit r-1
    return step, out_row


def mat_vec(rows, vec):
    """``rows · vec`` over GF(2) (``vec`` a bit mask)."""
    return sum(((bin(row & vec).count("1") & 1) << r) for r, row in enumerate(rows))


def mat_mul(a, b):
    """``a · b`` over GF(2): row r of the product is the XOR of the rows of ``b`` selected by row r of ``a``."""
    out = []
    for row in a:
        acc, k = 0, 0
        while row:
            if row & 1:
                acc ^= b[k]
            row >>= 1
            k += 1
        out.append(acc)
    return out


def mat_pow(m, e):
    """``m ** e`` over GF(2) (square and multiply)."""
    result = [1 << r for r in range(len(m))]
    while e:
        if e & 1:
            result = mat_mul(result, m)
        m = mat_mul(m, m)
        e >>= 1
    return result


def output_rows(step, out_row, count):
    """Row masks of the next ``count`` output bits as functions of the current state: bit k = ``out_row · step^k``."""
    rows, row = [], out_row
    for _ in range(count):
        rows.append(row)
        row = mat_mul([row], step)[0]      # out_row · step^(k+1)
    return rows


# ------------------------------------------------------------------------------------------------ the component

class Prbs31Words(wiring.Component):
    """PRBS31 scrambler words for a ``width``-bit line (physec.md §6), ``sync`` domain.

    Parameters (keyword-only): ``width`` (bits per word, default 64 = a line word), ``start_bit`` (the bit of the first
    scrambled word that carries the first PRBS bit; 56 = ``f[120]`` in line word 1, physec.md §4).

    Ports:

    * ``restart`` (in): the current word is the first scrambled word of a frame (the state is all ones at
      ``start_bit``); it overrides whatever the scrambler was at;
    * ``advance`` (in): the current word is used; the next cycle shows the following word (with ``restart`` high
      that is the second word of the frame);
    * ``word`` (out, combinational): bit i is the scrambler bit XORed onto line-word bit i.

    After reset the current word is the first word (as after ``restart``).
    """

    def __init__(self, *, width=64, start_bit=56):
        try:
            validate_width("width", width, minimum=1)
            validate_width("start_bit", start_bit, minimum=0, maximum=width - 1)
        except (TypeError, ValueError):
            self._MustUse__silence = True          # a rejected component is not an unused one
            raise
        self.width = width
        self.start_bit = start_bit
        self.params = {"width": width, "start_bit": start_bit}
        step, out_row = lfsr_step_matrix()
        #: word bit i as a function of the state at word bit 0 (state at bit 0 of a normal word)
        self.word_rows = output_rows(step, out_row, width)
        #: state at the start of the next word, from the state at the start of this one
        self.next_rows = mat_pow(step, width)
        n_first = width - start_bit
        first_rows = output_rows(step, out_row, n_first)
        #: the first word (a constant: the state there is all ones) and the state at the start of the second word
        self.first_word = sum(mat_vec([r], _ALL_ONES) << (start_bit + k) for k, r in enumerate(first_rows))
        self.second_state = mat_vec(mat_pow(step, n_first), _ALL_ONES)
        super().__init__({"restart": In(1), "advance": In(1), "word": Out(width)})

    def elaborate(self, platform):
        m = Module()
        state = Signal(STATE_BITS, init=_ALL_ONES)    # state at bit 0 of the current word (unless first)
        first = Signal(init=1)                         # the current word is the frame's first scrambled word
        is_first = self.restart | first

        normal = Signal(self.width)
        m.d.comb += normal.eq(Cat((state & row).xor() for row in self.word_rows))
        m.d.comb += self.word.eq(Mux(is_first, self.first_word, normal))

        advanced = Signal(STATE_BITS)
        m.d.comb += advanced.eq(Cat((state & row).xor() for row in self.next_rows))
        with m.If(self.advance):
            m.d.sync += [first.eq(0), state.eq(Mux(is_first, self.second_state, advanced))]
        with m.Elif(self.restart):
            m.d.sync += [first.eq(1), state.eq(_ALL_ONES)]
        return m
