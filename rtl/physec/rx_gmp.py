"""PHYSec GMP demapper (physec.md §5) with the golden receiver's rules for unknown Cm (``sync`` domain; the RX top
renames it to ``line``).

Per frame (on ``dec`` from :class:`~din.rtl.physec.rx_frame.RxFrame`, word 9, before the first payload slot at word 36):

* Cm of this frame is the one announced by the previous frame's JC. Known → its blocks are delivered (when the frame
  decision allows: FC known, MODE 00, not a replay), else /E/ blocks. Unknown (JC error in the previous frame) → /E/
  blocks, as many as the last good Cm, in the slots that Cm would use. Nothing is output after lock until the first
  frame whose Cm is known (golden ``_delivering``).
* A slot flagged ``bad`` (security build: a payload word of it or of an earlier slot of the frame had no keystream,
  ``RxSec.ks_bad``) is an /E/ block too: undecrypted ciphertext never reaches the client as data (the golden receiver
  never lacks keystream; this is the hardware's defined result for a fault).
* A JC whose CRC-8 fails or whose value is not accepted counts ``jc_err`` and makes the next frame's Cm unknown; a
  replayed frame's JC is ignored (the Cm stays for the next frame); a PRESYNC frame (or a ``blind`` candidate)
  restarts everything.
* Slot j carries a block iff ``(j · Cm) mod 1016 < Cm`` (G.709 Annex D), computed incrementally:
  ``acc_j = (acc_{j-1} + Cm) mod 1016``; ``acc_j < Cm`` exactly when that sum reached 1016 (Cm ≤ 1016).

/E/ blocks: the 257b block of four /E/ control blocks (:data:`E_BLOCK257`, what the golden transmitter's transcoder
makes of four XGMII /E/ words, and what the golden receiver's /E/ output re-encodes to), flagged ``e`` = 1.

Output ``o``: ``block`` (257 bits, bit i = x<i>) and ``e``, one per client slot, no backpressure (a block at most every
4 cycles). Latency: 1 cycle from ``slot``.
"""

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .consts import PAYLOAD_SLOTS, SLOT_BITS
from .rx_frame import FRAME_DECISION, SLOT_LAYOUT

__all__ = ["E_BLOCK257", "RX_BLOCK", "RxGmp", "e_block257"]

#: a delivered client block: ``block`` bit i = x<i> (physec.md §3); ``e``: an /E/ block (Cm unknown or not delivered)
RX_BLOCK = data.StructLayout({"block": SLOT_BITS, "e": 1})


def e_block257():
    """The 257b block of four /E/ control blocks (IEEE 802.3 Cl. 49: type 0x1E, eight 7-bit /E/ codes 0x1E;
    physec.md §3: x<0> = 0, x<1..4> = 0 (all control), then the 256 payload bits without bits 4..7 of the first
    control block's type byte)."""
    payload = 0x1E | sum(0x1E << (8 + 7 * i) for i in range(8))
    bits = [0, 0, 0, 0, 0]
    for j in range(4):
        for i in range(64):
            if j == 0 and 4 <= i < 8:
                continue
            bits.append((payload >> i) & 1)
    assert len(bits) == SLOT_BITS
    return sum(b << i for i, b in enumerate(bits))


E_BLOCK257 = e_block257()


class RxGmp(wiring.Component):
    """GMP demapper (see the module docstring). Pulses (registered, the cycle after ``dec``): ``jc_err``,
    ``policy_drop``."""

    def __init__(self):
        super().__init__({
            "dec": In(stream.Signature(FRAME_DECISION, always_ready=True)),
            "slot": In(stream.Signature(SLOT_LAYOUT, always_ready=True)),
            "o": Out(stream.Signature(RX_BLOCK, always_ready=True)),
            "cm": Out(11), "cm_known": Out(1),
            "jc_err": Out(1), "policy_drop": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cm_next, cm_next_v = Signal(11), Signal()
        cm_last, delivering = Signal(11), Signal()          # cm_last is 0 while no good Cm was seen
        count, use_data, on, acc = Signal(11), Signal(), Signal(), Signal(10)
        count_m = Signal(signed(12))                         # count - 1016, kept with count
        m.d.comb += [self.cm.eq(cm_next), self.cm_known.eq(cm_next_v)]

        d = self.dec.payload
        jc_err, policy_drop = Signal(), Signal()             # registered pulses (one cycle after ``dec``)
        m.d.sync += [self.jc_err.eq(jc_err), self.policy_drop.eq(policy_drop)]
        with m.If(self.dec.valid):
            with m.If(d.presync):
                m.d.sync += [delivering.eq(0), on.eq(0), cm_next_v.eq(d.jc_ok),
                             cm_next.eq(d.cm_new), cm_last.eq(Mux(d.jc_ok, d.cm_new, 0))]
            with m.Else():
                e_count = Mux(cm_next_v, cm_next, Mux(delivering, cm_last, 0))
                deliv_new = delivering | cm_next_v
                m.d.sync += [count.eq(e_count), count_m.eq(e_count - PAYLOAD_SLOTS), acc.eq(0),
                             delivering.eq(deliv_new),
                             on.eq(deliv_new & (e_count != 0)),
                             use_data.eq(cm_next_v & d.deliver & ~d.replay)]
                with m.If(~d.replay):
                    m.d.comb += [jc_err.eq(~d.jc_ok), policy_drop.eq(d.policy & (e_count != 0))]
                    m.d.sync += [cm_next_v.eq(d.jc_ok), cm_next.eq(d.cm_new)]
                    with m.If(d.jc_ok):
                        m.d.sync += cm_last.eq(d.cm_new)

        # acc_j < Cm iff the sum wrapped (acc < 1016 and Cm <= 1016, which JC acceptance guarantees): the slot
        # decision is the sign of acc + (Cm - 1016), and both sums are formed in parallel (timing, issue 6)
        acc_wrap = Signal(signed(13))
        m.d.comb += acc_wrap.eq(acc + count_m)
        wrap = acc_wrap >= 0
        acc_n = Mux(wrap, acc_wrap[:10], (acc + count)[:10])
        with m.If(self.slot.valid):
            m.d.sync += acc.eq(acc_n)
        # a slot whose keystream was missing (``bad``, RxSec's ``ks_bad``) is never delivered: undecrypted
        # ciphertext must not reach the client as data (issue 7, bad input)
        data_ok = use_data & ~self.slot.payload.bad
        m.d.sync += [self.o.valid.eq(self.slot.valid & on & wrap),
                     self.o.payload.block.eq(Mux(data_ok, self.slot.payload.block, E_BLOCK257)),
                     self.o.payload.e.eq(~data_ok)]
        return m
