"""Cycle-level model of the flowctl block (spec §1–§8), 156.25 MHz, one 64-bit beat per cycle in and out.

One call of :meth:`FlowCtlModel.step` is one clock cycle. Inputs: the ``s_axis`` beat offered this cycle (accepted
when :attr:`s_ready`), ``m_axis`` ready, the ``s_fc`` beat, ``m_fc`` ready and ``pfc_paused[7:0]``. Outputs: the ``m_axis``
beat transferred this cycle and the ``m_fc`` beat transferred this cycle (``None`` when nothing moved); ``pfc_req`` is an
attribute. A beat is a tuple ``(data, last, user, dest)``; ``len(data)`` is the number of ``tkeep`` bytes (contiguous).

Order inside a cycle (background §5.13, adapted; reads see the state at the start of the cycle unless stated):

1. frees of cycle t−1 become allocatable (``L_FREE_VIS`` = 1); commits due at t enter the DRR (``L_COMMIT`` = 2);
2. reaction side: the ``s_fc`` beat; the apply port (``D_APPLY`` = 4, one entry per cycle, reaction.py); explicit
   resumes re-insert parked flows; the expiry/watchdog scanner visits one flow per cycle (flow ``t mod flows``) and
   re-inserts it if it is parked and no longer paused by flow, tenant, global, PFC or watchdog state;
3. egress: one beat if ``m_ready``; the last beat of a cell frees it (occupancy −1, notification at t + ``L_NOTIFY``);
   the scheduler decides the next packet in the cycle the current packet's first beat is transferred, or in any idle
   cycle; a packet decided at t has its first beat valid at t + ``L_SCHED`` (3) and never before the cycle after the
   previous ``tlast`` (so back-to-back packets leave without a bubble);
4. ingress: admission at the first beat (admission.py) with the free count of step 1; the first beat of every cell
   pops the free list (occupancy +1, notification at t + ``L_NOTIFY``); at ``tlast`` the packet is committed
   (visible at t + ``L_COMMIT``) or its cells go to the reclaim queue;
5. the reclaim walker returns one cell if the egress freed none this cycle;
6. FC controller: notifications due at t, ingress before egress (ordering rule 2), each evaluating flow, tenant, global;
7. MFC generator: when ``m_fc`` is idle, a frame triggered at t has its first beat valid at t + ``L_FCGEN`` (1); the
   cycle after a frame's last beat is idle (one idle cycle between MFC frames);
8. invariants: I1 conservation every cycle, I2 ownership at every allocation and free, I3 occupancy bounds at every
   allocation (occupancy only grows there), when bounds are given.

Oversize frames: the byte count is checked before each beat is stored; the beat that would pass MAX_PKT moves the
frame's cells to the reclaim queue and the rest of the frame is discarded without allocating (so a frame never holds
more than ``ceil(MAX_PKT / cell)`` cells and admission's reservation is exact). Runts (< 60 bytes) are ``bad`` too.

Reset (:meth:`soft_reset`, the same for ``rst``): the ingress frame in progress is discarded, an egress packet in
progress ends with one extra beat (8 zero bytes, ``tlast``, ``tuser[0]`` = 1), every RAM is cleared, counters clear,
configuration survives; then ``init_cycles`` (= cells, the free-list refill) with ``s_ready`` low, then the RESET snapshot.
"""

from collections import deque

from .admission import REASONS, FcController, admit
from .buffer import CellBuffer
from .config import BYTES_PER_BEAT, L_COMMIT, L_NOTIFY, L_SCHED, MIN_PKT
from .drr import RETRY, DrrScheduler
from .mfc import MfcSender, beats as frame_beats
from .reaction import MfcReceiver

__all__ = ["FlowCtlModel", "StoredPacket"]


class StoredPacket:
    __slots__ = ("flow", "length", "cells")

    def __init__(self, flow, length, cells):
        self.flow, self.length, self.cells = flow, length, cells


class _Ingress:
    __slots__ = ("flow", "reason", "cells", "nbytes", "beats", "oversize", "stopped")

    def __init__(self, flow, reason):
        self.flow, self.reason = flow, reason
        self.cells, self.nbytes, self.beats, self.oversize = [], 0, 0, False
        self.stopped = None          # "oversize" or "unpacked": the frame's storage stopped at that beat


