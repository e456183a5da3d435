"""``din flowctl scenario`` and ``din flowctl headroom``."""

import json

from din.sim.cli import main


def test_scenario_json(capsys):
    assert main(["flowctl", "scenario", "line_rate", "--flows", "1", "--seed", "3", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["scenario"] == "line_rate" and r["sim"] == "golden" and r["seed"] == 3 and r["pass"]
    for key in ("drops", "victim_throughput_ratio", "jain_index", "max_occupancy_cells", "headroom_cells",
                "mfc_frames_tx", "mfc_frames_rx", "cycles", "invariant_violations", "criteria"):
        assert key in r
    assert set(r["drops"]) == {"invalid", "nobuf", "cap", "bad"}


def test_unknown_scenario(capsys):
    assert main(["flowctl", "scenario", "nope"]) == 1
    assert "unknown flowctl scenario" in capsys.readouterr().err


def test_headroom_command(capsys):
    assert main(["flowctl", "headroom", "--d-link", "512", "--cells", "8192"]) == 0
    r = json.loads(capsys.readouterr().out)
    # the background's worked example (1450 cycles, H 324, guard 7844) plus the DELTA capture of 256 flows: 34 more
    # cycles than the background's L_FCGEN of 1 (golden/flowctl/config.py fcgen_cycles)
    assert r["t_loop_cycles"] == 1450 + 34
    assert r["headroom_cells"] == -(-1484 * 2 // 9) + 1 == 331 and r["safe_g_xoff_cells"] == 8192 - 331 - 24
