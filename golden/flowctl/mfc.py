"""MFC (micro-flow control) frames: byte layout, encoder, decoder, and the sender (spec §5, background §5.6–5.7).

Frame, big-endian, Ethernet without FCS on AXI-Stream, zero padded to 60 bytes::

    0  DA(6)  6 SA(6)  12 EtherType(2)  14 ver[7:4]|type[3:0]  15 flags  16 seq(2)  18 time_exp  19 rsvd
    20 count (DELTA) / base (SNAPSHOT)  22 0 (DELTA) / covered (SNAPSHOT, multiple of 64)
    24 DELTA entries: id(16) ‖ lease(16), lease 0 = resume now
    24 SNAPSHOT lease(16), 26 reserved(6), 32 bitmap: bit i (LSB first) of byte k = flow base + 8k + i, 1 = paused

Decoder decisions (spec silent): the frame length must be exactly ``max(60, 24 + 4·N)`` (DELTA) or
``max(60, 32 + covered/8)`` (SNAPSHOT); a DELTA with a non-zero ``covered`` field, a SNAPSHOT whose ``covered`` is 0 or not
a multiple of 64, an unknown type, a version other than 1 or a wrong EtherType are malformed. Reserved bytes and
unknown flag bits are ignored (room for later versions).

Sender (``MfcSender``) decisions, all documented in docs/flowctl.md:

* Priority at a frame boundary: the RESET snapshot, then a flow DELTA that is due, then a TENANT_DELTA that is due,
  then a snapshot chunk that is due, then the tenant refresh.
* Flow entries (``_FlowPending``): a flow holds at most one pending entry, last action wins (spec §5). A decision
  posted at t is applied at the end of cycle t (``L_EVT`` = 1: ready at t+1). Each kind (XOFF, XON) has a
  coalescing window: it opens (``since`` = t+1) when an entry of that kind is posted while none is pending, and
  closes when none is left; events of a cycle act in the order capture, ingress decision, egress decision.
* A DELTA is due when ``#pending ≥ FC_MAX_ENTRIES``, or the XOFF window (or a global XOFF) has been open
  ``COAL_XOFF`` cycles, or the XON window (or a global XON) ``COAL_XON`` cycles. A global change alone produces a
  DELTA with N = 0.
* Capture (decision, spec silent on the order): a DELTA decided at t takes its flow entries during the
  ``2·(G+1)`` cycles t+1 … (``G = flows / SCAN_GROUP`` groups of ``SCAN_GROUP`` = 16 flows): an XOFF pass visits one
  group per cycle starting at the flow after the last XOFF sent, then an XON pass likewise; each visit takes the
  group's pending entries of the pass's kind in increasing flow id (the first visit only the ids at or after the
  start, one more visit at the end the ids before it) until the frame holds FC_MAX_ENTRIES. An entry is taken as it
  stands at the start of the visit cycle. So XOFF goes before XON and every flow is served round robin; the first
  beat is valid at t + ``fcgen_cycles(flows)`` = t + 2·(G+1) + 1. Why not oldest first: the order of stamps needs
  a comparator per pair of flows (or a sorted structure with unbounded skipping), a pass over 16-flow groups is a
  16-bit mux and a 16-bit prefix count per cycle for any number of flows (docs/flowctl.md "MFC generator").
* After initialisation (and every soft reset) the sender sends ``reset_repeat`` (3) RESET snapshots back to back,
  all clear, before anything else (decision: spec §5 asks for one). The receiver ignores a frame whose seq is older
  than the last one it accepted unless it carries RESET; a restarted sender's numbers start again at 0, so with a
  single RESET frame, the loss of that frame made the receiver ignore every later frame (the global pause included)
  until the numbers caught up. With ``reset_repeat`` = loss burst + 1 copies, one arrives (docs/flowctl.md).
* Snapshots: every ``T_SNAP`` cycles a round of ``ceil(flows / SNAP_CHUNK)`` frames (the last with SNAP_LAST), sent
  while anything is paused and for ``snap_trail`` rounds after the last pause cleared (so a lost XON is repaired), or
  always with ``snap_idle``. A quiet link therefore carries no MFC frame after the initial RESET snapshots, which is
  what scenario 1 of spec §9 ("no MFC") asks for.
* Tenants have no bitmap in the frame format: each snapshot round is followed by a TENANT_DELTA refresh with one entry per
  tenant that has a tenant threshold (lease if paused, 0 if running), chunked by FC_MAX_ENTRIES.
* The global lease: a receiver pauses globally for the lease of the last accepted snapshot (reaction.py).
"""

