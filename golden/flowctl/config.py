"""Configuration of the micro-flow queue manager, its latency constants, the headroom H and the safe global threshold.

Everything here comes from ``flowctl.md`` §2 (parameters), §4 (thresholds, lossless rule) and the background report
``background/microflow.md`` §5.13 (latency constants) and §5.14 (headroom formula). Plain Python: the RTL session will
read the same figures from the generated parameter JSON, never from this module.

The lossless rule (spec §4, proof in background §4.1)::

    T_loop = 2·D_link + D_gen + (MTU_beats + IFG) + FC_beats + D_react + MTU_beats
    D_gen  = COAL_XOFF + L_NOTIFY + L_EVT + fcgen_cycles(flows)   (threshold crossing -> first MFC beat)
    D_react = D_APPLY + FC_MAX_ENTRIES + 2                   (MFC last beat -> last possible start, plus one MTU)
    H      = ceil(T_loop · r_max) + 1  [+ loss_burst · ceil(T_SNAP · r_max) when frame loss must be absorbed]
    r_max  = max over L in [60, MAX_PKT] of ceil(L / cell) / (ceil(L / 8) + gap)
    G_XOFF(safe) = cells − H − ceil(MAX_PKT / cell)

Decision (spec silent): the safe global threshold also subtracts one maximum packet in cells, because admission
(§3) drops a packet at its first beat when fewer than ``ceil(MAX_PKT / cell)`` cells are free; the background's worked
example does the same (8192 − 324 − 24 = 7844).
"""

from dataclasses import dataclass, replace
from fractions import Fraction
from math import ceil

__all__ = [
    "BYTES_PER_BEAT", "MIN_PKT", "L_NOTIFY", "L_EVT", "L_FREE_VIS", "L_COMMIT", "L_SCHED", "D_APPLY", "L_FCGEN",
    "SCAN_GROUP", "fcgen_cycles",
    "Profile", "FlowCfg", "FlowCtlConfig", "r_max", "cdiv",
]

BYTES_PER_BEAT = 8          # 64-bit AXI-Stream (spec README "Streams")
MIN_PKT = 60                # Ethernet frame without FCS; shorter frames are runts (dropped as bad, see model.py)
CYCLES_PER_QUANTUM = 8      # one pause quantum = 512 bit times = 8 beats of 64 bits (IEEE 802.3 Annex 31B)

# Latency constants of background §5.13 (the RTL must implement exactly these; model.py documents where each acts).
L_NOTIFY = 2      # cell allocated / freed at t -> FC controller evaluates the occupancy at t+2
L_EVT = 1         # FC decision at t -> entry pending (eligible for a frame) at t+1
L_FREE_VIS = 1    # cell freed at t -> counted in free_cells for admission at t+1
L_COMMIT = 2      # EOP accepted at t -> packet visible to the scheduler at t+2
L_SCHED = 3       # idle egress: decision at t -> first beat valid at t+3
D_APPLY = 4       # last beat of an MFC frame at t -> entry i applied at t+4+i
L_FCGEN = 1       # frame trigger true at t -> first beat of a SNAPSHOT valid at t+1 (a DELTA: fcgen_cycles)
SCAN_GROUP = 16   # flows per cycle of the DELTA capture (mfc.py, docs/flowctl.md "MFC generator")


