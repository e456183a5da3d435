"""``din``: the command-line front door of din-dataplane.

    din verilog BLOCK [-p KEY=VALUE ...] [-o DIR]   Verilog + parameter JSON (flat AXI port names)
    din lint BLOCK                                  verilator --lint-only with the three documented waivers
    din sim BLOCK [--sim icarus|verilator] [--test NAME] [--seed N] [--waves]
    din bench BLOCK [--sim ...]                     throughput (beats/cycle), latency (cycles), simulation speed
    din build BLOCK [--seeds 1,2,3] [--no-budget]   yosys + nextpnr-ecp5 → build/fpga/BLOCK/report.json
    din board BOARD_TOP                             bitstream for the ECPIX-5 85F
    din report                                      table of the latest FPGA reports
    din regs [--check]                              regenerate (or check) register docs and constants
    din demo                                        the default end-to-end scenario, with a short report
    din list                                        the blocks

Blocks add their own commands from ``din.sim.<block>.cli`` (a ``register(subparsers)`` function): ``din parse``,
``din flowctl``, ``din physec`` ...

Errors caused by the user (unknown block, bad parameter, missing tool) print one sentence; ``--debug`` shows the
traceback.
"""

import argparse
import ast
import json
import sys
import time

__all__ = ["main"]


class UserError(Exception):
    """A mistake in what the user asked for: printed as one sentence (block commands raise it too)."""


def _parse_params(pairs):
    params = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise UserError(f"parameter {pair!r} is not KEY=VALUE")
        key, value = pair.split("=", 1)
        try:
            params[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key] = value
    return params


def _top(name):
    from din.rtl.catalog import TOPS
    if name not in TOPS:
        raise UserError(f"unknown block {name!r}; known blocks: {', '.join(TOPS)}")
    return TOPS[name]


def cmd_list(args):
    from din.rtl.catalog import TOPS
    width = max(len(n) for n in TOPS)
    for name, top in TOPS.items():
        print(f"{name:<{width}}  {top.folder:<8} {top.description}")


def cmd_verilog(args):
    from din.sim.runner import export_top
    top = _top(args.block)
    v_path, meta = export_top(args.block, _parse_params(args.param), out_dir=args.output)
    print(f"{v_path}\n{v_path.with_suffix('.json')}")
    print(f"module {top.module}: {len(meta['ports'])} ports, parameters {json.dumps(meta['parameters'])}")


def cmd_lint(args):
    from din.sim.runner import export_top, lint_verilator
    top = _top(args.block)
    v_path, _ = export_top(args.block, _parse_params(args.param))
    ok, out = lint_verilator(v_path, top.module)
    print(f"{top.module}: verilator --lint-only clean (waivers: WIDTHEXPAND, WIDTHTRUNC, CASEINCOMPLETE)"
          if ok else out.strip())
    return 0 if ok else 1


def _run_tb(args, testcase=None, extra_env=None):
    from din.sim.runner import export_top, run_cocotb
    top = _top(args.block)
    v_path, meta = export_top(args.block, _parse_params(getattr(args, "param", None)))
    return run_cocotb(verilog=v_path, toplevel=top.module, test_module=f"din.sim.{top.folder}.tb_{top.name}",
                      sim=args.sim, seed=args.seed, params=meta["parameters"], testcase=testcase,
                      waves=getattr(args, "waves", False), extra_env=extra_env)


def cmd_sim(args):
    t0 = time.monotonic()
    n, results = _run_tb(args, testcase=args.test)
    print(f"{args.block} on {args.sim}: {n} passed, 0 failed in {time.monotonic() - t0:.1f} s (seed {args.seed})")


def cmd_bench(args):
    from din.sim.bench import run_bench, format_figures
    figures = run_bench(args.block, sim=args.sim, seed=args.seed, params=_parse_params(args.param))
    print(json.dumps(figures, indent=2) if args.json else format_figures(args.block, figures))


def cmd_build(args):
    from din.fpga.flow import build, load_budget
    _top(args.block)
    seeds = [int(s) for s in args.seeds.split(",")]
    budget = load_budget(args.block) or {}
    if budget.get("not_built") and not args.force:
        # a top whose FPGA build is known not to be meaningful yet (the reason is in its budget file)
        print(f"din: {args.block}: FPGA build skipped: {budget['not_built']} (force it with --force)")
        return 0
    if args.ci and budget.get("ci_skip"):
        # a top too long to build in CI; its parts are built there under their own budgets
        print(f"din: {args.block}: FPGA build skipped in CI: {budget['ci_skip']} (`make fpga` builds it)")
        return 0
    report = build(args.block, seeds=seeds, params=_parse_params(args.param), check_budget=not args.no_budget,
                   router=args.router)
    return 0 if report.get("budget", {}).get("ok", True) else 1


