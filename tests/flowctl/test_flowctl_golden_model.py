"""The cycle-level model on its own: bad input counted and reclaimed, the size sweep, the reaction bound, PFC gating,
reset termination, the watchdog. Expected values come from the spec (§3, §5, §6, §9), never from the model."""

import random

import pytest

from din.golden.flowctl.config import FlowCfg, FlowCtlConfig, Profile, cdiv
from din.golden.flowctl.mfc import beats, encode_delta
from din.golden.flowctl.model import FlowCtlModel

CFG = FlowCtlConfig(flows=16, cells=256, d_link=16, t_snap=256, init_cycles=32,
                    profiles=(Profile(xoff=200, xon=150),),
                    flow_cfg=(FlowCfg(),) * 5 + (FlowCfg(enable=False), FlowCfg(lossless=False, cap=4)))


def frame_beats(flow, data, user=0):
    out = []
    for i in range(0, len(data), 8):
        last = i + 8 >= len(data)
        out.append((data[i:i + 8], last, user if last else 0, flow))
    return out


class Drive:
    def __init__(self, cfg=CFG, ready=lambda t: True, pfc=0):
        self.m = FlowCtlModel(cfg)
        self.pfc = pfc
        self.ready = ready
        self.out, self.cur = [], bytearray()
        self.sop = []
        self.fc_out = []
        self.cur_user = 0

    def cycle(self, beat=None, fc_in=None):
        t = self.m.t
        mb, fb = self.m.step(beat, self.ready(t), fc_in, True, self.pfc)
        if mb:
            if not self.cur:
                self.sop.append((t, mb[3]))
            self.cur += mb[0]
            if mb[1]:
                self.out.append((mb[3], bytes(self.cur), mb[2]))
                self.cur = bytearray()
        if fb:
            self.fc_out.append(fb)
        return mb

    def until_ready(self):
        while not self.m.s_ready:
            self.cycle()

    def send(self, beats_):
        self.until_ready()
        for b in beats_:
            self.cycle(b)

    def idle(self, n):
        for _ in range(n):
            self.cycle()


def test_bad_input_each_counted_and_every_cell_reclaimed():
    d = Drive()
    rng = random.Random(5)
    good = [(0, rng.randbytes(100)), (1, rng.randbytes(1518))]
    d.send(frame_beats(*good[0]))
    d.send(frame_beats(16, rng.randbytes(64)))                   # out of range flow id
    d.send(frame_beats(5, rng.randbytes(64)))                    # disabled flow
    d.send(frame_beats(2, rng.randbytes(1519)))                  # MAX_PKT + 1: oversize
    d.send(frame_beats(3, rng.randbytes(9600)))                  # jumbo: stops allocating at MAX_PKT
    d.send(frame_beats(4, rng.randbytes(300), user=1))           # errored (tuser[0] at tlast)
    d.send(frame_beats(4, rng.randbytes(40)))                    # runt
    d.send(frame_beats(*good[1]))
    d.idle(600)
    c = d.m.counters()
    assert c["drops"] == {"invalid": 2, "nobuf": 0, "cap": 0, "bad": 4}
    assert c["bad_detail"] == {"tuser": 1, "oversize": 2, "runt": 1, "unpacked": 0}
    assert [(f, data) for f, data, _ in d.out] == good           # one output per good packet, intact
    assert d.m.buf.free_cells == CFG.cells and d.m.check_structures() == []
    assert d.m.invariant_violations == 0
    assert d.m.max_used <= CFG.max_pkt_cells + cdiv(1518, 64)     # a jumbo never holds more than MAX_PKT cells


def test_cap_drops_only_non_lossless_flows():
    d = Drive(ready=lambda t: False)                              # nothing leaves
    rng = random.Random(1)
    for _ in range(4):
        d.send(frame_beats(6, rng.randbytes(128)))                # 2 cells each: CAP 4 reached after two
        d.send(frame_beats(0, rng.randbytes(128)))
    c = d.m.counters()
    assert c["drops"]["cap"] == 2 and c["enq_pkts"] == 6
    assert c["cap_exceeded"] == 0


@pytest.mark.parametrize("size", [60, 64, 65, 72, 73, 127, 128, 129, 1514, 1518])
def test_size_sweep_integrity_and_cell_accounting(size):
    d = Drive()
    rng = random.Random(size)
    pkts = [(k % 3, rng.randbytes(size)) for k in range(6)]
    d.until_ready()
    peak = 0
    for f, data in pkts:
        for b in frame_beats(f, data):
            d.cycle(b)
            peak = max(peak, d.m.buf.used)
    d.idle(400)
    assert [(f, data) for f, data, _ in d.out] == pkts
    assert d.m.counters()["enq_pkts"] == 6 and d.m.buf.free_cells == CFG.cells
    assert d.m.max_used >= cdiv(size, 64)                         # a stored packet holds ceil(L / cell) cells


