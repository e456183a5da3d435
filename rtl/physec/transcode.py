"""256b/257b transcoding and its inverse (physec.md §3; IEEE 802.3 Cl. 91.5.2.5 / 119.2.4.2 rule).

A group is four 66b blocks j = 0..3 (j = 0 oldest, first on the stream); the 257b block is ``x<0..256>``, bit i of a
:data:`~din.rtl.physec.layouts.BLOCK257` value = ``x<i>``, ``x<0>`` sent first:

* all four blocks data: ``x<0> = 1``, ``x<1..256>`` = the four 64-bit payloads, block 0 first, payload bit 0 first;
* otherwise ``x<0> = 0``, ``x<1+j>`` = 1 if block j is data, ``x<5..256>`` = the 256 payload bits with bits 4..7 (the
  high nibble of the type byte) of the **first control block** removed; the receiver restores it from the low nibble,
  which is distinct for each of the 15 block types (IEEE 802.3 Figure 49-7).
* receive errors: ``x<0> = 0`` with mask 1111, or a low nibble that names no block type: the four blocks become /E/
  control blocks and ``xcode_err`` pulses (physec.md §3).

Both directions run at full rate: one 66b beat per cycle on the 66b side, one 257b beat every four cycles on the other.
A 66b input block with an invalid sync header (00 or 11; the encoder never makes one) is replaced by an /E/ block before
transcoding and ``hdr_err`` pulses, so bad input yields a defined 257b block and the group count stays aligned.
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .layouts import BLOCK66, BLOCK257, SYNC_CTRL, SYNC_DATA

__all__ = ["BLOCK_TYPES", "E_PAYLOAD", "DETX_META", "BLOCK257_META", "decode_meta", "restore", "Transcoder257",
           "Detranscoder257", "Transcode257"]

#: the 15 control block types of IEEE 802.3 Figure 49-7 (physec.md §2); their low nibbles are distinct (§3)
BLOCK_TYPES = (0x1E, 0x2D, 0x33, 0x66, 0x55, 0x78, 0x4B, 0x87, 0x99, 0xAA, 0xB4, 0xCC, 0xD2, 0xE1, 0xFF)
assert len({t & 0xF for t in BLOCK_TYPES}) == len(BLOCK_TYPES)
#: /E/ control block payload: type 0x1E, eight 7-bit /E/ codes 0x1E (IEEE 802.3 Table 49-1, Figure 49-7)
E_PAYLOAD = 0x1E | sum(0x1E << (8 + 7 * k) for k in range(8))
GROUP = 4                       # 66b blocks per 257b block


def _high_nibble_rom():
    """low nibble -> (valid, high nibble) of the block type with that low nibble (physec.md §3)."""
    table = [(0, 0)] * 16
    for t in BLOCK_TYPES:
        table[t & 0xF] = (1, t >> 4)
    return table


class Transcoder257(wiring.Component):
    """4 × 66b → 257b (physec.md §3). ``i``: stream of :data:`BLOCK66`; ``o``: stream of :data:`BLOCK257`;
    ``hdr_err``: one-cycle pulse per accepted input block whose sync header is invalid (it is sent as /E/).

    Blocks 0..2 of a group are held in registers; the fourth is transcoded with them into the output register in the
    cycle it arrives. ``i.ready`` is low only on a fourth block while the output register is full and not draining.
    Latency: one cycle from the fourth block to the 257b block. No parameters.
    """

    def __init__(self):
        self.params = {}
        super().__init__({"i": In(stream.Signature(BLOCK66)), "o": Out(stream.Signature(BLOCK257)),
                          "hdr_err": Out(1)})

    def elaborate(self, platform):
        m = Module()
        held = [Signal(BLOCK66, name=f"held{j}") for j in range(GROUP - 1)]
        count = Signal(range(GROUP))                   # blocks of the current group already held

        # the incoming block, with an invalid sync header replaced by /E/
        hdr_ok = (self.i.payload.header == SYNC_DATA) | (self.i.payload.header == SYNC_CTRL)
        blk = Signal(BLOCK66)
        m.d.comb += blk.eq(Mux(hdr_ok, self.i.payload, Cat(Const(SYNC_CTRL, 2), Const(E_PAYLOAD, 64))))
        m.d.comb += self.hdr_err.eq(self.i.valid & self.i.ready & ~hdr_ok)

        blocks = held + [blk]
        is_data = Cat(b.header == SYNC_DATA for b in blocks)
        pay = [b.payload for b in blocks]
        # x<5..256> with the high type nibble of block k removed, for each k that can be the first control block
        bodies = Array(Cat(*pay[:k], pay[k][:4], pay[k][8:], *pay[k + 1:]) for k in range(GROUP))
        first_ctrl = Signal(range(GROUP))
        for k in reversed(range(GROUP)):               # lowest control block wins
            with m.If(~is_data[k]):
                m.d.comb += first_ctrl.eq(k)
        x = Mux(is_data.all(), Cat(Const(1, 1), *pay), Cat(Const(0, 1), is_data, bodies[first_ctrl]))

        last = count == GROUP - 1
        m.d.comb += self.i.ready.eq(~last | ~self.o.valid | self.o.ready)
        with m.If(self.o.ready):
            m.d.sync += self.o.valid.eq(0)
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += count.eq(count + 1)            # wraps 3 -> 0
            for j in range(GROUP - 1):
                with m.If(count == j):
                    m.d.sync += held[j].eq(blk)
            with m.If(last):
                m.d.sync += [self.o.valid.eq(1), self.o.payload.eq(x)]
        return m


#: what the detranscoder decides before it restores the blocks (``decode_meta``): the first control block's index, the
#: {high nibble, valid} entry of its type and the error flag. :class:`Detranscoder257` with ``meta_in`` takes it with
#: the block, so that a user can compute it a pipeline stage (or a clock domain) earlier.
DETX_META = data.StructLayout({"first": 2, "entry": 5, "err": 1})
#: input payload of ``Detranscoder257(meta_in=True)``
BLOCK257_META = data.StructLayout({"block": BLOCK257, "meta": DETX_META})


def decode_meta(m, x):
    """The decisions of the 257b decode of ``x`` (a 257-bit value; physec.md §3), as a :data:`DETX_META` value
    (combinational, added to ``m``): ``first`` = index of the first control block (the lowest 0 of ``x<1..4>``),
    ``entry`` = {high nibble, valid} of the block type whose low nibble is bits 0..3 of that block's payload,
    ``err`` = ``x<0> = 0`` and (mask 1111 or no such block type). A constant ``x`` folds to constants."""
    mask, body = x[1:5], x[5:]
    first_ctrl = Signal(range(GROUP))
    for k in reversed(range(GROUP)):
        with m.If(~mask[k]):
            m.d.comb += first_ctrl.eq(k)
    low = body.word_select(first_ctrl, 64)[:4]         # bits 64k .. 64k+3 of the body: type low nibble
    rom = Array(Const(v | h << 1, 5) for v, h in _high_nibble_rom())
    entry = Signal(5)                                  # {high nibble, valid}; its own signal: err depends on it
    m.d.comb += entry.eq(rom[low])
    meta = Signal(DETX_META)
    m.d.comb += [meta.first.eq(first_ctrl), meta.entry.eq(entry), meta.err.eq(~x[0] & (mask.all() | ~entry[0]))]
    return meta


def restore(x, meta):
    """The four :data:`BLOCK66` values of 257b ``x`` given its :func:`decode_meta` ``meta`` (physec.md §3; /E/ control
    blocks when ``meta.err``)."""
    body, mask = x[5:], x[1:5]
    blocks = []
    for j in range(GROUP):
        restored = Array(
            body[64 * j:64 * j + 64] if j < k else
            Cat(body[64 * k:64 * k + 4], meta.entry[1:5], body[64 * k + 4:64 * k + 60]) if j == k else
            body[64 * j - 4:64 * j + 60]
            for k in range(GROUP))[meta.first]
        header = Mux(x[0] | mask[j], SYNC_DATA, SYNC_CTRL)
        payload = Mux(x[0], x[1 + 64 * j:65 + 64 * j], restored)
        blocks.append(Mux(meta.err, Cat(Const(SYNC_CTRL, 2), Const(E_PAYLOAD, 64)), Cat(header, payload)))
    return blocks


class Detranscoder257(wiring.Component):
    """257b → 4 × 66b (physec.md §3). ``i``: stream of :data:`BLOCK257` (or, with ``meta_in=True``, of
    :data:`BLOCK257_META`: the block with its :func:`decode_meta` computed upstream); ``o``: stream of :data:`BLOCK66`,
    four beats per input beat, block 0 first; ``xcode_err``: one-cycle pulse when an erroneous 257b block is accepted
    (its four blocks come out as /E/ control blocks).

    The accepted 257b block is decoded into four registered 66b blocks, which shift out one per cycle (``o`` is a
    register); the next 257b block is
    accepted with the fourth (``i.ready`` depends on ``o.ready`` then), so the 66b side runs at one beat per cycle.
    Latency: one cycle from the 257b block to its first 66b block. Keyword-only ``meta_in`` (default False): with it the
    path from ``i`` to the output registers is the restore multiplexers only (issue 6 timing: the RX client side
    computes the decisions on the line side of its FIFO, :mod:`.rx_client`).
    """

    def __init__(self, *, meta_in=False):
        self.meta_in = meta_in
        self.params = {"meta_in": meta_in}
        super().__init__({"i": In(stream.Signature(BLOCK257_META if meta_in else BLOCK257)),
                          "o": Out(stream.Signature(BLOCK66)), "xcode_err": Out(1)})

    def decode(self, m, x):
        """Combinational decode of 257b ``x`` into ``(four BLOCK66 values, err)``."""
        meta = decode_meta(m, x)
        return restore(x, meta), meta.err

    def elaborate(self, platform):
        m = Module()
        out = [Signal(BLOCK66, name=f"out{j}") for j in range(GROUP)]
        index = Signal(range(GROUP))                   # which of the four is on ``o``
        if self.meta_in:
            decoded, err = restore(self.i.payload.block, self.i.payload.meta), self.i.payload.meta.err
        else:
            decoded, err = self.decode(m, self.i.payload)

        # the four blocks shift towards ``out0``, which is ``o``: the output is a register (no 4:1 multiplexer on the
        # index in front of the consumer; issue 6 timing of the RX client's decoder)
        m.d.comb += self.o.payload.eq(out[0])
        m.d.comb += self.i.ready.eq(~self.o.valid | (self.o.ready & (index == GROUP - 1)))
        m.d.comb += self.xcode_err.eq(self.i.valid & self.i.ready & err)
        with m.If(self.o.valid & self.o.ready):
            m.d.sync += index.eq(index + 1)            # wraps 3 -> 0
            m.d.sync += [out[j].eq(out[j + 1]) for j in range(GROUP - 1)]
            with m.If(index == GROUP - 1):
                m.d.sync += self.o.valid.eq(0)
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [self.o.valid.eq(1), index.eq(0)]
            m.d.sync += [out[j].eq(decoded[j]) for j in range(GROUP)]
        return m


class Transcode257(wiring.Component):
    """Round trip for tests and FPGA figures: :class:`Transcoder257` → :class:`Detranscoder257`.
    ``s_axis`` / ``m_axis`` carry :data:`BLOCK66`; ``hdr_err`` / ``xcode_err`` from the two halves."""

    def __init__(self):
        self.params = {}
        super().__init__({"s_axis": In(stream.Signature(BLOCK66)), "m_axis": Out(stream.Signature(BLOCK66)),
                          "hdr_err": Out(1), "xcode_err": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.tx = tx = Transcoder257()
        m.submodules.rx = rx = Detranscoder257()
        wiring.connect(m, wiring.flipped(self.s_axis), tx.i)
        wiring.connect(m, tx.o, rx.i)
        wiring.connect(m, rx.o, wiring.flipped(self.m_axis))
        m.d.comb += [self.hdr_err.eq(tx.hdr_err), self.xcode_err.eq(rx.xcode_err)]
        return m
