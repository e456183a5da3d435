"""flowctl RTL core (rtl/flowctl/core.py) against the golden model (golden/flowctl/model.py) in the Amaranth simulator:
the same per-cycle stimulus drives both; per flow the delivered packet sequences must be equal, and the drop counters
by reason and the other counters must agree at the end (after a drain)."""

import random

import pytest

from din.rtl.flowctl.core import DROP_REASONS, FlowCtlCore
from din.sim.common.amsim import simulate
from din.sim.common.tb import full_regression, regression_count

# the cocotb bench (tests/flowctl/test_flowctl_rtl.py) covers the same ground on both simulators; here the default
# suite runs a sample and `make regress` everything
regress_only = pytest.mark.skipif(not full_regression(), reason="make regress (DIN_REGRESSION=full) only")
from din.sim.flowctl.stimulus import (frames_by_flow, make_frames, ready_fn, rtl_cfg_values, run_golden, schedule,
                                      small_config)


def run_rtl(cfg, sched, ready, *, tail_cycles=3000, pfc=None):
    dut = FlowCtlCore(flows=cfg.flows, cells=cfg.cells, cell_bytes=cfg.cell_bytes, max_pkt=cfg.max_pkt)
    out, result = [], {}

    async def tb(ctx):
        for name, value in rtl_cfg_values(cfg).items():
            ctx.set(getattr(dut, name), value)
        s, o = dut.s_axis, dut.m_axis
        while not ctx.get(dut.init_done):
            await ctx.tick()
        for t in range(len(sched) + tail_cycles):
            beat = sched[t] if t < len(sched) else None
            if beat is None:
                ctx.set(s.valid, 0)
            else:
                data, last, user, dest = beat
                ctx.set(s.valid, 1)
                ctx.set(s.payload.data, int.from_bytes(data.ljust(8, b"\0"), "little"))
                ctx.set(s.payload.keep, (1 << len(data)) - 1)
                ctx.set(s.payload.last, int(last))
                ctx.set(s.payload.user, user)
                ctx.set(s.payload.dest, dest)
            r = ready(t)
            ctx.set(o.ready, int(r))
            ctx.set(dut.pfc_paused, pfc(t) if pfc else 0)
            if beat is not None:
                assert ctx.get(s.ready), f"s_axis back-pressured at cycle {t}"
            if ctx.get(o.valid) and r:
                keep = ctx.get(o.payload.keep)
                n = keep.bit_length()
                assert keep == (1 << n) - 1
                data = ctx.get(o.payload.data).to_bytes(8, "little")[:n]
                out.append((t, (data, bool(ctx.get(o.payload.last)), ctx.get(o.payload.user),
                                ctx.get(o.payload.dest))))
            await ctx.tick()
        for name in ("enq_pkts", "deq_pkts", "used_cells", "free_cells", "cap_exceeded", "xoff_tx", "xon_tx",
                     "global_xoff_tx", "min_free_cells", "max_used_cells", "bad_tuser", "bad_oversize", "bad_runt"):
            result[name] = ctx.get(getattr(dut, name))
        result["cfg_err"] = bool(ctx.get(dut.cfg_err))
        result["drops"] = {r: ctx.get(dut.drops[i]) for i, r in enumerate(DROP_REASONS)}
        result["drop_bytes"] = {r: ctx.get(dut.drop_bytes[i]) for i, r in enumerate(DROP_REASONS)}

    simulate(dut, tb)
    return out, result


