"""MFC frames: the model's frames decoded by an independent scapy dissector, scapy-built frames applied by the model's
reaction point, and every kind of bad frame counted. PFC frames checked with scapy's MAC-control layer."""

import struct

import pytest
from scapy.contrib.mac_control import MACControlClassBasedFlowControl
from scapy.layers.l2 import Ether

from din.golden.flowctl.config import FlowCtlConfig, L_EVT, L_FCGEN, fcgen_cycles
from din.golden.flowctl.mfc import MfcSender, beats
from din.golden.flowctl.pfc import PfcMirror
from din.golden.flowctl.reaction import MfcReceiver
from din.sim.flowctl.mfc_scapy import MFC_ETYPE, Mfc, MfcEntry, mfc_frame, paused_from_bitmap


# The independent scapy dissector written from spec §5 lives in din.sim.flowctl.mfc_scapy (the RTL tests use it
# too): one class bound to the MFC EtherType, since scapy decodes with whichever binding was registered first.


def pad60(b):
    return b + bytes(max(0, 60 - len(b)))


CFG = FlowCtlConfig(flows=64, cells=1024, d_link=64, t_snap=512, coal_xoff=4, coal_xon=32)


def run_sender(events, cycles):
    """Drive an MfcSender like the model does: poll when idle, 8-byte beats, one idle cycle between frames."""
    s = MfcSender(CFG)
    frames, t_first = [], []
    busy_until = -1
    for t in range(cycles):
        for (te, kind, i, x) in events:
            if te == t:
                {"flow": s.post_flow, "tenant": s.post_tenant}[kind](i, x, t) if kind != "global" else \
                    s.post_global(x, t)
        if t > busy_until:
            f = s.poll(t)
            if f is not None:
                frames.append(f)
                t_first.append(t + L_FCGEN)
                busy_until = t + len(beats(f))
    return frames, t_first


def test_first_frame_is_reset_snapshot_all_clear():
    frames, _ = run_sender([], 5)
    assert len(frames) == 1
    p = Ether(frames[0])
    m = p[Mfc]
    assert p.dst == "01:80:c2:00:00:0e" and p.type == 0x88B5 and len(frames[0]) == 60
    assert (m.version, m.type, m.seq) == (1, 2, 0)
    assert m.flags.RESET and m.flags.SNAP_LAST and not m.flags.GLOBAL_PAUSE
    assert m.base == 0 and m.covered == 64 and paused_from_bitmap(m) == []


def test_delta_coalescing_order_and_leases_decoded_by_scapy():
    lease = CFG.pause_time_eff
    ev = [(40, "flow", 9, True), (40, "flow", 3, True), (41, "flow", 5, False), (42, "flow", 9, False),
          (42, "flow", 9, True), (43, "flow", 7, True)]
    frames, t_first = run_sender(ev, 200)
    k = CFG.reset_repeat                           # the frames before it are the RESET snapshots
    m = Ether(frames[k])[Mfc]
    # XOFF entries first, in flow id order from the start pointer (0); flow 9's last action (XOFF) wins and keeps
    # one entry; the XON of 5 after them.
    assert m.type == 1 and m.seq == k and m.zero == 0
    assert [(e.id, e.lease) for e in m.entries] == [(3, lease), (7, lease), (9, lease), (5, 0)]
    # due when the XOFF window (opened by the entries posted at 20, ready at 21) has been open COAL_XOFF cycles;
    # then the capture: two passes of 64 / 16 + 1 visits, and the first beat
    assert t_first[k] == 40 + L_EVT + CFG.coal_xoff + fcgen_cycles(CFG.flows)
    assert len(frames[k]) == max(60, 24 + 4 * m.count)


def test_delta_round_robin_over_more_than_one_frame():
    # 12 XOFF at once: the first frame takes 9 from flow 0 on, the next starts after the last one sent and wraps
    lease = CFG.pause_time_eff
    ids = [60, 1, 2, 17, 18, 33, 34, 40, 41, 50, 51, 5]
    frames, _ = run_sender([(40, "flow", i, True) for i in ids] + [(41, "flow", 1, False)], 400)
    k = CFG.reset_repeat
    got = [[e.id for e in Ether(f)[Mfc].entries] for f in frames[k:k + 2]]
    assert got[0] == [2, 5, 17, 18, 33, 34, 40, 41, 50]          # 9 ready: due at once; flow 1 flipped to XON
    assert got[1] == [51, 60, 1]                                 # XOFF from 51 on, wrapping; then the XON of 1
    assert [e.lease for e in Ether(frames[k + 1])[Mfc].entries] == [lease, lease, 0]


