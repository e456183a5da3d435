"""64b/66b encoder (XGMII → 66b block) and decoder (66b block → XGMII), IEEE 802.3 Clause 49 (physec.md §2).

Each word / block is mapped on its own, as physec.md §2 fixes it (no Clause 49 transmit / receive sequence state
machine, Figures 49-14 / 49-15 are not applied across blocks):

* :class:`Encoder66`: every one of the 15 block types of Figure 49-7 (0x1E, 0x2D, 0x33, 0x66, 0x55, 0x78, 0x4B,
  0x87 ... 0xFF); a word the encoder cannot represent (a control lane where the format wants data or the reverse, a
  control character without a 7-bit code, /S/ or /O/ in a lane where no block type carries it) becomes the /E/ block
  (type 0x1E, eight /E/ codes 0x1E). Reserved bits are sent as 0.
* :class:`Decoder66`: a bad sync header (00 or 11), an unknown block type, an invalid 7-bit control code or an invalid
  O code gives /E/ (0xFE) on all eight lanes, with ``ctrl`` = 0xFF, and pulses ``error``. Reserved bits are ignored.

Payload conventions are those of :mod:`din.rtl.physec.layouts`: ``header`` bit 0 is the first sync bit sent
(:data:`SYNC_DATA` = 0b10, :data:`SYNC_CTRL` = 0b01), payload bit i is sent i-th and the block type is bits 7:0.
Every 7-bit control code of every block type sits in one of eight fixed fields, field j at payload bits 8+7j .. 14+7j
(0x1E uses fields 0..7, 0x2D / 0x33 fields 0..3, 0x4B fields 4..7, the terminate block with /T/ in lane k fields
k+1..7), so the decoder needs eight code decoders only. O codes sit at bits 32..35 (lane 0) and 36..39 (lane 4).

Both components are one pipeline register: latency one cycle, one word per cycle, ``i.ready = ~o.valid | o.ready``
(with ``pipelined=True``: two registers, latency two cycles).
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .layouts import BLOCK66, SYNC_CTRL, SYNC_DATA, XGMII

__all__ = ["CTRL_TO_C7", "CTRL_TO_O", "BLOCK_TYPES", "TERM_TYPES", "Encoder66", "Decoder66", "PcsTx", "PcsRx"]

# IEEE 802.3 Table 49-1: XGMII control character -> 7-bit 10GBASE-R control code (/I/, /LI/ from 802.3az, /E/, and the
# six reserved characters /R/ 0x1C, 0x3C, 0x7C, 0xBC, 0xDC, 0xF7)
CTRL_TO_C7 = {0x07: 0x00, 0x06: 0x06, 0xFE: 0x1E, 0x1C: 0x2D, 0x3C: 0x33, 0x7C: 0x4B, 0xBC: 0x55, 0xDC: 0x66,
              0xF7: 0x78}
# IEEE 802.3 Table 49-1: ordered-set characters -> O code (/Q/ sequence 0x9C -> 0x0, /Fsig/ 0x5C -> 0xF)
CTRL_TO_O = {0x9C: 0x0, 0x5C: 0xF}
START, TERM, ERROR = 0xFB, 0xFD, 0xFE                       # /S/, /T/, /E/ (Table 49-1)
# IEEE 802.3 Figure 49-7
BLOCK_TYPES = (0x1E, 0x2D, 0x33, 0x66, 0x55, 0x78, 0x4B, 0x87, 0x99, 0xAA, 0xB4, 0xCC, 0xD2, 0xE1, 0xFF)
TERM_TYPES = (0x87, 0x99, 0xAA, 0xB4, 0xCC, 0xD2, 0xE1, 0xFF)     # /T/ in lane k = 0..7
C7_ERROR = CTRL_TO_C7[ERROR]


def _e_block_payload():
    return 0x1E | sum(C7_ERROR << (8 + 7 * j) for j in range(8))


class Encoder66(wiring.Component):
    """XGMII words in (:data:`XGMII`), 66b blocks out (:data:`BLOCK66`, unscrambled).

    Keyword-only ``pipelined`` (default False): True adds a register after the lane decoders (7-bit and O codes, the
    one-hot format selection), so the payload multiplexer has a cycle of its own: latency 2 instead of 1, same ports
    and blocks (used by :class:`PcsTx` for the 161 MHz line clock)."""

    def __init__(self, *, pipelined=False):
        if not isinstance(pipelined, bool):
            raise TypeError(f"pipelined must be a bool, not {pipelined!r}")
        self.params = {"pipelined": pipelined}
        super().__init__({"i": In(stream.Signature(XGMII)), "o": Out(stream.Signature(BLOCK66))})

    @staticmethod
    def _lane_codes(m, lane, k):
        """Per lane: its 7-bit code and whether it has one; O code and flags for /O/, /S/, /T/."""
        c7, c7_ok = Signal(7, name=f"c7_{k}"), Signal(name=f"c7_ok_{k}")
        o4, o_ok = Signal(4, name=f"o_{k}"), Signal(name=f"o_ok_{k}")
        with m.Switch(lane):
            for char, code in CTRL_TO_C7.items():
                with m.Case(char):
                    m.d.comb += [c7.eq(code), c7_ok.eq(1)]
            for char, code in CTRL_TO_O.items():
                with m.Case(char):
                    m.d.comb += [o4.eq(code), o_ok.eq(1)]
        return c7, c7_ok, o4, o_ok

    def elaborate(self, platform):
        m = Module()
        d, ctrl = self.i.payload.data, self.i.payload.ctrl
        lanes = [d[8 * k:8 * k + 8] for k in range(8)]
        codes = [self._lane_codes(m, lanes[k], k) for k in range(8)]
        c7 = [c for c, _, _, _ in codes]
        ok = [o for _, o, _, _ in codes]
        o0, o0_ok, o4, o4_ok = codes[0][2], codes[0][3], codes[4][2], codes[4][3]
        s0, s4 = lanes[0] == START, lanes[4] == START

        def all_ok(ks):
            return Cat(*(ok[k] for k in ks)).all()

        # one condition per row of Figure 49-7; at most one holds, none = the /E/ block
        conds = [ctrl == 0x00,
                 (ctrl == 0xFF) & all_ok(range(8)),                              # C0..C7
                 (ctrl == 0xFF) & (lanes[0] == TERM) & all_ok(range(1, 8)),      # T0 C1..C7
                 (ctrl == 0x01) & s0,                                            # S0 D1..D7
                 (ctrl == 0x1F) & all_ok(range(4)) & o4_ok,                      # C0..C3 O4 D5..D7
                 (ctrl == 0x1F) & all_ok(range(4)) & s4,                         # C0..C3 S4 D5..D7
                 (ctrl == 0x11) & o0_ok & s4,                                    # O0 D1..D3 S4 D5..D7
                 (ctrl == 0x11) & o0_ok & o4_ok,                                 # O0 D1..D3 O4 D5..D7
                 (ctrl == 0xF1) & o0_ok & all_ok(range(4, 8))]                   # O0 D1..D3 C4..C7
        conds += [(ctrl == ((0xFF << k) & 0xFF)) & (lanes[k] == TERM) & all_ok(range(k + 1, 8))
                  for k in range(1, 8)]                                          # D0..D(k-1) T(k) C(k+1)..C7
        sel = Signal(len(conds))
        m.d.comb += sel.eq(Cat(*conds))
        is_data = ctrl == 0
        adv = ~self.o.valid | self.o.ready
        valid = self.i.valid
        m.d.comb += self.i.ready.eq(adv)
        if self.params["pipelined"]:
            q_sel, q_d, q_data, q_o0, q_o4, q_valid = Signal.like(sel), Signal(64), Signal(), Signal(4), Signal(4), \
                Signal()
            q_c7 = [Signal(7, name=f"q_c7_{k}") for k in range(8)]
            with m.If(adv):
                m.d.sync += [q_valid.eq(self.i.valid), q_sel.eq(sel), q_d.eq(d), q_data.eq(is_data),
                             q_o0.eq(o0), q_o4.eq(o4), *(q.eq(c) for q, c in zip(q_c7, c7))]
            sel, d, is_data, o0, o4, c7, valid = q_sel, q_d, q_data, q_o0, q_o4, q_c7, q_valid
        rows = [d, Cat(Const(0x1E, 8), *c7), Cat(Const(0x87, 8), Const(0, 7), *c7[1:]), Cat(Const(0x78, 8), d[8:64]),
                Cat(Const(0x2D, 8), *c7[:4], o4, d[40:64]), Cat(Const(0x33, 8), *c7[:4], Const(0, 4), d[40:64]),
                Cat(Const(0x66, 8), d[8:32], o0, Const(0, 4), d[40:64]), Cat(Const(0x55, 8), d[8:32], o0, o4, d[40:64]),
                Cat(Const(0x4B, 8), d[8:32], o0, *c7[4:])]
        rows += [Cat(Const(TERM_TYPES[k], 8), d[0:8 * k], Const(0, 7 - k), *c7[k + 1:]) for k in range(1, 8)]
        payload = Mux(~sel.any(), Const(_e_block_payload(), 64), 0)
        for k, row in enumerate(rows):
            payload = payload | (row & sel[k].replicate(64))

        with m.If(adv):
            m.d.sync += [self.o.valid.eq(valid),
                         self.o.payload.header.eq(Mux(is_data, SYNC_DATA, SYNC_CTRL)),
                         self.o.payload.payload.eq(payload)]
        return m


class Decoder66(wiring.Component):
    """66b blocks in (:data:`BLOCK66`, descrambled), XGMII words out; ``error`` is high for one cycle with each output
    word that replaced a block the decoder could not interpret (registered with the word: count it at ``o`` transfers).

    Keyword-only ``pipelined`` (default False): True adds a register after the field decoders (control codes, O
    codes, the one-hot row selection), so the output multiplexer has a cycle of its own: latency 2 instead of 1, same
    ports and words (used by :class:`PcsRx` for the 161 MHz line clock)."""

    def __init__(self, *, pipelined=False):
        if not isinstance(pipelined, bool):
            raise TypeError(f"pipelined must be a bool, not {pipelined!r}")
        self.params = {"pipelined": pipelined}
        super().__init__({"i": In(stream.Signature(BLOCK66)), "o": Out(stream.Signature(XGMII)),
                          "error": Out(1)})

    @staticmethod
    def _c7_field(m, code, j):
        char, char_ok = Signal(8, name=f"char_{j}"), Signal(name=f"char_ok_{j}")
        with m.Switch(code):
            for c, v in CTRL_TO_C7.items():
                with m.Case(v):
                    m.d.comb += [char.eq(c), char_ok.eq(1)]
        return char, char_ok

    @staticmethod
    def _o_field(m, code, name):
        char, char_ok = Signal(8, name=f"ochar_{name}"), Signal(name=f"ochar_ok_{name}")
        with m.Switch(code):
            for c, v in CTRL_TO_O.items():
                with m.Case(v):
                    m.d.comb += [char.eq(c), char_ok.eq(1)]
        return char, char_ok

    def elaborate(self, platform):
        m = Module()
        hdr, p = self.i.payload.header, self.i.payload.payload
        fields = [self._c7_field(m, p[8 + 7 * j:15 + 7 * j], j) for j in range(8)]
        ch = [c for c, _ in fields]
        ok = [o for _, o in fields]
        o0, o0_ok = self._o_field(m, p[32:36], "0")
        o4, o4_ok = self._o_field(m, p[36:40], "4")

        def all_ok(js):
            return Cat(*(ok[j] for j in js)).all()

        # one condition per output format (Figure 49-7); at most one holds, none = /E/
        ctrl_hdr = hdr == SYNC_CTRL
        btype = p[0:8]
        conds = [hdr == SYNC_DATA, ctrl_hdr & (btype == 0x1E) & all_ok(range(8)), ctrl_hdr & (btype == 0x78),
                 ctrl_hdr & (btype == 0x2D) & all_ok(range(4)) & o4_ok, ctrl_hdr & (btype == 0x33) & all_ok(range(4)),
                 ctrl_hdr & (btype == 0x66) & o0_ok, ctrl_hdr & (btype == 0x55) & o0_ok & o4_ok,
                 ctrl_hdr & (btype == 0x4B) & o0_ok & all_ok(range(4, 8))]
        conds += [ctrl_hdr & (btype == bt) & all_ok(range(k + 1, 8)) for k, bt in enumerate(TERM_TYPES)]
        sel = Signal(len(conds))
        m.d.comb += sel.eq(Cat(*conds))
        adv = ~self.o.valid | self.o.ready
        valid = self.i.valid
        m.d.comb += self.i.ready.eq(adv)
        if self.params["pipelined"]:
            # stage 1 registers the row selection and the decoded fields; the rows are rebuilt from the registers
            q_sel, q_p = Signal.like(sel), Signal(64)
            q_ch = [Signal(8, name=f"q_char_{j}") for j in range(8)]
            q_o0, q_o4, q_valid = Signal(8), Signal(8), Signal()
            with m.If(adv):
                m.d.sync += [q_valid.eq(self.i.valid), q_sel.eq(sel), q_p.eq(p), q_o0.eq(o0), q_o4.eq(o4),
                             *(q.eq(c) for q, c in zip(q_ch, ch))]
            sel, valid = q_sel, q_valid
            rows = self._rows(q_p, q_ch, q_o0, q_o4)
        else:
            rows = self._rows(p, ch, o0, o4)
        # the selected row, as an AND-OR of the rows (one-hot ``sel``), /E/ when no row holds
        err = ~sel.any()
        data = Mux(err, Const(int.from_bytes(bytes([ERROR] * 8), "little"), 64), 0)
        ctrl = Mux(err, 0xFF, 0)
        for k, (lanes, ctrl_value) in enumerate(rows):
            data = data | (lanes & sel[k].replicate(64))
            if ctrl_value:
                ctrl = ctrl | Mux(sel[k], ctrl_value, 0)

        with m.If(adv):
            m.d.sync += [self.o.valid.eq(valid), self.o.payload.data.eq(data), self.o.payload.ctrl.eq(ctrl),
                         self.error.eq(valid & err)]
        return m

    @staticmethod
    def _rows(p, ch, o0, o4):
        """(lanes, ctrl) of each format, in the order of the conditions."""
        rows = [(p, 0x00), (Cat(*ch), 0xFF), (Cat(Const(START, 8), p[8:64]), 0x01),
                (Cat(*ch[:4], o4, p[40:64]), 0x1F), (Cat(*ch[:4], Const(START, 8), p[40:64]), 0x1F),
                (Cat(o0, p[8:32], Const(START, 8), p[40:64]), 0x11), (Cat(o0, p[8:32], o4, p[40:64]), 0x11),
                (Cat(o0, p[8:32], *ch[4:]), 0xF1)]
        rows += [(Cat(p[8:8 + 8 * k], Const(TERM, 8), *ch[k + 1:]), (0xFF << k) & 0xFF) for k in range(8)]
        return rows


class PcsTx(wiring.Component):
    """10GBASE-R client PCS transmit: XGMII → :class:`Encoder66` → :class:`~din.rtl.physec.scrambler58.Scrambler58`
    → :class:`~din.rtl.physec.gearbox66.TxGearbox66` (physec.md §1, §2; IEEE 802.3 Cl. 49.2.4–49.2.7).

    Keyword-only parameters: ``scramble`` (default True), ``gearbox`` (default True: ``m_line`` carries 64-bit serial
    words; False: ``m_block`` carries 66b blocks). Latency: 2 cycles for the (``pipelined``) encoder, one for the
    scrambler and one for the gearbox (4 with both; 3 before issue 6). Exported as
    ``din_physec_pcs_tx``: ``s_xgmii_tdata`` = {ctrl[71:64], data[63:0]}, ``m_line_tdata`` (or ``m_block_tdata`` =
    {payload[65:2], header[1:0]}). With the gearbox, ``s_xgmii_tready`` is low one cycle in 33.
    """

    def __init__(self, *, scramble=True, gearbox=True):
        for name, value in (("scramble", scramble), ("gearbox", gearbox)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be a bool, not {value!r}")
        from .layouts import LINE_WORD
        self.params = {"scramble": scramble, "gearbox": gearbox}
        out = ("m_line", Out(stream.Signature(LINE_WORD))) if gearbox else ("m_block", Out(stream.Signature(BLOCK66)))
        super().__init__({"s_xgmii": In(stream.Signature(XGMII)), out[0]: out[1]})
        self._out = getattr(self, out[0])

    def elaborate(self, platform):
        from .gearbox66 import TxGearbox66
        from .scrambler58 import Scrambler58
        m = Module()
        stages = [Encoder66(pipelined=True)]
        if self.params["scramble"]:
            stages.append(Scrambler58())
        if self.params["gearbox"]:
            stages.append(TxGearbox66())
        for k, stage in enumerate(stages):
            m.submodules[f"stage{k}_{type(stage).__name__.lower()}"] = stage
        wiring.connect(m, wiring.flipped(self.s_xgmii), stages[0].i)
        for a, b in zip(stages, stages[1:]):
            wiring.connect(m, a.o, b.i)
        wiring.connect(m, stages[-1].o, wiring.flipped(self._out))
        return m


class PcsRx(wiring.Component):
    """10GBASE-R client PCS receive: 64-bit serial words → :class:`~din.rtl.physec.gearbox66.RxGearbox66` +
    :class:`~din.rtl.physec.blocklock.BlockLock` → :class:`~din.rtl.physec.scrambler58.Descrambler58` →
    :class:`Decoder66` → XGMII (IEEE 802.3 Cl. 49.2.9–49.2.13), the golden ``Pcs10GBaseR.receive``.

    Keyword-only parameters: ``descramble`` (default True), ``counter_width`` (32). Only blocks found while locked come
    out (as in the golden model). Status: ``block_lock``; counters (wrapping): ``slip_count``, ``lock_count``,
    ``sh_err_count`` (invalid sync headers while locked), ``dec_err_count`` (blocks decoded to /E/ because they could
    not be interpreted). Latency from the word that completes a block: 7 cycles (3 before issue 6: the RX
    gearbox is now a 3-stage speculative pipeline and the decoder is ``pipelined``, 2 stages). ``s_line_tready`` goes low only
    while hunting (see the gearbox) or under output backpressure.
    """

    def __init__(self, *, descramble=True, counter_width=32):
        if not isinstance(descramble, bool):
            raise TypeError(f"descramble must be a bool, not {descramble!r}")
        from din.rtl.common.layouts import validate_width
        from .layouts import LINE_WORD
        validate_width("counter_width", counter_width, minimum=1, maximum=64)
        self.params = {"descramble": descramble, "counter_width": counter_width}
        super().__init__({
            "s_line": In(stream.Signature(LINE_WORD)), "m_xgmii": Out(stream.Signature(XGMII)),
            "block_lock": Out(1), "slip_count": Out(counter_width), "lock_count": Out(counter_width),
            "sh_err_count": Out(counter_width), "dec_err_count": Out(counter_width),
        })

    def elaborate(self, platform):
        from .blocklock import BlockLock
        from .gearbox66 import RxGearbox66
        from .scrambler58 import Descrambler58
        m = Module()
        m.submodules.gearbox = gearbox = RxGearbox66()
        m.submodules.lock = lock = BlockLock(counter_width=self.params["counter_width"])
        m.submodules.decoder = decoder = Decoder66(pipelined=True)
        wiring.connect(m, wiring.flipped(self.s_line), gearbox.i)
        wiring.connect(m, gearbox.o, lock.i)
        m.d.comb += gearbox.slip.eq(lock.slip)
        if self.params["descramble"]:
            m.submodules.descrambler = descrambler = Descrambler58()
            wiring.connect(m, lock.o, descrambler.i)
            wiring.connect(m, descrambler.o, decoder.i)
        else:
            wiring.connect(m, lock.o, decoder.i)
        wiring.connect(m, decoder.o, wiring.flipped(self.m_xgmii))
        m.d.comb += [self.block_lock.eq(lock.block_lock), self.slip_count.eq(lock.slip_count),
                     self.lock_count.eq(lock.lock_count), self.sh_err_count.eq(lock.sh_err_count)]
        with m.If(decoder.error & decoder.o.valid & decoder.o.ready):
            m.d.sync += self.dec_err_count.eq(self.dec_err_count + 1)
        return m
