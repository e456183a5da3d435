"""pytest options and fixtures shared by every block's tests.

* ``sim``: parametrised over Icarus and Verilator (test ids show ``icarus`` / ``verilator``); ``--sim NAME`` keeps one.
* ``--seed N`` replays a run (default 1); ``--seed random`` draws one and prints it.
* ``--waves`` writes waves under ``build/sim/...``.
"""

import random

import pytest

from din.sim.runner import SIMULATORS


def pytest_addoption(parser):
    parser.addoption("--sim", action="append", choices=SIMULATORS, help="run cocotb tests on this simulator only")
    parser.addoption("--seed", default="1", help="seed for every randomised test (an integer, or 'random')")
    parser.addoption("--waves", action="store_true", help="dump waves of cocotb runs under build/sim/")


def pytest_generate_tests(metafunc):
    if "sim" in metafunc.fixturenames:
        sims = metafunc.config.getoption("sim") or list(SIMULATORS)
        metafunc.parametrize("sim", sims, ids=sims)


_SEED = None


def pytest_configure(config):
    global _SEED
    value = config.getoption("seed")
    _SEED = random.randrange(1, 1 << 31) if value == "random" else int(value)


def pytest_report_header(config):
    return f"din: seed {_SEED} (replay with --seed {_SEED})"


@pytest.fixture
def seed():
    return _SEED


@pytest.fixture
def cocotb_run(request, seed):
    """``cocotb_run(top, sim=, params=, testbench=None, testcase=None)`` exports a catalog top and runs its testbench."""
    from din.rtl.catalog import get_top
    from din.sim.runner import export_top, run_cocotb
    waves = request.config.getoption("waves")

    def run(top, *, sim, params=None, testbench=None, testcase=None):
        entry = get_top(top)
        verilog, meta = export_top(top, params)
        module = testbench or f"din.sim.{entry.folder}.tb_{entry.name}"
        return run_cocotb(verilog=verilog, toplevel=entry.module, test_module=module, sim=sim, seed=seed,
                          params=meta["parameters"], testcase=testcase, waves=waves,
                          run_name=request.node.name)
    return run


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Name both simulators in the output: how many cocotb tests passed / failed on each."""
    counts = {s: {"passed": 0, "failed": 0} for s in SIMULATORS}
    for outcome in ("passed", "failed"):
        for rep in terminalreporter.stats.get(outcome, []):
            if getattr(rep, "when", "call") != "call":
                continue
            for s in SIMULATORS:
                if f"[{s}" in rep.nodeid or f"-{s}]" in rep.nodeid or f"-{s}-" in rep.nodeid:
                    counts[s][outcome] += 1
    if any(c["passed"] or c["failed"] for c in counts.values()):
        terminalreporter.write_sep("-", "simulators")
        for s, c in counts.items():
            terminalreporter.write_line(f"{s}: {c['passed']} passed, {c['failed']} failed")
    terminalreporter.write_line(f"seed {_SEED} (replay with --seed {_SEED})")