def test_snapshot_and_global_flag_decoded_by_scapy():
    lease = CFG.pause_time_eff
    ev = [(5, "flow", 2, True), (5, "flow", 63, True), (6, "global", 0, True)]
    frames, _ = run_sender(ev, CFG.t_snap + 100)
    decoded = [Ether(f)[Mfc] for f in frames]
    seqs = [m.seq for m in decoded]
    assert seqs == list(range(len(frames)))                      # seq counts frames
    snaps = [m for m in decoded if m.type == 2 and not m.flags.RESET]
    assert snaps, "a snapshot round must follow within T_SNAP while flows are paused"
    s = snaps[0]
    assert s.lease == lease and s.flags.SNAP_LAST and s.flags.GLOBAL_PAUSE
    assert paused_from_bitmap(s) == [2, 63]
    assert all(m.flags.GLOBAL_PAUSE for m in decoded[1:])        # repeated in every frame while active


# ---- scapy-built frames applied by the reaction point ----
def scapy_frame(**kw):
    entries = kw.pop("entries", None)
    if entries is not None:
        kw["entries"] = [MfcEntry(id=i, lease=l) for i, l in entries]
    return mfc_frame(src="02:00:00:00:00:02", **kw)


def feed(rx, t, frame, bad=False):
    bs = beats(frame)
    for k, b in enumerate(bs):
        rx.beat(t, b, k == len(bs) - 1, 1 if bad and k == len(bs) - 1 else 0)


def make_rx():
    return MfcReceiver(flows=64, tenants=4, default_lease=100)


def run(rx, t0, n):
    for t in range(t0, t0 + n):
        rx.step(t)


def test_scapy_delta_applied_in_order_with_d_apply():
    rx = make_rx()
    feed(rx, 0, scapy_frame(type=1, seq=1, entries=[(4, 10), (6, 10), (4, 0)]))
    run(rx, 0, 4)                                  # D_APPLY = 4: nothing applied before t = 4
    assert not rx.leases.flow_paused(4)
    run(rx, 4, 1)
    assert rx.leases.flow_paused(4) and not rx.leases.flow_paused(6)
    run(rx, 5, 2)
    assert rx.leases.flow_paused(6) and not rx.leases.flow_paused(4)     # last entry for 4 was XON
    # lease 10 quanta = 80 cycles at 64 bits per cycle
    assert 70 <= rx.leases.remaining_cycles(6) <= 80
    run(rx, 7, 80)
    assert not rx.leases.flow_paused(6)


def test_scapy_snapshot_and_reset():
    rx = make_rx()
    bitmap = bytearray(8)
    bitmap[0] = 0b1000_0010          # flows 1 and 7
    bitmap[7] = 0x80                 # flow 63
    feed(rx, 0, scapy_frame(type=2, seq=1, base=0, covered=64, lease=50, bitmap=bytes(bitmap), flags=0b101))
    run(rx, 0, 4 + 64)
    assert [f for f in range(64) if rx.leases.flow_paused(f)] == [1, 7, 63]
    assert rx.leases.global_paused()
    feed(rx, 70, scapy_frame(type=2, seq=900, base=0, covered=64, lease=50, bitmap=bytes(8), flags=0b010))
    run(rx, 70, 6)
    assert not any(rx.leases.flow_paused(f) for f in range(64)) and not rx.leases.global_paused()
    assert rx.seq_gap == 0                         # RESET resynchronises without counting a gap


def test_bad_frames_each_counted():
    rx = make_rx()
    good = scapy_frame(type=1, seq=10, entries=[(1, 5)])
    feed(rx, 0, good)
    feed(rx, 10, good)                                              # duplicate
    feed(rx, 20, scapy_frame(type=1, seq=9, entries=[(1, 5)]))      # stale
    feed(rx, 30, scapy_frame(type=1, seq=14, entries=[(1, 5)]))     # gap of 3 frames (11, 12, 13)
    feed(rx, 40, scapy_frame(version=2, type=1, seq=15, entries=[]))
    feed(rx, 50, scapy_frame(type=7, seq=16))
    feed(rx, 60, scapy_frame(type=1, seq=17, entries=[(1, 5)])[:-8] + bytes(8) + b"\0" * 4)   # length
    feed(rx, 70, bytes(Ether(dst="01:80:c2:00:00:0e", type=MFC_ETYPE) / Mfc(type=1, seq=18))[:40])  # runt
    eth = bytearray(good)
    eth[12:14] = b"\x88\xb6"
    feed(rx, 80, bytes(eth))                                        # wrong EtherType
    corrupt = bytearray(scapy_frame(type=1, seq=19, entries=[(2, 5)]))
    corrupt[25] ^= 0xFF
    feed(rx, 90, bytes(corrupt), bad=True)                          # corrupted, FCS flagged by the MAC
    big = scapy_frame(type=1, seq=20, entries=[(3, 5)] * 12)        # 72 bytes
    feed(rx, 100, big[:64])                                         # entries say 12, bytes say fewer
    assert rx.dup == 1 and rx.stale == 2
    assert rx.seq_gap == 3
    assert rx.rx_err == {"fcs": 1, "runt": 1, "etype": 1, "version": 1, "type": 1, "length": 2, "oversize": 0}
    assert rx.frames_rx["delta"] == 2


