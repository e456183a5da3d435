"""PHYSec TX framer top (physec.md §1, §4–§6): client 257b blocks in (``sync``, 156.25 MHz), line words out
(``line``, 161.1328125 MHz), MODE 00 on the data path. Exported as ``din_physec_tx``.

    s_axis (BLOCK257, sync) ─► TxClientFifo (prefetch FIFO, 1024 × 257b) ─► TxFrame (Cm controller + JC, GMP slots,
    AM + overhead + OHCRC16 + KCC, 257b → 64-bit gearbox, [keystream ⊕ TAG point], PRBS31) ─► m_axis (LINE_WORD, line)

Ports (flat names on the Verilog top): ``s_axis_tdata/tvalid/tready`` (257-bit client blocks from the 4×66b → 257b
transcoder; ``tready`` is always 1: a client PCS cannot be stalled), ``m_axis_tdata/tvalid/tready`` (64-bit line
words, bit i = f[64w + i]; ``tvalid`` stays high from frame 0 on, ``tready`` is ignored: a line transmitter never
stalls), ``kcc_tdata/tvalid/tready`` (KCC octets, line domain), the register ports (plain ports until the register
map of the security issue; all in the line domain except where noted): ``enable``, ``fc_init``, ``mode``, ``an``
(NAN = AN and KSP = 0 until key switching exists), ``rdi``, ``rif``; status: ``overflow`` (client domain, sticky),
``underflow``, ``gap`` (sticky), ``blocks_carried``, ``frames``, ``sample`` (the Cm controller's sample strobe, for
the testbench to align the golden model), ``fifo_level``.

Only MODE 00 is implemented: the keystream and TAG inputs of :class:`.tx_frame.TxFrame` are tied to zero here; the
security engine drives them (see :mod:`.tx_frame` for the plug-in point).
"""

from amaranth import Module
from amaranth.hdl import DomainRenamer
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ..common.layouts import validate_width
from .layouts import BLOCK257, LINE_WORD
from .tx_fifo import TxClientFifo
from .tx_frame import TxFrame
from .sec_common import KEY_PORT, forward_key_port
from .tx_sec import TxSec

#: stages between TxFrame's tap and its TAG XOR with the security engine. T(n−1) is ready in the cycle where the
#: tap holds word 8 of frame n (the last GCM block enters GHASH's queue at word 0, GHASH adds the length block as its
#: known tail and takes 5 cycles); the TAG stage needs it when the tap holds word 3 + TAG_DELAY, so 6 leaves one cycle
#: (``tag_late`` flags a miss; ``din bench physec_tx_sec`` prints the margin)
TAG_DELAY = 6

__all__ = ["PhysecTx"]