import struct
from collections import deque
from dataclasses import dataclass, field

from .config import L_EVT, SCAN_GROUP

__all__ = [
    "VERSION", "T_FLOW_DELTA", "T_FLOW_SNAPSHOT", "T_TENANT_DELTA", "F_GLOBAL_PAUSE", "F_RESET", "F_SNAP_LAST",
    "MIN_FRAME", "MfcFrame", "MfcError", "encode_delta", "encode_snapshot", "decode", "beats", "MfcSender",
]

VERSION = 1
T_FLOW_DELTA, T_FLOW_SNAPSHOT, T_TENANT_DELTA = 1, 2, 3
F_GLOBAL_PAUSE, F_RESET, F_SNAP_LAST = 0x01, 0x02, 0x04
MIN_FRAME = 60
_HDR = struct.Struct(">6s6sHBBHBBHH")      # bytes 0..23


class MfcError(ValueError):
    """A malformed MFC frame; ``reason`` is one of etype, runt, version, type, length."""

    def __init__(self, reason, msg):
        super().__init__(msg)
        self.reason = reason


@dataclass
class MfcFrame:
    type: int
    flags: int
    seq: int
    time_exp: int
    entries: list = field(default_factory=list)     # DELTA: [(id, lease)]
    base: int = 0                                    # SNAPSHOT
    covered: int = 0
    lease: int = 0
    bitmap: bytes = b""
    da: bytes = b""
    sa: bytes = b""
    etype: int = 0x88B5
    version: int = VERSION

    def paused_ids(self):
        """SNAPSHOT: the flow ids whose bit is 1."""
        return [self.base + 8 * k + i for k, b in enumerate(self.bitmap) for i in range(8) if b >> i & 1]


def _pad(b):
    return b + bytes(max(0, MIN_FRAME - len(b)))


def encode_delta(*, seq, entries, flags=0, time_exp=0, tenant=False, da=b"\x01\x80\xc2\x00\x00\x0e",
                 sa=bytes(6), etype=0x88B5):
    """A FLOW_DELTA (or TENANT_DELTA) frame; ``entries`` is a list of (id, lease)."""
    ftype = T_TENANT_DELTA if tenant else T_FLOW_DELTA
    hdr = _HDR.pack(da, sa, etype, VERSION << 4 | ftype, flags, seq & 0xFFFF, time_exp, 0, len(entries), 0)
    body = b"".join(struct.pack(">HH", i, lease) for i, lease in entries)
    return _pad(hdr + body)