def test_out_of_range_entries_counted_not_applied():
    rx = MfcReceiver(flows=16, tenants=4, default_lease=100)
    feed(rx, 0, scapy_frame(type=1, seq=1, entries=[(16, 5), (3, 5), (4000, 5)]))
    run(rx, 0, 10)
    assert rx.rx_range == 2 and rx.leases.flow_paused(3)


def test_seq_wrap_is_newer():
    rx = make_rx()
    feed(rx, 0, scapy_frame(type=1, seq=0xFFFE, entries=[]))
    feed(rx, 10, scapy_frame(type=1, seq=0xFFFF, entries=[]))
    feed(rx, 20, scapy_frame(type=1, seq=0x0001, entries=[]))
    feed(rx, 30, scapy_frame(type=1, seq=0xFFFF, entries=[]))      # older across the wrap: stale
    assert rx.frames_rx["delta"] == 3 and rx.seq_gap == 1 and rx.stale == 1


# ---- PFC (802.3 Annex 31D) through scapy's MAC-control layer ----
def test_pfc_mirror_frames_decoded_by_scapy():
    m = PfcMirror(quanta=0x1234, refresh=100, sa=bytes.fromhex("020000000009"))
    assert m.step(0, 0) is None
    f = m.step(1, 0xFF)
    p = Ether(f)
    assert p.dst == "01:80:c2:00:00:01" and p.type == 0x8808 and len(f) == 60
    c = p[MACControlClassBasedFlowControl]
    assert c._op_code == 0x0101
    assert all(getattr(c, f"c{k}_enabled") for k in range(8))
    assert all(getattr(c, f"c{k}_pause_time") == 0x1234 for k in range(8))
    assert m.step(50, 0xFF) is None and m.step(101, 0xFF) is not None        # refresh while held
    f = m.step(102, 0x0F)                                                      # release 7..4: XON for them
    c = Ether(f)[MACControlClassBasedFlowControl]
    assert all(getattr(c, f"c{k}_enabled") for k in range(8))
    assert [getattr(c, f"c{k}_pause_time") for k in range(8)] == [0x1234] * 4 + [0] * 4


def test_scapy_pfc_frame_decoded_by_model():
    from din.golden.flowctl.pfc import decode_pfc
    frame = bytes(Ether(dst="01:80:c2:00:00:01", type=0x8808) /
                  MACControlClassBasedFlowControl(c3_enabled=1, c3_pause_time=77, c5_enabled=1, c5_pause_time=0))
    ev, q = decode_pfc(pad60(frame))
    assert ev == 0b0010_1000 and q[3] == 77 and q[5] == 0


def test_reset_snapshot_repeated_back_to_back():
    frames, t_first = run_sender([], 40)
    decoded = [Ether(f)[Mfc] for f in frames]
    assert len(decoded) == CFG.reset_repeat == 3
    assert [m.seq for m in decoded] == [0, 1, 2]
    assert all(m.type == 2 and m.flags.RESET and m.flags.SNAP_LAST and paused_from_bitmap(m) == [] for m in decoded)
    assert t_first == [1, 10, 19]                    # 8 beats and one idle cycle each


def _deliver(rx, t, frame):
    """One frame at t, then 100 cycles of the receiver (a snapshot's walk covers one flow per cycle)."""
    feed(rx, t, frame)
    run(rx, t, 100)


def _restart_and_xoff(reset_repeat):
    """A receiver that accepted seq 300 from the old life of the sender; a restarted sender (its RESET snapshots,
    then an XOFF for flow 7) whose first frame is lost. Returns the receiver after the rest arrived."""
    rx = make_rx()
    _deliver(rx, 0, bytes(scapy_frame(seq=300, type=1, entries=[])))
    assert rx.last_seq == 300
    s = MfcSender(FlowCtlConfig(flows=64, cells=1024, d_link=64, t_snap=512, coal_xoff=0, coal_xon=32,
                                reset_repeat=reset_repeat))
    sent, t = [], 100
    while len(sent) < reset_repeat:
        f = s.poll(t)
        if f is not None:
            sent.append(f)
        t += 1
    s.post_flow(7, True, t)
    delta = None
    for tt in range(t + 1, t + 200):
        delta = s.poll(tt)
        if delta is not None:
            break
    assert delta is not None and Ether(delta)[Mfc].seq == reset_repeat
    for k, f in enumerate(sent[1:] + [delta]):     # sent[0], the first RESET copy, is lost
        _deliver(rx, 200 + 100 * k, f)
    return rx


def test_restarted_sender_with_its_first_reset_snapshot_lost_is_still_heard():
    """The hazard the repeat closes: with the next RESET copy the receiver resynchronises, so the XOFF that follows
    (seq 3, older than 300 by the serial compare) is applied, not ignored as stale."""
    rx = _restart_and_xoff(3)
    assert rx.stale == 0 and rx.leases.flow_paused(7)
    # with a single RESET snapshot (spec §5's minimum) the same loss leaves the flow running: the XOFF is stale
    rx1 = _restart_and_xoff(1)
    assert rx1.stale == 1 and not rx1.leases.flow_paused(7)
