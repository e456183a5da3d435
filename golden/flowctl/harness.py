"""Closed-loop bench pieces around the model (background §4.2): an upstream traffic source that obeys MFC (and PFC)
after a reaction delay, delay lines for the forward and reverse links, a loss / corruption injector on the reverse
path, a next hop that pauses the block's egress flows with its own MFC frames, and a sink with a throttleable ready and
a scoreboard that cannot pass vacuously.

Everything here is plain Python with no import of the RTL; the cocotb bench of the RTL session can drive the same
objects beat by beat.
"""

import random
import struct
from collections import deque

from .config import BYTES_PER_BEAT, D_APPLY
from .mfc import MfcSender
from .pfc import decode_pfc
from .reaction import MfcReceiver

__all__ = ["Pkt", "DelayLine", "TrafficSource", "LossInjector", "NextHop", "Sink", "SIZE_SWEEP"]

#: the packet sizes spec §9 names (MAX and MAX+1 are added from the configuration)
SIZE_SWEEP = (60, 64, 65, 72, 73, 127, 128, 129, 1514)


class Pkt:
    __slots__ = ("flow", "seq", "data", "user")

    def __init__(self, flow, seq, data, user=0):
        self.flow, self.seq, self.data, self.user = flow, seq, data, user


def make_payload(rng, flow, seq, length):
    """A frame whose first 8 bytes name it (flow, seq, length) so the sink can check it; the rest is random."""
    head = struct.pack(">HIH", flow, seq, length)
    return (head + rng.randbytes(max(0, length - 8)))[:length]


class DelayLine:
    """A link of fixed latency: an item pushed at cycle t comes out at t + delay (delay ≥ 1)."""

    def __init__(self, delay):
        self.q = deque([None] * delay)

    def push(self, item):
        self.q.append(item)
        return self.q.popleft()

    def empty(self):
        return all(x is None for x in self.q)