def encode_snapshot(*, seq, base, covered, paused, lease, flags=0, time_exp=0, da=b"\x01\x80\xc2\x00\x00\x0e",
                    sa=bytes(6), etype=0x88B5):
    """A FLOW_SNAPSHOT frame covering ``covered`` flows from ``base``; ``paused`` is an iterable of flow ids."""
    if covered <= 0 or covered % 64:
        raise ValueError("covered must be a positive multiple of 64")
    bitmap = bytearray(covered // 8)
    for f in paused:
        if base <= f < base + covered:
            bitmap[(f - base) >> 3] |= 1 << ((f - base) & 7)
    hdr = _HDR.pack(da, sa, etype, VERSION << 4 | T_FLOW_SNAPSHOT, flags, seq & 0xFFFF, time_exp, 0, base, covered)
    return _pad(hdr + struct.pack(">H6x", lease) + bytes(bitmap))


def decode(frame, *, etype=0x88B5):
    """Parse and validate one frame (bytes without FCS); raises ``MfcError`` with a reason."""
    if len(frame) < MIN_FRAME:
        raise MfcError("runt", f"{len(frame)} bytes, shorter than {MIN_FRAME}")
    da, sa, et, vt, flags, seq, texp, _rsvd, w20, w22 = _HDR.unpack_from(frame, 0)
    if et != etype:
        raise MfcError("etype", f"EtherType {et:#06x}")
    if vt >> 4 != VERSION:
        raise MfcError("version", f"version {vt >> 4}")
    ftype = vt & 0xF
    f = MfcFrame(type=ftype, flags=flags, seq=seq, time_exp=texp, da=da, sa=sa, etype=et)
    if ftype in (T_FLOW_DELTA, T_TENANT_DELTA):
        if w22 != 0 or len(frame) != max(MIN_FRAME, 24 + 4 * w20):
            raise MfcError("length", f"DELTA of {w20} entries in {len(frame)} bytes")
        f.entries = [struct.unpack_from(">HH", frame, 24 + 4 * i) for i in range(w20)]
    elif ftype == T_FLOW_SNAPSHOT:
        if w22 == 0 or w22 % 64 or len(frame) != max(MIN_FRAME, 32 + w22 // 8):
            raise MfcError("length", f"SNAPSHOT covering {w22} flows in {len(frame)} bytes")
        f.base, f.covered = w20, w22
        f.lease = struct.unpack_from(">H", frame, 24)[0]
        f.bitmap = bytes(frame[32:32 + w22 // 8])
    else:
        raise MfcError("type", f"type {ftype}")
    return f


def beats(frame, width=8):
    """Split a frame into AXI-Stream beats (data bytes; the last beat's keep is its length)."""
    return [frame[i:i + width] for i in range(0, len(frame), width)]


class _PendingFifo:
    """Pending tenant entries with coalescing: one entry per id, last action wins, two FIFOs in pending order
    (tenants are few; the RTL generates no tenant deltas)."""

    def __init__(self):
        self.action = {}              # id -> (xoff: bool, t_ready)
        self.xoff_q = deque()
        self.xon_q = deque()

    def post(self, i, xoff, t_ready):
        self.action[i] = (xoff, t_ready)
        (self.xoff_q if xoff else self.xon_q).append((i, xoff, t_ready))

    def _head(self, q):
        while q and self.action.get(q[0][0]) != (q[0][1], q[0][2]):
            q.popleft()                                  # superseded or already sent
        return q[0] if q else None

    def ready_count(self, t):
        return sum(1 for (_x, tr) in self.action.values() if tr <= t)

    def oldest(self, xoff, t):
        h = self._head(self.xoff_q if xoff else self.xon_q)
        return None if h is None or h[2] > t else h[2]

    def take(self, t, limit, lease):
        """Up to ``limit`` ready entries, XOFF first then XON, oldest first: [(id, lease or 0)]."""
        out = []
        for q, xoff in ((self.xoff_q, True), (self.xon_q, False)):
            keep = deque()
            while q and len(out) < limit:
                i, x, tr = q.popleft()
                if self.action.get(i) != (x, tr):
                    continue
                if tr > t:
                    keep.append((i, x, tr))
                    continue
                out.append((i, lease if xoff else 0))
                del self.action[i]
            keep.extend(q)
            q.clear()
            q.extend(keep)
        return out

    def __len__(self):
        return len(self.action)


class _FlowPending:
    """Pending flow entries of the congestion point (see the module docstring): ``kind[f]`` is True (XOFF) or False
    (XON) for a flow with a pending entry; ``since[k]`` the cycle its kind's coalescing window opened."""

    def __init__(self, flows, group):
        self.flows = flows
        self.group = min(group, flows)
        self.groups = flows // self.group
        self.kind = {}
        self.staged = []              # (t, flow, xoff) decisions of cycles not yet applied
        self.since = {True: None, False: None}
        self.count = {True: 0, False: 0}
        self.ptr = {True: 0, False: 0}   # the flow after the last one sent, per kind
        self.start = dict(self.ptr)

    def post(self, f, xoff, t):
        self.staged.append((t, f, xoff))

    def sync(self, t):
        """Apply the decisions of the cycles before t (in order), so the state is that at the start of cycle t."""
        keep = []
        for (tp, f, x) in self.staged:
            if tp >= t:
                keep.append((tp, f, x))
                continue
            old = self.kind.get(f)
            if old is not None:
                self._remove(f)
            self.kind[f] = x
            self.count[x] += 1
            if self.count[x] == 1:
                self.since[x] = tp + L_EVT
        self.staged = keep

    def _remove(self, f):
        x = self.kind.pop(f)
        self.count[x] -= 1
        if self.count[x] == 0:
            self.since[x] = None

    def ready_count(self, _t):
        """Entries pending at the start of the cycle (``sync`` has applied the earlier ones): all ready."""
        return len(self.kind)

    def oldest(self, xoff, _t):
        """The start of the kind's coalescing window (``_PendingFifo.oldest``'s role: what COAL_* counts from)."""
        return self.since[xoff]

    def begin(self):
        """A capture starts: its passes start at the pointers of this moment."""
        self.start = dict(self.ptr)

    def visit(self, j, entries, limit, lease):
        """Visit ``j`` of a capture (0 ≤ j < 2·(groups+1)): take entries into ``entries`` (a list of (id, lease))."""
        n = self.groups + 1
        xoff = j < n
        jj = j % n
        g0, b0 = divmod(self.start[xoff], self.group)
        g = (g0 + jj) % self.groups
        lo, hi = (b0, self.group) if jj == 0 else (0, b0) if jj == self.groups else (0, self.group)
        for b in range(lo, hi):
            f = g * self.group + b
            if len(entries) >= limit:
                break
            if self.kind.get(f) is xoff:
                entries.append((f, lease if xoff else 0))
                self._remove(f)
                self.ptr[xoff] = (f + 1) % self.flows

    def __len__(self):
        return len(self.kind) + len(self.staged)


class MfcSender:
    """Congestion-point frame generator: coalesced deltas, snapshots with leases, the RESET snapshot, seq numbers.

    ``post_flow`` / ``post_tenant`` / ``post_global`` are called by the FC controller in the cycle of its decision;
    entries become eligible ``L_EVT`` cycles later. ``poll(t)`` is called in every cycle in which ``m_fc`` is idle and
    returns the frame whose first beat is valid at t+1 (``L_FCGEN``), or None.
    """

    def __init__(self, cfg):
        self.cfg = cfg
        self.flows = cfg.flows
        self.enabled = cfg.fc_tx_en          # CTRL.FC_TX_EN (a register: may change at run time)
        self.reset(0)

    def reset(self, t):
        self.seq = 0
        self.paused_flows = set()        # congestion-point state mirrored here for snapshots
        self.paused_tenants = set()
        self.global_paused = False
        self.flows_p = _FlowPending(self.flows, SCAN_GROUP)
        self.tenants_p = _PendingFifo()
        self.capture = None              # a DELTA being captured: [next visit, entries, flags, header keywords]
        self.global_p = None             # (xoff, t_ready) of an unsent global change
        self.reset_pending = self.cfg.reset_repeat     # RESET snapshots still to send
        self.next_snap = t + self.cfg.t_snap
        self.round_next = None           # next chunk index of a running snapshot round
        self.tenant_refresh = []         # entries still to send after a round
        self.trail = 0
        self.frames_tx = {"delta": 0, "snapshot": 0, "tenant": 0}
        self.entries_tx = 0
        self.xoff_entries_tx = 0
        self.xon_entries_tx = 0
        self.log = []                    # (t, frame bytes) if logging is on
        self.keep_log = False

    # ---- events from the FC controller ----
    def post_flow(self, f, xoff, t):
        if xoff:
            self.paused_flows.add(f)
        else:
            self.paused_flows.discard(f)
        self.flows_p.post(f, xoff, t)

    def post_tenant(self, tn, xoff, t):
        if xoff:
            self.paused_tenants.add(tn)
        else:
            self.paused_tenants.discard(tn)
        self.tenants_p.post(tn, xoff, t + L_EVT)

    def post_global(self, xoff, t):
        self.global_paused = xoff
        self.global_p = (xoff, t + L_EVT)

    # ---- frame building ----
    def _flags(self):
        return F_GLOBAL_PAUSE if self.global_paused else 0

    def _emit(self, kind, frame):
        self.seq = (self.seq + 1) & 0xFFFF
        self.frames_tx[kind] += 1
        self.global_p = None             # every frame carries the current global state
        if self.keep_log:
            self.log.append(frame)
        return frame

    def _kw(self):
        c = self.cfg
        return dict(seq=self.seq, time_exp=c.time_exp, da=c.fc_da, sa=c.fc_sa, etype=c.fc_etype)

    def _due(self, pend, t, extra=None):
        """Trigger rule: enough entries, or the XOFF / XON coalescing time has passed since ``pend.oldest`` (the
        oldest entry for tenants, the opening of the kind's window for flows)."""
        c = self.cfg
        if pend.ready_count(t) >= c.fc_max_entries:
            return True
        ox, on = pend.oldest(True, t), pend.oldest(False, t)
        if extra is not None and extra[1] <= t:          # a global change counts as an XOFF or XON entry
            if extra[0]:
                ox = extra[1] if ox is None else min(ox, extra[1])
            else:
                on = extra[1] if on is None else min(on, extra[1])
        return (ox is not None and t - ox >= c.coal_xoff) or (on is not None and t - on >= c.coal_xon)

    def _anything_paused(self):
        return bool(self.paused_flows or self.paused_tenants or self.global_paused)

    def poll(self, t):
        c = self.cfg
        self.flows_p.sync(t)
        if self.capture is not None:
            return self._capture_visit()
        if not self.enabled:
            return None
        if self.reset_pending:
            self.reset_pending -= 1
            chunk = min(c.snap_chunk, max(64, self.flows))
            frame = encode_snapshot(base=0, covered=chunk, paused=(), lease=c.pause_time_eff,
                                    flags=F_RESET | F_SNAP_LAST | self._flags(), **self._kw())
            return self._emit("snapshot", frame)
        if self._due(self.flows_p, t, self.global_p):
            # seq, flags and the global state are fixed now; the entries are captured in the next cycles
            self.capture = [0, [], self._flags(), self._kw()]
            self.seq = (self.seq + 1) & 0xFFFF
            self.frames_tx["delta"] += 1
            self.global_p = None
            self.flows_p.begin()
            return None
        if c.tenant_fc_active and self._due(self.tenants_p, t):
            entries = self.tenants_p.take(t, c.fc_max_entries, c.pause_time_eff)
            self._count_entries(entries)
            return self._emit("tenant", encode_delta(entries=entries, flags=self._flags(), tenant=True,
                                                     **self._kw()))
        if c.snap_en and self.round_next is None and t >= self.next_snap:
            if c.snap_idle or self._anything_paused():
                self.trail = c.snap_trail
                self.round_next = 0
            elif self.trail > 0:
                self.trail -= 1
                self.round_next = 0
            self.next_snap += c.t_snap
            if self.next_snap <= t:                      # after a long FC_TX_EN off period
                self.next_snap = t + c.t_snap
        if self.round_next is not None:
            chunk = c.snap_chunk
            base = self.round_next * chunk
            last = base + chunk >= self.flows
            frame = encode_snapshot(base=base, covered=chunk, paused=self.paused_flows, lease=c.pause_time_eff,
                                    flags=self._flags() | (F_SNAP_LAST if last else 0), **self._kw())
            self.round_next = None if last else self.round_next + 1
            if last and c.tenant_fc_active:
                self.tenant_refresh = [(tn, c.pause_time_eff if tn in self.paused_tenants else 0)
                                       for tn in range(c.tenants) if c.tenant_thresholds(tn)[0] <= c.cells]
            return self._emit("snapshot", frame)
        if self.tenant_refresh:
            entries, self.tenant_refresh = (self.tenant_refresh[:c.fc_max_entries],
                                            self.tenant_refresh[c.fc_max_entries:])
            return self._emit("tenant", encode_delta(entries=entries, flags=self._flags(), tenant=True,
                                                     **self._kw()))
        return None

    def _capture_visit(self):
        c = self.cfg
        cap = self.capture
        self.flows_p.visit(cap[0], cap[1], c.fc_max_entries, c.pause_time_eff)
        cap[0] += 1
        if cap[0] < 2 * (self.flows_p.groups + 1):
            return None
        self.capture = None
        self._count_entries(cap[1])
        frame = encode_delta(entries=cap[1], flags=cap[2], **cap[3])
        if self.keep_log:
            self.log.append(frame)
        return frame

    def _count_entries(self, entries):
        self.entries_tx += len(entries)
        for _i, lease in entries:
            if lease:
                self.xoff_entries_tx += 1
            else:
                self.xon_entries_tx += 1
