"""The flowctl register map (spec flowctl.md §8, background §5.11), one declaration: ``din regs`` generates
``docs/regs/flowctl.md`` and ``sim/flowctl/regs.py`` from it, :class:`din.rtl.flowctl.top.FlowCtl` builds the logic.

Implemented so far: control, parameters (PARAMS1[31:16] = D_REACT_CYCLES, spec §4), the 16 threshold profiles
(``PROFILE<p>_XOFF`` / ``_XON`` / ``_CAP`` / ``_QUANTUM`` at 0x300 + 16·p), the per-flow words through the indirect
window of background §5.11 (``FLOW_SEL``, ``FLOW_CFG``, ``FLOW_XOFF_XON``, ``FLOW_CAP_QUANTUM`` staged, committed by
``FLOW_CMD.WRITE``, read back live in the ``*_RD`` registers), the global guard with ``H_CFG`` (``GUARD_UNSAFE``),
status with ``CFG_ERR`` and the lowest offending flow, the MFC generator / reaction-point configuration (background
§5.11: T_SNAP, SNAP_TRAIL, PAUSE_TIME, TIME_EXP, COAL_XOFF / COAL_XON, FC_ETYPE, FC_DA / FC_SA, watchdog) and the global
counters of the data path and of the MFC side. Counters are read-only views of the block's 32-bit counters (wrapping);
a soft reset clears them, the configuration survives. The per-flow statistics window (``FLOW_CMD.STATS`` snapshots
flow ``FLOW_SEL`` into ``FLOW_STAT_STATUS`` and the ``FLOW_*`` registers from 0x424). Not implemented: tenant words and
thresholds (every flow belongs to tenant 0), dynamic thresholds, the per-flow pause-time counters (docs/flowctl.md).
"""

from din.rtl.common.regdecl import RO, RW, Field, Register, RegisterMap

__all__ = ["FLOWCTL_REGMAP", "COUNTERS", "FLOW_STATS", "D_REACT_CYCLES", "PROFILE_BASE", "PROFILE_RESET"]

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
    ("DROP_BAD", "drops[3]", "frames dropped: tuser[0], oversize, runt or unpacked (drop_bad)"),
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
    # MFC generator (m_fc)
    ("MFC_TX_DELTA", "mfc_tx_delta", "FLOW_DELTA frames sent"),
    ("MFC_TX_SNAPSHOT", "mfc_tx_snapshot", "FLOW_SNAPSHOT frames sent (the RESET snapshots included)"),
    ("MFC_TX_ENTRIES", "mfc_tx_entries", "DELTA entries sent"),
    ("MFC_TX_XOFF_ENTRIES", "mfc_tx_xoff_entries", "DELTA entries sent with a lease (XOFF)"),
    ("MFC_TX_XON_ENTRIES", "mfc_tx_xon_entries", "DELTA entries sent with lease 0 (XON)"),
    # MFC reaction point (s_fc)
    ("MFC_RX_DELTA", "mfc_rx_frames[0]", "FLOW_DELTA frames accepted"),
    ("MFC_RX_SNAPSHOT", "mfc_rx_frames[1]", "FLOW_SNAPSHOT frames accepted"),
    ("MFC_RX_TENANT", "mfc_rx_frames[2]", "TENANT_DELTA frames accepted"),
    ("FC_RX_ERR_FCS", "fc_rx_err[0]", "s_fc frames ended with tuser[0] (FCS error from the MAC)"),
    ("FC_RX_ERR_RUNT", "fc_rx_err[1]", "s_fc frames shorter than 60 bytes"),
    ("FC_RX_ERR_ETYPE", "fc_rx_err[2]", "s_fc frames with another EtherType than FC_ETYPE"),
    ("FC_RX_ERR_VERSION", "fc_rx_err[3]", "MFC frames with a version other than 1"),
    ("FC_RX_ERR_TYPE", "fc_rx_err[4]", "MFC frames of an unknown type"),
    ("FC_RX_ERR_LENGTH", "fc_rx_err[5]", "MFC frames whose length is not the one their count / covered field gives"),
    ("FC_RX_ERR_OVERSIZE", "fc_rx_err[6]", "s_fc frames longer than 1518 bytes"),
    ("FC_RX_SEQ_GAP", "fc_rx_seq_gap", "MFC frames missed (sum of seq - last - 1 over accepted frames)"),
    ("FC_RX_STALE", "fc_rx_stale", "MFC frames ignored as not newer than the last accepted (duplicates included)"),
    ("FC_RX_DUP", "fc_rx_dup", "MFC frames with the seq of the last accepted frame"),
    ("FC_RX_RANGE", "fc_rx_range", "entries / set bitmap bits for ids outside the flow (or tenant) table"),
    ("XOFF_RX", "xoff_rx", "DELTA entries applied with a lease (snapshot bits not counted)"),
    ("XON_RX", "xon_rx", "DELTA entries applied with lease 0"),
    ("WD_EVENTS", "wd_events", "watchdog events: a flow paused by the next hop for WD_CYCLES"),
    ("BAD_UNPACKED", "bad_unpacked", "drop_bad frames with an unpacked beat: fewer than 8 bytes before tlast, or an "
                                     "empty or non-contiguous tkeep at tlast (stored up to that beat)"),
)

