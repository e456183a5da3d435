"""The scenarios of spec §9 (background §5.15) on the golden model, closed loop, each with its pass criteria.

``run_scenario(name, flows=, seed=, cycles=)`` returns one JSON-able dict with at least: ``drops`` (by reason),
``victim_throughput_ratio``, ``jain_index``, ``max_occupancy_cells``, ``headroom_cells``, ``mfc_frames_tx``,
``mfc_frames_rx``, ``cycles``, ``invariant_violations``, ``criteria`` (name -> {value, limit, pass}) and ``pass``.

The bench (``Bench``): source -> forward delay line (D_link) -> "MAC" (drops a frame offered while ``s_ready`` is low,
as the spec puts those drops outside the block) -> block -> sink (ready pattern); block ``m_fc`` -> loss/corruption
injector -> reverse delay line (D_link) -> source's reaction point; next hop -> delay line -> block ``s_fc``.
Invariants I1/I2 are checked in every cycle, I3 (``occ_f ≤ XOFF_f + H``, ``U ≤ G_XOFF + H``) in every cycle in which the
upstream obeys (all scenarios except ``peer_silent`` and ``misconfig``).

Small default figures keep a scenario to seconds of Python: 16-flow table, 1024 cells of 64 bytes, MAX_PKT 1518,
D_link 64 cycles, T_SNAP 512 cycles; H and G_XOFF are computed from them (config.py).
"""

import hashlib
import struct

from .config import FlowCfg, FlowCtlConfig, Profile
from .drr import jain_index
from .harness import DelayLine, LossInjector, NextHop, Sink, TrafficSource, make_rng, random_sizes
from .mfc import T_FLOW_SNAPSHOT, decode
from .model import FlowCtlModel

__all__ = ["SCENARIOS", "run_scenario", "Bench", "base_config"]


def base_config(flows, **kw):
    table = 16
    while table < flows:
        table *= 2
    args = dict(flows=table, tenants=4, cells=1024, d_link=64, t_snap=512, coal_xon=64,
                profiles=(Profile(xoff=64, xon=48),))
    args.update(kw)
    return FlowCtlConfig(**args)