def test_back_to_back_64_byte_packets_one_beat_per_cycle():
    d = Drive()
    d.until_ready()
    rng = random.Random(2)
    for k in range(200):
        for b in frame_beats(k % 4, rng.randbytes(64)):
            d.cycle(b)
    first = d.sop[1][0]
    d.idle(50)
    # after the pipeline fills, every cycle carries a beat: 200 packets × 8 beats with no bubble
    starts = [t for t, _ in d.sop]
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert all(g == 8 for g in gaps[4:])                       # the first few fill the store-and-forward pipeline
    assert len(d.out) == 200 and first > 0


def pause_frame(seq, entries, lease_field=None):
    return beats(encode_delta(seq=seq, entries=entries))


def test_reaction_bound_no_paused_start_after_d_react():
    """An XOFF for flow 0 on s_fc: no packet of flow 0 starts on m_axis later than D_react + one MTU after the
    frame's last beat (spec §6), and flow 1 keeps going."""
    d = Drive(ready=lambda t: t % 4 == 0)                       # slow egress: both flows stay queued
    d.until_ready()
    rng = random.Random(3)
    for k in range(10):
        d.send(frame_beats(k % 2, rng.randbytes(1518)))
    fr = beats(encode_delta(seq=1, entries=[(0, 1000)]))
    t_end = None
    for i, b in enumerate(fr):
        d.cycle(None, (b, i == len(fr) - 1, 0))
        t_end = d.m.t - 1
    d.idle(3000)
    late = [t for t, f in d.sop if f == 0 and t > t_end + CFG.d_react + CFG.mtu_beats]
    assert late == []
    assert any(f == 1 and t > t_end + CFG.d_react + CFG.mtu_beats for t, f in d.sop)
    # the lease (1000 quanta = 8000 cycles) expires: flow 0 drains without any XON
    d.idle(8000 + CFG.flows + 400)
    assert sum(1 for f, _, _ in d.out if f == 0) == 5


def test_pfc_paused_gates_only_its_priority():
    cfg = CFG.with_(flow_cfg=(FlowCfg(prio=3), FlowCfg(prio=5)))
    d = Drive(cfg, pfc=1 << 3)
    d.until_ready()
    rng = random.Random(4)
    for k in range(6):
        d.send(frame_beats(k % 2, rng.randbytes(200)))
    d.idle(2000)
    assert {f for f, _, _ in d.out} == {1}
    d.pfc = 0
    d.idle(200)
    assert sum(1 for f, _, _ in d.out if f == 0) == 3


def test_pfc_req_mirrors_the_global_guard():
    cfg = CFG.with_(pfc_mirror_en=True, g_xoff=20, g_xon=10)
    d = Drive(cfg, ready=lambda t: False)
    d.until_ready()
    assert d.m.pfc_req == 0
    rng = random.Random(4)
    for _ in range(12):
        d.send(frame_beats(0, rng.randbytes(128)))
    d.idle(4)
    assert d.m.pfc_req == 0xFF
    d.ready = lambda t: True
    d.idle(800)
    assert d.m.pfc_req == 0


def test_soft_reset_terminates_egress_packet_and_reclaims():
    d = Drive()
    d.until_ready()
    rng = random.Random(6)
    d.send(frame_beats(0, rng.randbytes(1518)))
    while not d.cur:
        d.cycle()
    d.m.soft_reset()
    n0 = len(d.fc_out)
    d.idle(CFG.init_cycles_eff + 40)
    assert d.out and d.out[-1][2] == 1                         # last beat with tuser[0] = 1
    assert d.m.buf.free_cells == CFG.cells and d.m.s_ready
    # the first frames after init are the RESET snapshots with all bits clear, seq from 0
    beats = [b for b, _ in d.fc_out[n0:]]
    assert len(beats) == 8 * CFG.reset_repeat
    for k in range(CFG.reset_repeat):
        frame = b"".join(beats[8 * k:8 * k + 8])
        assert frame[14] == 0x12 and frame[15] & 0x02 and not any(frame[32:40]) and frame[16:18] == bytes([0, k])


def test_xoff_zero_is_always_paused_and_flagged():
    # XOFF = 0 comes from a profile (a per-flow override of 0 means "use the profile")
    cfg = CFG.with_(profiles=(Profile(xoff=0, xon=0), Profile(xoff=200, xon=150)),
                    flow_cfg=(FlowCfg(profile=0),) + (FlowCfg(profile=1),) * 15)
    d = Drive(cfg)
    assert d.m.cfg_err and d.m.cfg_err_flow == 0
    d.send(frame_beats(0, bytes(64)))
    d.idle(100)
    assert d.m.fcc.paused[0]
    d.idle(300)
    assert d.m.fcc.paused[0]


