"""Headroom H, safe global threshold and configuration flags against the background report's worked numbers."""

from fractions import Fraction

import pytest

from din.golden.flowctl.config import FlowCfg, FlowCtlConfig, Profile, fcgen_cycles, r_max


def background_config(**kw):
    # background/microflow.md §5.14: 64-B cells, 8192 cells, MAX_PKT 1514 on AXIS (190 beats), D_link 512 cycles,
    # COAL_XOFF 16, FC_MAX_ENTRIES 9, IFG 3 cycles on the reverse link. (max_pkt 1518 gives the same beats and cells.)
    # The background's L_FCGEN is 1 cycle; this design captures DELTA entries over fcgen_cycles(flows) cycles
    # (golden/flowctl/mfc.py), so the worked numbers are reproduced with fcgen=1.
    args = dict(cells=8192, max_pkt=1518, d_link=512, coal_xoff=16, fc_max_entries=9, ifg_cycles=3, fcgen=1)
    args.update(kw)
    return FlowCtlConfig(**args)


def test_r_max_worked_values():
    assert r_max(64, 1518, gap=0) == Fraction(2, 9)      # L = 65 bytes: 2 cells in 9 beats
    assert r_max(64, 1518, gap=2) == Fraction(2, 11)


def test_loop_terms_match_background():
    cfg = background_config()
    assert cfg.d_gen == 20              # COAL_XOFF 16 + L_NOTIFY 2 + L_EVT 1 + L_FCGEN 1
    assert cfg.d_react == 15            # D_APPLY 4 + FC_MAX_ENTRIES 9 + 2
    assert cfg.fc_beats == 8
    assert cfg.mtu_beats == 190
    assert cfg.t_loop == 1450           # 1024 + 20 + 193 + 8 + 15 + 190


def test_capture_cycles_enter_d_gen():
    assert fcgen_cycles(16) == 5 and fcgen_cycles(256) == 35        # 2 passes of (flows / 16 + 1) visits, + 1
    cfg = background_config(fcgen=None, flows=256)
    assert cfg.d_gen == 16 + 2 + 1 + 35
    assert cfg.headroom > background_config().headroom


def test_headroom_and_guard_match_background():
    assert background_config().headroom == 324
    assert background_config(src_gap=2).headroom == 265
    assert background_config().safe_g_xoff == 8192 - 324 - 24 == 7844


def test_loss_allowance_adds_snapshot_periods():
    base = background_config(t_snap=1024)
    one = background_config(t_snap=1024, loss_burst=1)
    assert one.headroom - base.headroom == -(-1024 * 2 // 9)      # ceil(T_SNAP · r_max) per lost frame


def test_lease_rule():
    cfg = FlowCtlConfig(t_snap=1024, d_link=512)
    # lease (quanta of 8 cycles) >= k·T_SNAP + RTT, k = 4, and it is the shortest such lease
    assert cfg.lease_cycles >= 4 * 1024 + cfg.t_loop
    assert cfg.lease_cycles - 8 < 4 * 1024 + cfg.t_loop


def test_clamps_and_flags():
    cfg = FlowCtlConfig(flows=16, cells=1024, profiles=(Profile(xoff=64, xon=48),),
                        flow_cfg=(FlowCfg(), FlowCfg(xoff=64, xon=80), FlowCfg(xoff=2000)), g_xoff=1000)
    assert cfg.thresholds(0)[:2] == (64, 48) and not cfg.thresholds(0)[4]
    assert cfg.thresholds(1)[:2] == (64, 63) and cfg.thresholds(1)[4]          # XON clamped to XOFF − 1
    assert cfg.thresholds(2)[4]                                                 # XOFF above cells flagged
    cfg_err, unsafe, first = cfg.config_flags()
    assert cfg_err and unsafe and first == 1
    ok = FlowCtlConfig(flows=16, cells=1024, d_link=64)
    assert ok.config_flags() == (False, False, None)
    assert ok.thresholds(0)[3] == 1518                                          # quantum clamped to MAX_PKT


@pytest.mark.parametrize("kw", [dict(flows=24), dict(cells=100), dict(cell_bytes=48), dict(max_pkt=1000),
                                dict(snap_chunk=100)])
def test_bad_parameters_are_refused(kw):
    with pytest.raises(ValueError):
        FlowCtlConfig(**kw)