class Bench:
    def __init__(self, cfg, *, seed, flows, sizes=None, rate=None, d_link=None, ready=None, gap_p=0.0,
                 bounds=True, loss=None, stop_at=None, window=(0, None), pfc=False, nh_cfg=None, weights=None):
        self.cfg = cfg
        self.rng = make_rng(seed)
        d = cfg.d_link if d_link is None else d_link
        self.d_link = d
        h = cfg.headroom
        self.dut = FlowCtlModel(cfg, bounds=(h, h) if bounds else None)
        self.dut.sender.keep_log = True
        self.source = TrafficSource(cfg=cfg, flows=flows, rng=self.rng, sizes=sizes or random_sizes(cfg.max_pkt),
                                    rate=rate, gap_p=gap_p, stop_at=stop_at, pfc=pfc, weights=weights)
        self.sink = Sink(source=self.source, ready=ready, window=window)
        self.fwd = DelayLine(d)
        self.rev = DelayLine(max(1, d - 1))
        self.nh_line = DelayLine(d)
        self.next_hop = NextHop(nh_cfg or cfg.with_(snap_idle=False))
        self.loss = loss
        self.rev_out = None
        self.mac_dropping = False
        self.in_pkt = False
        self.mac_dropped = set()
        self.flushed = set()
        self.acc = {"drops": {}, "frames_tx": 0, "frames_rx": 0, "entries_tx": 0, "terminated": 0,
                    "global_xoff_tx": 0, "xoff_tx": 0, "max_used": 0}
        self.pfc_paused = 0
        self.events = {}
        self.t = 0
        self.hooks = []

    # ---- events ----
    def at(self, t, fn):
        self.events.setdefault(t, []).append(fn)

    def _accumulate(self):
        d = self.dut
        c = d.counters()
        for k, v in c["drops"].items():
            self.acc["drops"][k] = self.acc["drops"].get(k, 0) + v
        self.acc["frames_tx"] += sum(c["mfc_frames_tx"].values())
        self.acc["frames_rx"] += sum(c["mfc_frames_rx"].values())
        self.acc["entries_tx"] += c["mfc_entries_tx"]
        self.acc["terminated"] += c["terminated_egress"]
        self.acc["global_xoff_tx"] += c["global_xoff_tx"]
        self.acc["xoff_tx"] += c["xoff_tx"]
        self.acc["max_used"] = max(self.acc["max_used"], c["max_used_cells"])

    def reset_dut(self, t):
        """Soft reset of the block: what it held is flushed (counted by the bench, not as drops)."""
        d = self.dut
        self._accumulate()
        for p in self._held_packets():
            self.flushed.add(p)
        partial = self.sink.buf.get("cur", b"")
        if len(partial) >= 8:                         # the packet on m_axis: its first cell is already freed
            f, s, _ = struct.unpack_from(">HIH", bytes(partial))
            self.flushed.add((f, s))
        d.soft_reset()

    def _held_packets(self):
        d = self.dut
        if hasattr(d, "held_packets"):               # a DUT that keeps its own (black-box) account, e.g. the RTL's
            return d.held_packets()
        pkts = [p for q in d.drr.queues for p in q] + [p for _, p in d.commits]
        if d.cur is not None:
            pkts.append(d.cur)
        if d.next_sel is not None:
            pkts.append(d.next_sel[0])
        out = []
        for p in pkts:
            head = bytes(d.buf.data[p.cells[0]][:8]) if p.cells and d.buf.data[p.cells[0]] is not None else b""
            if len(head) == 8:
                f, s, _ = struct.unpack(">HIH", head)
                out.append((f, s))
        if d.inq is not None and d.inq.reason is None and d.inq.cells:
            head = bytes(d.buf.data[d.inq.cells[0]][:8])
            if len(head) == 8:
                f, s, _ = struct.unpack(">HIH", head)
                out.append((f, s))
        return out

    # ---- one cycle ----
    def step(self):
        t = self.t
        for fn in self.events.pop(t, ()):
            fn(self, t)
        src, dut = self.source, self.dut
        src.fc_input(t, self.rev_out)
        sbeat = src.step(t)
        beat = self.fwd.push(sbeat)
        if beat is not None:
            sop = not self.in_pkt
            self.in_pkt = not beat[1]
            if sop and not dut.s_ready:
                self.mac_dropping = True
            if not sop and not dut.s_ready:
                self.mac_dropping = True
            if self.mac_dropping:
                if sop and len(beat[0]) == 8:
                    f, s, _ = struct.unpack(">HIH", beat[0])
                    self.mac_dropped.add((f, s))
                if beat[1]:
                    self.mac_dropping = False
                beat = None
        nh = self.next_hop.step(t)
        nh_in = self.nh_line.push(nh)
        m_ready = self.sink.ready(t)
        mb, fb = dut.step(beat, m_ready, nh_in, True, self.pfc_paused)
        self.sink.take(t, mb)
        if fb is not None:
            if self.loss:
                cur = dut.fc_cur
                ftype = cur[1][6] & 0xF if cur is not None and len(cur) > 1 else None
                fb = self.loss.push(t, fb, ftype)
            else:
                fb = (fb[0], fb[1], 0)
        self.rev_out = self.rev.push(fb)
        for h in self.hooks:
            h(self, t)
        self.t = t + 1

    def run(self, cycles):
        for _ in range(cycles):
            self.step()

    def quiet(self):
        d = self.dut
        return (not self.source.busy() and self.fwd.empty() and d.buf.used == 0 and not d.buf.reclaim
                and not d.buf.pending_push and d.cur is None and d.next_sel is None and d.inq is None
                and not d.term_pending)

    def drain(self, limit=200000):
        """Run until the source has stopped and everything has left the block (or ``limit`` cycles)."""
        n = 0
        while n < limit:
            if self.t >= (self.source.stop_at or 0) and self.quiet():
                break
            self.step()
            n += 1
        for _ in range(4):
            self.step()
        return self.quiet()

    # ---- figures ----
    def drops(self):
        self._accumulate_peek = self.dut.counters()["drops"]
        out = dict(self.acc["drops"])
        for k, v in self._accumulate_peek.items():
            out[k] = out.get(k, 0) + v
        return out

    def totals(self):
        c = self.dut.counters()
        a = self.acc
        return {
            "mfc_frames_tx": a["frames_tx"] + sum(c["mfc_frames_tx"].values()),
            "mfc_frames_rx": a["frames_rx"] + sum(c["mfc_frames_rx"].values()),
            "mfc_entries_tx": a["entries_tx"] + c["mfc_entries_tx"],
            "terminated": a["terminated"] + c["terminated_egress"],
            "global_xoff_tx": a["global_xoff_tx"] + c["global_xoff_tx"],
            "xoff_tx": a["xoff_tx"] + c["xoff_tx"],
            "max_used": max(a["max_used"], c["max_used_cells"]),
        }

    def unexplained_missing(self):
        return self.sink.missing() - self.mac_dropped - self.flushed


def _crit(value, limit, ok):
    return {"value": value, "limit": limit, "pass": bool(ok)}


