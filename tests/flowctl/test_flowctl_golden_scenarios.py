"""Every scenario of spec §9 passes its criteria on the golden model (small flow counts), closed loop."""

import pytest

from din.golden.flowctl.scenarios import SCENARIOS, run_scenario

FAST = {"line_rate": 2, "hot_flow": 4, "incast": 4, "all_blocked": 4, "fc_loss": 4, "peer_silent": 3,
        "reset_mid_traffic": 3, "misconfig": 3, "soak": 4}


def assert_passed(r):
    failed = {k: v for k, v in r["criteria"].items() if not v["pass"]}
    assert r["pass"] and not failed, failed
    assert r["invariant_violations"] == 0, r["invariant_log"]
    assert r["packets_delivered"] > 0 and r["cycles"] > 0


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_passes(name, seed):
    cycles = 30000 if name == "soak" else None
    r = run_scenario(name, flows=FAST[name], seed=seed, cycles=cycles)
    assert_passed(r)
    for key in ("drops", "victim_throughput_ratio", "jain_index", "max_occupancy_cells", "headroom_cells",
                "mfc_frames_tx", "mfc_frames_rx", "cycles", "invariant_violations"):
        assert key in r
    assert r["free_cells_end"] == r["cells"]                        # every cell reclaimed after the drain


def test_lossless_configurations_drop_nothing(seed):
    for name in ("line_rate", "hot_flow", "incast", "all_blocked", "fc_loss"):
        r = run_scenario(name, flows=FAST[name], seed=seed + 1)
        assert sum(r["drops"].values()) == 0, (name, r["drops"])
        assert r["criteria"]["all_delivered"]["pass"], name


def test_global_guard_bound_holds_when_all_blocked(seed):
    r = run_scenario("all_blocked", flows=8, seed=seed)
    assert r["global_xoff_tx"] >= 1
    assert r["max_occupancy_cells"] <= r["g_xoff_cells"] + r["headroom_cells"]
    assert r["max_occupancy_cells"] > r["g_xoff_cells"] - 64       # the guard was really reached


def test_misconfig_counts_its_losses(seed):
    r = run_scenario("misconfig", flows=3, seed=seed)
    assert r["criteria"]["every_loss_counted"]["pass"]
    assert r["drops"]["invalid"] == r["drops"]["bad"] == 0


@pytest.mark.slow
def test_long_soak(seed):
    r = run_scenario("soak", flows=16, seed=seed, cycles=1_000_000)
    assert_passed(r)
    assert sum(r["drops"].values()) == 0
