"""Spec §9 scenarios on the RTL: ``din flowctl scenario NAME --sim icarus|verilator`` against the same scenario on the
golden model.

The RTL run drives ``din_flowctl`` through the closed-loop bench of golden/flowctl/scenarios.py with the golden model
as a lockstep shadow (sim/flowctl/tb_flowctl.py ``scenario``). Each run must pass the scenario's own criteria, show no
difference between the RTL's counters and the shadow's (per segment between soft resets), no ``s_axis_tready`` or
``m_fc`` difference in any cycle, and give the golden-only run's figures: drops by reason, peak
occupancy, the delivered packet sequence of every flow. MFC frame counts are compared with the shadow only: the
bench idles the loop while it reads the RTL's registers (at a soft reset, between runs, at the end), and a snapshot
may start in those cycles on both sides of the lockstep but not in the golden-only run. ``m_axis`` must equal the
shadow's in every cycle, per-flow leases from the next hop included (both park one paused flow per decision step,
docs/flowctl.md "Cycle model").

``make test`` runs a sample (the scenarios with run-time register changes: a soft reset mid-traffic and FC_TX_EN
cleared under load; and the two that configure flows individually); ``make regress`` runs every RTL scenario on
both simulators and the 10^6-cycle soak on Verilator.
"""

import json

import pytest

from din.golden.flowctl.scenarios import SCENARIOS
from din.sim.cli import main
from din.sim.common.tb import full_regression

# the sample of make test: soft reset and FC_TX_EN under traffic, per-flow words and profiles (misconfig, incast)
SAMPLE = {("reset_mid_traffic", "icarus"), ("peer_silent", "verilator"), ("reset_mid_traffic", "verilator"),
          ("misconfig", "icarus"), ("incast", "verilator")}
FIGURES = ("drops", "max_occupancy_cells", "headroom_cells", "invariant_violations", "packets_delivered",
           "delivered_digest")


def _run(capsys, name, *extra):
    code = main(["flowctl", "scenario", name, "--json", *extra])
    out = json.loads(capsys.readouterr().out)
    return code, out


def _check(capsys, name, sim, *extra):
    code, rtl = _run(capsys, name, "--sim", sim, *extra)
    failed = {k: v for k, v in rtl["criteria"].items() if not v["pass"]}
    assert code == 0 and rtl["pass"], f"{name} on {sim}: criteria failed {failed}"
    _, gold = _run(capsys, name, *extra)
    assert gold["pass"]
    assert rtl["rtl_vs_golden_shadow_m_axis_mismatch_cycles"] == 0, rtl["rtl_vs_golden_shadow_first_mismatches"]
    assert rtl["rtl_vs_golden_shadow_counter_differences"] == {}
    assert rtl["s_ready_mismatch_cycles"] == 0 and rtl["rtl_vs_golden_shadow_m_fc_mismatch_cycles"] == 0
    for key in FIGURES:
        assert rtl[key] == gold[key], f"{name}: {key} RTL {rtl[key]} golden {gold[key]}"
    return rtl


@pytest.mark.sim
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_rtl_scenario(capsys, name, sim):
    if (name, sim) not in SAMPLE and not full_regression():
        pytest.skip("make regress (DIN_REGRESSION=full) runs every scenario on both simulators")
    rtl = _check(capsys, name, sim)
    if name == "reset_mid_traffic":
        assert rtl["rtl_soft_resets"] == 1
    if name == "peer_silent":
        # FC_TX_EN cleared under load: the block drops, counted as nobuf, as on the golden model
        assert rtl["drops"]["nobuf"] > 0


@pytest.mark.sim
def test_rtl_soak_one_million_cycles(capsys, sim):
    """Issue 5: a seeded soak of 10^6 cycles on Verilator (random sizes, ready, gaps, next-hop pauses, reverse-path loss
    and corruption within the refresh margin, random soft resets of the block): lossless, RTL = golden."""
    if sim != "verilator" or not full_regression():
        pytest.skip("make regress (DIN_REGRESSION=full), on Verilator")
    rtl = _check(capsys, "soak", sim, "--cycles", "1000000")
    assert sum(rtl["drops"].values()) == 0 and rtl["rtl_soft_resets"] >= 10 and rtl["invariant_violations"] == 0