class PhysecTx(wiring.Component):
    """The TX framer (module docstring). Keyword-only ``fifo_depth`` (client FIFO blocks, a power of 2 ≥ 1024 for
    the start-up peak), ``target`` (Cm controller FIFO target, blocks) and ``sample_lead`` (words)."""

    def __init__(self, *, fifo_depth=1024, target=8, sample_lead=32, security=False, tag_delay=TAG_DELAY,
                 aes_units=7, aes_lookup_reg=True):
        validate_width("fifo_depth", fifo_depth, minimum=1024, power_of_2=True)
        self.security = bool(security)
        self.params = {"fifo_depth": fifo_depth, "target": target, "sample_lead": sample_lead,
                       "security": self.security}
        self._fifo = TxClientFifo(depth=fifo_depth)
        self._frame = TxFrame(ptr_bits=self._fifo.ptr_bits, target=target, sample_lead=sample_lead,
                              tag_delay=tag_delay if self.security else 0)
        sec = {}
        if self.security:
            self.params.update(tag_delay=tag_delay, aes_units=aes_units, aes_lookup_reg=bool(aes_lookup_reg))
            self._sec = TxSec(aes_units=aes_units, aes_lookup_reg=aes_lookup_reg)
            sec = {**KEY_PORT,
                   "fc_limit": In(64), "rekey_warn": In(32), "require_encryption": In(1), "tx_slot": In(1),
                   "sw_req": In(1), "sw_slot": In(1), "sw_at": In(64),
                   "active_an": Out(2), "rekey_required": Out(1), "cfg_err": Out(1), "ks_underrun": Out(32),
                   "j0_missing": Out(1), "tag_late": Out(1), "tag_ready_word": Out(13), "tx_blocked": Out(48),
                   "dropped": Out(48), "blocked_now": Out(1)}
        super().__init__({
            **sec,
            "s_axis": In(stream.Signature(BLOCK257)),
            "m_axis": Out(stream.Signature(LINE_WORD)),
            "kcc": In(stream.Signature(8)),
            "enable": In(1), "fc_init": In(64), "mode": In(2), "an": In(2), "rdi": In(1), "rif": In(1),
            "overflow": Out(1), "underflow": Out(1), "gap": Out(1), "blocks_carried": Out(48), "frames": Out(48),
            "sample": Out(1), "fifo_level": Out(self._fifo.ptr_bits),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.fifo = fifo = self._fifo
        m.submodules.frame = frame = self._frame
        wiring.connect(m, wiring.flipped(self.s_axis), fifo.s)
        wiring.connect(m, fifo.o, frame.blocks)
        wiring.connect(m, frame.o, wiring.flipped(self.m_axis))
        wiring.connect(m, wiring.flipped(self.kcc), frame.kcc)
        if self.security:
            m.submodules.sec = sec = DomainRenamer("line")(self._sec)
            m.d.comb += [
                *forward_key_port(self, sec),
                sec.enable.eq(self.enable), sec.fc_init.eq(self.fc_init), sec.fc_limit.eq(self.fc_limit),
                sec.rekey_warn.eq(self.rekey_warn), sec.mode.eq(self.mode),
                sec.require_encryption.eq(self.require_encryption), sec.tx_slot.eq(self.tx_slot),
                sec.sw_req.eq(self.sw_req), sec.sw_slot.eq(self.sw_slot), sec.sw_at.eq(self.sw_at),
                sec.planned.eq(frame.planned),
                frame.mode.eq(sec.plan_mode), frame.an.eq(sec.plan_an), frame.nan.eq(sec.plan_nan),
                frame.ksp.eq(sec.plan_ksp), frame.blocked.eq(sec.plan_blocked),
                frame.blocked_next.eq(sec.plan_blocked_next),
                self.tx_blocked.eq(frame.tx_blocked), self.dropped.eq(frame.dropped),
                self.blocked_now.eq(sec.plan_blocked),
                sec.wc.eq(frame.word_index), sec.out_run.eq(frame.o_run), frame.ks.eq(sec.ks),
                frame.kill.eq(sec.kill),
                sec.tap.eq(frame.tap), sec.tap_wc.eq(frame.tap_wc), sec.tap_run.eq(frame.tap_run),
                frame.tag.eq(sec.tag), frame.tag_ok.eq(sec.tag_ok),
                self.active_an.eq(sec.active_an), self.rekey_required.eq(sec.rekey_required),
                self.cfg_err.eq(sec.cfg_err), self.ks_underrun.eq(sec.ks_underrun),
                self.j0_missing.eq(sec.j0_missing), self.tag_late.eq(frame.tag_late),
                self.tag_ready_word.eq(sec.tag_ready_word),
            ]
        else:
            m.d.comb += [frame.mode.eq(self.mode), frame.an.eq(self.an), frame.nan.eq(self.an), frame.ksp.eq(0),
                         frame.ks.eq(0), frame.tag.eq(0)]              # MODE 00: no keystream, TAG zero
        m.d.comb += [
            frame.written.eq(fifo.written),
            frame.enable.eq(self.enable), frame.fc_init.eq(self.fc_init),
            frame.rdi.eq(self.rdi), frame.rif.eq(self.rif),
            self.overflow.eq(fifo.overflow), self.underflow.eq(frame.underflow), self.gap.eq(frame.gap),
            self.blocks_carried.eq(frame.blocks_carried), self.frames.eq(frame.frames),
            self.sample.eq(frame.sample), self.fifo_level.eq(fifo.level),
        ]
        return m