def test_watchdog_counts_a_long_pause():
    cfg = CFG.with_(wd_cycles=500)
    d = Drive(cfg)
    d.until_ready()
    fr = beats(encode_delta(seq=1, entries=[(2, 0xFFFF)]))
    for i, b in enumerate(fr):
        d.cycle(None, (b, i == len(fr) - 1, 0))
    d.idle(400)
    assert d.m.counters()["wd_events"] == 0
    d.idle(200)
    assert d.m.counters()["wd_events"] == 1 and d.m.wd_flag


def test_unpacked_beats_drop_the_frame_and_never_exceed_the_reservation():
    """A frame of 1-byte beats would need one cell per 8 bytes of data but allocates one per beat: it would take
    8x the cells admission reserved. Such a frame stops being stored at its first short beat before tlast and is
    dropped as bad ("unpacked"); an empty last beat counts the same. Frames around it are delivered intact."""
    d = Drive()
    rng = random.Random(11)
    good = [(0, rng.randbytes(200)), (1, rng.randbytes(64))]
    d.send(frame_beats(*good[0]))
    tiny = [(bytes([k & 0xFF]), k == 1499, 0, 2) for k in range(1500)]   # 1500 beats of one byte each
    d.send(tiny)
    mid = frame_beats(3, rng.randbytes(120))
    mid[3] = (mid[3][0][:5],) + mid[3][1:]                             # one short beat in the middle
    d.send(mid)
    empty_last = frame_beats(3, rng.randbytes(64)) + [(b"", True, 0, 3)]
    empty_last[-2] = (empty_last[-2][0], False, 0, 3)
    d.send(empty_last)
    d.send(frame_beats(*good[1]))
    d.idle(600)
    c = d.m.counters()
    assert c["drops"] == {"invalid": 0, "nobuf": 0, "cap": 0, "bad": 3}
    assert c["bad_detail"] == {"tuser": 0, "oversize": 0, "runt": 0, "unpacked": 3}
    assert c["drop_bytes"]["bad"] == 1500 + 117 + 64
    assert [(f, data) for f, data, _ in d.out] == good
    assert d.m.buf.free_cells == CFG.cells and d.m.check_structures() == [] and d.m.invariant_violations == 0
    assert d.m.max_used <= cdiv(200, 64) + 1


def test_flow_stats_from_the_traffic_sent():
    """The per-flow statistics (spec §8) against what the test itself sent and received: packets and bytes committed,
    delivered (from the output beats) and dropped per flow, the high-water mark against the cells a held flow
    occupies, and the sums against the global counters."""
    held = [True]
    d = Drive(ready=lambda t: not held[0])
    rng = random.Random(11)
    sent = {}
    for k in range(30):
        f = (0, 1, 2, 5, 6, 16)[k % 6]                              # 5 disabled, 6 at CAP 4, 16 out of range
        data = rng.randbytes(rng.choice([64, 128, 200, 1000]))
        user = int(k == 7)                                          # one errored frame of flow 1
        d.send(frame_beats(f, data, user))
        sent.setdefault(f, []).append((data, user))
    occ_held = {f: d.m.buf.occ[f] for f in range(CFG.flows)}
    held[0] = False
    d.idle(3000)
    st = {f: d.m.flow_stats(f) for f in range(CFG.flows)}
    delivered = {}
    for f, data, _user in d.out:
        delivered.setdefault(f, []).append(data)
    for f in (0, 2):                                                # plain lossless flows: everything passes
        assert st[f]["enq_pkts"] == st[f]["deq_pkts"] == len(sent[f]) and st[f]["drop_pkts"] == 0
        assert st[f]["enq_bytes"] == st[f]["deq_bytes"] == sum(len(x) for x, _ in sent[f])
        assert delivered[f] == [x for x, _ in sent[f]]
        assert st[f]["hwm"] == occ_held[f] == sum(cdiv(len(x), 64) for x, _ in sent[f])
    bad = [x for x, u in sent[1] if u]
    assert st[1]["drop_pkts"] == 1 and st[1]["drop_bytes"] == len(bad[0])
    assert st[1]["deq_pkts"] == len(sent[1]) - 1
    assert st[5]["drop_pkts"] == len(sent[5]) and st[5]["enq_pkts"] == 0            # disabled: all invalid
    assert st[6]["drop_pkts"] > 0 and st[6]["enq_pkts"] + st[6]["drop_pkts"] == len(sent[6])
    assert st[6]["hwm"] <= 4 + cdiv(1000, 64)                                       # CAP 4 + the frame admitted at 3
    c = d.m.counters()
    total = {k: sum(s[k] for s in st.values()) for k in ("enq_pkts", "deq_pkts", "drop_pkts", "xoff_tx", "xon_tx")}
    assert total["enq_pkts"] == c["enq_pkts"] and total["deq_pkts"] == c["deq_pkts"]
    assert total["drop_pkts"] == sum(c["drops"].values()) - len(sent[16])             # flow 16: not in the table
    assert all(s["occ"] == 0 and s["backlog"] == 0 for s in st.values())
