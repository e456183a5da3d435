"""``din flowctl``: the micro-flow queue manager's commands.

    din flowctl scenario NAME [--flows N] [--seed S] [--cycles C] [--sim golden|icarus|verilator] [--json]
    din flowctl headroom [--d-link CYCLES] [--cells N] [--max-pkt BYTES] [--t-snap CYCLES] [--loss-burst K]

``scenario`` runs one scenario of spec §9 (``din.golden.flowctl.scenarios``) and prints one JSON object (``--json``)
or a short summary; the exit status is 0 when every criterion passed. ``--sim icarus|verilator`` runs the scenario
on the RTL (``din_flowctl`` through the cocotb test ``scenario`` of sim/flowctl/tb_flowctl.py: the golden model as a
lockstep shadow for the bench's bookkeeping, drops, counters and flags read from the RTL, RTL and shadow counters
compared).
"""

import json

from din.sim.cli import UserError

__all__ = ["register"]

SIMS = ("golden", "icarus", "verilator")


def _run_rtl_scenario(args):
    """Export din_flowctl with the scenario's table size and 1024 cells, run the cocotb ``scenario`` test."""
    import os
    import pathlib

    from din.golden.flowctl.scenarios import base_config
    from din.rtl.catalog import get_top
    from din.sim.runner import export_top, run_cocotb
    cfg = base_config(args.flows or 1)
    top = get_top("flowctl")
    v_path, meta = export_top("flowctl", {"flows": cfg.flows, "cells": cfg.cells})
    scn_args = {k: v for k, v in (("flows", args.flows), ("seed", args.seed), ("cycles", args.cycles)) if v is not None}
    import contextlib
    import sys
    with contextlib.redirect_stdout(sys.stderr):           # keep stdout for the one JSON object
        _, results = run_cocotb(verilog=v_path, toplevel=top.module,
                                test_module=f"din.sim.{top.folder}.tb_{top.name}", sim=args.sim, seed=args.seed,
                                params=meta["parameters"], testcase=r"\.scenario$", run_name=f"scenario_{args.name}",
                                extra_env={"DIN_FLOWCTL_SCENARIO": args.name,
                                           "DIN_FLOWCTL_SCENARIO_ARGS": json.dumps(scn_args)})
    path = pathlib.Path(results).parent / "figures.json"
    if not path.exists() or not os.path.getsize(path):
        raise UserError(f"the RTL scenario run wrote no result ({path})")
    return json.loads(path.read_text())["scenario_result"]


def cmd_scenario(args):
    from din.golden.flowctl.scenarios import SCENARIOS, run_scenario
    if args.name not in SCENARIOS:
        raise UserError(f"unknown flowctl scenario {args.name!r}; known: {', '.join(SCENARIOS)}")
    if args.flows is not None and not 1 <= args.flows <= 4096:
        raise UserError("--flows must be between 1 and 4096")
    if args.cycles is not None and args.cycles < 5000:
        raise UserError("--cycles must be at least 5000 (initialisation alone takes the number of cells)")
    if args.sim == "golden":
        result = run_scenario(args.name, flows=args.flows, seed=args.seed, cycles=args.cycles)
    else:
        result = _run_rtl_scenario(args)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(f"flowctl {result['scenario']} on {args.sim} (seed {result['seed']}, {result['flows']} flows, "
              f"{result['cycles']} cycles): {'PASS' if result['pass'] else 'FAIL'}")
        for name, c in result["criteria"].items():
            print(f"  {'ok  ' if c['pass'] else 'FAIL'} {name}: {c['value']} (limit {c['limit']})")
        print(f"  drops {result['drops']}, max occupancy {result['max_occupancy_cells']} cells, "
              f"H {result['headroom_cells']}, G_XOFF {result['g_xoff_cells']}, "
              f"MFC tx {result['mfc_frames_tx']} rx {result['mfc_frames_rx']}")
    return 0 if result["pass"] else 1


def cmd_headroom(args):
    from din.golden.flowctl.config import FlowCtlConfig
    try:
        cfg = FlowCtlConfig(cells=args.cells, max_pkt=args.max_pkt, d_link=args.d_link, t_snap=args.t_snap,
                            loss_burst=args.loss_burst, src_gap=args.gap, coal_xoff=args.coal_xoff)
    except ValueError as e:
        raise UserError(str(e)) from None
    figures = {"t_loop_cycles": cfg.t_loop, "r_max": str(cfg.r_max), "headroom_cells": cfg.headroom,
               "safe_g_xoff_cells": cfg.safe_g_xoff, "d_react_cycles": cfg.d_react, "d_gen_cycles": cfg.d_gen,
               "pause_time_quanta": cfg.pause_time_eff, "lease_cycles": cfg.lease_cycles}
    print(json.dumps(figures, indent=2))


def register(sub):
    p = sub.add_parser("flowctl", help="micro-flow queue manager: scenarios of spec §9, headroom")
    fsub = p.add_subparsers(dest="flowctl_command", required=True, metavar="SUBCOMMAND")
    sp = fsub.add_parser("scenario", help="run one scenario of spec §9 and report its figures and criteria")
    sp.add_argument("name", help="line_rate, hot_flow, incast, all_blocked, fc_loss, peer_silent, "
                                 "reset_mid_traffic, misconfig, soak")
    sp.add_argument("--flows", type=int, help="active flows (default: the scenario's)")
    sp.add_argument("--seed", type=int, default=1, help="random seed (printed; replay with the same value)")
    sp.add_argument("--cycles", type=int, help="traffic cycles before the drain (default: the scenario's)")
    sp.add_argument("--sim", choices=SIMS, default="golden")
    sp.add_argument("--json", action="store_true", help="print one JSON object")
    sp.set_defaults(func=cmd_scenario)
    hp = fsub.add_parser("headroom", help="H, the safe global threshold and the lease from the link figures")
    hp.add_argument("--d-link", type=int, default=512, help="one-way link delay, cycles")
    hp.add_argument("--cells", type=int, default=2048)
    hp.add_argument("--max-pkt", type=int, default=1518)
    hp.add_argument("--t-snap", type=int, default=1024)
    hp.add_argument("--loss-burst", type=int, default=0)
    hp.add_argument("--gap", type=int, default=0, help="idle cycles between upstream packets (0 back-to-back)")
    hp.add_argument("--coal-xoff", type=int, default=16)
    hp.set_defaults(func=cmd_headroom)