def _report(name, bench, *, seed, flows, criteria, victim=None, jain=None, extra=None):
    d = bench.dut
    tot = bench.totals()
    drops = bench.drops()
    structures = d.check_structures()
    criteria.setdefault("invariant_violations", _crit(d.invariant_violations, 0, d.invariant_violations == 0))
    criteria.setdefault("structures_consistent", _crit(len(structures), 0, not structures))
    criteria.setdefault("scoreboard_errors", _crit(len(bench.sink.errors), 0, not bench.sink.errors))
    delivered = sum(len(v) for v in bench.sink.delivered.values())
    criteria.setdefault("packets_delivered", _crit(delivered, "> 0", delivered > 0))
    up = bench.source.rx
    out = {
        "scenario": name,
        "sim": "golden",
        "seed": seed,
        "flows": flows,
        "cycles": bench.t,
        "drops": drops,
        "drops_total": sum(drops.values()),
        "victim_throughput_ratio": victim,
        "jain_index": jain,
        "max_occupancy_cells": tot["max_used"],
        "headroom_cells": bench.cfg.headroom,
        "g_xoff_cells": d.fcc.g_xoff,
        "cells": bench.cfg.cells,
        "free_cells_end": d.buf.free_cells,
        "mfc_frames_tx": tot["mfc_frames_tx"],
        "mfc_frames_rx": tot["mfc_frames_rx"],
        "mfc_entries_tx": tot["mfc_entries_tx"],
        "global_xoff_tx": tot["global_xoff_tx"],
        "invariant_violations": d.invariant_violations,
        "invariant_log": d.violation_log[:5] + structures[:5],
        "packets_sent": len(bench.source.sent),
        "packets_delivered": delivered,
        # the delivered packet sequence of every flow (flow, seq in order), hashed: equal digests = equal sequences
        "delivered_digest": hashlib.sha256(repr(sorted(bench.sink.delivered.items())).encode()).hexdigest()[:16],
        "mac_dropped_during_init": len(bench.mac_dropped),
        "flushed_by_reset": len(bench.flushed),
        "upstream": {"mfc_frames_rx": sum(up.frames_rx.values()), "fc_rx_err": up.fc_rx_err,
                     "fc_rx_seq_gap": up.seq_gap, "fc_rx_stale": up.stale},
        "config": {"t_loop": bench.cfg.t_loop, "d_link": bench.d_link, "t_snap": bench.cfg.t_snap,
                   "lease_cycles": bench.cfg.lease_cycles, "d_react": bench.cfg.d_react},
        "criteria": criteria,
        "pass": all(c["pass"] for c in criteria.values()),
    }
    if extra:
        out.update(extra)
    return out


def _lossless(criteria, bench):
    drops = bench.drops()
    total = sum(drops.values())
    criteria["zero_drops"] = _crit(total, 0, total == 0)
    miss = bench.unexplained_missing()
    criteria["all_delivered"] = _crit(len(miss), 0, not miss)


def _drained(criteria, bench, ok):
    criteria["drained"] = _crit(ok, True, ok)
    free = bench.dut.buf.free_cells
    criteria["free_cells_equal_total"] = _crit(free, bench.cfg.cells, free == bench.cfg.cells)


# ---------------------------------------------------------------------------------------------------- scenarios
def line_rate(*, flows=1, seed=1, cycles=None):
    """Spec §9 row 1: flows at aggregate line rate into a line-rate sink, back-to-back 64-byte packets."""
    cycles = cycles or 20000
    cfg = base_config(flows)
    b = Bench(cfg, seed=seed, flows=range(flows), sizes=lambda rng, f: 64, stop_at=cycles)
    w0 = cfg.init_cycles_eff + 200
    busy = {"in": 0, "out": 0}
    lat = []

    def hook(bench, t):
        if t >= w0 and t < cycles:
            busy["out"] += bench._last_out
    b.hooks.append(hook)
    orig = b.sink.take

    def take(t, beat):
        b._last_out = 1 if beat is not None else 0
        orig(t, beat)
    b.sink.take = take
    b.run(cycles)
    ok = b.drain()
    out_rate = busy["out"] / (cycles - w0)
    crit = {}
    _lossless(crit, b)
    _drained(crit, b, ok)
    tot = b.totals()
    n_reset = b.cfg.reset_repeat
    crit["no_mfc_besides_reset_snapshot"] = _crit(tot["mfc_frames_tx"], n_reset, tot["mfc_frames_tx"] == n_reset)
    crit["no_mfc_entries"] = _crit(tot["mfc_entries_tx"], 0, tot["mfc_entries_tx"] == 0)
    crit["egress_beats_per_cycle"] = _crit(round(out_rate, 4), 1.0, out_rate == 1.0)
    return _report("line_rate", b, seed=seed, flows=flows, criteria=crit,
                   jain=jain_index(b.sink.bytes_in_window.get(f, 0) for f in range(flows)),
                   extra={"egress_beats_per_cycle": out_rate})


