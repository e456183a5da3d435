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
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ..common.layouts import validate_width
from .layouts import BLOCK257, LINE_WORD
from .tx_fifo import TxClientFifo
from .tx_frame import TxFrame

__all__ = ["PhysecTx"]


class PhysecTx(wiring.Component):
    """The TX framer (module docstring). Keyword-only ``fifo_depth`` (client FIFO blocks, a power of 2 ≥ 1024 for
    the start-up peak), ``target`` (Cm controller FIFO target, blocks) and ``sample_lead`` (words)."""

    def __init__(self, *, fifo_depth=1024, target=8, sample_lead=32):
        validate_width("fifo_depth", fifo_depth, minimum=1024, power_of_2=True)
        self.params = {"fifo_depth": fifo_depth, "target": target, "sample_lead": sample_lead}
        self._fifo = TxClientFifo(depth=fifo_depth)
        self._frame = TxFrame(ptr_bits=self._fifo.ptr_bits, target=target, sample_lead=sample_lead)
        super().__init__({
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
        m.d.comb += [
            frame.written.eq(fifo.written),
            frame.enable.eq(self.enable), frame.fc_init.eq(self.fc_init), frame.mode.eq(self.mode),
            frame.an.eq(self.an), frame.nan.eq(self.an), frame.ksp.eq(0),
            frame.rdi.eq(self.rdi), frame.rif.eq(self.rif),
            frame.ks.eq(0), frame.tag.eq(0),                 # MODE 00: no keystream, TAG zero
            self.overflow.eq(fifo.overflow), self.underflow.eq(frame.underflow), self.gap.eq(frame.gap),
            self.blocks_carried.eq(frame.blocks_carried), self.frames.eq(frame.frames),
            self.sample.eq(frame.sample), self.fifo_level.eq(fifo.level),
        ]
        return m