def fcgen_cycles(flows):
    """DELTA trigger at t -> first beat valid at t + this: an XOFF and an XON pass of ``flows / 16 + 1`` visits each,
    one visit per cycle, then the first beat (decision, the background's L_FCGEN is 1: docs/flowctl.md)."""
    groups = max(1, flows // SCAN_GROUP)
    return 2 * (groups + 1) + 1


def cdiv(a, b):
    """Ceiling of a / b for non-negative integers (or Fractions)."""
    return -(-a // b)


def r_max(cell_bytes, max_pkt, gap=0, min_pkt=MIN_PKT):
    """Most cells per cycle an adversarial packet-length mix can allocate (background §5.14).

    ``gap`` is the idle cycles between packets on the link (0 for a back-to-back AXI-Stream source, 2 or 3 for a real
    MAC with IFG). Returns an exact ``Fraction``: 64-byte cells, gap 0 -> 2/9 (L = 65 bytes).
    """
    best = Fraction(0)
    for length in range(min_pkt, max_pkt + 1):
        r = Fraction(cdiv(length, cell_bytes), cdiv(length, BYTES_PER_BEAT) + gap)
        if r > best:
            best = r
    return best


@dataclass(frozen=True)
class Profile:
    """One of the 16 threshold / quantum profiles (spec §4, background §5.11 PROFILE[p]); cells, cells, cells, bytes."""
    xoff: int = 64
    xon: int = 48
    cap: int = 1 << 16
    quantum: int = 1518


@dataclass(frozen=True)
class FlowCfg:
    """Per-flow config word (spec §3) with the optional overrides of background §5.11 (0 = use the profile)."""
    enable: bool = True
    profile: int = 0
    tenant: int = 0
    prio: int = 0
    lossless: bool = True
    xoff: int = 0
    xon: int = 0
    cap: int = 0
    quantum: int = 0


@dataclass(frozen=True, kw_only=True)
class FlowCtlConfig:
    """Parameters (spec §2) and register values (background §5.11) of one flowctl instance.

    ``None`` for ``g_xoff``, ``g_xon``, ``h_cfg`` and ``pause_time`` means "computed from the rest": the safe guard,
    the guard minus ``g_hysteresis``, the headroom H and the shortest lease that satisfies spec §5 (lease ≥ k·T_SNAP +
    RTT with k = ``lease_k``).
    """
    # spec §2 parameters
    flows: int = 256
    tenants: int = 16
    cell_bytes: int = 64
    cells: int = 2048
    max_pkt: int = 1518
    # profiles and per-flow words (a short tuple is fine: flows beyond it use FlowCfg())
    profiles: tuple = (Profile(),)
    flow_cfg: tuple = ()
    tenant_xoff: tuple = ()        # per tenant; missing entries: tenant level disabled (XOFF above cells)
    tenant_xon: tuple = ()
    # global guard
    g_xoff: int | None = None
    g_xon: int | None = None
    g_hysteresis: int = 64
    h_cfg: int | None = None
    guard_en: bool = True
    # dynamic thresholds (spec §4): XOFF_eff = min(XOFF, max(XOFF_MIN, (G_XOFF − U) >> DT_SHIFT))
    dt_en: bool = False
    dt_shift: int = 2
    xoff_min: int = 8
    # MFC generation (spec §5, background §5.6)
    fc_tx_en: bool = True
    fc_rx_en: bool = True
    snap_en: bool = True
    snap_idle: bool = False        # also send snapshots while nothing is paused (see mfc.py)
    snap_trail: int = 3            # snapshot rounds still sent after the last pause cleared
    t_snap: int = 1024             # cycles
    snap_chunk: int = 64           # flows per snapshot frame, multiple of 64
    pause_time: int | None = None  # lease in units of 512 bit times × 2^time_exp
    time_exp: int = 0
    lease_k: int = 4
    coal_xoff: int = 16
    coal_xon: int = 256
    fc_max_entries: int = 9
    fcgen: int | None = None       # DELTA trigger -> first beat; None: fcgen_cycles(flows) (1 in the background)
    reset_repeat: int = 3          # RESET snapshots after initialisation (mfc.py; one more than a loss burst of 2)
    fc_da: bytes = bytes.fromhex("0180c200000e")
    fc_sa: bytes = bytes.fromhex("020000000001")
    fc_etype: int = 0x88B5
    # reaction side
    quanta_step: int = 32          # 1/256 quantum per cycle: 64 bits per cycle = 32/256 of 512 bit times
    lease_w: int = 32
    wd_cycles: int = 1 << 20
    wd_action: int = 0             # 0 alert only, 1 ignore further pauses of that flow for wd_restore cycles
    wd_restore: int = 1 << 16
    pfc_mirror_en: bool = False
    # link figures software uses for H (not hardware parameters)
    d_link: int = 512              # one-way link delay in cycles
    ifg_cycles: int = 3
    src_gap: int = 0               # idle cycles between packets from the upstream (0: back-to-back AXI-Stream)
    loss_burst: int = 0            # consecutive MFC frame losses the global guard must absorb
    init_cycles: int | None = None  # None: cells (the free-list refill of background §5.12)

    def __post_init__(self):
        def need(cond, msg):
            if not cond:
                raise ValueError(msg)
        need(16 <= self.flows <= 4096 and self.flows & (self.flows - 1) == 0,
             "flows must be a power of two from 16 to 4096")
        need(1 <= self.tenants <= 64, "tenants must be 1 to 64")
        need(self.cell_bytes in (32, 64, 128), "cell_bytes must be 32, 64 or 128")
        need(256 <= self.cells <= 65536, "cells must be 256 to 65536")
        need(1518 <= self.max_pkt <= 9600, "max_pkt must be 1518 to 9600 bytes")
        need(1 <= len(self.profiles) <= 16, "there are 1 to 16 profiles")
        need(len(self.flow_cfg) <= self.flows, "more flow words than flows")
        need(self.snap_chunk % 64 == 0 and self.snap_chunk >= 64, "snap_chunk must be a positive multiple of 64")
        need(9 <= self.fc_max_entries <= 128, "fc_max_entries must be 9 to 128")
        need(1 <= self.reset_repeat <= 15, "reset_repeat must be 1 to 15")
        need(self.t_snap >= 16, "t_snap must be at least 16 cycles")
        need(0 <= self.time_exp <= 15, "time_exp must be 0 to 15")
        need(len(self.fc_da) == 6 and len(self.fc_sa) == 6, "MAC addresses are 6 bytes")
        for fc in self.flow_cfg:
            need(0 <= fc.profile < len(self.profiles), "a flow names a profile that does not exist")
            need(0 <= fc.tenant < self.tenants, "a flow names a tenant that does not exist")
            need(0 <= fc.prio < 8, "priority must be 0 to 7")

    def with_(self, **changes):
        return replace(self, **changes)

    # ---- derived figures (background §5.14) ----
    @property
    def cell_beats(self):
        return self.cell_bytes // BYTES_PER_BEAT

    @property
    def mtu_beats(self):
        return cdiv(self.max_pkt, BYTES_PER_BEAT)

    @property
    def max_pkt_cells(self):
        return cdiv(self.max_pkt, self.cell_bytes)

    @property
    def d_gen(self):
        """Threshold crossing (cell allocated) -> first beat of the MFC frame on ``m_fc``, cycles."""
        return self.coal_xoff + L_NOTIFY + L_EVT + (self.fcgen if self.fcgen is not None
                                                     else fcgen_cycles(self.flows))

    @property
    def d_react(self):
        """The D_REACT_CYCLES constant (PARAMS1[31:16]): MFC last beat -> last entry applied + scheduler pipeline."""
        return D_APPLY + self.fc_max_entries + 2

    @property
    def fc_beats(self):
        """Beats of the largest delta frame this sender emits."""
        return cdiv(max(60, 24 + 4 * self.fc_max_entries), BYTES_PER_BEAT)

    @property
    def t_loop(self):
        return (2 * self.d_link + self.d_gen + (self.mtu_beats + self.ifg_cycles) + self.fc_beats + self.d_react
                + self.mtu_beats)

    @property
    def r_max(self):
        return r_max(self.cell_bytes, self.max_pkt, self.src_gap)

    @property
    def headroom(self):
        """H in cells: the most cells that can arrive during one control loop (plus frame-loss allowance)."""
        r = self.r_max
        h = cdiv(self.t_loop * r.numerator, r.denominator) + 1
        return h + self.loss_burst * cdiv(self.t_snap * r.numerator, r.denominator)

    @property
    def h_cfg_eff(self):
        return self.headroom if self.h_cfg is None else self.h_cfg

    @property
    def safe_g_xoff(self):
        return self.cells - self.headroom - self.max_pkt_cells

    @property
    def g_xoff_eff(self):
        return self.safe_g_xoff if self.g_xoff is None else self.g_xoff

    @property
    def g_xon_raw(self):
        return self.g_xoff_eff - self.g_hysteresis if self.g_xon is None else self.g_xon

    @property
    def g_xon_eff(self):
        """G_XON clamped to G_XOFF − 1 (the same rule as the per-flow clamp of spec §4)."""
        return min(self.g_xon_raw, self.g_xoff_eff - 1)

    @property
    def rtt(self):
        """Round trip used for the lease rule: the whole control loop."""
        return self.t_loop

    @property
    def lease_cycles_min(self):
        return self.lease_k * self.t_snap + self.rtt

    @property
    def pause_time_eff(self):
        if self.pause_time is not None:
            return self.pause_time
        unit = CYCLES_PER_QUANTUM << self.time_exp
        return min(0xFFFF, cdiv(self.lease_cycles_min, unit))

    @property
    def lease_cycles(self):
        return self.pause_time_eff * (CYCLES_PER_QUANTUM << self.time_exp)

    @property
    def init_cycles_eff(self):
        return self.cells if self.init_cycles is None else self.init_cycles

    # ---- per-flow view (profile + overrides + clamps, spec §4 and §7) ----
    def flow(self, f):
        return self.flow_cfg[f] if f < len(self.flow_cfg) else FlowCfg()

    def thresholds(self, f):
        """(xoff, xon, cap, quantum, cfg_err) of flow f after overrides and the hardware clamps."""
        fc = self.flow(f)
        p = self.profiles[fc.profile]
        xoff = fc.xoff or p.xoff
        xon = fc.xon or p.xon
        cap = fc.cap or p.cap
        quantum = max(fc.quantum or p.quantum, self.max_pkt)        # spec §7: clamped to at least max packet
        err = False
        if xon >= xoff:                    # spec §4: XON >= XOFF -> cfg_err, XON clamped to XOFF - 1
            xon, err = xoff - 1, True
        if xoff == 0 or xoff > self.cells:  # decision: "always paused" and "never pauses" are flagged too
            err = True
        return xoff, xon, cap, quantum, err

    def tenant_thresholds(self, t):
        """(xoff, xon, err) of tenant t; a tenant without a configured XOFF never pauses."""
        if t >= len(self.tenant_xoff):
            return self.cells + 1, self.cells, False
        xoff = self.tenant_xoff[t]
        xon = self.tenant_xon[t] if t < len(self.tenant_xon) else xoff // 2
        err = xon >= xoff
        return xoff, (xoff - 1 if err else xon), err

    @property
    def tenant_fc_active(self):
        return any(x <= self.cells for x in self.tenant_xoff)

    def config_flags(self):
        """(cfg_err, guard_unsafe, first offending flow or None) as the hardware computes them (spec §4)."""
        first = None
        for f in range(self.flows):
            if self.thresholds(f)[4]:
                first = f
                break
        tenant_err = any(self.tenant_thresholds(t)[2] for t in range(self.tenants))
        g_err = self.g_xon_raw >= self.g_xoff_eff
        cfg_err = first is not None or tenant_err or g_err
        guard_unsafe = self.guard_en and self.g_xoff_eff + self.h_cfg_eff > self.cells
        return cfg_err, guard_unsafe, first


