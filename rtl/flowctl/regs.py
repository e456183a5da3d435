"""The flowctl register map (spec flowctl.md §8, background §5.11), one declaration: ``din regs`` generates
``docs/regs/flowctl.md`` and ``sim/flowctl/regs.py`` from it, :class:`din.rtl.flowctl.top.FlowCtl` builds the logic.

Implemented so far: control, parameters (PARAMS1[31:16] = D_REACT_CYCLES, spec §4), threshold profile 0 (applied to
every flow), the global guard, status and the global counters of the data path. Counters are read-only views of the
block's 32-bit counters (wrapping); a soft reset clears them, the configuration survives. Per-flow words, the
indirect per-flow window and the MFC registers of background §5.11 are not implemented yet (docs/flowctl.md).
"""

from din.rtl.common.regdecl import RO, RW, Field, Register, RegisterMap

__all__ = ["FLOWCTL_REGMAP", "COUNTERS", "D_REACT_CYCLES"]

#: background §5.13: MFC last beat -> last possible start of a paused flow (D_APPLY + FC_MAX_ENTRIES + 2), cycles;
#: reported for software's headroom computation (spec §4)
D_REACT_CYCLES = 4 + 9 + 2

#: read-only counter registers, in address order: (register name, FlowCtlCore output, doc)
COUNTERS = (
    ("FREE_CELLS", "free_cells", "cells on the free list (plus cells pushed this cycle)"),
    ("MIN_FREE_CELLS", "min_free_cells", "lowest free-list level after an allocation since reset"),
    ("USED_CELLS", "used_cells", "cells held by flows (U)"),
    ("MAX_USED_CELLS", "max_used_cells", "highest U after an allocation since reset"),
    ("DROP_INVALID", "drops[0]", "frames dropped: disabled or out-of-range flow id (drop_invalid)"),
    ("DROP_NOBUF", "drops[1]", "frames dropped: fewer free cells than one max packet (drop_nobuf)"),
    ("DROP_CAP", "drops[2]", "frames dropped: non-lossless flow at its CAP (drop_cap)"),
    ("DROP_BAD", "drops[3]", "frames dropped: tuser[0], oversize or runt (drop_bad)"),
    ("DROP_BYTES_INVALID", "drop_bytes[0]", "bytes of drop_invalid frames"),
    ("DROP_BYTES_NOBUF", "drop_bytes[1]", "bytes of drop_nobuf frames"),
    ("DROP_BYTES_CAP", "drop_bytes[2]", "bytes of drop_cap frames"),
    ("DROP_BYTES_BAD", "drop_bytes[3]", "bytes of drop_bad frames (up to the oversize beat for oversize frames)"),
    ("BAD_TUSER", "bad_tuser", "drop_bad frames ended with tuser[0]"),
    ("BAD_OVERSIZE", "bad_oversize", "drop_bad frames longer than MAX_PKT"),
    ("BAD_RUNT", "bad_runt", "drop_bad frames shorter than 60 bytes"),
    ("CAP_EXCEEDED", "cap_exceeded", "lossless frames admitted while their flow was at or over CAP (monitor)"),
    ("ENQ_PKTS", "enq_pkts", "packets committed"),
    ("ENQ_BYTES", "enq_bytes", "bytes committed"),
    ("DEQ_PKTS", "deq_pkts", "packets sent on m_axis (last beat transferred)"),
    ("DEQ_BYTES", "deq_bytes", "bytes sent on m_axis (counted at the first beat)"),
    ("XOFF_TX", "xoff_tx", "per-flow RUN -> PAUSED transitions (XOFF decisions)"),
    ("XON_TX", "xon_tx", "per-flow PAUSED -> RUN transitions (XON decisions)"),
    ("GLOBAL_XOFF_TX", "global_xoff_tx", "global guard assertions"),
)

_BASE = 0x40

FLOWCTL_REGMAP = RegisterMap("flowctl", "DFLC", 0x0000_0100, [
    Register("CTRL", 0x08, RW, width=8, doc="block control", fields=[
        Field("SOFT_RESET", 0, 1, doc="write 1: reset the data path (counters, queues, RAMs; configuration "
                                      "survives); the egress packet in progress ends with tlast and tuser[0]"),
        Field("GUARD_EN", 1, 1, reset=1, doc="global guard (G_XOFF / G_XON) enabled"),
        Field("PFC_MIRROR_EN", 2, 1, doc="pfc_req[7:0] mirrors the global guard"),
        Field("LOSSLESS", 3, 1, reset=1, doc="every flow is lossless (no CAP drops, CAP only monitored)"),
    ]),
    Register("PARAMS0", 0x0C, RO, doc="elaboration parameters", fields=[
        Field("FLOWS_LOG2", 0, 4, doc="log2 of the number of flows"),
        Field("CELLS_LOG2", 4, 5, doc="log2 of the number of cells"),
        Field("CELL_BYTES", 16, 8, doc="cell size in bytes"),
    ]),
    Register("PARAMS1", 0x10, RO, doc="elaboration parameters (spec §4: the fixed reaction latency)", fields=[
        Field("MAX_PKT", 0, 16, doc="largest frame in bytes"),
        Field("D_REACT_CYCLES", 16, 16, doc="MFC frame end -> last possible start of a paused flow, cycles "
                                           "(plus one max packet in progress)"),
    ]),
    Register("STATUS", 0x14, RO, doc="status", fields=[
        Field("INIT_DONE", 0, 1, doc="free list refilled, s_axis ready"),
        Field("CFG_ERR", 1, 1, doc="XON >= XOFF, XOFF = 0, XOFF > cells or G_XON >= G_XOFF (clamps applied)"),
        Field("GLOBAL_PAUSED", 2, 1, doc="the global guard is asserted"),
    ]),
    Register("XOFF", 0x18, RW, width=17, reset=64, doc="profile 0 XOFF in cells (every flow)"),
    Register("XON", 0x1C, RW, width=17, reset=48, doc="profile 0 XON in cells; clamped to XOFF - 1"),
    Register("CAP", 0x20, RW, width=16, reset=0xFFFF, doc="profile 0 CAP in cells (non-lossless flows)"),
    Register("QUANTUM", 0x24, RW, width=16, reset=1518, doc="DRR quantum in bytes; clamped to at least MAX_PKT"),
    Register("G_XOFF", 0x28, RW, width=17, reset=1700,
             doc="global XOFF in cells; the reset value is the safe guard of the default build (2048 cells, "
                 "H = 324 for a 512-cycle link: 2048 - 324 - 24)"),
    Register("G_XON", 0x2C, RW, width=17, reset=1636, doc="global XON in cells; clamped to G_XOFF - 1"),
] + [Register(name, _BASE + 4 * i, RO, doc=doc) for i, (name, _port, doc) in enumerate(COUNTERS)],
    doc="Micro-flow backpressure queue manager (flowctl.md)")
