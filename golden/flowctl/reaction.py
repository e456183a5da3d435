"""Reaction point: MFC parsing, per-flow / per-tenant / global leases, expiry, watchdog (spec §6, background §5.8).

Time base: ``now`` counts 1/256 pause quanta and advances by ``QUANTA_STEP`` (32 at 64 bits per cycle, i.e. one
quantum of 512 bit times every 8 cycles) each cycle, modulo 2^(LEASE_W + 8). XOFF(f, L) sets
``pause_until[f] = now + (L << E)`` quanta, XON sets it to ``now``; ``paused(f)`` is the serial compare
``0 < (pause_until − now) mod 2^(LEASE_W+8) < 2^(LEASE_W+7)``, so an expired lease needs no event.

Apply timing (background §5.8, the RTL must match): a frame whose last beat is accepted at t is checked at t (errors,
sequence), then its work goes to a single apply port in frame order:

* DELTA: entry i at ``t + D_APPLY + i`` (if the port is free: frames queue behind each other); the frame's flags
  (RESET first, then GLOBAL_PAUSE) act in the cycle of entry 0 (or alone when N = 0).
* SNAPSHOT: flags at ``t + D_APPLY``, then a walker applies one covered flow per cycle. Entries of later DELTA frames
  pre-empt the walker and set the flow's ``dirty`` bit; the walker skips dirty flows (the delta is newer). A skipped flow
  still costs its cycle.
* Entries or bitmap bits for ids outside the table are ignored and counted in ``rx_range``.

Sequence (spec §5): a frame is accepted if its seq is newer than the last accepted one (serial-number arithmetic mod
2^16) or it carries RESET, or it is the first frame since reset. Equal seq counts as ``dup`` and ``stale``; older as
``stale``; accepted frames count ``seq_gap += seq − last − 1`` (the number of frames missed; decision: the spec says "counts
gaps", we count missing frames so loss injection can be checked exactly).

Global lease (spec silent): the GLOBAL_PAUSE flag pauses every flow for the lease of the last accepted snapshot
(before any snapshot: the local ``pause_time``); a frame without the flag clears the global pause.
"""

from collections import deque

from .config import D_APPLY
from .mfc import (F_GLOBAL_PAUSE, F_RESET, T_FLOW_DELTA, T_FLOW_SNAPSHOT, T_TENANT_DELTA, MfcError, decode)

__all__ = ["LeaseTable", "MfcReceiver", "RX_ERR_REASONS"]

RX_ERR_REASONS = ("fcs", "runt", "etype", "version", "type", "length", "oversize")


