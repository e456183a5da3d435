"""The MFC generator alone (rtl/flowctl/mfc.py ``MfcTx``) against the golden sender (golden/flowctl/mfc.py
``MfcSender``) in the Amaranth simulator: seeded random flow decisions (two per cycle, as the FC controller makes
them), global changes and ``m_fc`` back-pressure; every ``m_fc`` beat must leave in the same cycle with the same
bytes, every frame must decode with the independent scapy dissector, and the entry counters must agree.

Stress beyond what the whole-block tests reach: frames with 9 entries, more than 9 pending, the round-robin
pointer wrapping over several 16-flow groups (64 flows), flips of a pending entry, and a snapshot round."""

import random

import pytest

from din.golden.flowctl.config import FlowCtlConfig, fcgen_cycles
from din.golden.flowctl.mfc import MfcSender
from din.rtl.flowctl.mfc import MfcTx
from din.sim.common.amsim import simulate
from din.sim.flowctl.mfc_scapy import parse_mfc


def _cfg(flows, coal_xoff, coal_xon):
    return FlowCtlConfig(flows=flows, cells=1024, d_link=64, t_snap=700, coal_xoff=coal_xoff, coal_xon=coal_xon,
                         snap_trail=1)


def _decisions(rng, flows, cycles, p_post):
    """Per cycle: up to two decisions on distinct flows, each flipping that flow's RUN/PAUSED state (like the FC
    controller's hysteresis); now and then a global change."""
    paused = [False] * flows
    g = False
    out = []
    for _t in range(cycles):
        posts = []
        for _k in range(2):
            if rng.random() < p_post:
                f = rng.randrange(flows)
                if any(f == p[0] for p in posts):
                    continue
                paused[f] = not paused[f]
                posts.append((f, paused[f]))
        gpost = None
        if rng.random() < 0.003:
            g = not g
            gpost = g
        out.append((posts, gpost, sum(1 << f for f in range(flows) if paused[f]), g))
    # a quiet tail: every pending entry goes out, so no capture is in progress at the end (the RTL counts
    # entries per visit, the golden sender when the capture ends)
    out += [([], None, out[-1][2], g)] * 800
    return out


def _golden(cfg, dec, fc_ready):
    """The golden model's m_fc timing (model.py ``_fcgen``): poll when idle, first beat the cycle after."""
    s = MfcSender(cfg)
    out, cur, idx = [], None, 0
    for t, (posts, gpost, _p, _g) in enumerate(dec):
        for f, x in posts:
            s.post_flow(f, x, t)
        if gpost is not None:
            s.post_global(gpost, t)
        if cur is None:
            frame = s.poll(t)
            if frame is not None:
                cur, idx = [frame[i:i + 8] for i in range(0, len(frame), 8)], -1
            continue
        idx = max(idx, 0)
        if not fc_ready[t]:
            continue
        out.append((t, cur[idx], idx == len(cur) - 1))
        if idx == len(cur) - 1:
            cur = None
        else:
            idx += 1
    return s, out


def _rtl(cfg, dec, fc_ready):
    dut = MfcTx(flows=cfg.flows)
    out, cnt = [], {}

    async def tb(ctx):
        ctx.set(dut.init_done, 1)
        for name, value in {"cfg_en": 1, "cfg_snap_en": int(cfg.snap_en), "cfg_snap_idle": int(cfg.snap_idle),
                            "cfg_snap_trail": cfg.snap_trail, "cfg_t_snap": cfg.t_snap,
                            "cfg_lease": cfg.pause_time_eff, "cfg_time_exp": cfg.time_exp,
                            "cfg_coal_xoff": cfg.coal_xoff, "cfg_coal_xon": cfg.coal_xon,
                            "cfg_da": int.from_bytes(cfg.fc_da, "big"), "cfg_sa": int.from_bytes(cfg.fc_sa, "big"),
                            "cfg_etype": cfg.fc_etype}.items():
            ctx.set(getattr(dut, name), value)
        for t, (posts, gpost, paused, g) in enumerate(dec):
            pv = [0, 0]
            px = [0, 0]
            for k, (f, x) in enumerate(posts):
                pv[k], px[k] = 1, int(x)
                ctx.set(dut.post_f0 if k == 0 else dut.post_f1, f)
            ctx.set(dut.post_v, pv[0] | pv[1] << 1)
            ctx.set(dut.post_x, px[0] | px[1] << 1)
            ctx.set(dut.gpost_v, int(gpost is not None))
            ctx.set(dut.gpost_x, int(bool(gpost)))
            ctx.set(dut.paused_next, paused)
            ctx.set(dut.gp_next, int(g))
            ctx.set(dut.m_fc.ready, int(fc_ready[t]))
            if ctx.get(dut.m_fc.valid) and fc_ready[t]:
                n = ctx.get(dut.m_fc.payload.keep).bit_length()
                out.append((t, ctx.get(dut.m_fc.payload.data).to_bytes(8, "little")[:n],
                            bool(ctx.get(dut.m_fc.payload.last))))
            await ctx.tick()
        for name in ("frames_delta", "frames_snapshot", "entries", "xoff_entries", "xon_entries"):
            cnt[name] = ctx.get(getattr(dut, name))

    simulate(dut, tb)
    return out, cnt