class TrafficSource:
    """Upstream device: per-flow packet generators, round robin over eligible flows, one beat per cycle.

    It obeys MFC frames arriving on its reverse link through its own reaction point (``MfcReceiver`` with
    ``react_delay``) and, optionally, PFC frames. Pauses act at packet boundaries: the next packet is chosen in the
    cycle of the previous packet's last beat, among flows not paused at that moment (assumption A1 of background §4.1
    holds when ``react_delay + FC_MAX_ENTRIES ≤ D_react`` of the block).
    """

    def __init__(self, *, cfg, flows, rng, sizes, rate=None, react_delay=D_APPLY + 2, gap_p=0.0, stop_at=None,
                 pfc=False, weights=None):
        self.cfg = cfg
        self.flows = list(flows)
        self.rng = rng
        self.sizes = sizes                          # callable(rng, flow) -> length
        self.rate = rate or {}                      # flow -> fraction of line rate (default 1: saturated)
        self.gap_p = gap_p
        self.stop_at = stop_at
        self.pfc = pfc
        self.rx = MfcReceiver(flows=cfg.flows, tenants=cfg.tenants, etype=cfg.fc_etype, d_apply=react_delay,
                              default_lease=cfg.pause_time_eff, quanta_step=cfg.quanta_step, lease_w=cfg.lease_w)
        self.tenant_of = [cfg.flow(f).tenant for f in range(cfg.flows)]
        self.prio_of = [cfg.flow(f).prio for f in range(cfg.flows)]
        self.pfc_until = [0] * 8
        self.next_allowed = {f: 0 for f in self.flows}
        self.seq = {f: 0 for f in self.flows}
        self.sent = {}                              # (flow, seq) -> Pkt
        self.sent_bytes = {f: 0 for f in self.flows}
        self.rr = 0
        self.cur = None
        self.idx = 0
        self.aborted = set()                        # packets cut short by a reset (sent with tuser = 1)
        self.fc_buf = bytearray()
        self.fc_bad = False
        self.blocked_starts = []                    # (t, flow) starts while the flow was paused (must stay empty)
        self.pkts_started = 0
        self.extra = deque()                        # scripted packets (bad input) sent before the generators
        self.weights = weights                      # flow -> weight: byte-weighted selection (stride) instead of RR
        self.pass_ = {f: 0.0 for f in self.flows}

    def paused(self, f, t):
        L = self.rx.leases
        return (L.flow_paused(f) or L.tenant_paused(self.tenant_of[f]) or L.global_paused()
                or (self.pfc and t < self.pfc_until[self.prio_of[f]]))

    def fc_input(self, t, beat):
        """One beat of the reverse link (data, last, user) or None."""
        if beat is None:
            return
        data, last, user = beat
        if self.pfc:
            self.fc_buf += data
            self.fc_bad |= bool(user)
            if last:
                frame, bad = bytes(self.fc_buf), self.fc_bad
                self.fc_buf, self.fc_bad = bytearray(), False
                if not bad:
                    try:
                        ev, quanta = decode_pfc(frame)
                    except ValueError:
                        ev = None
                    if ev is not None:
                        for p in range(8):
                            if ev >> p & 1:
                                self.pfc_until[p] = t + 1 + quanta[p] * 8
                        return
        self.rx.beat(t, data, last, user)

    def _choose(self, t):
        if self.extra:
            return self.extra.popleft()
        if self.stop_at is not None and t >= self.stop_at:
            return None
        n = len(self.flows)
        order = ([self.flows[(self.rr + k) % n] for k in range(n)] if self.weights is None
                 else sorted(self.flows, key=lambda g: (self.pass_[g], g)))
        for k, f in enumerate(order):
            if self.next_allowed[f] > t or self.paused(f, t):
                continue
            self.rr = (self.rr + k + 1) % n
            length = self.sizes(self.rng, f)
            if self.weights is not None:
                floor = min(self.pass_.values())
                self.pass_[f] = max(self.pass_[f], floor) + length / self.weights[f]
            s = self.seq[f]
            self.seq[f] = s + 1
            pkt = Pkt(f, s, make_payload(self.rng, f, s, length))
            self.sent[(f, s)] = pkt
            r = self.rate.get(f, 1.0)
            if r < 1.0:
                self.next_allowed[f] = t + int(-(-length // BYTES_PER_BEAT) / r)
            return pkt
        return None

    def step(self, t):
        """The beat (data, last, user, dest) sent in cycle t, or None."""
        self.rx.step(t)
        if self.cur is None:
            if self.gap_p and self.rng.random() < self.gap_p:
                return None
            self.cur = self._choose(t)
            self.idx = 0
            if self.cur is None:
                return None
            self.pkts_started += 1
        elif self.gap_p and self.rng.random() < self.gap_p:
            return None
        p = self.cur
        off = self.idx * BYTES_PER_BEAT
        data = p.data[off:off + BYTES_PER_BEAT]
        last = off + BYTES_PER_BEAT >= len(p.data)
        self.idx += 1
        if last:
            self.cur = None
            self.sent_bytes[p.flow] = self.sent_bytes.get(p.flow, 0) + len(p.data)
        return (data, last, p.user, p.flow)

    def reset(self, t):
        """Upstream reset: the packet in progress ends now with tuser[0] = 1, all learnt pause state is forgotten."""
        self.rx.reset()
        self.pfc_until = [0] * 8
        if self.cur is not None:
            p = self.cur
            self.aborted.add((p.flow, p.seq))
            end = min(len(p.data), (self.idx + 1) * BYTES_PER_BEAT)
            self.cur = Pkt(p.flow, p.seq, p.data[:end], user=1)     # one more beat, tlast with tuser[0]

    def busy(self):
        return self.cur is not None or bool(self.extra)


class LossInjector:
    """Reverse-path loss and corruption, decided per frame at its first beat.

    ``loss_p`` / ``corrupt_p``: independent probabilities per frame; never more than ``max_burst`` frames in a row are
    lost or corrupted (the refresh margin of spec §9); ``bursts``: cycles at which a burst of exactly ``max_burst``
    frames starts. The log records the seq of every frame and its fate (the ground truth for the seq-gap counter).
    """

    def __init__(self, rng, *, loss_p=0.0, corrupt_p=0.0, max_burst=2, bursts=(), active=(0, None),
                 spare_snapshots=False):
        self.rng = rng
        self.spare_snapshots = spare_snapshots       # lose / corrupt only DELTA frames
        self.loss_p, self.corrupt_p = loss_p, corrupt_p
        self.max_burst = max_burst
        self.burst_times = sorted(bursts)
        self.active = active
        self.run = 0
        self.forced = 0
        self.fate = None
        self.buf = []
        self.log = []                                # (seq, fate): "ok", "lost", "corrupt"

    def _decide(self, t, ftype=None):
        lo, hi = self.active
        if self.spare_snapshots and ftype == 2:
            return "ok"
        if self.burst_times and t >= self.burst_times[0]:
            self.burst_times.pop(0)
            self.forced = self.max_burst
        if self.forced:
            self.forced -= 1
            fate = "lost"
        elif t < lo or (hi is not None and t >= hi) or self.run >= self.max_burst:
            fate = "ok"
        else:
            x = self.rng.random()
            fate = "lost" if x < self.loss_p else "corrupt" if x < self.loss_p + self.corrupt_p else "ok"
        if fate != "ok" and self.run >= self.max_burst:
            fate = "ok"
        self.run = self.run + 1 if fate != "ok" else 0
        return fate

    def push(self, t, beat, ftype=None):
        """A beat (data, last) from the block's m_fc -> the beat (data, last, user) that goes on, or None.
        ``ftype``: the frame's type nibble (byte 14), known to the bench at the first beat."""
        if beat is None:
            return None
        data, last = beat
        if self.fate is None:
            self.fate = self._decide(t, ftype)
            self.first = data
        if self.fate == "lost":
            out = None
        elif self.fate == "corrupt":
            flipped = bytes([data[0] ^ 0x5A]) + data[1:]
            out = (flipped, last, 1 if last else 0)     # the MAC's FCS check flags the frame at its end
        else:
            out = (data, last, 0)
        self.buf.append(data)
        if last:
            frame = b"".join(self.buf)
            self.log.append((struct.unpack_from(">H", frame, 16)[0], self.fate))
            self.buf, self.fate = [], None
        return out


class NextHop:
    """The device after the block's egress: it pauses the block's egress flows with MFC frames (its own sender)."""

    def __init__(self, cfg):
        self.sender = MfcSender(cfg)
        self.silent = False
        self.cur = None
        self.idx = 0
        self.frames = 0

    def block(self, f, t):
        self.sender.post_flow(f, True, t)

    def unblock(self, f, t):
        self.sender.post_flow(f, False, t)

    def block_global(self, on, t):
        self.sender.post_global(on, t)

    def step(self, t):
        """The MFC beat (data, last, user) toward the block's s_fc in cycle t, or None."""
        if self.cur is None:
            if not self.silent:
                frame = self.sender.poll(t)
                if frame is not None:
                    self.cur = [frame[i:i + 8] for i in range(0, len(frame), 8)]
                    self.idx = 0
                    self.frames += 1
            return None
        beat = self.cur[self.idx]
        self.idx += 1
        last = self.idx == len(self.cur)
        if last:
            self.cur = None
        return (beat, last, 0)


class Sink:
    """Egress of the block: ready pattern, reassembly, and the scoreboard against the source's sent packets."""

    def __init__(self, *, source, ready=None, window=(0, None)):
        self.source = source
        self.ready_fn = ready or (lambda t: True)
        self.window = window
        self.buf = {}
        self.delivered = {}                           # flow -> list of seq
        self.bytes_in_window = {}
        self.beats_in_window = {}
        self.errors = []
        self.terminated = 0
        self.sop = []                                 # (t, flow) of every SOP (with record_sop)
        self.cur_sop = None
        self.done = []                                # (t_sop, flow, bytes, beats) of delivered packets
        self.record_sop = False
        self.cur_flow = None

    def ready(self, t):
        return self.ready_fn(t)

    def take(self, t, beat):
        if beat is None:
            return
        data, last, user, dest = beat
        lo, hi = self.window
        if t >= lo and (hi is None or t < hi):
            self.beats_in_window[dest] = self.beats_in_window.get(dest, 0) + 1
        if self.cur_flow is None:
            self.cur_flow = dest
            self.cur_sop = t
            if self.record_sop:
                self.sop.append((t, dest))
        buf = self.buf.setdefault("cur", bytearray())
        buf += data
        if not last:
            return
        frame = bytes(buf)
        self.buf["cur"] = bytearray()
        self.cur_flow = None
        sop, self.cur_sop = self.cur_sop, None
        if user & 1:
            self.terminated += 1                       # a packet cut by a reset of the block: not delivered
            return
        if len(frame) < 8:
            self.errors.append(f"t={t}: a {len(frame)}-byte frame without a header")
            return
        flow, seq, length = struct.unpack_from(">HIH", frame)
        sent = self.source.sent.get((flow, seq))
        if sent is None or sent.data != frame or flow != dest:
            self.errors.append(f"t={t}: frame flow {flow} seq {seq} does not match what was sent")
            return
        got = self.delivered.setdefault(flow, [])
        if got and seq <= got[-1]:
            self.errors.append(f"t={t}: flow {flow} seq {seq} after {got[-1]} (order or duplicate)")
        got.append(seq)
        if self.record_sop:
            self.done.append((sop, flow, len(frame), -(-len(frame) // BYTES_PER_BEAT)))
        lo, hi = self.window
        if t >= lo and (hi is None or t < hi):
            self.bytes_in_window[flow] = self.bytes_in_window.get(flow, 0) + len(frame)

    def missing(self):
        """Sent and not aborted, but never delivered: set of (flow, seq)."""
        got = {(f, s) for f, seqs in self.delivered.items() for s in seqs}
        return set(self.source.sent) - self.source.aborted - got


def random_sizes(max_pkt, choices=None):
    """A size chooser: uniform over the spec's sweep (plus MAX_PKT) or the given list."""
    sizes = list(choices or SIZE_SWEEP + (max_pkt,))
    return lambda rng, f: rng.choice(sizes)


def make_rng(seed):
    return random.Random(seed)