def _hot_run(cfg, *, flows, seed, cycles, hot_offered, blocked, t_block):
    sizes = {}

    def size(rng, f):                        # per-flow size streams: victims see the same sizes in both runs
        r = sizes.setdefault(f, make_rng(seed * 7919 + f))
        return r.choice((60, 64, 65, 72, 73, 127, 128, 129, 1514, 1518))
    active = range(flows) if hot_offered else range(1, flows)
    b = Bench(cfg, seed=seed, flows=active, sizes=size, stop_at=cycles)
    b.sink.record_sop = True
    first_xoff = []

    def hook(bench, t):
        if not first_xoff and bench.dut.fcc.paused[0]:
            first_xoff.append(t)
    b.hooks.append(hook)
    if blocked:
        b.at(t_block, lambda bench, t: bench.next_hop.block(0, t))
        b.at(cycles, lambda bench, t: bench.next_hop.unblock(0, t))
    b.run(cycles)
    ok = b.drain()
    return b, ok, (first_xoff[0] if first_xoff else None)


def _beats_between(sink, flows, lo, hi):
    return sum(beats for t, f, _n, beats in sink.done if f in flows and lo <= t < hi)


def hot_flow(*, flows=8, seed=1, cycles=None):
    """Spec §9 rows 2/3: flow 0 blocked by the next hop while the others run at full load (HoL isolation).

    Victim throughput = victim beats on ``m_axis`` with the hot flow blocked, divided by the same with the hot flow
    idle (the baseline: victims alone at full load, identical per-flow packet sizes). The window starts one T_loop
    after the block paused the hot flow upstream (before that the hot flow legitimately takes its 1/N share of the
    upstream link while it fills to XOFF) and ends when the sources stop.
    """
    cycles = cycles or 30000
    flows = max(2, flows)
    cfg = base_config(flows)
    t_block = cfg.init_cycles_eff + 1000
    b, ok, t_xoff = _hot_run(cfg, flows=flows, seed=seed, cycles=cycles, hot_offered=True, blocked=True,
                             t_block=t_block)
    base, _, _ = _hot_run(cfg, flows=flows, seed=seed, cycles=cycles, hot_offered=False, blocked=False,
                          t_block=t_block)
    victims = set(range(1, flows))
    w0 = (t_xoff or cycles) + cfg.t_loop
    vb = _beats_between(b.sink, victims, w0, cycles)
    v0 = _beats_between(base.sink, victims, w0, cycles)
    ratio = vb / v0 if v0 else 0.0
    # MFC entries and snapshot bits the block sent about victims
    victim_entries = 0
    hot_xoff = 0
    for frame in b.dut.sender.log:
        fr = decode(frame, etype=cfg.fc_etype)
        if fr.type == T_FLOW_SNAPSHOT:
            victim_entries += sum(1 for f in fr.paused_ids() if f != 0)
        else:
            victim_entries += sum(1 for f, _ in fr.entries if f != 0)
            hot_xoff += sum(1 for f, lease in fr.entries if f == 0 and lease)
    # reaction bound: no SOP of flow 0 on m_axis later than D_react + one MTU after the block received the XOFF
    t_x = next((t for t, fr in b.dut.rx.frames_log if t > t_block and fr.type != T_FLOW_SNAPSHOT
                and any(f == 0 and lease for f, lease in fr.entries)), None)
    late = [t for t, f in b.sink.sop if f == 0 and t_x is not None and t_x + cfg.d_react + cfg.mtu_beats < t < cycles]
    crit = {}
    _lossless(crit, b)
    _drained(crit, b, ok)
    crit["victim_throughput_ratio"] = _crit(round(ratio, 5), ">= 0.99", ratio >= 0.99)
    crit["no_entries_for_victims"] = _crit(victim_entries, 0, victim_entries == 0)
    crit["hot_flow_paused_upstream"] = _crit(hot_xoff, ">= 1", hot_xoff >= 1)
    crit["reaction_bound_respected"] = _crit(len(late), 0, t_x is not None and not late)
    vj = [_beats_between(b.sink, {f}, w0, cycles) for f in sorted(victims)]
    return _report("hot_flow", b, seed=seed, flows=flows, criteria=crit, victim=round(ratio, 5),
                   jain=round(jain_index(vj), 5),
                   extra={"hot_flow_max_occupancy": b.dut.hwm[0],
                          "hot_flow_bound": cfg.profiles[0].xoff + cfg.headroom,
                          "reaction_t_xoff_rx": t_x, "window": [w0, cycles]})


