"""GHASH for the PHYSec security engine (NIST SP 800-38D §6.3–§6.4; physec.md §7 "Precomputation").

``S = GHASH_H(X_1 … X_m)``: ``Y_0 = 0``, ``Y_i = (Y_{i-1} XOR X_i) · H`` in GF(2^128), ``S = Y_m``.

Blocks are 128-bit integers as in the spec (SP 800-38D §6.3): block bit 0, the coefficient of x^0, is the most
significant bit of the integer. Inside, the hardware works on coefficient vectors (bit i = coefficient of x^i, the
block reversed: wiring only). Everything is derived from ``R = 11100001 ‖ 0^120`` (SP 800-38D §6.3, the polynomial
g = x^128 + x^7 + x^2 + x + 1) at elaboration: ``x^m mod g`` for every product degree m is found by repeated
multiplication by x (the right shift of Algorithm 1), and a product bit is the XOR of the partial products that land on
it. No table is typed in.

Structure (timing closure at the line clock, issue 7)
----------------------------------------------------
One block per two cycles with one 64-bit × 128-bit multiplier, pipelined over three register stages so that no stage
holds more than two or three LUT levels of XOR:

* **S1a**: the digit (64 operand coefficients) times the key, in eight groups of eight partial products (AND + XOR of
  8), registered (8 × 135 bits). ``KEY_COPIES`` copies of the key operand (``g_cur_dup<j>``, kept apart by the FPGA
  flow) can localise its nets; one copy is the default: eight copies (one per group) let router2's congestion map
  improve but made the integrated TX slower with router1 (121.4 against 132.4 MHz, seed 1: the key select then fans
  out to eight registers across the die; docs/physec-security.md);
* **S1b**: the eight groups XORed into the 191-bit carry-less product;
* **S2**: the reduction modulo g (each bit the XOR of at most five product bits) and the accumulation.

A block's two digits (coefficients 0..63 times K, 64..127 times x^64·K) enter on consecutive cycles, so its product is
complete four cycles after it was taken: longer than the two cycles between blocks. The Horner loop is therefore split
into **two interleaved chains** (aggregation, the "H^2 method" of the GCM literature): blocks alternate between chain 0
and chain 1, each chain runs ``acc ← (acc XOR X) · H^2``, and the weights still come out as SP 800-38D's
``S = Σ X_i · H^(m-i+1)``:

* the last block (``last``) is multiplied by H instead of H^2 (its weight is H^1; the block before it, on the other
  chain, keeps H^2, and every earlier block gets H^2 per later block of its chain);
* ``S = acc_0 XOR acc_1`` once the last block's product is in.

The next block of a chain may be taken in the very cycle its previous product leaves S2: the reduced sum is forwarded
into the operand register (the one loop of the design: reduce, XOR, multiplexer, XOR).

**Known tail** (``tails``, for GCM's constant length block; physec.md §7): a message whose final block is a constant
``T`` known at elaboration can leave ``T`` out: the caller marks its last *given* block ``last`` with ``tail = k``
(``T = tails[k-1]``) and the block before it ``pen``; the last given block is then multiplied by H^2, the ``pen`` block
by H^3 (its weight), and ``S = acc_0 XOR acc_1 XOR T·H`` with ``T·H`` precomputed. The tag is then ready one block
time earlier, which keeps the transmitter's tag margin (docs/physec-security.md).

**Keys per slot**: H, H^2, H^3 (each also times x^64, the second digit's key) and ``T_k · H`` are precomputed per key
slot when ``h_load[s]`` pulses (the key slot's new H), by a small digit-serial multiplier (SP 800-38D Algorithm 1,
four coefficients per cycle, 32 cycles per product: H·H, H·H^2, x^64·H^3, then one product per tail), while the other
slot keeps hashing at full rate: ``h_ready[s]`` rises when slot ``s`` is complete, 3 + ``len(tails)`` products (162
cycles for two tails) after the pulse. Switching a message between slots costs nothing.

Only the control state has a reset (valid bits, chain pointer, the chain sums, the precomputation's state); the
datapath and key registers do not (timing: fewer flip-flops on the reset net). Reset makes both slots not ready.
"""