_BASE = 0x40
PROFILE_BASE = 0x300            # PROFILE<p>_XOFF / _XON / _CAP / _QUANTUM at PROFILE_BASE + 16·p + 0 / 4 / 8 / 12
#: reset values of every profile: the golden model's ``Profile()`` (CAP 2^16 - 1: no cap in practice)
PROFILE_RESET = {"XOFF": 64, "XON": 48, "CAP": 0xFFFF, "QUANTUM": 1518}
_PROFILE_DOC = {"XOFF": "XOFF in cells (a flow pauses at occupancy >= XOFF)",
                "XON": "XON in cells (a paused flow resumes at occupancy <= XON); clamped to XOFF - 1",
                "CAP": "CAP in cells (non-lossless flows are dropped at occupancy >= CAP)",
                "QUANTUM": "DRR quantum in bytes; clamped to at least MAX_PKT"}
_PROFILE_WIDTH = {"XOFF": 17, "XON": 17, "CAP": 16, "QUANTUM": 16}


def _profiles():
    return [Register(f"PROFILE{p}_{name}", PROFILE_BASE + 16 * p + 4 * i, RW, width=_PROFILE_WIDTH[name],
                     reset=PROFILE_RESET[name], doc=f"profile {p}: {_PROFILE_DOC[name]}")
            for p in range(16) for i, name in enumerate(("XOFF", "XON", "CAP", "QUANTUM"))]


def _flow_fields(stored=True):
    reset = {"reset": 1} if stored else {}
    return [Field("ENABLE", 0, 1, doc="0: the flow's frames are dropped as invalid", **reset),
            Field("LOSSLESS", 1, 1, doc="1: CAP is only monitored (CAP_EXCEEDED); 0: frames over CAP are "
                                        "dropped (DROP_CAP)", **reset),
            Field("PROFILE", 4, 4, doc="threshold / quantum profile 0-15"),
            Field("PRIO", 8, 3, doc="priority 0-7: pfc_paused[PRIO] pauses the flow")]


def _half_fields(lo, hi, doc):
    return [Field(lo, 0, 16, doc=f"{lo} override ({doc}); 0: the profile's"),
            Field(hi, 16, 16, doc=f"{hi} override; 0: the profile's")]

#: per-flow statistics (spec §8) in the snapshot window: (register, field of ``flow_stats_layout``, doc)
FLOW_STATS = (
    ("FLOW_OCC", "occ", "occupancy in cells when the snapshot completed"),
    ("FLOW_HWM", "hwm", "highest occupancy in cells right after an allocation, since reset"),
    ("FLOW_ENQ_PKTS", "enq_pkts", "packets committed"),
    ("FLOW_ENQ_BYTES", "enq_bytes", "bytes committed"),
    ("FLOW_DEQ_PKTS", "deq_pkts", "packets sent on m_axis"),
    ("FLOW_DEQ_BYTES", "deq_bytes", "bytes sent on m_axis (counted at the last beat)"),
    ("FLOW_DROP_PKTS", "drop_pkts", "frames dropped, every reason (tdest inside the flow table)"),
    ("FLOW_DROP_BYTES", "drop_bytes", "bytes of the dropped frames"),
    ("FLOW_XOFF_TX", "xoff_tx", "RUN -> PAUSED decisions of the flow"),
    ("FLOW_XON_TX", "xon_tx", "PAUSED -> RUN decisions of the flow"),
    ("FLOW_XOFF_RX", "xoff_rx", "DELTA entries applied to the flow with a lease (XOFF received)"),
    ("FLOW_XON_RX", "xon_rx", "DELTA entries applied to the flow with lease 0 (XON received)"),
    ("FLOW_WD_EVENTS", "wd_events", "watchdog events of the flow"),
    ("FLOW_CAP_EXCEEDED", "cap_exceeded", "lossless frames admitted while the flow was at or over its CAP"),
)
FLOW_STAT_BASE = 0x424


