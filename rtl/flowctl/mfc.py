"""MFC (micro-flow control) generator and parser of the flowctl block (spec flowctl.md §5–§6, background §5.6–§5.8).

Both match the golden model (golden/flowctl/mfc.py ``MfcSender``, golden/flowctl/reaction.py ``MfcReceiver``); the
byte layout of a frame (big-endian, no FCS, padded to 60 bytes) is in docs/flowctl.md "MFC frame".

:class:`MfcTx` (congestion point, ``m_fc``)
    The FC controller reports its decisions of the cycle (up to two flow decisions, ingress first, and the global
    guard). Per flow a pending bit and its kind (``pk`` / ``px``): last action wins. Per kind a count and a
    coalescing window (``since``), updated through the cycle's events in the golden order: capture, decision 0,
    decision 1. In a cycle where ``m_fc`` is idle the sender *polls* like ``MfcSender.poll``: the RESET snapshots
    (``RESET_REPEAT`` = 3 after reset), else a DELTA when ``FC_MAX_ENTRIES`` (9) entries are pending or the XOFF /
    XON window has been open ``COAL_XOFF`` / ``COAL_XON`` cycles, else a snapshot chunk when the snapshot timer is
    due (rounds while anything is paused plus ``snap_trail`` rounds, or always with ``snap_idle``). A DELTA's seq and
    flags are fixed at the poll; its entries are *captured* in the next ``2·(flows/16 + 1)`` cycles: an XOFF pass
    over the 16-flow groups from the flow after the last XOFF sent (wrapping, the start group visited twice), then
    an XON pass, each visit taking the group's entries of its kind in increasing id until the frame holds 9. The
    first beat follows the capture (``fcgen_cycles``), the cycle after the last beat is the next poll. Every frame
    is 8 beats (60 bytes: 9 entries at most, a snapshot chunk is 64 flows). Tenant deltas are never sent (the RTL
    has no tenant thresholds). Cost per cycle: one 16-bit group mux and a 16-bit prefix count, for any number of
    flows (docs/flowctl.md, RTL decision 2).

:class:`MfcRx` (reaction point, ``s_fc``)
    Frame assembly (packed beats: only the last beat may be partial), validation at the last beat (``tuser[0]`` =
    FCS error, oversize > 1518 bytes, runt, EtherType, version, type, exact length), the sequence check (duplicate,
    stale, gap = frames missed, RESET resynchronises) and the frame counters. Accepted frames stay in a ring of beats
    and queue for the single apply port (``D_APPLY`` = 4): DELTA entry i at t+4+i, a SNAPSHOT's flags at t+4 and then
    one covered flow per cycle, pre-empted by ready DELTA entries which set the flow's dirty bit. Leases are
    ``pause_until`` values in 1/256 quanta compared serially with ``now`` (+32 per cycle), exactly reaction.py's
    ``LeaseTable``. The apply of the golden model's cycle t+1 is computed in cycle t and registered, so the pause
    state read in cycle t+1 (by the scheduler and the scanner) is the golden model's state after its apply of t+1.
    Bitmap bits for flows beyond the table are counted (``rx_range``) when the frame is accepted rather than when its
    walk ends (the same total once the walk is over).
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for, exact_log2

from din.rtl.common.decoded import put
from din.rtl.common.layouts import BeatLayout

__all__ = ["MfcTx", "MfcRx", "FC_MAX_ENTRIES", "RESET_REPEAT", "SCAN_GROUP", "SNAP_CHUNK", "RX_ERR_REASONS",
           "RX_FRAME_KINDS"]

FC_MAX_ENTRIES = 9          # entries per DELTA frame (spec §5 minimum; the 60-byte frame holds exactly 9)
RESET_REPEAT = 3            # RESET snapshots after reset (golden/flowctl/config.py reset_repeat, docs/flowctl.md)
SCAN_GROUP = 16             # flows per capture visit (golden/flowctl/config.py SCAN_GROUP)
SNAP_CHUNK = 64             # flows per snapshot frame
FRAME_BEATS = 8             # every generated frame is 60 bytes
VERSION = 1
T_FLOW_DELTA, T_FLOW_SNAPSHOT, T_TENANT_DELTA = 1, 2, 3
F_GLOBAL_PAUSE, F_RESET, F_SNAP_LAST = 0x01, 0x02, 0x04
RX_ERR_REASONS = ("fcs", "runt", "etype", "version", "type", "length", "oversize")   # reaction.py order
RX_FRAME_KINDS = ("delta", "snapshot", "tenant")
MAX_FRAME = 1518
COUNTER_W = 32


def _be(value, nbytes):
    """The bytes of ``value`` big-endian, as a list of 8-bit values."""
    return [value.as_unsigned()[8 * (nbytes - 1 - i):8 * (nbytes - i)] for i in range(nbytes)]


def _popcount(v):
    return sum(v[i] for i in range(len(v)))


class MfcTx(wiring.Component):
    def __init__(self, *, flows):
        self.flows = flows
        fb = exact_log2(flows)
        cw = COUNTER_W
        super().__init__({
            "m_fc": Out(stream.Signature(BeatLayout(data_width=64, user_width=1))),
            "init_done": In(1),
            # decisions of the FC controller in this cycle: [0] ingress notification, [1] egress notification
            "post_v": In(2), "post_x": In(2), "post_f0": In(fb), "post_f1": In(fb),
            "gpost_v": In(1), "gpost_x": In(1),
            "paused_next": In(flows),        # per-flow RUN/PAUSED after this cycle's decisions
            "gp_next": In(1),                # global pause after this cycle's decision
            # configuration
            "cfg_en": In(1), "cfg_snap_en": In(1), "cfg_snap_idle": In(1), "cfg_snap_trail": In(8),
            "cfg_t_snap": In(16), "cfg_lease": In(16), "cfg_time_exp": In(4), "cfg_coal_xoff": In(16),
            "cfg_coal_xon": In(16), "cfg_da": In(48), "cfg_sa": In(48), "cfg_etype": In(16),
            # counters
            "frames_delta": Out(cw), "frames_snapshot": Out(cw), "entries": Out(cw), "xoff_entries": Out(cw),
            "xon_entries": Out(cw),
        })

    def elaborate(self, platform):
        m = Module()
        F = self.flows
        fb = exact_log2(F)
        N = FC_MAX_ENTRIES

        t = Signal(32)                       # cycles since reset (the stamp time base)
        m.d.sync += t.eq(t + 1)

        # ---- pending entries (golden/flowctl/mfc.py ``_FlowPending``) ------------------------------------------
        # Events of a cycle act in the order: capture (reads the registered pk / px), post 0, post 1.
        GS = min(SCAN_GROUP, F)              # flows per capture visit
        G = F // GS
        gb = exact_log2(GS)
        V = 2 * (G + 1)                      # visits of a capture: the XOFF pass, then the XON pass
        cw_ = bits_for(F)
        posts = [(self.post_v[0], self.post_x[0], self.post_f0), (self.post_v[1], self.post_x[1], self.post_f1)]
        pk = Signal(F)                       # flow has a pending entry
        px = Signal(F)                       # ... which is an XOFF
        cnt = [Signal(cw_, name="cnt_n"), Signal(cw_, name="cnt_x")]        # pending entries per kind [XON, XOFF]
        since = [Signal(32, name="since_n"), Signal(32, name="since_x")]    # window start (open while cnt != 0)
        ptr = [Signal(fb, name="ptr_n"), Signal(fb, name="ptr_x")]           # the flow after the last one sent
        pstart = [Signal(fb, name="start_n"), Signal(fb, name="start_x")]    # pass start, latched at the decision
        cap = Signal()                       # a capture is running
        vj = Signal(range(V))                # its visit
        n_ent = Signal(range(N + 1))         # entries captured so far
        d_ids = [Signal(fb, name=f"d_id{k}") for k in range(N)]
        d_x = Signal(N)

        # capture visit: group g, mask of the bits visited, kind of the pass
        xpass = vj < G + 1
        jj = Signal(range(G + 1))
        m.d.comb += jj.eq(Mux(xpass, vj, vj - (G + 1)))
        st = Mux(xpass, pstart[1], pstart[0])
        st_b = st[:gb] if gb else Const(0, 1)
        st_g = st[gb:] if G > 1 else Const(0, 1)
        g = Signal(max(1, exact_log2(G)))
        m.d.comb += g.eq((st_g + jj)[:max(1, exact_log2(G))] if G > 1 else 0)
        mask = Signal(GS)
        hi = Signal(GS)                      # the ids at or after the start's position in its group
        m.d.comb += [hi.eq(Const((1 << GS) - 1, GS) << st_b),
                     mask.eq(Mux(jj == 0, hi, Mux(jj == G, ~hi, Const((1 << GS) - 1, GS))))]
        pk_g = pk.word_select(g, GS) if G > 1 else pk
        px_g = px.word_select(g, GS) if G > 1 else px
        word = Signal(GS)
        m.d.comb += word.eq(Mux(cap, pk_g & Mux(xpass, px_g, ~px_g) & mask, 0))
        # take the first N - n_ent set bits of the word, in increasing id
        take = Signal(GS)
        ranks = []
        run = Const(0, 5)
        for b in range(GS):
            r = Signal(range(GS + 1), name=f"cap_rank{b}")
            m.d.comb += r.eq(run)
            ranks.append(r)
            m.d.comb += take[b].eq(word[b] & (n_ent + r < N))
            run = run + word[b]
        n_cap = Signal(range(GS + 1))
        m.d.comb += n_cap.eq(_popcount(take))
        for k in range(N):
            for b in range(GS):
                with m.If(take[b] & (n_ent + ranks[b] == k)):
                    m.d.sync += [d_ids[k].eq(Cat(Const(b, gb), g)[:fb] if G > 1 else b), d_x[k].eq(xpass)]
        last_b = Signal(range(GS))
        for b in range(GS):                  # the highest bit taken (the pointer moves past it)
            with m.If(take[b]):
                m.d.comb += last_b.eq(b)
        with m.If(n_cap != 0):
            with m.If(xpass):
                m.d.sync += ptr[1].eq((Cat(last_b, g) if G > 1 else last_b) + 1)
            with m.Else():
                m.d.sync += ptr[0].eq((Cat(last_b, g) if G > 1 else last_b) + 1)
        with m.If(cap):
            m.d.sync += [n_ent.eq(n_ent + n_cap), vj.eq(vj + 1)]
            with m.If(vj == V - 1):
                m.d.sync += [cap.eq(0), vj.eq(0)]
        cleared = Signal(F)                  # pk bits the capture clears this cycle
        m.d.comb += cleared.eq(take << (g * GS) if G > 1 else take)

        # counts and windows through the cycle's events (capture, post 0, post 1)
        c0 = [Signal(cw_, name=f"c0_{k}") for k in range(2)]
        m.d.comb += [c0[1].eq(cnt[1] - Mux(xpass, n_cap, 0)), c0[0].eq(cnt[0] - Mux(xpass, 0, n_cap))]
        seq_c = [c0]
        pk_live = pk & ~cleared
        for v, x, f in posts:
            prev = seq_c[-1]
            was = pk_live.bit_select(f, 1)
            old_x = px.bit_select(f, 1)
            nxt = [Signal(cw_, name=f"c{len(seq_c)}_{k}") for k in range(2)]
            m.d.comb += [nxt[1].eq(prev[1] - (v & was & old_x) + (v & x)),
                         nxt[0].eq(prev[0] - (v & was & ~old_x) + (v & ~x))]
            seq_c.append(nxt)
        for k in range(2):
            final = seq_c[-1][k]
            through_zero = (seq_c[0][k] == 0) | (seq_c[1][k] == 0)
            m.d.sync += cnt[k].eq(final)
            with m.If((final != 0) & through_zero):
                m.d.sync += since[k].eq(t + 1)
        due_x = Signal()
        due_n = Signal()
        # global change not yet sent
        g_pend, g_x, g_tp = Signal(), Signal(), Signal(32)
        g_rdy = g_pend & ~self.gpost_v
        g_age = Signal(32)
        m.d.comb += g_age.eq(t - g_tp - 1)
        m.d.comb += [
            due_x.eq(((cnt[1] != 0) & ((t - since[1])[:32] >= self.cfg_coal_xoff))
                     | (g_rdy & g_x & (g_age >= self.cfg_coal_xoff))),
            due_n.eq(((cnt[0] != 0) & ((t - since[0])[:32] >= self.cfg_coal_xon))
                     | (g_rdy & ~g_x & (g_age >= self.cfg_coal_xon))),
        ]
        n_ready = Signal(cw_ + 1)
        m.d.comb += n_ready.eq(cnt[0] + cnt[1])

        # ---- snapshot timer and rounds ---------------------------------------------------------------------------
        # e = t - (next_snap - T_SNAP): cycles since the previous due point; due when e >= T_SNAP
        e = Signal(18)
        e_next = Signal(18)
        m.d.comb += e_next.eq(e)
        m.d.sync += e.eq(Mux(e_next == (1 << 18) - 1, e_next, e_next + 1))
        round_active = Signal()
        round_idx = Signal(range(max(2, F // SNAP_CHUNK + 1)))
        trail = Signal(8)
        reset_pending = Signal(range(RESET_REPEAT + 1), init=RESET_REPEAT)   # RESET snapshots still to send
        seq = Signal(16)

        # ---- frame descriptor and beat generator -----------------------------------------------------------------
        busy = Signal()
        bi = Signal(3)
        d_type = Signal(4)
        d_flags = Signal(8)
        d_seq = Signal(16)
        d_w20 = Signal(16)
        d_w22 = Signal(16)
        d_bitmap = Signal(64)
        d_lease = Signal(16)
        d_exp = Signal(4)

        fr = [Const(0, 8)] * 60
        fr[0:6] = _be(self.cfg_da, 6)
        fr[6:12] = _be(self.cfg_sa, 6)
        fr[12:14] = _be(self.cfg_etype, 2)
        fr[14] = Cat(d_type, Const(VERSION, 4))
        fr[15] = d_flags
        fr[16:18] = _be(d_seq, 2)
        fr[18] = Cat(d_exp, Const(0, 4))
        is_snap = d_type == T_FLOW_SNAPSHOT
        fr[20:22] = _be(Mux(is_snap, d_w20, n_ent), 2)
        fr[22:24] = _be(d_w22, 2)
        for k in range(N):
            en = ~is_snap & (k < n_ent)
            ent = _be(Cat(Mux(en, d_ids[k], 0), Const(0, 16 - fb)), 2) + _be(Mux(en & d_x[k], d_lease, 0), 2)
            for j in range(4):
                fr[24 + 4 * k + j] = ent[j]
        snap_lease = _be(d_lease, 2)
        for j in range(2):
            fr[24 + j] = Mux(is_snap, snap_lease[j], fr[24 + j])
        for j in range(2, 8):
            fr[24 + j] = Mux(is_snap, 0, fr[24 + j])
        for j in range(8):
            fr[32 + j] = Mux(is_snap, d_bitmap[8 * j:8 * j + 8], fr[32 + j])
        for j in range(40, 60):
            fr[j] = Mux(is_snap, 0, fr[j])
        fr += [Const(0, 8)] * 4
        assert all(len(b) == 8 for b in fr)
        words = Array(Cat(*fr[8 * b:8 * b + 8]) for b in range(FRAME_BEATS))
        o = self.m_fc
        m.d.comb += [o.valid.eq(busy & ~cap), o.payload.data.eq(words[bi]), o.payload.last.eq(bi == FRAME_BEATS - 1),
                     o.payload.keep.eq(Mux(bi == FRAME_BEATS - 1, 0x0F, 0xFF)), o.payload.user.eq(0)]
        with m.If(o.valid & o.ready):
            m.d.sync += bi.eq(bi + 1)
            with m.If(bi == FRAME_BEATS - 1):
                m.d.sync += busy.eq(0)

        # ---- poll (m_fc idle) -----------------------------------------------------------------------------------
        poll = Signal()
        m.d.comb += poll.eq(~busy & self.init_done & self.cfg_en)
        emit = Signal()
        g_flag = self.gp_next
        anything = self.paused_next.any() | self.gp_next
        chunks = Array(Cat(self.paused_next, Const(0, 64))[SNAP_CHUNK * c:SNAP_CHUNK * (c + 1)]
                       for c in range(max(1, F // SNAP_CHUNK)))
        n_chunks = max(1, -(-F // SNAP_CHUNK))
        snap_go = Signal()                   # a snapshot chunk goes out
        snap_idx = Signal.like(round_idx)
        with m.If(poll):
            with m.If(reset_pending):
                m.d.comb += emit.eq(1)
                m.d.sync += [reset_pending.eq(reset_pending - 1), d_type.eq(T_FLOW_SNAPSHOT),
                             d_flags.eq(F_RESET | F_SNAP_LAST | g_flag), d_w20.eq(0), d_w22.eq(SNAP_CHUNK),
                             d_bitmap.eq(0), self.frames_snapshot.eq(self.frames_snapshot + 1)]
            with m.Elif((n_ready >= N) | due_x | due_n):
                m.d.comb += emit.eq(1)
                m.d.sync += [d_type.eq(T_FLOW_DELTA), d_flags.eq(g_flag), d_w22.eq(0),
                             cap.eq(1), vj.eq(0), n_ent.eq(0), pstart[0].eq(ptr[0]), pstart[1].eq(ptr[1]),
                             self.frames_delta.eq(self.frames_delta + 1)]
            with m.Else():
                start = Signal()
                with m.If(self.cfg_snap_en & ~round_active & (e >= self.cfg_t_snap)):
                    with m.If(self.cfg_snap_idle | anything):
                        m.d.comb += start.eq(1)
                        m.d.sync += trail.eq(self.cfg_snap_trail)
                    with m.Elif(trail != 0):
                        m.d.comb += start.eq(1)
                        m.d.sync += trail.eq(trail - 1)
                    e_sub = Signal(18)
                    m.d.comb += e_sub.eq(e - self.cfg_t_snap)
                    m.d.comb += e_next.eq(Mux(e_sub >= self.cfg_t_snap, 0, e_sub))
                with m.If(round_active | start):
                    m.d.comb += [emit.eq(1), snap_go.eq(1), snap_idx.eq(Mux(start, 0, round_idx))]
                    last = snap_idx == n_chunks - 1
                    m.d.sync += [d_type.eq(T_FLOW_SNAPSHOT), d_flags.eq(g_flag | Mux(last, F_SNAP_LAST, 0)),
                                 d_w20.eq(snap_idx * SNAP_CHUNK), d_w22.eq(SNAP_CHUNK),
                                 d_bitmap.eq(chunks[snap_idx]), round_active.eq(~last), round_idx.eq(snap_idx + 1),
                                 self.frames_snapshot.eq(self.frames_snapshot + 1)]
        with m.If(emit):
            m.d.sync += [busy.eq(1), bi.eq(0), d_seq.eq(seq), seq.eq(seq + 1), d_lease.eq(self.cfg_lease),
                         d_exp.eq(self.cfg_time_exp)]

        # ---- pending state update: the capture's entries leave, this cycle's posts enter -----------------------
        with m.If(cap):
            m.d.sync += [self.entries.eq(self.entries + n_cap),
                         self.xoff_entries.eq(self.xoff_entries + Mux(xpass, n_cap, 0)),
                         self.xon_entries.eq(self.xon_entries + Mux(xpass, 0, n_cap))]
        pk_next = Signal(F)
        px_next = Signal(F)
        m.d.comb += [pk_next.eq(pk & ~cleared), px_next.eq(px)]
        for v, x, f in posts:
            with m.If(v):
                m.d.comb += [pk_next.bit_select(f, 1).eq(1), px_next.bit_select(f, 1).eq(x)]
        m.d.sync += [pk.eq(pk_next), px.eq(px_next)]
        # global: a change posted now is pending (not ready before t+1); every frame carries the current state
        # (a frame emitted in the poll cycle clears it, even a change posted in that same cycle: MfcSender._emit)
        with m.If(emit):
            m.d.sync += g_pend.eq(0)
        with m.Elif(self.gpost_v):
            m.d.sync += [g_pend.eq(1), g_x.eq(self.gpost_x), g_tp.eq(t)]
        return m


def _older_tag(a, b, width=8):
    """Serial-number compare: tag a was issued before tag b."""
    d = (b - a)[:width]
    return (d != 0) & ~d[width - 1]


class MfcRx(wiring.Component):
    """Reaction point (see the module docstring). ``tenants`` is 1 in this RTL (every flow belongs to tenant 0)."""

    RING_BEATS = 1024
    JOBS = 64

    def __init__(self, *, flows, lease_w=32):
        self.flows = flows
        self.lease_w = lease_w
        fb = exact_log2(flows)
        cw = COUNTER_W
        super().__init__({
            "s_fc": In(stream.Signature(BeatLayout(data_width=64, user_width=1))),
            "init_done": In(1),
            "scan": In(fb),                  # the expiry / watchdog scanner's flow of this cycle
            "cfg_en": In(1), "cfg_etype": In(16), "cfg_default_lease": In(16),
            "cfg_wd_cycles": In(32), "cfg_wd_action": In(1), "cfg_wd_restore": In(32),
            # pause state of this cycle (the golden model's state after its apply port)
            "hop_paused": Out(flows),        # paused by the next hop: flow lease (unless the watchdog ignores it),
                                             # tenant 0 or global
            "flow_lease": Out(flows),        # the flow's own lease is running
            "tenant_paused": Out(1), "global_paused": Out(1),
            "wd_flag": Out(1), "ring_overrun": Out(1),
            # counters
            "frames": Out(cw * len(RX_FRAME_KINDS)),
            "errs": Out(cw * len(RX_ERR_REASONS)),
            "seq_gap": Out(cw), "stale": Out(cw), "dup": Out(cw), "rx_range": Out(cw),
            "xoff_rx": Out(cw), "xon_rx": Out(cw), "wd_events": Out(cw),
            # per-flow events for the statistics window: a DELTA entry applied to flow ``ev_entry_flow`` (XOFF when
            # ``ev_entry_xoff``), a watchdog event of the scanner's flow
            "ev_entry": Out(1), "ev_entry_flow": Out(range(flows)), "ev_entry_xoff": Out(1), "ev_wd": Out(1),
        })

    def frame_count(self, kind):
        return self.frames[COUNTER_W * RX_FRAME_KINDS.index(kind):][:COUNTER_W]

    def err_count(self, reason):
        return self.errs[COUNTER_W * RX_ERR_REASONS.index(reason):][:COUNTER_W]

    def elaborate(self, platform):
        m = Module()
        F = self.flows
        fb = exact_log2(F)
        LW = self.lease_w + 8
        half = 1 << (LW - 1)
        cw = COUNTER_W
        RB = self.RING_BEATS
        rb_w = exact_log2(RB)
        s = self.s_fc
        m.d.comb += s.ready.eq(1)            # the reaction point never back-pressures

        now = Signal(LW)                     # 1/256 pause quanta, +32 per cycle (64 bits of 512 per quantum)
        m.d.sync += now.eq(now + 32)
        now_T = Signal(LW)                   # the time base of the next cycle, whose apply is computed now
        m.d.comb += now_T.eq(now + 32)
        t = Signal(32)                       # cycles since reset (the next cycle's apply compares with t + 1)
        m.d.sync += t.eq(t + 1)

        def lease_end(lease, exp):
            return (now_T + (lease.as_unsigned() << exp << 8))[:LW]

        # ---- frame assembly ---------------------------------------------------------------------------------------
        ring = Memory(shape=64, depth=RB, init=[])
        m.submodules.ring = ring
        ring_wp = ring.write_port()
        # one read port: a cycle applies either a DELTA entry or a SNAPSHOT walk step, never both (do_delta and
        # do_walk below are exclusive), so the two readers share it (a second port duplicated the whole ring)
        ring_r = ring.read_port(domain="comb")
        wr = Signal(rb_w + 1)                # first free beat (committed frames end here)
        nbeat = Signal(9)                    # beat index in the frame being received
        nbyte = Signal(11)                   # bytes so far, saturating above MAX_FRAME
        bad = Signal()
        h_et, h_vt, h_flags = Signal(16), Signal(8), Signal(8)
        h_seq, h_exp, h_w20, h_w22, h_lease = Signal(16), Signal(4), Signal(16), Signal(16), Signal(16)
        range_acc = Signal(16)
        beat = s.valid & self.init_done
        d = s.payload.data
        kb = Signal(4)
        m.d.comb += kb.eq(_popcount(s.payload.keep))

        def byte(i):
            return d[8 * i:8 * i + 8]
        cur_w20 = Mux(nbeat == 2, Cat(byte(5), byte(4)), h_w20)
        cur_w22 = Mux(nbeat == 2, Cat(byte(7), byte(6)), h_w22)
        # bitmap bits of this beat for flows beyond the table (counted when the frame is accepted)
        q = Signal(9)
        m.d.comb += q.eq(nbeat - 4)
        lim = Signal(17)
        m.d.comb += lim.eq(Mux(h_w20 < F, F - h_w20, 0))
        out_bits = Signal(64)                # a signal, so the popcount below reads 64 bits, not 64 copies of the Cat
        m.d.comb += out_bits.eq(Cat(*[(Cat(Const(j, 6), q) >= lim) & (Cat(Const(j, 6), q) < h_w22) & d[j]
                                      for j in range(64)]))
        beat_range = Signal(7)
        m.d.comb += beat_range.eq(Mux(nbeat >= 4, _popcount(out_bits), 0))
        nbyte_next = Signal(12)
        m.d.comb += nbyte_next.eq(nbyte + kb)
        m.d.comb += [ring_wp.addr.eq((wr + nbeat)[:rb_w]), ring_wp.data.eq(d), ring_wp.en.eq(beat & (nbeat < 256))]
        with m.If(beat):
            m.d.sync += [nbeat.eq(Mux(nbeat == 511, nbeat, nbeat + 1)),
                         nbyte.eq(Mux(nbyte_next > MAX_FRAME + 8, MAX_FRAME + 8, nbyte_next)),
                         bad.eq(bad | s.payload.user[0]), range_acc.eq(range_acc + beat_range)]
            with m.If(nbeat == 1):
                m.d.sync += [h_et.eq(Cat(byte(5), byte(4))), h_vt.eq(byte(6)), h_flags.eq(byte(7))]
            with m.If(nbeat == 2):
                m.d.sync += [h_seq.eq(Cat(byte(1), byte(0))), h_exp.eq(byte(2)[:4]), h_w20.eq(cur_w20),
                             h_w22.eq(cur_w22)]
            with m.If(nbeat == 3):
                m.d.sync += h_lease.eq(Cat(byte(1), byte(0)))
            with m.If(s.payload.last):
                m.d.sync += [nbeat.eq(0), nbyte.eq(0), bad.eq(0), range_acc.eq(0)]

        # ---- validation and sequence at the last beat ----------------------------------------------------------
        flen = nbyte_next
        vt = h_vt
        ftype = vt[:4]
        is_delta = (ftype == T_FLOW_DELTA) | (ftype == T_TENANT_DELTA)
        is_snap = ftype == T_FLOW_SNAPSHOT
        dlen = Signal(19)
        slen = Signal(17)
        m.d.comb += [dlen.eq(24 + (h_w20 << 2)), slen.eq(32 + (h_w22 >> 3))]
        exp_dlen = Mux(dlen < 60, 60, dlen)
        exp_slen = Mux(slen < 60, 60, slen)
        err = Signal(range(len(RX_ERR_REASONS) + 1))     # 0 ok, else 1 + index in RX_ERR_REASONS
        end = beat & s.payload.last & self.cfg_en
        with m.If(bad | s.payload.user[0]):
            m.d.comb += err.eq(1 + RX_ERR_REASONS.index("fcs"))
        with m.Elif(flen > MAX_FRAME):
            m.d.comb += err.eq(1 + RX_ERR_REASONS.index("oversize"))
        with m.Elif(flen < 60):
            m.d.comb += err.eq(1 + RX_ERR_REASONS.index("runt"))
        with m.Elif(h_et != self.cfg_etype):
            m.d.comb += err.eq(1 + RX_ERR_REASONS.index("etype"))
        with m.Elif(vt[4:] != VERSION):
            m.d.comb += err.eq(1 + RX_ERR_REASONS.index("version"))
        with m.Elif(is_delta):
            with m.If((h_w22 != 0) | (flen != exp_dlen)):
                m.d.comb += err.eq(1 + RX_ERR_REASONS.index("length"))
        with m.Elif(is_snap):
            with m.If((h_w22 == 0) | (h_w22[:6] != 0) | (flen != exp_slen)):
                m.d.comb += err.eq(1 + RX_ERR_REASONS.index("length"))
        with m.Else():
            m.d.comb += err.eq(1 + RX_ERR_REASONS.index("type"))
        for k, _r in enumerate(RX_ERR_REASONS):
            with m.If(end & (err == k + 1)):
                m.d.sync += self.errs[cw * k:cw * (k + 1)].eq(self.errs[cw * k:cw * (k + 1)] + 1)
        last_seq = Signal(16)
        have_seq = Signal()
        dseq = Signal(16)
        m.d.comb += dseq.eq(h_seq - last_seq)
        accept = Signal()
        with m.If(end & (err == 0)):
            with m.If(~h_flags[1] & have_seq & (dseq == 0)):
                m.d.sync += [self.dup.eq(self.dup + 1), self.stale.eq(self.stale + 1)]
            with m.Elif(~h_flags[1] & have_seq & dseq[15]):
                m.d.sync += self.stale.eq(self.stale + 1)
            with m.Else():
                m.d.comb += accept.eq(1)
                with m.If(~h_flags[1] & have_seq):
                    m.d.sync += self.seq_gap.eq(self.seq_gap + dseq - 1)
        with m.If(accept):
            m.d.sync += [last_seq.eq(h_seq), have_seq.eq(1)]
            for k, code in enumerate((T_FLOW_DELTA, T_FLOW_SNAPSHOT, T_TENANT_DELTA)):
                with m.If(ftype == code):
                    m.d.sync += self.frames[cw * k:cw * (k + 1)].eq(self.frames[cw * k:cw * (k + 1)] + 1)

        # ---- job queues (DELTA / TENANT_DELTA and SNAPSHOT, with arrival tags for the frame order) ---------------
        J = self.JOBS
        jw = exact_log2(J)
        tag = Signal(8)
        dq = Memory(shape=data.StructLayout({"tag": 8, "tready": 32, "tenant": 1, "flags": 8, "exp": 4, "n": 16,
                                             "addr": rb_w}), depth=J, init=[])
        sq = Memory(shape=data.StructLayout({"tag": 8, "tready": 32, "flags": 8, "exp": 4, "base": 16,
                                             "covered": 16, "lease": 16, "addr": rb_w}), depth=J, init=[])
        m.submodules.dq = dq
        m.submodules.sq = sq
        dq_w, dq_r = dq.write_port(), dq.read_port(domain="comb")
        sq_w, sq_r = sq.write_port(), sq.read_port(domain="comb")
        dq_wr, dq_rd, sq_wr, sq_rd = (Signal(jw + 1, name=n) for n in ("dq_wr", "dq_rd", "sq_wr", "sq_rd"))
        dq_pop, sq_pop = Signal(), Signal()
        m.d.comb += [dq_r.addr.eq(dq_rd[:jw]), sq_r.addr.eq(sq_rd[:jw]),
                     dq_w.addr.eq(dq_wr[:jw]), sq_w.addr.eq(sq_wr[:jw])]
        m.d.comb += [
            dq_w.data.tag.eq(tag), dq_w.data.tready.eq(t + 4), dq_w.data.tenant.eq(ftype == T_TENANT_DELTA),
            dq_w.data.flags.eq(h_flags), dq_w.data.exp.eq(h_exp), dq_w.data.n.eq(h_w20), dq_w.data.addr.eq(wr),
            sq_w.data.tag.eq(tag), sq_w.data.tready.eq(t + 4), sq_w.data.flags.eq(h_flags), sq_w.data.exp.eq(h_exp),
            sq_w.data.base.eq(h_w20), sq_w.data.covered.eq(h_w22), sq_w.data.lease.eq(h_lease),
            sq_w.data.addr.eq(wr),
            dq_w.en.eq(accept & is_delta), sq_w.en.eq(accept & is_snap),
        ]
        m.d.sync += [dq_wr.eq(dq_wr + dq_w.en), sq_wr.eq(sq_wr + sq_w.en), dq_rd.eq(dq_rd + dq_pop),
                     sq_rd.eq(sq_rd + sq_pop)]
        with m.If(accept):
            m.d.sync += [tag.eq(tag + 1), wr.eq(wr + nbeat + 1)]
            with m.If(is_snap):
                m.d.sync += self.rx_range.eq(self.rx_range + range_acc + beat_range)
        # ring occupancy: the oldest unapplied frame starts at the head of one of the queues
        hd = dq_wr != dq_rd
        hs = sq_wr != sq_rd
        DJ, SJ = dq_r.data, sq_r.data
        oldest = Signal(rb_w + 1)
        with m.If(hd & (~hs | _older_tag(DJ.tag, SJ.tag))):
            m.d.comb += oldest.eq(DJ.addr)
        with m.Elif(hs):
            m.d.comb += oldest.eq(SJ.addr)
        with m.Else():
            m.d.comb += oldest.eq(wr)
        used = Signal(rb_w)
        m.d.comb += used.eq(wr[:rb_w] + nbeat - oldest[:rb_w])
        with m.If(beat & ((used >= RB - 8) | ((dq_wr - dq_rd)[:jw + 1] >= J - 1)
                          | ((sq_wr - sq_rd)[:jw + 1] >= J - 1))):
            m.d.sync += self.ring_overrun.eq(1)      # beyond the sizing of this RTL: the golden model has no limit

        # ---- lease state -------------------------------------------------------------------------------------------
        until = Array(Signal(LW, name=f"until{i}") for i in range(F))
        t_until = Signal(LW)
        g_until = Signal(LW)
        g_lease, g_exp = Signal(16), Signal(4)
        g_lease_set = Signal()               # a snapshot has set the global lease (else the local PAUSE_TIME)

        def active(u):                       # the golden model checks leases after its tick: against now + 32
            dd = (u - now_T)[:LW]
            return (dd != 0) & ~dd[LW - 1]
        flow_lease = Cat(*[active(until[i]) for i in range(F)])
        m.d.comb += [self.flow_lease.eq(flow_lease), self.tenant_paused.eq(active(t_until)),
                     self.global_paused.eq(active(g_until))]

        # ---- apply port: the golden model's slot of cycle T = t + 1 -----------------------------------------------
        T = Signal(32)
        m.d.comb += T.eq(t + 1)

        def ready_at(tr):
            dd = (T - tr)[:32]
            return ~dd[31]
        dirty = Signal(F)
        walking = Signal()
        d_started = Signal()
        d_idx = Signal(16)
        w_k = Signal(16)
        snap_head = hs & (~hd | _older_tag(SJ.tag, DJ.tag))
        d_rdy = hd & ready_at(DJ.tready)
        s_rdy = hs & ready_at(SJ.tready)
        do_delta = Signal()
        do_walk = Signal()
        do_start = Signal()
        with m.If(snap_head & walking):
            m.d.comb += [do_delta.eq(d_rdy), do_walk.eq(~d_rdy)]
        with m.Elif(snap_head):
            m.d.comb += [do_start.eq(s_rdy), do_walk.eq(s_rdy)]
        with m.Else():
            m.d.comb += do_delta.eq(d_rdy)

        def apply_flags(flags, exp_lease=None):
            """_flags of reaction.py; ``exp_lease``: (lease, exp) of a snapshot (sets the global lease)."""
            with m.If(flags[1]):
                for i in range(F):
                    m.d.sync += until[i].eq(now_T)
                m.d.sync += [t_until.eq(now_T), dirty.eq(0)]
            if exp_lease is not None:
                gl, ge = exp_lease
                m.d.sync += [g_lease.eq(gl), g_exp.eq(ge), g_lease_set.eq(1)]
            else:
                gl = Mux(g_lease_set, g_lease, self.cfg_default_lease)
                ge = Mux(g_lease_set, g_exp, 0)
            m.d.sync += g_until.eq(Mux(flags[0], lease_end(gl, ge), now_T))

        # DELTA slot: flags with entry 0, then one entry per cycle
        idx = Mux(d_started, d_idx, 0)
        d_addr = Signal(rb_w)
        m.d.comb += d_addr.eq((DJ.addr + 3 + (idx >> 1))[:rb_w])
        ent = Mux(idx[0], ring_r.data[32:], ring_r.data[:32])
        e_id = Cat(ent[8:16], ent[0:8])
        e_lease = Cat(ent[24:32], ent[16:24])
        with m.If(do_delta):
            with m.If(~d_started):
                apply_flags(DJ.flags)
            with m.If(idx < DJ.n):
                with m.If(DJ.tenant):
                    with m.If(e_id >= 1):
                        m.d.sync += self.rx_range.eq(self.rx_range + 1)
                    with m.Else():
                        m.d.sync += t_until.eq(Mux(e_lease != 0, lease_end(e_lease, DJ.exp), now_T))
                with m.Elif(e_id >= F):
                    m.d.sync += self.rx_range.eq(self.rx_range + 1)
                with m.Else():
                    e_until = Signal(LW)
                    m.d.comb += e_until.eq(Mux(e_lease != 0, lease_end(e_lease, DJ.exp), now_T))
                    put(m, until, e_id[:fb], e_until)
                    m.d.comb += [self.ev_entry.eq(1), self.ev_entry_flow.eq(e_id[:fb]),
                                 self.ev_entry_xoff.eq(e_lease != 0)]
                    with m.If(e_lease != 0):
                        m.d.sync += self.xoff_rx.eq(self.xoff_rx + 1)
                    with m.Else():
                        m.d.sync += self.xon_rx.eq(self.xon_rx + 1)
                    with m.If(walking):
                        m.d.sync += dirty.bit_select(e_id[:fb], 1).eq(1)
            with m.If(idx + 1 >= DJ.n):
                m.d.comb += dq_pop.eq(1)
                m.d.sync += [d_started.eq(0), d_idx.eq(0)]
            with m.Else():
                m.d.sync += [d_started.eq(1), d_idx.eq(idx + 1)]

        # SNAPSHOT: flags at the start, then one covered flow per cycle (dirty flows skipped)
        k = Mux(do_start, 0, w_k)
        s_addr = Signal(rb_w)
        m.d.comb += [s_addr.eq((SJ.addr + 4 + (k >> 6))[:rb_w]), ring_r.addr.eq(Mux(do_delta, d_addr, s_addr))]
        w_end = Signal(17)
        m.d.comb += w_end.eq(Mux(SJ.base < F, Mux(SJ.covered < F - SJ.base, SJ.covered, F - SJ.base), 0))
        with m.If(do_start):
            apply_flags(SJ.flags, (SJ.lease, SJ.exp))
            m.d.sync += [walking.eq(1), dirty.eq(0)]
        with m.If(do_walk):
            wf = (SJ.base + k)[:fb]
            bit = ring_r.data.bit_select(k[:6], 1)
            w_until = Signal(LW)
            m.d.comb += w_until.eq(Mux(bit, lease_end(SJ.lease, SJ.exp), now_T))
            with m.If((k < w_end) & (do_start | ~dirty.bit_select(wf, 1))):
                put(m, until, wf, w_until)
            with m.If(k + 1 >= w_end):
                m.d.comb += sq_pop.eq(1)
                m.d.sync += [walking.eq(0), dirty.eq(0), w_k.eq(0)]
            with m.Else():
                m.d.sync += w_k.eq(k + 1)

        # ---- watchdog (the scanner's flow, spec §6) -------------------------------------------------------------
        wd_since = Array(Signal(32, name=f"wd_since{i}") for i in range(F))
        wd_on = Signal(F)
        wd_rep = Signal(F)
        ign = Array(Signal(32, name=f"wd_ign{i}") for i in range(F))
        f = self.scan
        ev = Signal()
        scan_on = self.init_done
        with m.If(scan_on & flow_lease.bit_select(f, 1)):
            with m.If(~wd_on.bit_select(f, 1)):
                m.d.sync += wd_on.bit_select(f, 1).eq(1)
                put(m, wd_since, f, t)
            with m.Elif(~wd_rep.bit_select(f, 1) & ((t - wd_since[f])[:32] >= self.cfg_wd_cycles)):
                m.d.comb += [ev.eq(1), self.ev_wd.eq(1)]
                m.d.sync += [wd_rep.bit_select(f, 1).eq(1), self.wd_events.eq(self.wd_events + 1),
                             self.wd_flag.eq(1)]
        with m.Elif(scan_on):
            m.d.sync += [wd_on.bit_select(f, 1).eq(0), wd_rep.bit_select(f, 1).eq(0)]
        ignoring = Signal(F)
        for i in range(F):
            now_ev = ev & (f == i) & self.cfg_wd_action & (self.cfg_wd_restore != 0)
            m.d.comb += ignoring[i].eq((ign[i] != 0) | now_ev)
            with m.If(now_ev):
                m.d.sync += ign[i].eq(self.cfg_wd_restore - 1)
            with m.Elif(ign[i] != 0):
                m.d.sync += ign[i].eq(ign[i] - 1)
        m.d.comb += self.hop_paused.eq((flow_lease & ~ignoring)
                                       | Mux(self.tenant_paused | self.global_paused, (1 << F) - 1, 0))
        return m