def _incast_run(cfg, *, flows, seed, cycles, ready, sizes=None, weights=None):
    w0 = cfg.init_cycles_eff + 4000
    b = Bench(cfg, seed=seed, flows=range(flows), stop_at=cycles, window=(w0, cycles), ready=ready, sizes=sizes,
              weights=weights)
    b.sink.record_sop = True
    b.run(cycles)
    ok = b.drain()
    return b, ok, w0


def _whole_round_shares(sink, flows, lo, hi):
    """Bytes per flow between the first and the last start of a DRR visit of flow 0 inside [lo, hi) (whole rounds)."""
    starts = [k for k, (t, f, _n, _b) in enumerate(sink.done) if f == 0 and lo <= t < hi
              and (k == 0 or sink.done[k - 1][1] != 0)]
    if len(starts) < 2:
        return [0] * flows, 0
    xs = [0] * flows
    for t, f, n, _b in sink.done[starts[0]:starts[-1]]:
        xs[f] += n
    return xs, len(starts) - 1


def incast(*, flows=4, seed=1, cycles=None):
    """Spec §9: K flows at line rate into a sink at half rate: zero drops, Jain ≥ 0.99 with equal quanta; three flows
    with quanta 1:2:4 into a sink at 7/8 rate: byte shares within 2 % (relative) of 1/7, 2/7, 4/7.

    The weighted case uses the spec's small sizes (60–129 bytes) and counts whole DRR rounds (from one visit of flow 0
    to a later one), because DRR is exact only up to one quantum at the edges of a window.
    """
    cycles = cycles or 40000
    flows = max(2, flows)
    cfg = base_config(flows, profiles=(Profile(xoff=64, xon=40),))
    b, ok, w0 = _incast_run(cfg, flows=flows, seed=seed, cycles=cycles, ready=lambda t: t % 2 == 0)
    xs = [b.sink.bytes_in_window.get(f, 0) for f in range(flows)]
    j = jain_index(xs)
    q = 1518
    wcfg = base_config(3, profiles=(Profile(xoff=96, xon=64, quantum=q), Profile(xoff=96, xon=64, quantum=2 * q),
                                    Profile(xoff=96, xon=64, quantum=4 * q)),
                       flow_cfg=(FlowCfg(profile=0), FlowCfg(profile=1), FlowCfg(profile=2)))
    small = random_sizes(wcfg.max_pkt, (60, 64, 65, 72, 73, 127, 128, 129))
    # the upstream weights its link 1:2:4 too, so that every queue stays backlogged here and DRR alone sets the shares
    wb, wok, ww0 = _incast_run(wcfg, flows=3, seed=seed, cycles=cycles, ready=lambda t: t % 8 != 0, sizes=small,
                               weights={0: 1, 1: 2, 2: 4})
    ws, rounds = _whole_round_shares(wb.sink, 3, ww0, cycles)
    tot = sum(ws) or 1
    share_err = max(abs(ws[k] / tot - w / 7) / (w / 7) for k, w in enumerate((1, 2, 4)))
    crit = {}
    _lossless(crit, b)
    _drained(crit, b, ok)
    crit["jain_equal_quanta"] = _crit(round(j, 5), ">= 0.99", j >= 0.99)
    wz = sum(wb.drops().values())
    crit["weighted_zero_drops"] = _crit(wz, 0, wz == 0 and not wb.unexplained_missing() and wok)
    crit["weighted_share_error"] = _crit(round(share_err, 5), "<= 0.02", share_err <= 0.02 and rounds >= 10)
    crit["weighted_invariants"] = _crit(wb.dut.invariant_violations, 0, wb.dut.invariant_violations == 0)
    crit["flow_fc_used"] = _crit(b.totals()["xoff_tx"], ">= 1", b.totals()["xoff_tx"] >= 1)
    return _report("incast", b, seed=seed, flows=flows, criteria=crit, jain=round(j, 5),
                   extra={"weighted_shares": [round(x / tot, 5) for x in ws],
                          "weighted_expected": [round(k / 7, 5) for k in (1, 2, 4)], "weighted_rounds": rounds})


