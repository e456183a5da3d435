"""RAM-based ternary CAM (Xilinx XAPP1151 style) and a pipelined first-set priority encoder.

:class:`RamTcam` splits a ``key_width``-bit key into chunks of at most :data:`CHUNK_BITS` bits. Chunk ``c`` owns a
RAM of ``2**w_c`` words of ``entries`` bits: bit ``j`` of word ``a`` is 1 when entry ``j`` accepts the value ``a``
in that chunk, i.e. ``(a ^ value_c) & mask_c == 0``. A lookup reads every chunk RAM at the key's chunk value; the
AND of the words and of the valid vector is the hit vector (entry ``j`` hits when ``(key ^ value) & mask == 0``).
A 9-bit chunk matches the 512 x 36 mode of an ECP5 EBR, so a 64-entry table costs 2 EBR per 9 key bits.

Writing entry ``i`` rewrites bit ``i`` of every word of every chunk RAM. ECP5 EBRs have no bit-granular write
enable, so each word is read, modified and written back: the write FSM owns the RAMs' read ports for 2**w + 4 cycles (w = the widest chunk, 8 or 9)
(``busy``), and the owner must not look up meanwhile. Every RAM output is registered in the fabric, so the
read-modify-write and the hit AND both start at a flip-flop. The valid bit of the entry is cleared when the write starts
and set when it ends, unless ``poison`` was pulsed during the write (the staged value changed under it): then the
entry is left invalid. ``inval`` clears one valid bit without touching the RAMs (lookups may continue).

Timing (FPGA, issue 4): every chunk RAM has its own registered address (the lookup key or the write FSM's address,
selected one cycle ahead), so the one key register and the FSM do not drive up to 33 block RAMs spread over the
device in the same cycle as the read; the AND of the chunk words is two-level: partial ANDs of at most
:data:`AND_GROUP` words are registered, then ANDed with the valid vector.

Lookup timing: ``key`` is sampled in cycle t (into the chunk address registers); ``hits`` is valid in cycle
t + :data:`LATENCY` (5): t+1 RAM read, t+2 RAM output, t+3 registered word, t+4 partial ANDs, t+5 hits.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["CHUNK_BITS", "AND_GROUP", "LATENCY", "RamTcam", "FirstSet", "chunk_widths"]

#: address bits of one chunk RAM: 512 words, the 512 x 36 mode of an ECP5 DP16KD
CHUNK_BITS = 9
#: chunk words per registered partial AND (the 5-tuple table's 33 words: 5 groups)
AND_GROUP = 8
#: cycles from ``key`` to ``hits``
LATENCY = 5


def chunk_widths(key_width, chunk_bits=CHUNK_BITS):
    """Widths of the chunks a key is cut into, low bits first: as few chunks as ``chunk_bits`` allows, widths as
    equal as possible (wider first). A narrow remainder chunk (say 32 x 256 bits for a 5-bit rest of the NRP id)
    would not go into an EBR and costs thousands of flip-flops; 4 chunks of 8 bits cost the same EBRs as 3 of 9."""
    n = -(-key_width // chunk_bits)
    base, extra = divmod(key_width, n)
    return [base + 1] * extra + [base] * (n - extra)


class RamTcam(wiring.Component):
    """Ternary CAM of ``entries`` entries of ``key_width`` bits in chunk RAMs; see the module docstring.

    Ports: ``key`` (lookup), ``hits`` (t + :data:`LATENCY`); ``start`` / ``index`` / ``value`` / ``mask`` / ``poison`` / ``busy``
    / ``done`` (entry write: ``value`` and ``mask`` must hold still while ``busy``); ``inval`` / ``inval_index``.
    """

    def __init__(self, *, key_width, entries):
        if not isinstance(key_width, int) or key_width < 1:
            raise ValueError(f"key_width must be a positive integer, not {key_width!r}")
        if not isinstance(entries, int) or not 1 <= entries <= 256:
            raise ValueError(f"entries must be an integer in 1..256, not {entries!r}")
        self.key_width, self.entries = key_width, entries
        self.widths = chunk_widths(key_width)
        if min(self.widths) < 2:            # a word is written back 3 cycles after its address: depth must exceed 3
            raise ValueError(f"key_width must be at least 2, not {key_width}")
        super().__init__({
            "key": In(key_width),
            "hits": Out(entries),
            "start": In(1),
            "index": In(range(entries)),
            "value": In(key_width),
            "mask": In(key_width),
            "poison": In(1),
            "busy": Out(1),
            "done": Out(1),
            "inval": In(1),
            "inval_index": In(range(entries)),
        })

    def elaborate(self, platform):
        m = Module()
        n = self.entries
        depth_bits = max(self.widths)
        last_addr = (1 << depth_bits) - 1

        valid = Signal(n)               # reset: every entry invalid (an empty table never hits)
        # valid as of the cycle the key was sampled, delayed to the hit AND (LATENCY - 1 stages)
        valid_q = [Signal(n, name=f"valid_q{k}") for k in range(1, LATENCY)]
        sel = Signal(n)                 # one-hot of the entry being written
        addr = Signal(depth_bits)       # FSM read address
        # a word whose address was registered 1 / 2 / 3 cycles ago is to be written back (p3: its registered word)
        p_en = [Signal(name=f"p{k}_en") for k in (1, 2, 3)]
        p_addr = [Signal(depth_bits, name=f"p{k}_addr") for k in (1, 2, 3)]
        last_read = Signal()
        poisoned = Signal()

        m.d.sync += [valid_q[0].eq(valid)] + [b.eq(a) for a, b in zip(valid_q, valid_q[1:])]

        words = []
        lsb = 0
        for c, w in enumerate(self.widths):
            mem = memory.Memory(shape=n, depth=1 << w, init=[])
            m.submodules[f"chunk{c}"] = mem
            rd, wr = mem.read_port(), mem.write_port()
            key_c = self.key[lsb:lsb + w]
            val_c, msk_c = self.value[lsb:lsb + w], self.mask[lsb:lsb + w]
            # the chunk's own address register (the key's chunk, or the FSM's address while busy)
            ra = Signal(w, name=f"ra{c}")
            m.d.sync += ra.eq(Mux(self.busy, addr[:w], key_c))
            # every RAM output is registered in the fabric: EBR clock-to-out is slow on the ECP5
            word_q = Signal(n, name=f"word{c}")
            match = [Signal(name=f"match{k}_{c}") for k in (1, 2, 3)]
            m.d.sync += [word_q.eq(rd.data), match[0].eq(((addr[:w] ^ val_c) & msk_c) == 0),
                         match[1].eq(match[0]), match[2].eq(match[1])]
            m.d.comb += [
                rd.addr.eq(ra),
                wr.addr.eq(p_addr[2][:w]),
                wr.en.eq(p_en[2]),
                wr.data.eq((word_q & ~sel) | Mux(match[2], sel, 0)),
            ]
            words.append(word_q)
            lsb += w

        # two-level AND: registered partial ANDs of AND_GROUP words, then with the valid vector
        partials = []
        for g in range(0, len(words), AND_GROUP):
            part = Signal(n, name=f"and{g // AND_GROUP}")
            acc = words[g]
            for word in words[g + 1:g + AND_GROUP]:
                acc = acc & word
            m.d.sync += part.eq(acc)
            partials.append(part)
        hit = valid_q[-1]
        for part in partials:
            hit = hit & part
        m.d.sync += self.hits.eq(hit)

        # entry write FSM: address `addr` into the chunk address registers, read, registered, written back modified
        # three cycles after it was issued
        m.d.sync += [p_en[0].eq(0), p_en[1].eq(p_en[0]), p_en[2].eq(p_en[1]), p_addr[1].eq(p_addr[0]),
                     p_addr[2].eq(p_addr[1]), self.done.eq(0)]
        with m.If(self.poison & self.busy):
            m.d.sync += poisoned.eq(1)
        with m.If(~self.busy):
            with m.If(self.start):
                m.d.sync += [
                    self.busy.eq(1), addr.eq(0), last_read.eq(0), poisoned.eq(0),
                    sel.eq((Const(1, 1) << self.index)[:n]),
                    valid.bit_select(self.index, 1).eq(0),
                ]
            with m.Elif(self.inval):
                m.d.sync += valid.bit_select(self.inval_index, 1).eq(0)
        with m.Else():
            with m.If(~last_read):
                m.d.sync += [p_en[0].eq(1), p_addr[0].eq(addr), addr.eq(addr + 1)]
                with m.If(addr == last_addr):
                    m.d.sync += last_read.eq(1)
            with m.Elif(~p_en[0] & ~p_en[1] & ~p_en[2]):          # the last word has been written
                m.d.sync += [self.busy.eq(0), self.done.eq(1)]
                with m.If(~poisoned & ~self.poison):
                    m.d.sync += valid.eq(valid | sel)
        return m


class FirstSet(wiring.Component):
    """Index of the lowest set bit of ``bits`` (``hit`` = any bit set), two pipeline stages (out at t + 2).

    Stage 1 encodes groups of ``group`` bits (any + local index), stage 2 picks the first non-empty group.
    """

    def __init__(self, width, *, group=16):
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive integer, not {width!r}")
        self.width, self.group = width, group
        super().__init__({"bits": In(width), "hit": Out(1), "index": Out(range(width))})

    @staticmethod
    def _first(m, bits, out):
        """Combinational: ``out`` = index of the lowest set bit of ``bits`` (0 when none)."""
        for j in reversed(range(len(bits))):
            with m.If(bits[j]):
                m.d.comb += out.eq(j)

    def elaborate(self, platform):
        m = Module()
        g = self.group
        groups = [self.bits[i:i + g] for i in range(0, self.width, g)]
        local_bits = max(1, (g - 1).bit_length())
        anys, locals_ = [], []
        for k, bits in enumerate(groups):
            local_c = Signal(local_bits, name=f"local_c{k}")
            self._first(m, bits, local_c)
            any_q, local_q = Signal(name=f"any{k}"), Signal(local_bits, name=f"local{k}")
            m.d.sync += [any_q.eq(bits.any()), local_q.eq(local_c)]
            anys.append(any_q)
            locals_.append(local_q)
        any_vec = Cat(*anys)
        grp = Signal(range(max(2, len(groups))))         # never 0 bits wide (Verilator rejects [-1:0])
        self._first(m, any_vec, grp)
        index = Signal(range(len(groups) * (1 << local_bits)))
        with m.Switch(grp):
            for k in range(len(groups)):
                with m.Case(k):
                    m.d.comb += index.eq(k * g + locals_[k])
        m.d.sync += [self.hit.eq(any_vec.any()), self.index.eq(index)]
        return m