class FlowCtlModel:
    def __init__(self, cfg, *, bounds=None):
        """``bounds``: (H_flow, H_global) for invariant I3, or None to check only I1/I2."""
        self.cfg = cfg
        self.bounds = bounds
        self.tenant_of = [cfg.flow(f).tenant for f in range(cfg.flows)]
        self.prio_of = [cfg.flow(f).prio for f in range(cfg.flows)]
        self.tenants_used = sorted(set(self.tenant_of))
        self.prios_used = sorted(set(self.prio_of))
        self.buf = CellBuffer(cells=cfg.cells, cell_bytes=cfg.cell_bytes, flows=cfg.flows, tenant_of=self.tenant_of)
        self.sender = MfcSender(cfg)
        self.fcc = FcController(cfg, self.buf, self.sender)
        self.rx = MfcReceiver(flows=cfg.flows, tenants=cfg.tenants, etype=cfg.fc_etype,
                              default_lease=cfg.pause_time_eff, quanta_step=cfg.quanta_step, lease_w=cfg.lease_w,
                              enabled=cfg.fc_rx_en)
        self.drr = DrrScheduler(flows=cfg.flows, quantum=[cfg.thresholds(f)[3] for f in range(cfg.flows)])
        self.cfg_err, self.guard_unsafe, self.cfg_err_flow = cfg.config_flags()
        self.t = 0
        self.invariant_violations = 0
        self.violation_log = []
        self.pfc_req = 0
        self._reset_state(terminate=False)

    # ---------------------------------------------------------------- state
    def _reset_state(self, terminate):
        cfg = self.cfg
        self.buf.reset()
        self.sender.reset(self.t)
        self.fcc.reset()
        self.rx.reset()
        self.drr.reset()
        self.init_left = cfg.init_cycles_eff
        self.term_pending = terminate
        self.inq = None                      # _Ingress of the frame being received
        self.commits = deque()               # (t_due, StoredPacket)
        self.notes_i = deque()               # (t_due, flow) ingress notifications
        self.notes_e = deque()               # egress / reclaim notifications
        self.cur = None                      # StoredPacket on m_axis
        self.cur_idx = 0
        self.next_sel = None                 # (StoredPacket, first valid cycle)
        self.retry = False                   # the last decision step parked / rotated only: decide again
        self.decided = None                  # the cycle of the last decision step
        self.fc_cur = None
        self.fc_idx = 0
        self.scan = 0
        n = cfg.flows
        self.wd_since = [None] * n
        self.wd_reported = [False] * n
        self.wd_ignore_until = [0] * n
        self.wd_events = [0] * n
        self.wd_flag = False
        self.paused_cycles_rx = [0] * n
        self.drops = dict.fromkeys(REASONS, 0)
        self.drop_bytes = dict.fromkeys(REASONS, 0)
        self.bad_detail = {"tuser": 0, "oversize": 0, "runt": 0, "unpacked": 0}
        self.cap_exceeded = [0] * n
        self.enq_pkts = [0] * n
        self.enq_bytes = [0] * n
        self.deq_pkts = [0] * n
        self.deq_bytes = [0] * n
        self.drop_pkts = [0] * n
        self.drop_bytes_flow = [0] * n
        self.hwm = [0] * n
        self.max_used = 0
        self.terminated = 0

    def soft_reset(self):
        """CTRL.SOFT_RESET (or ``rst``): takes effect at the start of the next step."""
        self._reset_state(terminate=self.cur is not None and self.cur_idx > 0)

    @property
    def s_ready(self):
        return self.init_left == 0

    @property
    def init_done(self):
        return self.init_left == 0

    # ---------------------------------------------------------------- helpers
    def _violation(self, msg):
        self.invariant_violations += 1
        if len(self.violation_log) < 20:
            self.violation_log.append(f"t={self.t}: {msg}")

    def paused_by_next_hop(self, f, pfc_paused=0):
        L = self.rx.leases
        if L.flow_paused(f) and self.t >= self.wd_ignore_until[f]:
            return True
        return (L.tenant_paused(self.tenant_of[f]) or L.global_paused()
                or bool(pfc_paused >> self.prio_of[f] & 1))

    # ---------------------------------------------------------------- one cycle
    def step(self, in_beat=None, m_ready=True, fc_in=None, fc_ready=True, pfc_paused=0):
        t = self.t
        buf = self.buf
        buf.begin_cycle()
        self._pfc = pfc_paused
        if self.init_left:
            self.init_left -= 1
            m_beat = self._terminate(m_ready)
            self.rx.leases.tick()
            self.t += 1
            return m_beat, None
        commits = self.commits
        while commits and commits[0][0] <= t:
            p = commits.popleft()[1]
            self.drr.commit(p.flow, p)
        # reaction side (a resumed flow is re-inserted by the scanner, not by its XON entry: drr.py)
        rx = self.rx
        if fc_in is not None:
            rx.beat(t, *fc_in)
        rx.step(t)
        self._scan(t)
        # egress, ingress, reclaim
        m_beat, freed = self._egress(t, m_ready)
        if in_beat is not None:
            self._ingress(t, in_beat)
        buf.reclaim_step(freed)
        # FC controller: ingress notifications first (ordering rule 2)
        fcc = self.fcc
        for q in (self.notes_i, self.notes_e):
            while q and q[0][0] <= t:
                fcc.evaluate(q.popleft()[1], t)
        self.pfc_req = 0xFF if (self.cfg.pfc_mirror_en and fcc.global_paused) else 0
        fc_beat = self._fcgen(t, fc_ready)
        # invariants
        if not buf.conservation_ok():
            self._violation(f"I1: free {buf.free_cells} + used {buf.used} + in flight {buf.in_flight()} "
                            f"!= {buf.cells}")
        if buf.violations:
            for v in buf.violations:
                self._violation("I2: " + v)
            buf.violations.clear()
        self.t += 1
        return m_beat, fc_beat

    def _terminate(self, m_ready):
        if self.term_pending and m_ready:
            self.term_pending = False
            self.terminated += 1
            return (bytes(BYTES_PER_BEAT), True, 1, 0)
        return None

    def _scan(self, t):
        f = self.scan
        self.scan = f + 1 if f + 1 < self.cfg.flows else 0
        cfg = self.cfg
        L = self.rx.leases
        if L.flow_paused(f):
            since = self.wd_since[f]
            if since is None:
                self.wd_since[f] = t
            elif not self.wd_reported[f] and t - since >= cfg.wd_cycles:
                self.wd_reported[f] = True
                self.wd_events[f] += 1
                self.wd_flag = True
                if cfg.wd_action == 1:
                    self.wd_ignore_until[f] = t + cfg.wd_restore
        elif self.wd_since[f] is not None:
            self.paused_cycles_rx[f] += t - self.wd_since[f]
            self.wd_since[f] = None
            self.wd_reported[f] = False
        if self.drr.parked[f] and not self.paused_by_next_hop(f, self._pfc):
            self.drr.resume(f)

    def _all_blocked(self):
        """Every flow is paused by a shared cause: the global pause, every tenant in use, or PFC on every priority in
        use (the scheduler then parks every listed flow in one step, drr.py)."""
        L = self.rx.leases
        return (L.global_paused() or all(L.tenant_paused(tn) for tn in self.tenants_used)
                or all(self._pfc >> p & 1 for p in self.prios_used))

    def _decide(self, t):
        """One decision step (drr.py), at most one per cycle."""
        if self.decided == t:
            return
        self.decided = t
        sel = self.drr.step(lambda f: not self.paused_by_next_hop(f, self._pfc), self._all_blocked())
        self.retry = sel == RETRY
        if sel is not None and sel != RETRY:
            self.next_sel = (sel[1], t + L_SCHED)

    def _egress(self, t, m_ready):
        if self.term_pending:
            return self._terminate(m_ready), False
        if self.cur is None and self.next_sel is not None and self.next_sel[1] <= t:
            self.cur, self.cur_idx = self.next_sel[0], 0
            self.next_sel = None
        beat, freed = None, False
        p = self.cur
        if p is not None and m_ready:
            i = self.cur_idx
            cb = self.cfg.cell_beats
            ci, bi = divmod(i, cb)
            off = i * BYTES_PER_BEAT
            n = min(BYTES_PER_BEAT, p.length - off)
            last = off + n >= p.length
            cell = p.cells[ci]
            data = bytes(self.buf.data[cell][bi * BYTES_PER_BEAT:bi * BYTES_PER_BEAT + n])
            beat = (data, last, 0, p.flow)
            if i == 0 and self.next_sel is None:
                self._decide(t)
            if last or bi == cb - 1:
                self.buf.release(cell, p.flow)
                self.notes_e.append((t + L_NOTIFY, p.flow))
                freed = True
            self.cur_idx = i + 1
            if last:
                self.deq_pkts[p.flow] += 1
                self.deq_bytes[p.flow] += p.length
                self.cur = None
        if self.next_sel is None and (self.cur is None or self.retry):
            self._decide(t)
        return beat, freed

    def _drop(self, reason, f, nbytes):
        self.drops[reason] += 1
        self.drop_bytes[reason] += nbytes
        if 0 <= f < self.cfg.flows:
            self.drop_pkts[f] += 1
            self.drop_bytes_flow[f] += nbytes

    def _reclaim(self, st, t):
        for c in st.cells:
            self.buf.to_reclaim(c, st.flow)
            self.notes_e.append((t + L_NOTIFY, st.flow))
        st.cells = []

    def _ingress(self, t, beat):
        data, last, user, dest = beat
        cfg, buf = self.cfg, self.buf
        st = self.inq
        if st is None:
            reason = admit(cfg, self.fcc.thr, buf, dest)
            st = self.inq = _Ingress(dest, reason)
            if reason is None and buf.occ[dest] >= self.fcc.thr[dest][2]:
                self.cap_exceeded[dest] += 1
        f = st.flow
        if st.reason is None:
            n = st.nbytes + len(data)
            # decision (docs/flowctl.md "Bad input"): a beat before tlast with fewer than 8 bytes, or an empty last
            # beat, is unpacked; cells are reserved per byte and allocated per beat, so such a frame stops being
            # stored at that beat, like an oversize one, and is dropped as bad at its end
            unpacked = len(data) < BYTES_PER_BEAT if not last else len(data) == 0
            if not st.oversize and (n > cfg.max_pkt or unpacked):
                st.oversize = True
                st.stopped = "oversize" if n > cfg.max_pkt else "unpacked"
                self._reclaim(st, t)
            if not st.oversize:
                if st.beats % cfg.cell_beats == 0:
                    c = buf.alloc(f)
                    if c is None:
                        self._violation(f"free list empty in the middle of a frame of flow {f}")
                        st.oversize = True           # cannot store it: treat as lost, counted below as bad
                        st.stopped = "oversize"
                        self._reclaim(st, t)
                    else:
                        st.cells.append(c)
                        self.notes_i.append((t + L_NOTIFY, f))
                        occ = buf.occ[f]
                        if occ > self.hwm[f]:
                            self.hwm[f] = occ
                        if buf.used > self.max_used:
                            self.max_used = buf.used
                        if self.bounds is not None:
                            self._check_bounds(f, occ)
                if not st.oversize:
                    buf.data[st.cells[-1]] += data
            st.nbytes = n
            st.beats += 1
        else:
            st.nbytes += len(data)
        if last:
            self.inq = None
            if st.reason is not None:
                self._drop(st.reason, f, st.nbytes)
                return
            bad = st.stopped if st.oversize else "tuser" if user & 1 else "runt" if st.nbytes < MIN_PKT else None
            if bad:
                self._reclaim(st, t)
                self.bad_detail[bad] += 1
                self._drop("bad", f, st.nbytes)
                return
            self.enq_pkts[f] += 1
            self.enq_bytes[f] += st.nbytes
            self.commits.append((t + L_COMMIT, StoredPacket(f, st.nbytes, st.cells)))

    def _check_bounds(self, f, occ):
        h_flow, h_glob = self.bounds
        xoff = self.fcc.thr[f][0]
        if occ > xoff + h_flow:
            self._violation(f"I3: flow {f} occupancy {occ} > XOFF {xoff} + H {h_flow}")
        if self.cfg.guard_en and self.buf.used > self.fcc.g_xoff + h_glob:
            self._violation(f"I3: used {self.buf.used} > G_XOFF {self.fcc.g_xoff} + H {h_glob}")

    def _fcgen(self, t, fc_ready):
        if self.fc_cur is None:
            frame = self.sender.poll(t)
            if frame is not None:
                self.fc_cur, self.fc_idx = frame_beats(frame), -1      # first beat valid at t + 1
            return None
        if self.fc_idx < 0:
            self.fc_idx = 0
        if not fc_ready:
            return None
        i = self.fc_idx
        last = i == len(self.fc_cur) - 1
        beat = (self.fc_cur[i], last)
        if last:
            self.fc_cur = None
        else:
            self.fc_idx = i + 1
        return beat

    # ---------------------------------------------------------------- reports
    def check_structures(self):
        """Exhaustive I1/I2 over the free list, reclaim queue, every packet's cells (end of a test)."""
        errors = self.buf.check_full()
        owner = {}
        pkts = [p for q in self.drr.queues for p in q] + [p for _, p in self.commits]
        if self.cur is not None:
            pkts.append(self.cur)
        if self.next_sel is not None:
            pkts.append(self.next_sel[0])
        if self.inq is not None:
            pkts.append(StoredPacket(self.inq.flow, 0, self.inq.cells))
        for p in pkts:
            for k, c in enumerate(p.cells):
                if self.cur is p and k < self.cur_idx // self.cfg.cell_beats:
                    continue                     # already sent and freed
                if c in owner:
                    errors.append(f"I2: cell {c} in two packets")
                owner[c] = p.flow
                if self.buf.owner[c] != p.flow:
                    errors.append(f"I2: cell {c} listed for flow {p.flow} but owned by {self.buf.owner[c]}")
        return errors

    def flow_stats(self, f):
        """Flow f's statistics (spec §8 "per flow"; the RTL's indirect window, ``flow_stats_layout``): occupancy and
        its high-water mark in cells, packets / bytes committed, sent and dropped (every reason, flows of the table
        only), XOFF / XON decisions, PAUSED here, paused by the next hop's lease, parked in the scheduler, in its
        active list, packets queued, DELTA entries applied with a lease / lease 0, watchdog events, lossless frames admitted
        at or over CAP. Counters wrap at 32 bits like the registers."""
        w = (1 << 32) - 1
        return {"occ": self.buf.occ[f], "hwm": self.hwm[f],
                "enq_pkts": self.enq_pkts[f] & w, "enq_bytes": self.enq_bytes[f] & w,
                "deq_pkts": self.deq_pkts[f] & w, "deq_bytes": self.deq_bytes[f] & w,
                "drop_pkts": self.drop_pkts[f] & w, "drop_bytes": self.drop_bytes_flow[f] & w,
                "xoff_tx": self.fcc.xoff_tx[f] & w, "xon_tx": self.fcc.xon_tx[f] & w,
                "xoff_rx": self.rx.xoff_rx[f] & w, "xon_rx": self.rx.xon_rx[f] & w,
                "wd_events": self.wd_events[f] & w, "cap_exceeded": self.cap_exceeded[f] & w,
                "paused_tx": int(self.fcc.paused[f]), "paused_rx": int(self.rx.leases.flow_paused(f)),
                "parked": int(self.drr.parked[f]), "in_list": int(self.drr.in_list[f]),
                "backlog": self.drr.backlog(f)}

    def counters(self):
        snd, rx, fcc = self.sender, self.rx, self.fcc
        return {
            "drops": dict(self.drops),
            "drop_bytes": dict(self.drop_bytes),
            "bad_detail": dict(self.bad_detail),
            "free_cells": self.buf.free_cells,
            "min_free_cells": self.buf.min_free,
            "used_cells": self.buf.used,
            "max_used_cells": self.max_used,
            "cap_exceeded": sum(self.cap_exceeded),
            "enq_pkts": sum(self.enq_pkts),
            "deq_pkts": sum(self.deq_pkts),
            "mfc_frames_tx": dict(snd.frames_tx),
            "mfc_entries_tx": snd.entries_tx,
            "mfc_xoff_entries_tx": snd.xoff_entries_tx,
            "mfc_xon_entries_tx": snd.xon_entries_tx,
            "xoff_tx": sum(fcc.xoff_tx),
            "xon_tx": sum(fcc.xon_tx),
            "global_xoff_tx": fcc.global_xoff_tx,
            "mfc_frames_rx": dict(rx.frames_rx),
            "fc_rx_err": rx.fc_rx_err,
            "fc_rx_err_detail": dict(rx.rx_err),
            "fc_rx_seq_gap": rx.seq_gap,
            "fc_rx_stale": rx.stale,
            "fc_rx_dup": rx.dup,
            "fc_rx_range": rx.rx_range,
            "xoff_rx": sum(rx.xoff_rx),
            "xon_rx": sum(rx.xon_rx),
            "wd_events": sum(self.wd_events),
            "terminated_egress": self.terminated,
            "cfg_err": self.cfg_err,
            "guard_unsafe": self.guard_unsafe,
        }