def _flow_stats():
    return [Register("FLOW_STAT_STATUS", 0x420, RO, doc="the statistics snapshot (FLOW_CMD.STATS)", fields=[
                Field("VALID", 0, 1, doc="the snapshot of flow FLOW of the last STATS command is complete"),
                Field("FLOW", 16, 16, doc="flow id of the snapshot")])] + [
            Register(name, FLOW_STAT_BASE + 4 * i, RO, doc=f"snapshot: {doc}") for i, (name, _f, doc) in
            enumerate(FLOW_STATS)] + [
            Register("FLOW_STATE", FLOW_STAT_BASE + 4 * len(FLOW_STATS), RO, doc="snapshot: the flow's state",
                     fields=[Field("PAUSED_TX", 0, 1, doc="PAUSED here (XOFF sent, XON not yet)"),
                             Field("PAUSED_RX", 1, 1, doc="paused by the next hop's lease for this flow"),
                             Field("PARKED", 2, 1, doc="parked in the scheduler (paused when it reached the head)"),
                             Field("IN_LIST", 3, 1, doc="in the scheduler's active list"),
                             Field("BACKLOG", 16, 16, doc="packets queued")])]


FLOWCTL_REGMAP = RegisterMap("flowctl", "DFLC", 0x0000_0100, [
    Register("CTRL", 0x08, RW, width=8, doc="block control", fields=[
        Field("SOFT_RESET", 0, 1, doc="write 1: reset the data path (counters, queues, RAMs; configuration "
                                      "survives); the egress packet in progress ends with tlast and tuser[0]"),
        Field("GUARD_EN", 1, 1, reset=1, doc="global guard (G_XOFF / G_XON) enabled"),
        Field("PFC_MIRROR_EN", 2, 1, doc="pfc_req[7:0] mirrors the global guard"),
        Field("FC_TX_EN", 4, 1, reset=1, doc="MFC generator on m_fc enabled (the RESET snapshot is sent when "
                                             "it is first enabled after a reset)"),
        Field("FC_RX_EN", 5, 1, reset=1, doc="MFC reaction point on s_fc enabled (when 0, frames are "
                                             "dropped without being counted)"),
        Field("SNAP_EN", 6, 1, reset=1, doc="periodic snapshot rounds (every T_SNAP while anything is paused, "
                                            "plus SNAP_TRAIL rounds)"),
        Field("SNAP_IDLE", 7, 1, doc="snapshot rounds also while nothing is paused"),
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
        Field("CFG_ERR", 1, 1, doc="a flow's XON >= XOFF, XOFF = 0 or XOFF > cells (sticky until a soft reset, "
                                   "found within `flows` cycles; CFG_ERR_FLOW), or G_XON >= G_XOFF (clamps applied)"),
        Field("GLOBAL_PAUSED", 2, 1, doc="the global guard is asserted"),
        Field("WD_FLAG", 3, 1, doc="a watchdog event happened since reset (WD_EVENTS)"),
        Field("FC_RX_OVERRUN", 4, 1, doc="the reaction point's frame ring (1024 beats) or job queues (64 frames) "
                                         "overflowed: frames queued beyond this are unreliable"),
        Field("RX_GLOBAL_PAUSED", 5, 1, doc="the next hop's GLOBAL_PAUSE lease is running"),
        Field("GUARD_UNSAFE", 6, 1, doc="GUARD_EN and G_XOFF + H_CFG > cells: the guard cannot keep the "
                                        "lossless rule (spec §4)"),
    ]),
    Register("G_XOFF", 0x28, RW, width=17, reset=1693,
             doc="global XOFF in cells; the reset value is the safe guard of the default build (2048 cells, "
                 "H = 331 for a 512-cycle link: 2048 - 331 - 24)"),
    Register("G_XON", 0x2C, RW, width=17, reset=1629, doc="global XON in cells; clamped to G_XOFF - 1"),
    Register("H_CFG", 0x30, RW, width=17, reset=331,
             doc="headroom H in cells as software computed it (spec §4); STATUS.GUARD_UNSAFE = GUARD_EN and "
                 "G_XOFF + H_CFG > cells (reset: H of the default build, 512-cycle link)"),
    Register("CFG_ERR_FLOW", 0x34, RO, doc="the lowest flow whose thresholds are wrong (sticky until a soft reset)",
             fields=[Field("FLOW", 0, 16, doc="flow id"), Field("VALID", 31, 1, doc="a flow was found")]),
] + [Register(name, _BASE + 4 * i, RO, doc=doc) for i, (name, _port, doc) in enumerate(COUNTERS)] + [
    # MFC configuration (background §5.11); reset values: the golden model's defaults for the default build
    Register("T_SNAP", 0x200, RW, width=16, reset=1024, doc="snapshot period in cycles (at least 16)"),
    Register("SNAP_TRAIL", 0x204, RW, width=8, reset=3, doc="snapshot rounds sent after the last pause cleared"),
    Register("PAUSE_TIME", 0x208, RW, width=16, reset=698,
             doc="lease sent with XOFF entries and snapshots, in 512-bit-time quanta x 2^TIME_EXP; also the global "
                 "lease before the first snapshot (reset: 4 x T_SNAP + T_loop of the default build, D_link 512)"),
    Register("TIME_EXP", 0x20C, RW, width=4, doc="lease exponent sent in every frame"),
    Register("COAL_XOFF", 0x210, RW, width=16, reset=16, doc="cycles an XOFF entry may wait for more entries"),
    Register("COAL_XON", 0x214, RW, width=16, reset=256, doc="cycles an XON entry may wait for more entries"),
    Register("FC_ETYPE", 0x218, RW, width=16, reset=0x88B5, doc="EtherType of MFC frames (sent and accepted)"),
    Register("FC_DA", 0x220, RW, width=48, reset=0x0180C200000E, doc="destination MAC of sent MFC frames"),
    Register("FC_SA", 0x228, RW, width=48, reset=0x020000000001, doc="source MAC of sent MFC frames"),
    Register("WD_CYCLES", 0x230, RW, reset=1 << 20, doc="watchdog: cycles a flow may stay paused by the next hop"),
    Register("WD_ACTION", 0x234, RW, width=1, doc="watchdog action: 0 alert only, 1 ignore the flow's pauses for "
                                                 "WD_RESTORE cycles"),
    Register("WD_RESTORE", 0x238, RW, reset=1 << 16, doc="cycles the watchdog ignores a flow's pauses (WD_ACTION 1)"),
] + _profiles() + [
    # per-flow words through an indirect window (background §5.11): stage, then FLOW_CMD.WRITE commits to FLOW_SEL
    Register("FLOW_SEL", 0x400, RW, width=16, doc="flow id of the indirect window (ids >= flows: writes ignored)"),
    Register("FLOW_CMD", 0x404, RW, width=3, doc="indirect-window command (reads back the last value written)",
             fields=[Field("WRITE", 1, 1, doc="write 1: the staged FLOW_CFG, FLOW_XOFF_XON and FLOW_CAP_QUANTUM "
                                              "become flow FLOW_SEL's word in the next cycle"),
                     Field("STATS", 2, 1, doc="write 1: snapshot flow FLOW_SEL's statistics into FLOW_STAT_* "
                                              "(FLOW_STAT_STATUS.VALID when complete, a few cycles later)")]),
    Register("FLOW_CFG", 0x408, RW, width=11, doc="staged per-flow config word (spec §3)", fields=_flow_fields()),
    Register("FLOW_XOFF_XON", 0x40C, RW, doc="staged per-flow threshold overrides",
             fields=_half_fields("XOFF", "XON", "cells")),
    Register("FLOW_CAP_QUANTUM", 0x410, RW, doc="staged per-flow CAP / quantum overrides",
             fields=_half_fields("CAP", "QUANTUM", "cells / bytes")),
    Register("FLOW_CFG_RD", 0x414, RO, width=11, doc="flow FLOW_SEL's config word as stored",
             fields=_flow_fields(stored=False)),
    Register("FLOW_XOFF_XON_RD", 0x418, RO, doc="flow FLOW_SEL's threshold overrides as stored",
             fields=_half_fields("XOFF", "XON", "cells")),
    Register("FLOW_CAP_QUANTUM_RD", 0x41C, RO, doc="flow FLOW_SEL's CAP / quantum overrides as stored",
             fields=_half_fields("CAP", "QUANTUM", "cells / bytes")),
] + _flow_stats(),
    doc="Micro-flow backpressure queue manager (flowctl.md)")