class LeaseTable:
    """Per-flow, per-tenant and global pause leases in one time base."""

    def __init__(self, *, flows, tenants, quanta_step=32, lease_w=32):
        self.flows, self.tenants = flows, tenants
        self.step = quanta_step
        self.mask = (1 << (lease_w + 8)) - 1
        self.half = 1 << (lease_w + 7)
        self.now = 0
        self.clear()

    def clear(self):
        self.pause_until = [self.now] * self.flows
        self.tenant_until = [self.now] * self.tenants
        self.global_until = self.now

    def tick(self):
        self.now = (self.now + self.step) & self.mask

    def _active(self, until):
        d = (until - self.now) & self.mask
        return 0 < d < self.half

    def lease_end(self, lease, exp):
        return (self.now + (lease << exp << 8)) & self.mask

    def flow_paused(self, f):
        return self._active(self.pause_until[f])

    def tenant_paused(self, tn):
        return self._active(self.tenant_until[tn])

    def global_paused(self):
        return self._active(self.global_until)

    def remaining_cycles(self, f):
        """Cycles until flow f's own lease ends (0 when not paused)."""
        d = (self.pause_until[f] - self.now) & self.mask
        return -(-d // self.step) if 0 < d < self.half else 0


class MfcReceiver:
    """Frame assembly from ``s_fc`` beats, validation, sequence check and the apply port. A flow resumed by an XON
    entry, a snapshot's zero bit or RESET is re-inserted into the model's scheduler by its expiry scanner (``_scan``),
    which sees the lease ended; the traffic source (harness.py) checks the leases whenever it chooses a flow."""

    def __init__(self, *, flows, tenants, etype=0x88B5, d_apply=D_APPLY, default_lease=0xFFFF,
                 quanta_step=32, lease_w=32, max_frame=1518, enabled=True):
        self.flows, self.tenants = flows, tenants
        self.etype = etype
        self.d_apply = d_apply
        self.default_lease = default_lease
        self.max_frame = max_frame
        self.enabled = enabled
        self.leases = LeaseTable(flows=flows, tenants=tenants, quanta_step=quanta_step, lease_w=lease_w)
        self.reset()

    def reset(self):
        self.leases.clear()
        self.buf = bytearray()
        self.buf_bad = False
        self.jobs = deque()          # [earliest_t, frame, state]; state: entry index or walk position
        self.last_seq = None
        self.global_lease = (self.default_lease, 0)
        self.dirty = set()
        self.walking = False
        self.frames_rx = {"delta": 0, "snapshot": 0, "tenant": 0}
        self.rx_err = dict.fromkeys(RX_ERR_REASONS, 0)
        self.seq_gap = 0
        self.stale = 0
        self.dup = 0
        self.rx_range = 0
        self.xoff_rx = [0] * self.flows
        self.xon_rx = [0] * self.flows
        self.frames_log = []

    @property
    def fc_rx_err(self):
        return sum(self.rx_err.values())

    # ---- input side ----
    def beat(self, t, data, last, user=0):
        """One ``s_fc`` beat (bytes, tkeep = len(data)); ``user`` bit 0 = bad FCS from the MAC."""
        if len(self.buf) <= self.max_frame:
            self.buf += data
        self.buf_bad |= bool(user & 1)
        if last:
            frame, bad = bytes(self.buf), self.buf_bad
            self.buf, self.buf_bad = bytearray(), False
            self.frame(t, frame, bad)

    def frame(self, t, frame, bad=False):
        """A complete frame whose last beat was accepted at cycle t."""
        if not self.enabled:
            return
        if bad:
            self.rx_err["fcs"] += 1
            return
        if len(frame) > self.max_frame:
            self.rx_err["oversize"] += 1
            return
        try:
            f = decode(frame, etype=self.etype)
        except MfcError as e:
            self.rx_err[e.reason] += 1
            return
        if not (f.flags & F_RESET) and self.last_seq is not None:
            d = (f.seq - self.last_seq) & 0xFFFF
            if d == 0:
                self.dup += 1
                self.stale += 1
                return
            if d >= 0x8000:
                self.stale += 1
                return
            self.seq_gap += d - 1
        self.last_seq = f.seq
        self.frames_rx[{T_FLOW_DELTA: "delta", T_FLOW_SNAPSHOT: "snapshot", T_TENANT_DELTA: "tenant"}[f.type]] += 1
        self.frames_log.append((t, f))
        self.jobs.append([t + self.d_apply, f, -1])

    # ---- apply port, one slot per cycle ----
    def step(self, t):
        """Apply what is due in cycle t, then advance the time base."""
        jobs = self.jobs
        if jobs and jobs[0][0] <= t:
            head = jobs[0]
            if head[1].type == T_FLOW_SNAPSHOT and head[2] >= 0:
                # a walk is running: a ready DELTA behind it pre-empts the walker
                for job in jobs:
                    if job is not head and job[1].type != T_FLOW_SNAPSHOT and job[0] <= t:
                        if self._delta_slot(job, t):
                            jobs.remove(job)
                        break
                else:
                    self._walk_slot(head)
            elif head[1].type == T_FLOW_SNAPSHOT:
                self._flags(head[1])
                self.dirty.clear()
                head[2] = 0
                self.walking = True
                self._walk_slot(head)
            else:
                if self._delta_slot(head, t):
                    jobs.popleft()
        self.leases.tick()

    def _flags(self, f):
        L = self.leases
        if f.flags & F_RESET:
            L.clear()
            self.dirty.clear()
        if f.type == T_FLOW_SNAPSHOT:
            self.global_lease = (f.lease, f.time_exp)
        if f.flags & F_GLOBAL_PAUSE:
            L.global_until = L.lease_end(*self.global_lease)
        else:
            L.global_until = L.now

    def _delta_slot(self, job, t):
        """Apply one entry of a DELTA job; True when the job is finished."""
        f = job[1]
        if job[2] < 0:
            self._flags(f)
            job[2] = 0
        if job[2] < len(f.entries):
            i, lease = f.entries[job[2]]
            job[2] += 1
            if f.type == T_TENANT_DELTA:
                if i >= self.tenants:
                    self.rx_range += 1
                else:
                    L = self.leases
                    L.tenant_until[i] = L.lease_end(lease, f.time_exp) if lease else L.now
            else:
                self._set_flow(i, lease, f.time_exp)
                if self.walking and i < self.flows:
                    self.dirty.add(i)
        return job[2] >= len(f.entries)

    def _set_flow(self, i, lease, exp, count=True):
        """XOFF (lease > 0) or XON of one flow; ``count``: a DELTA entry (snapshot bits are not counted)."""
        if i >= self.flows:
            self.rx_range += 1
            return
        L = self.leases
        if lease:
            L.pause_until[i] = L.lease_end(lease, exp)
            if count:
                self.xoff_rx[i] += 1
        else:
            L.pause_until[i] = L.now
            if count:
                self.xon_rx[i] += 1

    def _walk_slot(self, job):
        f = job[1]
        end = min(f.covered, self.flows - f.base) if f.base < self.flows else 0
        k = job[2]
        if k < end:
            flow = f.base + k
            if flow not in self.dirty:
                bit = f.bitmap[k >> 3] >> (k & 7) & 1
                self._set_flow(flow, f.lease if bit else 0, f.time_exp, count=False)
            job[2] = k + 1
        if job[2] >= end:
            # ids beyond the table whose bit is set are counted, not applied
            for k2 in range(max(end, 0), f.covered):
                if f.bitmap[k2 >> 3] >> (k2 & 7) & 1:
                    self.rx_range += 1
            self.jobs.popleft()
            self.walking = False
            self.dirty.clear()
