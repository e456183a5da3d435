"""The cocotb runner reports failures, refuses runs that checked nothing, and caches builds."""

import pytest

from din.sim.runner import SimulationFailed, export_top, run_cocotb

MODULE = "cocotb_selftest"      # tests/common/cocotb_selftest.py, importable through pytest's sys.path


def _run(sim, testcase, seed=1):
    verilog, _ = export_top("skid_buffer")
    return run_cocotb(verilog=verilog, toplevel="din_skid_buffer", test_module=MODULE, sim=sim, seed=seed,
                      testcase=testcase, run_name=f"selftest-{testcase}")


@pytest.mark.sim
def test_pass_path(sim):
    n, results = _run(sim, "passes")
    assert n == 1 and results.exists()


@pytest.mark.sim
def test_failing_cocotb_test_fails(sim):
    with pytest.raises(SimulationFailed, match="must_fail_mismatch"):
        _run(sim, "must_fail_mismatch")


@pytest.mark.sim
def test_run_with_no_test_fails(sim):
    with pytest.raises(SimulationFailed, match="no cocotb test"):
        _run(sim, "no_such_test_name")


def test_xz_on_valid_data_fails_on_icarus():
    # Verilator is two-state (Z reads as 0), so X/Z detection is exercised on Icarus.
    with pytest.raises(SimulationFailed, match="must_fail_xz"):
        _run("icarus", "must_fail_xz")


def test_unknown_simulator_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown simulator"):
        _run("modelsim", "passes")
