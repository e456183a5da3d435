"""``din bench``: run a block's ``bench`` cocotb test and print the figures it measured."""

import json
import time

__all__ = ["run_bench", "format_figures"]


def run_bench(block, *, sim="verilator", seed=1, params=None):
    from din.rtl.catalog import get_top
    from din.sim.runner import export_top, run_cocotb
    top = get_top(block)
    v_path, meta = export_top(block, params)
    t0 = time.monotonic()
    _, results = run_cocotb(verilog=v_path, toplevel=top.module, test_module=f"din.sim.{top.folder}.tb_{top.name}",
                            sim=sim, seed=seed, params=meta["parameters"], testcase=r"\.bench$", run_name="bench")
    path = results.parent / "figures.json"
    if not path.exists():
        raise RuntimeError(f"the bench test of {block} wrote no figures")
    figures = json.loads(path.read_text())
    figures["simulator"] = sim
    figures["wall_seconds"] = round(time.monotonic() - t0, 2)
    return figures


def format_figures(block, figures):
    lines = [f"{block} ({figures.get('simulator')}):"]
    for key, value in figures.items():
        if key != "simulator":
            lines.append(f"  {key:<28} {value}")
    return "\n".join(lines)