def all_blocked(*, flows=8, seed=1, cycles=None):
    """Spec §9: every flow blocked (next hop sends GLOBAL_PAUSE); per-flow XOFF oversubscribes the buffer, so only the
    global guard protects it; zero drops, U ≤ G_XOFF + H, full drain afterwards."""
    cycles = cycles or 20000
    cfg = base_config(flows, profiles=(Profile(xoff=512, xon=400),))
    b = Bench(cfg, seed=seed, flows=range(flows), stop_at=cycles)
    t0 = cfg.init_cycles_eff + 500
    b.at(t0, lambda bench, t: bench.next_hop.block_global(True, t))
    b.at(t0 + cycles // 2, lambda bench, t: bench.next_hop.block_global(False, t))
    b.run(cycles)
    ok = b.drain()
    tot = b.totals()
    crit = {}
    _lossless(crit, b)
    _drained(crit, b, ok)
    crit["global_guard_asserted"] = _crit(tot["global_xoff_tx"], ">= 1", tot["global_xoff_tx"] >= 1)
    bound = b.dut.fcc.g_xoff + cfg.headroom
    crit["used_within_guard_plus_headroom"] = _crit(tot["max_used"], f"<= {bound}", tot["max_used"] <= bound)
    return _report("all_blocked", b, seed=seed, flows=flows, criteria=crit,
                   jain=round(jain_index(len(b.sink.delivered.get(f, ())) for f in range(flows)), 5))


def fc_loss(*, flows=4, seed=1, cycles=None):
    """Spec §9: MFC frame loss and corruption on the reverse path. First half: random loss and corruption of DELTA
    frames (snapshots get through, so every flow must resume within COAL_XON + T_SNAP + T_loop of falling to XON);
    second half: any frame, bursts of ``lease_k − 1`` frames: zero data loss. The guard's H includes
    ``loss_burst · T_SNAP``."""
    cycles = cycles or 40000
    burst = 3
    cfg = base_config(flows, loss_burst=burst, profiles=(Profile(xoff=48, xon=32),))
    rng = make_rng(seed + 101)
    half = cycles // 2
    loss = LossInjector(rng, loss_p=0.2, corrupt_p=0.05, max_burst=1, active=(cfg.init_cycles_eff + 100, None),
                        spare_snapshots=True)
    b = Bench(cfg, seed=seed, flows=range(flows), stop_at=cycles, loss=loss, ready=lambda t: t % 2 == 0)

    def phase2(bench, t):
        loss.spare_snapshots = False
        loss.max_burst = burst
        loss.loss_p = 0.3
        loss.burst_times = list(range(t + 500, cycles, 3000))
    b.at(half, phase2)
    # resume latency: DUT flow PAUSED -> RUN at t_r until the source no longer pauses the flow
    waiting = {}
    lat = []

    def hook(bench, t):
        fcc, L = bench.dut.fcc, bench.source.rx.leases
        for f in range(flows):
            if fcc.paused[f]:
                waiting.pop(f, None)
                hook.was[f] = True
            elif hook.was.get(f):
                hook.was[f] = False
                waiting[f] = t
            if f in waiting and not L.flow_paused(f) and not L.global_paused():
                if t < half:
                    lat.append(t - waiting[f])
                waiting.pop(f)
    hook.was = {}
    b.hooks.append(hook)
    b.run(cycles)
    ok = b.drain()
    for _ in range(3 * cfg.d_link):
        b.step()
    # ground truth from the injector: every lost or corrupted frame followed by a delivered one is a seq gap
    log = loss.log
    last_ok = max((i for i, (_, fate) in enumerate(log) if fate == "ok"), default=-1)
    exp_gap = sum(1 for i, (_, fate) in enumerate(log) if fate != "ok" and i < last_ok)
    exp_err = sum(1 for _, fate in log if fate == "corrupt")
    up = b.source.rx
    bound = cfg.coal_xon + cfg.t_snap + cfg.t_loop
    crit = {}
    _lossless(crit, b)
    _drained(crit, b, ok)
    crit["frames_lost_or_corrupted"] = _crit(sum(1 for _, f in log if f != "ok"), ">= 1",
                                             any(f != "ok" for _, f in log))
    crit["seq_gap_counted"] = _crit(up.seq_gap, exp_gap, up.seq_gap == exp_gap)
    crit["fc_rx_err_counted"] = _crit(up.rx_err["fcs"], exp_err, up.rx_err["fcs"] == exp_err)
    mx = max(lat, default=0)
    crit["resume_within_tsnap_plus_rtt"] = _crit(mx, f"<= {bound}", lat and mx <= bound)
    return _report("fc_loss", b, seed=seed, flows=flows, criteria=crit,
                   jain=round(jain_index(len(b.sink.delivered.get(f, ())) for f in range(flows)), 5),
                   extra={"resume_events": len(lat), "max_resume_cycles": mx,
                          "injected": {"frames": len(log), "lost": sum(1 for _, f in log if f == "lost"),
                                       "corrupted": exp_err}})


def peer_silent(*, flows=4, seed=1, cycles=None):
    """Spec §9: (a) the next hop pauses flows 0 and 1, then goes silent: the leases expire, no permanent stall;
    (b) the block's FC_TX_EN is cleared while the upstream is paused: its leases expire; the block may then drop, and
    every drop is counted (no guard can be signalled)."""
    cycles = cycles or 40000
    cfg = base_config(flows)
    b = Bench(cfg, seed=seed, flows=range(flows), stop_at=cycles, bounds=False,
              ready=lambda t: True)
    t0 = cfg.init_cycles_eff + 500
    t_silent = t0 + 2000
    b.sink.record_sop = True
    b.at(t0, lambda bench, t: (bench.next_hop.block(0, t), bench.next_hop.block(1, t)))

    def silence(bench, t):
        bench.next_hop.silent = True
    b.at(t_silent, silence)
    t_b = t_silent + cfg.lease_cycles + 4000
    # part (b): slow sink so the block pauses the upstream, then FC TX off
    b.at(t_b, lambda bench, t: setattr(bench.sink, "ready_fn", lambda tt: tt % 4 == 0))

    def fc_off(bench, t):
        bench.dut.sender.enabled = False
    b.at(t_b + 3000, fc_off)
    b.at(cycles - 2000, lambda bench, t: setattr(bench.sink, "ready_fn", lambda tt: True))
    b.run(cycles)
    ok = b.drain()
    resumed = {f: next((t for t, ff in b.sink.sop if ff == f and t > t_silent), None) for f in (0, 1)}
    limit = t_silent + cfg.d_link + cfg.lease_cycles + cfg.flows + cfg.d_react + cfg.mtu_beats + 64
    after_b = {f: any(t > t_b + 3000 + cfg.lease_cycles for t, ff in b.sink.sop if ff == f) for f in range(flows)}
    drops = b.drops()
    miss = b.unexplained_missing()
    crit = {}
    _drained(crit, b, ok)
    crit["leases_expired_flows_resumed"] = _crit(resumed, f"<= {limit}",
                                                 all(v is not None and v <= limit for v in resumed.values()))
    crit["no_permanent_stall_after_fc_tx_off"] = _crit(after_b, "all", all(after_b.values()))
    crit["every_loss_counted"] = _crit(len(miss), sum(drops.values()), len(miss) == sum(drops.values()))
    crit["only_nobuf_or_cap_drops"] = _crit(drops, "invalid = bad = 0", drops.get("invalid", 0) == 0
                                            and drops.get("bad", 0) == 0)
    return _report("peer_silent", b, seed=seed, flows=flows, criteria=crit,
                   extra={"resumed_at": resumed, "t_silent": t_silent})


def reset_mid_traffic(*, flows=4, seed=1, cycles=None):
    """Spec §9: soft reset of the block, reset of the upstream and a RESET from the next hop, all mid-traffic."""
    cycles = cycles or 40000
    cfg = base_config(flows, loss_burst=1)
    b = Bench(cfg, seed=seed, flows=range(flows), stop_at=cycles, ready=lambda t: t % 2 == 0)
    t1 = cfg.init_cycles_eff + 6000
    t2 = t1 + 8000
    t3 = t2 + 6000
    b.at(t1, lambda bench, t: bench.reset_dut(t))
    b.at(t2, lambda bench, t: bench.source.reset(t))
    b.at(t3 - 3000, lambda bench, t: bench.next_hop.block(1, t))

    def nh_reset(bench, t):
        bench.next_hop.sender.reset(t)              # next hop re-initialises: RESET snapshot, all clear
    b.at(t3, nh_reset)
    cleared = {}

    def hook(bench, t):
        if t > t1 and "dut" not in cleared and bench.dut.init_done:
            cleared["dut_init_done"] = t
            cleared["dut"] = True
        if cleared.get("dut") and "src_clear" not in cleared:
            L = bench.source.rx.leases
            if not any(L.flow_paused(f) for f in range(flows)) and not L.global_paused():
                cleared["src_clear"] = t
    b.hooks.append(hook)
    b.sink.record_sop = True
    b.run(cycles)
    ok = b.drain()
    tot = b.totals()
    drops = b.drops()
    miss = b.unexplained_missing()
    after = {f: any(t > t3 + 2 * cfg.d_link for t, ff in b.sink.sop if ff == f) for f in range(flows)}
    src_delay = cleared.get("src_clear", 10 ** 9) - cleared.get("dut_init_done", 0)
    src_bound = 2 + cfg.fc_beats + cfg.d_link + 16
    crit = {}
    _drained(crit, b, ok)
    crit["egress_packet_terminated_with_error"] = _crit(b.sink.terminated, tot["terminated"],
                                                        b.sink.terminated == tot["terminated"] >= 1)
    crit["upstream_released_by_reset_snapshot"] = _crit(src_delay, f"<= {src_bound}", src_delay <= src_bound)
    crit["traffic_resumed_all_flows"] = _crit(after, "all", all(after.values()))
    crit["no_policy_drops"] = _crit(drops, "invalid = nobuf = cap = 0",
                                    drops.get("invalid", 0) == drops.get("nobuf", 0) == drops.get("cap", 0) == 0)
    crit["losses_explained"] = _crit(len(miss), "<= drops.bad", len(miss) <= drops.get("bad", 0))
    crit["dut_leases_clear_after_nh_reset"] = _crit(
        b.dut.rx.leases.flow_paused(1), False, not b.dut.rx.leases.flow_paused(1))
    return _report("reset_mid_traffic", b, seed=seed, flows=flows, criteria=crit,
                   extra={"aborted_upstream": len(b.source.aborted)})


def misconfig(*, flows=4, seed=1, cycles=None):
    """Spec §9: XON ≥ XOFF (flow 1), XOFF > cells (flow 2), G_XOFF + H > cells, and a link 4× longer than the
    headroom was computed for: flags set, clamp applied, no deadlock, no corruption, every loss counted."""
    cycles = cycles or 30000
    flows = max(3, flows)
    fcfg = [FlowCfg() for _ in range(flows)]
    fcfg[1] = FlowCfg(xoff=64, xon=80)
    fcfg[2] = FlowCfg(xoff=5000, xon=100)
    cfg = base_config(flows, flow_cfg=tuple(fcfg), g_xoff=1000)
    b = Bench(cfg, seed=seed, flows=range(flows), stop_at=cycles, bounds=False, d_link=4 * cfg.d_link,
              ready=lambda t: t % 3 == 0)
    b.sink.record_sop = True
    b.run(cycles)
    ok = b.drain()
    d = b.dut
    drops = b.drops()
    miss = b.unexplained_missing()
    crit = {}
    _drained(crit, b, ok)
    crit["cfg_err_flag"] = _crit(d.cfg_err, True, d.cfg_err)
    crit["guard_unsafe_flag"] = _crit(d.guard_unsafe, True, d.guard_unsafe)
    crit["xon_clamped_to_xoff_minus_1"] = _crit(d.fcc.thr[1][1], 63, d.fcc.thr[1][1] == 63)
    crit["every_loss_counted"] = _crit(len(miss), sum(drops.values()), len(miss) == sum(drops.values()))
    flows_ok = all(len(b.sink.delivered.get(f, ())) > 0 for f in range(flows))
    crit["no_deadlock_all_flows_delivered"] = _crit(flows_ok, True, flows_ok)
    return _report("misconfig", b, seed=seed, flows=flows, criteria=crit,
                   extra={"cfg_err_flow": d.cfg_err_flow})


def soak(*, flows=8, seed=1, cycles=None):
    """Spec §9: long randomised soak: random sizes, random ready and source gaps, next-hop pauses, reverse-path loss
    below the refresh margin, random resets of the block; zero drops, invariants never violated."""
    cycles = cycles or 100000
    cfg = base_config(flows, loss_burst=2, profiles=(Profile(xoff=48, xon=32),))
    rng = make_rng(seed + 7)
    loss = LossInjector(rng, loss_p=0.05, corrupt_p=0.02, max_burst=2)
    rr = make_rng(seed + 13)
    b = Bench(cfg, seed=seed, flows=range(flows), stop_at=cycles, loss=loss, gap_p=0.05,
              ready=lambda t: rr.random() < 0.6)
    t = cfg.init_cycles_eff + 2000
    resets = 0
    while t < cycles - 5000:
        kind = rng.random()
        if kind < 0.5:
            f = rng.randrange(flows)
            b.at(t, lambda bench, tt, f=f: bench.next_hop.block(f, tt))
            b.at(t + rng.randrange(500, 4000), lambda bench, tt, f=f: bench.next_hop.unblock(f, tt))
        elif kind < 0.6:
            b.at(t, lambda bench, tt: bench.reset_dut(tt))
            resets += 1
        t += rng.randrange(2000, 8000)
    b.run(cycles)
    for f in range(flows):
        b.next_hop.unblock(f, b.t)
    ok = b.drain()
    drops = b.drops()
    miss = b.unexplained_missing()
    crit = {}
    _lossless(crit, b)
    _drained(crit, b, ok)
    return _report("soak", b, seed=seed, flows=flows, criteria=crit,
                   jain=round(jain_index(len(b.sink.delivered.get(f, ())) for f in range(flows)), 5),
                   extra={"resets": resets})


SCENARIOS = {
    "line_rate": line_rate,
    "hot_flow": hot_flow,
    "incast": incast,
    "all_blocked": all_blocked,
    "fc_loss": fc_loss,
    "peer_silent": peer_silent,
    "reset_mid_traffic": reset_mid_traffic,
    "misconfig": misconfig,
    "soak": soak,
}


def run_scenario(name, *, flows=None, seed=1, cycles=None):
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    kw = {"seed": seed, "cycles": cycles}
    if flows is not None:
        kw["flows"] = flows
    return SCENARIOS[name](**kw)
