"""PHYSec TX frame builder and 257b → 64-bit line gearbox, ``line`` domain (physec.md §4, §5, §6).

A frame is 1024 units of 257 bits: units 0..7 are the AM and the overhead (2056 bits = 8 × 257), unit 7 + j is
payload slot j (j = 1..1016). The builder produces units in order and the gearbox turns them into line words, so
``f[64w + i]`` is bit i of line word w and a frame is exactly 4112 words with no gap.

Pipeline (all in ``line``)::

    sample (SAMPLE_LEAD words before frame n) ─► CmController: Cm(n), Cm(n+1), JC ─► O0..O13, OHCRC16 (lib.crc,
    7 × 16 bits), KCC octets latched ─► plan of frame n
    unit producer: u = 0..2 from the plan (AM, O0..O63), 3..7 zero (RES), 8..1023 slot j = u − 7: a client block
    if the GMP rule says so (popped from the client FIFO), else 257 zero bits
    ─► LineGearbox: unit << (u mod 64) in two registered steps (by 8·k, then by 0..7), then OR-ed into a 320-bit
    accumulator that shifts out 64 bits per cycle ─► line word ─► ⊕ keystream ⊕ TAG ⊕ PRBS31 ─► output register

Encryption plug-in point (MODE 00 here; the AES-GCM engine comes with the security issue): the XOR stage just before
the output register. ``ks`` (64 bits, combinational input, zero in MODE 00) is XORed onto the line word and must be
zero outside the payload bits ``f[2056..]`` (word 32 bits 8..63 onwards); ``word_index`` / ``frame_start`` tell the
engine where the current word is, and the FC of each frame is ``fc_init + n``. ``tag`` (128 bits, big-endian: its
most significant octet goes to O14) is XORed onto ``f[232..359]`` (words 3..5), which the builder leaves zero, so the
tag of frame n−1 is needed only at word 3 of frame n (it must be stable while ``word_index`` is 3..5); zero in
MODE 00. The GHASH input (ciphertext before PRBS31) is the line word after the ``ks`` XOR.

The Cm controller's sample point is ``SAMPLE_LEAD`` words before each frame: the ``sample`` output pulses in the cycle
whose closing clock edge captures ``written`` (the golden model's t(n) corresponds to that edge).

Registers as plain ports for now (the register map comes with the security issue): ``enable`` (starts the
transmitter; ``fc_init`` is loaded then; framing then runs until reset: deassert ``enable`` only with a reset),
``mode`` / ``an`` / ``nan`` / ``ksp`` / ``rdi`` / ``rif`` (sampled at each frame's sample point into STAT and
SEC_CTRL; only MODE 00 is implemented on the data path). ``kcc``: a byte stream; up to 32 octets received before a
frame's sample point go into its O32..O63 (zero-padded), ``ready`` is low while 32 octets wait.

The line output never stalls: ``o.ready`` is ignored (a line transmitter sends a word every cycle; a sink that cannot
keep up loses words). ``o.valid`` is high from word 0 of frame 0 on, every cycle.

Status: ``underflow`` (sticky: a data slot found the client FIFO empty, a zero block was sent instead),
``gap`` (sticky: the gearbox had no unit when it needed one; never expected), ``blocks`` (client blocks carried),
``frames`` (frames started on the line).
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.hdl import DomainRenamer
from amaranth.lib import crc, stream, wiring
from amaranth.lib.wiring import In, Out

from ..common.layouts import validate_width
from .consts import (AM_BITS, AM_OCTETS, FRAME_SLOTS, FRAME_WORDS, LINE_WORD_BITS, OH_CRC16_INIT, OH_CRC16_POLY,
                     SEC_VERSION, SLOT_BITS)
from .layouts import BLOCK257, LINE_WORD
from .prbs31 import Prbs31Words
from .tx_gmp import CM_BITS, CmController, GmpSlots

__all__ = ["OH_CRC16", "LineGearbox", "TxFrame", "head_bits"]

#: physec.md §4: OHCRC16, CRC-16/CCITT-FALSE over O0..O13 (check "123456789" -> 0x29B1)
OH_CRC16 = crc.Algorithm(crc_width=16, polynomial=OH_CRC16_POLY, initial_crc=OH_CRC16_INIT, reflect_input=False,
                         reflect_output=False, xor_output=0)
HEAD_UNITS = 3                    # units 0..2 hold AM + O0..O63; units 3..7 are RES (zero)
OH_UNITS = 8                      # AM + overhead = 8 units
WORD_INDEX_BITS = 13


def _msb_first(octet):
    """An MSB-first octet in transmission order (f[8k + i] = octet bit 7 − i)."""
    return Cat(octet[7 - i] for i in range(8))


def head_bits(octets):
    """``f[0 .. 257·3 − 1]``: the AM (each octet LSB first) then the given overhead octets MSB first, zero after."""
    am = Const(int.from_bytes(AM_OCTETS, "little"), AM_BITS)        # f[8k + i] = AM octet k bit i
    bits = Cat(am, *(_msb_first(o) for o in octets))
    return Cat(bits, Const(0, HEAD_UNITS * SLOT_BITS - len(bits)))


class LineGearbox(wiring.Component):
    """257b units in (``i``), one 64-bit word per cycle out (``word``) while ``emit`` is high, ``line`` domain.

    Unit u (counted from the first unit after reset) goes to stream bit 257·u: since 257 ≡ 1 (mod 64) it lands at
    bit ``u mod 64`` of the accumulator, so the unit is shifted ahead of the accumulator, in two registered steps, and
    the accumulator only ORs it in (``acc = acc >> 64 | unit << (u mod 64)``; load when fewer than 64 bits would be
    left). Before ``emit`` the first unit is loaded and held. ``gap`` (sticky) flags a load that found no unit.
    """

    ACC_BITS = SLOT_BITS + LINE_WORD_BITS - 1      # 320

    def __init__(self):
        super().__init__({"i": In(stream.Signature(BLOCK257)), "emit": In(1), "word": Out(LINE_WORD),
                          "gap": Out(1)})

    def elaborate(self, platform):
        m = Module()
        r = Signal(6)                                  # u mod 64 of the next unit taken from i
        v1, p1, r1 = Signal(), Signal(SLOT_BITS + 56), Signal(3)
        v2, p2 = Signal(), Signal(self.ACC_BITS)
        acc = Signal(self.ACC_BITS)
        cnt = Signal(range(self.ACC_BITS + 1))         # valid bits in acc
        after = Signal.like(cnt)
        m.d.comb += after.eq(Mux(self.emit, cnt - LINE_WORD_BITS, cnt))
        # need = after < 64, from flags registered with cnt (keeps the subtraction out of the ready chain)
        lt64, lt128 = Signal(init=1), Signal(init=1)
        need = Mux(self.emit, lt128, lt64)
        load = v2 & need
        adv2 = ~v2 | load
        adv1 = ~v1 | adv2
        m.d.comb += self.i.ready.eq(adv1)
        with m.If(self.i.valid & adv1):                # stage 1: shift by 8·(r >> 3)
            m.d.line += [p1.eq(self.i.payload << (r[3:] * 8)), r1.eq(r[:3]), r.eq(r + 1)]
        with m.If(adv1):
            m.d.line += v1.eq(self.i.valid)
        with m.If(adv2):                               # stage 2: shift by r & 7
            m.d.line += [p2.eq(p1 << r1), v2.eq(v1)]
        shifted = Mux(self.emit, acc >> LINE_WORD_BITS, acc)
        cnt_next = Signal.like(cnt)
        m.d.comb += cnt_next.eq(after + Mux(load, SLOT_BITS, 0))
        m.d.line += [acc.eq(shifted | Mux(load, p2, 0)), cnt.eq(cnt_next), lt64.eq(cnt_next < LINE_WORD_BITS),
                     lt128.eq(cnt_next < 2 * LINE_WORD_BITS)]
        with m.If(self.emit & need & ~v2):
            m.d.line += self.gap.eq(1)
        m.d.comb += self.word.eq(acc[:LINE_WORD_BITS])
        return m


class TxFrame(wiring.Component):
    """Frame builder, GMP mapper and gearbox (module docstring). Keyword-only ``ptr_bits`` (width of ``written``,
    from the client FIFO), ``target`` (Cm controller FIFO target, blocks) and ``sample_lead`` (words)."""

    def __init__(self, *, ptr_bits=11, target=8, sample_lead=32, tag_delay=0):
        validate_width("sample_lead", sample_lead, minimum=24, maximum=256)
        validate_width("tag_delay", tag_delay, minimum=0, maximum=64)
        self.ptr_bits, self.target, self.sample_lead = ptr_bits, target, sample_lead
        self.tag_delay = tag_delay
        sec = {}
        if tag_delay:
            sec = {"planned": Out(1), "kill": In(1), "tag_ok": In(1), "tag_late": Out(1),
                   "blocked": In(1), "blocked_next": In(1), "tx_blocked": Out(48), "dropped": Out(48),
                   "tap": Out(LINE_WORD_BITS), "tap_wc": Out(WORD_INDEX_BITS), "tap_run": Out(1), "o_run": Out(1)}
        super().__init__({
            **sec,
            "blocks": In(stream.Signature(BLOCK257)),
            "written": In(ptr_bits),
            "o": Out(stream.Signature(LINE_WORD)),
            # plain-port registers (see the module docstring)
            "enable": In(1), "fc_init": In(64), "mode": In(2), "an": In(2), "nan": In(2), "ksp": In(1),
            "rdi": In(1), "rif": In(1),
            "kcc": In(stream.Signature(8)),
            # encryption plug-in point
            "ks": In(LINE_WORD), "tag": In(128), "word_index": Out(WORD_INDEX_BITS), "frame_start": Out(1),
            # status
            "sample": Out(1), "underflow": Out(1), "gap": Out(1), "blocks_carried": Out(48), "frames": Out(48),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.cm = cmc = CmController(ptr_bits=self.ptr_bits, target=self.target)
        m.submodules.slots = slots = GmpSlots()
        m.submodules.gearbox = gb = LineGearbox()
        m.submodules.prbs = prbs = DomainRenamer("line")(Prbs31Words(width=LINE_WORD_BITS, start_bit=56))
        m.submodules.ohcrc = ohcrc = DomainRenamer("line")(OH_CRC16(data_width=16).create())

        # ---- start and output word timing: wc is the frame word index of the gearbox's current word
        started, out_run = Signal(), Signal()
        wc = Signal(WORD_INDEX_BITS)
        start = self.enable & ~started
        last_word = wc == FRAME_WORDS - 1
        with m.If(start):
            m.d.line += [started.eq(1), wc.eq(FRAME_WORDS - self.sample_lead - 1)]
        with m.Elif(started):
            m.d.line += wc.eq(Mux(last_word, 0, wc + 1))
            with m.If(last_word):
                m.d.line += out_run.eq(1)
        if self.tag_delay:
            m.d.comb += [cmc.block_now.eq(self.blocked), cmc.block_next.eq(self.blocked_next)]
        m.d.comb += [self.sample.eq(started & (wc == FRAME_WORDS - self.sample_lead)),
                     cmc.sample.eq(self.sample), cmc.written.eq(self.written),
                     self.word_index.eq(wc), self.frame_start.eq(out_run & (wc == 0))]

        # ---- plan of the next frame: FC, overhead O0..O13 and OHCRC16, KCC
        fc = Signal(64)
        oh = [Signal(8, name=f"o{k}") for k in range(14)]            # O0..O13 of the planned frame
        crc_step = Signal(range(8))                                  # 1..7: feeding word crc_step − 1
        plan_ready = Signal()
        p_cm, p_crc = Signal(CM_BITS), Signal(16)
        kbuf, kcnt, p_kcc = Signal(256), Signal(range(33)), Signal(256)
        with m.If(start):
            m.d.line += fc.eq(self.fc_init)
        with m.If(cmc.done):
            stat = Cat(Const(0, 4), self.mode, self.rif, self.rdi)
            sec = Cat(Const(SEC_VERSION, 3), self.ksp, self.nan, self.an)
            fc_octets = [fc[8 * (7 - k):8 * (8 - k)] for k in range(8)]    # big-endian
            m.d.line += [o.eq(v) for o, v in zip(oh, [fc[:8], stat, cmc.jc[16:24], cmc.jc[8:16], cmc.jc[:8], sec,
                                                      *fc_octets])]
            fc_inc = Cat(fc, Const(0, 1)) + 1                        # saturates: bit 64 = fc was all ones
            m.d.line += [p_cm.eq(cmc.cm), crc_step.eq(1), fc.eq(Mux(fc_inc[64], fc, fc_inc[:64]))]
        with m.Elif(crc_step != 0):
            m.d.line += crc_step.eq(Mux(crc_step == 7, 0, crc_step + 1))
        words = Cat(*(Cat(oh[2 * k + 1], oh[2 * k]) for k in range(7)))     # O0 is the first (top) octet
        crc_idx = Signal(3)
        m.d.comb += [crc_idx.eq(crc_step - 1), ohcrc.start.eq(crc_step == 1), ohcrc.valid.eq(crc_step != 0),
                     ohcrc.data.eq(words.word_select(crc_idx, 16))]
        crc_done = Signal()
        m.d.line += crc_done.eq(crc_step == 7)
        # KCC octets collected until the plan latches them
        m.d.comb += self.kcc.ready.eq((kcnt != 32) & ~crc_done)
        with m.If(crc_done):
            m.d.line += [p_crc.eq(ohcrc.crc), plan_ready.eq(1), p_kcc.eq(kbuf), kbuf.eq(0), kcnt.eq(0)]
        with m.Elif(self.kcc.valid & self.kcc.ready):
            m.d.line += [kbuf.word_select(kcnt[:5], 8).eq(self.kcc.payload), kcnt.eq(kcnt + 1)]

        # ---- unit producer: units 0..1023 of each frame into the gearbox
        u = Signal(range(FRAME_SLOTS))
        # O0..O13, OHCRC16 and KCC stay in the plan registers until the next frame's sample point, long after the
        # producer has passed units 0..2
        head = head_bits(oh + [Const(0, 8)] * 16 +
                         [p_crc[8:], p_crc[:8]] + [p_kcc.word_select(k, 8) for k in range(32)])
        gin = gb.i
        # u == 0, u >= OH_UNITS and u == last, kept as registers with u (off the produce / ready chain)
        u_zero, is_slot, u_last = Signal(init=1), Signal(), Signal()
        is_head = Signal(init=1)                                     # u < HEAD_UNITS
        take_block = is_slot & slots.data & self.blocks.valid
        unit = Signal(SLOT_BITS)
        with m.If(is_head):
            with m.Switch(u[:2]):
                for k in range(HEAD_UNITS):
                    with m.Case(k):
                        m.d.comb += unit.eq(head[k * SLOT_BITS:(k + 1) * SLOT_BITS])
        with m.Else():
            m.d.comb += unit.eq(Mux(take_block, self.blocks.payload, 0))
        can_load = ~gin.valid | gin.ready
        produce = Signal()
        m.d.comb += produce.eq(started & can_load & (~u_zero | plan_ready))
        # fail closed: the blocks of a flush (CmController ``drop``) are popped during the blocked frame, which takes
        # none (its Cm is 0)
        drop_pending, drop_left = Signal(self.ptr_bits), Signal(self.ptr_bits)
        dropping = Signal()
        if self.tag_delay:
            with m.If(cmc.done):
                m.d.line += drop_pending.eq(cmc.drop)
                with m.If(self.blocked):
                    m.d.line += self.tx_blocked.eq(self.tx_blocked + 1)
            with m.If(produce & u_zero):
                m.d.line += drop_left.eq(drop_pending)
            with m.Elif(self.blocks.valid & dropping):
                m.d.line += [drop_left.eq(drop_left - 1), self.dropped.eq(self.dropped + 1)]
            m.d.comb += dropping.eq((drop_left != 0) & ~(produce & take_block))
        m.d.comb += [self.blocks.ready.eq((produce & take_block) | dropping),
                     slots.start.eq(produce & u_zero), slots.cm.eq(p_cm),
                     slots.step.eq(produce & is_slot)]
        with m.If(produce):
            m.d.line += [gin.valid.eq(1), gin.payload.eq(unit), u.eq(u + 1), u_zero.eq(0),
                         is_slot.eq(u >= OH_UNITS - 1), u_last.eq(u == FRAME_SLOTS - 2),
                         is_head.eq(u < HEAD_UNITS - 1)]
            with m.If(u_zero):
                m.d.line += plan_ready.eq(0)
            with m.If(u_last):
                m.d.line += [u.eq(0), u_zero.eq(1), is_slot.eq(0), u_last.eq(0), is_head.eq(1)]
            with m.If(is_slot & slots.data & ~self.blocks.valid):
                m.d.line += self.underflow.eq(1)
            with m.If(take_block):
                m.d.line += self.blocks_carried.eq(self.blocks_carried + 1)
        with m.Elif(gin.ready):
            m.d.line += gin.valid.eq(0)

        # ---- line word: gearbox word ⊕ keystream ⊕ TAG ⊕ PRBS31, output register
        m.d.comb += gb.emit.eq(out_run)
        tag_f = Cat(self.tag[127 - i] for i in range(128))          # f[232 + i] = TAG bit 127 − i
        tag_words = {3: Cat(Const(0, 40), tag_f[:24]), 4: tag_f[24:88], 5: Cat(tag_f[88:], Const(0, 24))}
        tag_word = Signal(LINE_WORD_BITS)
        if not self.tag_delay:
            with m.Switch(wc):
                for k, v in tag_words.items():
                    with m.Case(k):
                        m.d.comb += tag_word.eq(v)
        m.d.comb += [prbs.restart.eq(out_run & (wc == 1)), prbs.advance.eq(out_run & (wc != 0))]
        scramble = Mux(wc != 0, prbs.word, 0)
        if not self.tag_delay:
            m.d.line += [self.o.valid.eq(out_run), self.o.payload.eq(gb.word ^ self.ks ^ tag_word ^ scramble)]
        else:
            # security engine: stage A (the tap: gearbox word ⊕ keystream, before PRBS31 and TAG), then tag_delay
            # stages so that T(n−1), computed after frame n−1 has passed the tap, is ready at word 3 of frame n
            m.d.comb += [self.planned.eq(cmc.done), self.o_run.eq(out_run)]
            data = Mux(self.kill, 0, gb.word) ^ self.ks
            line_a = Signal(LINE_WORD_BITS)
            m.d.line += [self.tap.eq(data), self.tap_wc.eq(wc), self.tap_run.eq(out_run), line_a.eq(data ^ scramble)]
            d_word, d_wc, d_run = line_a, self.tap_wc, self.tap_run
            for k in range(self.tag_delay):
                nw, nc, nr = Signal.like(d_word, name=f"dly{k}_w"), Signal.like(d_wc, name=f"dly{k}_wc"), \
                    Signal(name=f"dly{k}_run")
                m.d.line += [nw.eq(d_word), nc.eq(d_wc), nr.eq(d_run)]
                d_word, d_wc, d_run = nw, nc, nr
            with m.Switch(d_wc):
                for k, v in tag_words.items():
                    with m.Case(k):
                        m.d.comb += tag_word.eq(v)
            with m.If(d_run & (d_wc == 3) & ~self.tag_ok):
                m.d.line += self.tag_late.eq(1)
            m.d.line += [self.o.valid.eq(d_run), self.o.payload.eq(d_word ^ tag_word)]
        with m.If(out_run & (wc == 0)):
            m.d.line += self.frames.eq(self.frames + 1)
        m.d.comb += self.gap.eq(gb.gap)
        return m