import operator

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..common.tree import balanced_reduce

__all__ = ["R", "ONE", "mul_x", "x_power_mod", "to_coeffs", "in_layout", "key_select", "OUT_LAYOUT", "Ghash"]

#: SP 800-38D §6.3: R = 11100001 ‖ 0^120 (x^128 = x^7 + x^2 + x + 1)
R = 0xE1 << 120
ONE = 1 << 127                  # the block 10…0 is the field element 1 (coefficient of x^0 first)
OUT_LAYOUT = data.StructLayout({"s": 128})
DIGIT = 64                      # operand coefficients multiplied per cycle
GROUP = 8                       # partial products XORed in stage S1a
PROD_BITS = DIGIT + 127         # degree of a digit product + 1
N_POWERS = 3                    # H, H^2, H^3
PRE_BITS = 4                    # coefficients per cycle of the key precomputation (32 cycles per product)
KEY_COPIES = 1                  # copies of the key operand register (S1a group j reads copy j mod KEY_COPIES)


def in_layout(n_tails=0, key_select_in=False):
    """Payload of ``i``: the block, its key ``slot``, ``last`` (the message's final block) and, when the core has
    tails, ``pen`` (the block before a ``last`` block that has a ``tail``) and ``tail`` (on a ``last`` block: 0 = none,
    k = ``tails[k-1]`` follows). With ``key_select_in``, ``kpow`` takes the place of ``pen``: the block's key power
    decoded by the caller (:func:`key_select`)."""
    fields = {"block": 128, "slot": 1, "last": 1}
    if n_tails:
        fields.update(tail=n_tails.bit_length())
    if key_select_in:
        fields.update(kpow=2)
    elif n_tails:
        fields.update(pen=1)
    return data.StructLayout(fields)


def key_select(last, pen, tail):
    """The key power (Values) of an input block, H^(k+1) for k = 0..2: H^3 for a ``pen`` block, H for a ``last``
    block without a tail, H^2 otherwise (module docstring)."""
    return Mux(pen, 2, Mux(last & (tail == 0), 0, 1))


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


def to_coeffs(block, width=128):
    """A block (coefficient of x^0 in the top bit) as a coefficient vector (x^i in bit i), or back: the bit reversal."""
    return int(f"{block:0{width}b}"[::-1], 2)


#: x · v for a coefficient vector: the shifted vector, x^128 folded back as x^7 + x^2 + x + 1 (from R)
FOLD = to_coeffs(R)             # R as coefficients: bits 0, 1, 2, 7 (R's top byte 11100001 reversed)


def _rev(sig):
    """Bit-reversed view: a block <-> a coefficient vector."""
    return Cat(*(sig[len(sig) - 1 - i] for i in range(len(sig))))


def _xor_all(terms):
    return balanced_reduce(terms, operator.xor)


def _times_x(v):
    """v · x for a 128-bit coefficient vector (a Value)."""
    return Cat(Const(0, 1), v[:127]) ^ Mux(v[127], Const(FOLD, 128), Const(0, 128))


def _reduce(m, coeffs, name):
    """A coefficient vector of any width ≥ 128 reduced modulo g: coefficient k ≥ 128 folds back as x^k mod g (from R
    by :func:`x_power_mod`); the 128-bit coefficient vector."""
    red = x_power_mod(len(coeffs))
    folds = [Mux(coeffs[k], Const(to_coeffs(red[k]), 128), 0) for k in range(128, len(coeffs))]
    out = Signal(128, name=f"{name}_red")
    m.d.comb += out.eq(_xor_all([coeffs[:128]] + folds))
    return out