def _frames(beats):
    frames, cur = [], b""
    for _t, data, last in beats:
        cur += data
        if last:
            frames.append(cur)
            cur = b""
    return frames


@pytest.mark.parametrize("flows,coal_xoff,coal_xon,p_post,fc_p", [
    (16, 0, 24, 0.15, 1.0),          # XOFF at once, XON coalesced; one group: the start group is visited twice
    (64, 6, 40, 0.5, 0.7),           # four groups, many pending (frames of 9), m_fc back-pressure
    (64, 200, 300, 0.35, 1.0),       # long windows: the >= 9 pending trigger and pointer wrap-around
    (256, 10, 50, 0.1, 0.9),         # the default flow count: 16 groups, four snapshot chunks
])
def test_mfc_tx_matches_golden_sender(flows, coal_xoff, coal_xon, p_post, fc_p, seed):
    rng = random.Random(seed * 1000 + flows + coal_xoff)
    cycles = 2500
    cfg = _cfg(flows, coal_xoff, coal_xon)
    dec = _decisions(rng, flows, cycles, p_post)
    fc_ready = [rng.random() < fc_p for _ in range(len(dec))]
    snd, g_out = _golden(cfg, dec, fc_ready)
    r_out, cnt = _rtl(cfg, dec, fc_ready)
    for i, (g, r) in enumerate(zip(g_out, r_out)):
        assert r == g, f"m_fc beat {i}: RTL {r} golden {g}"
    assert len(r_out) == len(g_out)
    assert snd.capture is None and not snd.flows_p, "the tail is too short to send everything"
    deltas = [parse_mfc(f) for f in _frames(g_out)]
    full = sum(1 for m in deltas if m.type == 1 and m.count == 9)
    assert snd.frames_tx["delta"] > 10
    # a snapshot round besides the RESET snapshot, except under sustained decisions, where a due DELTA always wins
    # the frame boundary (the sender's priority order, golden/flowctl/mfc.py)
    assert snd.frames_tx["snapshot"] >= (2 if p_post < 0.3 else 1)
    if p_post >= 0.35:
        assert full > 0, "no frame with 9 entries: the stress would be vacuous"
    assert (cnt["frames_delta"], cnt["frames_snapshot"]) == (snd.frames_tx["delta"], snd.frames_tx["snapshot"])
    assert (cnt["entries"], cnt["xoff_entries"], cnt["xon_entries"]) == \
        (snd.entries_tx, snd.xoff_entries_tx, snd.xon_entries_tx)


def test_mfc_tx_window_reopens_when_emptied_and_refilled_in_one_cycle():
    """The only pending XOFF flips to XON (decision 0) while another flow's XOFF is posted (decision 1) in the same
    cycle: the XOFF window closes and opens again, so the DELTA waits a full COAL_XOFF from the new entry."""
    flows = 16
    cfg = _cfg(flows, 50, 500)
    a, b = 3, 11
    dec = [([], None, 0, False)] * 200
    dec[10] = ([(a, True)], None, 1 << a, False)
    dec[40] = ([(a, False), (b, True)], None, 1 << b, False)
    for t in range(11, 200):
        if t != 40:
            dec[t] = ([], None, (1 << a) if t < 40 else (1 << b), False)
    fc_ready = [True] * len(dec)
    snd, g_out = _golden(cfg, dec, fc_ready)
    r_out, _cnt = _rtl(cfg, dec, fc_ready)
    assert r_out == g_out
    delta_starts = [t for i, (t, data, _l) in enumerate(g_out) if i >= 8 * cfg.reset_repeat and g_out[i - 1][2]]
    # the RESET snapshots first (8 beats each); the DELTA: window reopened at 41, due at 41 + 50, first beat
    # fcgen later
    assert delta_starts[0] == 41 + 50 + fcgen_cycles(flows)
    m = parse_mfc(b"".join(d for t, d, _l in g_out if t >= delta_starts[0])[:60])
    assert [(e.id, e.lease > 0) for e in m.entries] == [(b, True), (a, False)]