def compare(cfg, sched, ready, *, pfc=None, tail_cycles=3000):
    model, g_out = run_golden(cfg, sched, ready, tail_cycles=tail_cycles, pfc=pfc)
    assert model.buf.used == 0, "the golden model did not drain: raise tail_cycles"
    # simulate the RTL only until 50 cycles after the golden model's last beat (both are compared there)
    tail_cycles = max(0, g_out[-1][0] + 50 - len(sched)) if g_out else tail_cycles
    model, g_out = run_golden(cfg, sched, ready, tail_cycles=tail_cycles, pfc=pfc)
    r_out, r_cnt = run_rtl(cfg, sched, ready, tail_cycles=tail_cycles, pfc=pfc)
    g_cnt = model.counters()
    g_flows = frames_by_flow([b for _, b in g_out])
    r_flows = frames_by_flow([b for _, b in r_out])
    assert sum(len(v) for v in g_flows.values()) > 0, "nothing delivered: the test would be vacuous"
    assert r_flows.keys() == g_flows.keys()
    for f in g_flows:
        assert r_flows[f] == g_flows[f], f"flow {f}: delivered sequence differs"
    assert r_cnt["drops"] == g_cnt["drops"]
    assert r_cnt["cfg_err"] == g_cnt["cfg_err"]
    assert r_cnt["drop_bytes"] == g_cnt["drop_bytes"]
    assert {"tuser": r_cnt["bad_tuser"], "oversize": r_cnt["bad_oversize"], "runt": r_cnt["bad_runt"]} == \
        g_cnt["bad_detail"]
    for key in ("enq_pkts", "deq_pkts", "used_cells", "free_cells", "cap_exceeded", "xoff_tx", "xon_tx",
                "global_xoff_tx", "min_free_cells", "max_used_cells"):
        assert r_cnt[key] == g_cnt[key], f"{key}: RTL {r_cnt[key]} golden {g_cnt[key]}"
    assert r_cnt["free_cells"] == cfg.cells and r_cnt["used_cells"] == 0, "cells not all reclaimed after the drain"
    # cycle-level: every m_axis beat leaves in the same cycle as the golden model's
    assert [t for t, _ in r_out] == [t for t, _ in g_out], "m_axis transfer cycles differ"
    return g_cnt, r_cnt, g_out, r_out


@pytest.mark.parametrize("pattern", [pytest.param("none", marks=regress_only),
                                     pytest.param("periodic", marks=regress_only), "random"])
def test_flowctl_rtl_amsim_random_traffic(pattern):
    """Light load with bad input of every kind (tuser, out-of-range flow id, oversize, runt)."""
    seed = 11
    rng = random.Random(seed)
    cfg = small_config()
    frames = make_frames(rng, regression_count(25, 600), flows=cfg.flows, p_bad=0.05, p_invalid=0.05,
                         p_oversize=0.03, p_runt=0.03)
    sched = schedule(frames, rng, p_gap=0.1)
    g, r, _, _ = compare(cfg, sched, ready_fn(pattern, seed))
    assert sum(g["drops"].values()) > 0


def _congested(seed, *, lossless, pfc=None, n=None, **cfg_kw):
    n = n or regression_count(80, 1500)
    from din.sim.common.stall import stall_pattern
    rng = random.Random(seed)
    cfg = small_config(lossless=lossless, **cfg_kw)
    frames = make_frames(rng, n, flows=cfg.flows, flow_weights=[8] + [1] * (cfg.flows - 1), p_bad=0.03,
                         p_invalid=0.02, p_oversize=0.02, p_runt=0.02)
    sched = schedule(frames, rng, p_gap=0.02)
    it = stall_pattern("random", seed=seed, probability=0.6)
    ready_list = [not next(it) for _ in range(len(sched))] + [True] * 8000   # slow sink, then a fast drain
    return compare(cfg, sched, lambda t: ready_list[t], pfc=pfc, tail_cycles=8000)


def test_flowctl_rtl_amsim_congested_lossless():
    """A hot flow into a slow sink: per-flow XOFF/XON, the global guard and nobuf drops (no MFC upstream here)."""
    g, r, _, _ = _congested(3, lossless=True, xoff=20, xon=10)
    assert g["xoff_tx"] > 0 and g["xon_tx"] > 0 and g["global_xoff_tx"] > 0 and g["drops"]["nobuf"] > 0


@regress_only
def test_flowctl_rtl_amsim_cap_drops():
    """Non-lossless flows over their CAP are dropped (spec §3)."""
    g, r, _, _ = _congested(4, lossless=False, xoff=20, xon=10, cap=30)
    assert g["drops"]["cap"] > 0


def test_flowctl_rtl_amsim_pfc_windows():
    """pfc_paused[0] gates every flow (all priority 0) in windows; parked flows come back through the scanner."""
    g, r, _, _ = _congested(5, lossless=True, xoff=20, xon=10, pfc=lambda t: 1 if (t // 500) % 3 == 1 else 0)
    assert g["deq_pkts"] > 0


@regress_only
def test_flowctl_rtl_amsim_misconfig_clamps():
    """XON >= XOFF and G_XON >= G_XOFF: cfg_err, the clamps of spec §4, and the same behaviour as the golden model."""
    g, r, _, _ = _congested(6, lossless=True, xoff=16, xon=30, g_xoff=120, g_xon=200, n=regression_count(60, 1000))
    assert g["cfg_err"] and g["xoff_tx"] > 0