def cmd_board(args):
    from din.fpga.board import build_board
    build_board(args.top, program=args.program)


def cmd_report(args):
    from din.fpga.flow import format_report_table
    print(format_report_table())


def cmd_regs(args):
    from din.rtl.common.regmap_gen import generate_all
    stale = generate_all(check=args.check)
    if args.check and stale:
        raise UserError(f"generated register files are stale: {', '.join(map(str, stale))}; run `din regs`")
    print("register files up to date" if args.check else "register docs and constants regenerated")


def cmd_demo(args):
    from din.sim.demo import run_demo
    return 0 if run_demo(sim=args.sim, seed=args.seed) else 1


def _parser():
    from din.sim.runner import SIMULATORS
    p = argparse.ArgumentParser(prog="din", description="DIN edge data plane: export, simulate, build, report.")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def block_cmd(name, func, help_):
        sp = sub.add_parser(name, help=help_)
        sp.add_argument("block", help="block name (see `din list`)")
        sp.add_argument("-p", "--param", action="append", metavar="KEY=VALUE", help="override a hardware parameter")
        sp.set_defaults(func=func)
        return sp

    def sim_opts(sp, default="icarus"):
        sp.add_argument("--sim", choices=SIMULATORS, default=default)
        sp.add_argument("--seed", type=int, default=1, help="random seed (printed; replay with the same value)")

    sub.add_parser("list", help="list the blocks").set_defaults(func=cmd_list)
    sp = block_cmd("verilog", cmd_verilog, "write Verilog and its parameter JSON")
    sp.add_argument("-o", "--output", help="output directory (default build/verilog/<module>-<hash>)")
    block_cmd("lint", cmd_lint, "verilator --lint-only with the documented waivers")
    sp = block_cmd("sim", cmd_sim, "run a block's cocotb testbench")
    sim_opts(sp)
    sp.add_argument("--test", help="run only this cocotb test (a name or regular expression)")
    sp.add_argument("--waves", action="store_true", help="write waves under build/sim/")
    sp = block_cmd("bench", cmd_bench, "measure throughput, latency and simulation speed")
    sim_opts(sp, default="verilator")
    sp.add_argument("--json", action="store_true")
    sp = block_cmd("build", cmd_build, "FPGA build for the LFE5UM5G-85F (ECPIX-5), report and budget check")
    sp.add_argument("--seeds", default="1,2,3", help="nextpnr seeds (Fmax is their median)")
    sp.add_argument("--no-budget", action="store_true", help="report only; do not fail on the budget")
    sp.add_argument("--force", action="store_true", help="build even when the budget says 'not_built'")
    sp.add_argument("--ci", action="store_true", help="skip the tops whose budget has a 'ci_skip' reason")
    sp.add_argument("--router", choices=("router1", "router2"),      # din.fpga.flow.ROUTERS (imported lazily)
                    help="nextpnr router (default: the budget's 'router', else router1)")
    sp = sub.add_parser("board", help="bitstream for the ECPIX-5 85F")
    sp.add_argument("top", help="board top name")
    sp.add_argument("--program", action="store_true", help="also program the board (needs openFPGALoader)")
    sp.set_defaults(func=cmd_board)
    sub.add_parser("report", help="table of the latest FPGA reports").set_defaults(func=cmd_report)
    sp = sub.add_parser("regs", help="regenerate register docs and Python constants")
    sp.add_argument("--check", action="store_true", help="only check that the generated files are current")
    sp.set_defaults(func=cmd_regs)
    sp = sub.add_parser("demo", help="default end-to-end scenario through every block, with a report")
    sim_opts(sp, default="verilator")
    sp.set_defaults(func=cmd_demo)
    _register_block_commands(sub)
    return p


def _register_block_commands(sub):
    """Each block folder's ``din.sim.<block>.cli`` module may add commands (``register(subparsers)``)."""
    from din.rtl.catalog import block_modules
    for mod in block_modules("din.sim.{block}.cli"):
        mod.register(sub)


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        rc = args.func(args)
    except KeyboardInterrupt:
        print("din: interrupted", file=sys.stderr)
        return 130
    except Exception as e:            # user-facing failures become one sentence
        from din.sim.runner import SimulationFailed
        user_errors = (UserError, SimulationFailed, ValueError, KeyError, TypeError, RuntimeError,
                       FileNotFoundError)
        if args.debug or not isinstance(e, user_errors):
            raise
        msg = e.args[0] if e.args else str(e)
        print(f"din: error: {msg}", file=sys.stderr)
        return 1
    return rc or 0


if __name__ == "__main__":
    sys.exit(main())