class Ghash(wiring.Component):
    """GHASH over a stream of 128-bit blocks, two key slots (module docstring).

    Parameter ``tails``: constant final blocks (integers) that a message may leave implicit (``tail`` = 1-based
    index); the PHYSec engine passes the two length blocks of MODE 10 and MODE 01. ``key_select_in``: the input
    carries ``kpow``, the block's key power already decoded (:func:`key_select`), instead of ``pen``, so that the
    caller can register it one stage ahead (the PHYSec engine does: :class:`~.sec_common.GcmTap`); a ``kpow`` that
    disagrees with ``last`` / ``tail`` and the block's place gives a wrong S.

    Ports: ``h`` (two slots of 128) and ``h_load`` (2): a pulse starts slot s's precomputation from ``h[s]`` (which
    must then stay put until ``h_ready[s]``); ``h_ready`` (2): the slot's keys are ready. ``i`` stream
    (:func:`in_layout`): the blocks of one message, all naming one ready slot, ``last`` on the final one; the next block
    after ``last`` starts a new message. ``o`` stream {s 128}: one GHASH value per message, in order. A block is taken
    at most every other cycle (the multiplier's rate) and not while a result waits on ``o`` or a ``last`` block is
    still in the multiplier.

    Latency: 5 cycles from taking the last block to ``o.valid``.
    """

    def __init__(self, *, tails=(), key_select_in=False):
        self.tails = tuple(int(t) for t in tails)
        if any(not 0 <= t < 1 << 128 for t in self.tails) or len(self.tails) > 3:
            raise ValueError("tails: at most three 128-bit blocks")
        self.key_select_in = bool(key_select_in)
        self.in_layout = in_layout(len(self.tails), self.key_select_in)
        self.params = {"tails": list(self.tails), "key_select_in": self.key_select_in}
        self.latency = 5
        super().__init__({
            "h": In(data.ArrayLayout(128, 2)), "h_load": In(2), "h_ready": Out(2),
            "i": In(stream.Signature(self.in_layout)),
            "o": Out(stream.Signature(OUT_LAYOUT)),
        })

    # ------------------------------------------------------------------------------------------ key precomputation
    def _precompute(self, m):
        """The digit-serial multiplier (PRE_BITS per cycle) filling the per-slot keys; returns (keys[s][p][d],
        tail_h[s][k])."""
        nt = len(self.tails)
        keys = [[[Signal(128, name=f"k{s}_h{p + 1}_{d}", reset_less=True) for d in range(2)] for p in range(N_POWERS)]
                for s in range(2)]
        tail_h = [[Signal(128, name=f"t{s}_{k}", reset_less=True) for k in range(nt)] for s in range(2)]
        done, pending = Signal(2), Signal(2)
        busy, slot = Signal(), Signal()
        step = Signal(range(3 + nt + 1))
        i = Signal(range(128 // PRE_BITS))
        hc, a, v, z = (Signal(128, reset_less=True) for _ in range(4))

        m.d.comb += self.h_ready.eq(done & ~pending & ~self.h_load & ~Mux(busy, Mux(slot, 0b10, 0b01), 0))
        # every start is from registered state (timing: the H multiplexer and the 4 x 128 loads must not hang on the
        # h_load port); a slot whose H changes while it is being computed is aborted and started again
        start_slot = ~pending[0]                                          # lower slot first
        abort = busy & self.h_load.bit_select(slot, 1)
        started = Signal(2)
        with m.If(~busy & pending.any()):
            h_new = Signal(128)
            m.d.comb += [h_new.eq(_rev(self.h[start_slot])), started.eq(Mux(start_slot, 0b10, 0b01))]
            m.d.sync += [busy.eq(1), slot.eq(start_slot), step.eq(0), i.eq(0), hc.eq(h_new), a.eq(h_new),
                         v.eq(h_new), z.eq(0)]
            for s in range(2):
                with m.If(start_slot == s):
                    m.d.sync += keys[s][0][0].eq(h_new)
        m.d.sync += [pending.eq((pending & ~started) | self.h_load), done.eq(done & ~started & ~self.h_load)]
        with m.If(abort):
            m.d.sync += busy.eq(0)
        with m.If(busy):          # (an aborted run's last step is harmless: the restart reinitialises)
            # PRE_BITS steps of Algorithm 1 (coefficient order): Z ^= A_j x^j V, V ← V x^PRE_BITS, A ← A / x^PRE_BITS
            vx = [v]
            for _ in range(PRE_BITS):
                nxt_v = Signal(128)
                m.d.comb += nxt_v.eq(_times_x(vx[-1]))
                vx.append(nxt_v)
            z_next = Signal(128)
            m.d.comb += z_next.eq(_xor_all([z] + [Mux(a[j], vx[j], 0) for j in range(PRE_BITS)]))
            m.d.sync += [z.eq(z_next), v.eq(vx[-1]), a.eq(a >> PRE_BITS), i.eq(i + 1)]
            with m.If(i == 64 // PRE_BITS - 1):                         # V = x^64 · B after this step
                for s in range(2):
                    with m.If(slot == s):
                        for p in range(N_POWERS):
                            with m.If(step == p):
                                m.d.sync += keys[s][p][1].eq(vx[-1])
            with m.If(i == 128 // PRE_BITS - 1):
                nxt_b = Signal(128)
                nxt_a = Signal(128)
                m.d.sync += [step.eq(step + 1), z.eq(0), v.eq(nxt_b), a.eq(nxt_a)]
                # step 0: H·H → H^2, step 1: H·H^2 → H^3, step 2: (x^64·H^3 only), step 3+k: T_k·H
                with m.Switch(step):
                    with m.Case(0):
                        m.d.comb += [nxt_a.eq(hc), nxt_b.eq(z_next)]
                    with m.Case(1):
                        m.d.comb += [nxt_a.eq(0), nxt_b.eq(z_next)]
                    for k in range(nt):
                        with m.Case(2 + k):
                            m.d.comb += [nxt_a.eq(to_coeffs(self.tails[k])), nxt_b.eq(hc)]
                    with m.Default():
                        m.d.comb += [nxt_a.eq(0), nxt_b.eq(hc)]
                for s in range(2):
                    with m.If(slot == s):
                        with m.Switch(step):
                            with m.Case(0):
                                m.d.sync += keys[s][1][0].eq(z_next)
                            with m.Case(1):
                                m.d.sync += keys[s][2][0].eq(z_next)
                            for k in range(nt):
                                with m.Case(3 + k):
                                    m.d.sync += tail_h[s][k].eq(z_next)
                with m.If(step == 2 + nt):
                    m.d.sync += [busy.eq(0), done.bit_select(slot, 1).eq(1)]
        return keys, tail_h

    # ------------------------------------------------------------------------------------------ datapath
    def elaborate(self, platform):
        m = Module()
        keys, tail_h = self._precompute(m)
        nt = len(self.tails)
        meta = data.StructLayout({"v": 1, "chain": 1, "dig": 1, "last": 1, "slot": 1,
                                  "tail": max(nt.bit_length(), 1)})

        acc = [Signal(128, name=f"acc{c}") for c in range(2)]      # chain sums (coefficient vectors)
        part = [Signal(128, name=f"part{c}", reset_less=True) for c in range(2)]    # a chain's first-digit product
        cptr = Signal()                                            # the chain of the next block
        last_busy = Signal()                                       # a last block is in the multiplier
        d_cur = Signal(DIGIT, name="d_cur", reset_less=True)
        d_nx = Signal(DIGIT, name="d_nx", reset_less=True)
        # the key operand in KEY_COPIES copies (module docstring: one by default; eight, one per S1a group,
        # localised its nets but routed slower). The ``_dup`` names tell the FPGA flow to keep copies apart
        # (fpga/flow.py, ``DUP_KEEP``)
        g_cur = [Signal(128, name=f"g_cur_dup{j}", reset_less=True) for j in range(KEY_COPIES)]
        g_nx = Signal(128, name="g_nx", reset_less=True)
        ma, mb, mc = Signal(meta), Signal(meta), Signal(meta)     # S1a, S1b, S2 inputs

        # ---- S2: reduction and accumulation (combinational part, used by the forwarding)
        clm = Signal(PROD_BITS, reset_less=True)
        r = _reduce(m, clm, "s2")
        y = Signal(128)
        m.d.comb += y.eq(Mux(mc.chain, part[1], part[0]) ^ r)

        # ---- taking a block: operand = (acc of its chain, or the sum leaving S2 this cycle) XOR X
        took_prev = ma.v & ~ma.dig
        m.d.comb += self.i.ready.eq(~took_prev & ~last_busy & ~self.o.valid)
        take = self.i.valid & self.i.ready
        p = self.i.payload
        fwd = mc.v & mc.dig & (mc.chain == cptr)
        base = Mux(fwd, y, Mux(cptr, acc[1], acc[0]))
        op = Signal(128)
        m.d.comb += op.eq(base ^ _rev(p.block))
        tail_in = p.tail if nt else Const(0)
        # the key operand's power, decoded here or, with ``key_select_in``, by the caller one stage ahead (timing: in
        # the integrated TX the decode of ``last`` / ``pen`` / ``tail`` from the caller's FIFO register, then its
        # fan-out to the 128 key multiplexers, was the critical path, 7.6 ns). It stays a binary select: a one-hot
        # (slot, power) select of six nets into AND-OR multiplexers did not route in the integrated TX (router1, seed
        # 1: 33 000 overused wires after 700 000 iterations, where the netlist before it converged after 673 000)
        power = p.kpow if self.key_select_in else key_select(p.last, p.pen if nt else Const(0), tail_in)

        with m.If(take):
            m.d.sync += [d_cur.eq(op[:DIGIT]), d_nx.eq(op[DIGIT:]),
                         ma.v.eq(1), ma.chain.eq(cptr), ma.dig.eq(0), ma.last.eq(p.last), ma.slot.eq(p.slot),
                         ma.tail.eq(tail_in), cptr.eq(Mux(p.last, 0, ~cptr))]
            with m.If(p.last):
                m.d.sync += last_busy.eq(1)
            with m.Switch(Cat(power, p.slot)):
                for s in range(2):
                    for pw in range(N_POWERS):
                        with m.Case(pw | s << 2):
                            m.d.sync += [*(g.eq(keys[s][pw][0]) for g in g_cur), g_nx.eq(keys[s][pw][1])]
        with m.Elif(ma.v & ~ma.dig):                                # the second digit
            m.d.sync += [d_cur.eq(d_nx), *(g.eq(g_nx) for g in g_cur), ma.dig.eq(1)]
        with m.Else():
            m.d.sync += ma.v.eq(0)

        # ---- S1a: eight groups of eight partial products
        grp = [Signal(128 + GROUP - 1, name=f"grp{j}", reset_less=True) for j in range(DIGIT // GROUP)]
        for j, gsig in enumerate(grp):
            terms = [Mux(d_cur[GROUP * j + k], g_cur[j % KEY_COPIES], 0) << k for k in range(GROUP)]
            m.d.sync += gsig.eq(_xor_all(terms))
        m.d.sync += mb.eq(ma)

        # ---- S1b: the carry-less product
        m.d.sync += [clm.eq(_xor_all([gsig << (GROUP * j) for j, gsig in enumerate(grp)])), mc.eq(mb)]

        # ---- S2: registered part
        with m.If(self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        with m.If(mc.v):
            with m.If(~mc.dig):
                for c in range(2):
                    with m.If(mc.chain == c):
                        m.d.sync += part[c].eq(r)
            with m.Elif(mc.last):
                tail = Signal(128)
                if nt:
                    with m.Switch(Cat(mc.tail, mc.slot)):
                        for s in range(2):
                            for k in range(nt):
                                with m.Case((k + 1) | s << len(mc.tail)):
                                    m.d.comb += tail.eq(tail_h[s][k])
                other = Mux(mc.chain, acc[0], acc[1])
                m.d.sync += [self.o.valid.eq(1), self.o.payload.s.eq(_rev(y ^ other ^ tail)),
                             acc[0].eq(0), acc[1].eq(0), last_busy.eq(0)]
            with m.Else():
                for c in range(2):
                    with m.If(mc.chain == c):
                        m.d.sync += acc[c].eq(y)
        return m
