"""``din demo``: the default end-to-end scenario through every block that exists, with a short report.

Each step runs RTL (exported Verilog, in the chosen simulator) and checks it against its reference: the frames a
stream block must deliver (for the FIFOs, the golden model's prediction), the register map's declared values.
Later blocks (parser, flowctl, PHYSec, the two-node system) add their steps to ``STEPS``.
"""

import time

__all__ = ["STEPS", "run_demo"]

#: (block, what the step shows) in pipeline order; every step runs the block's ``bench`` cocotb test
STEPS = [
    ("skid_buffer", "register slice: frames unchanged, one beat per cycle"),
    ("packet_fifo", "store-and-forward FIFO: whole frames, one beat per cycle"),
    ("async_packet_fifo", "FIFO from the 161.13 MHz line clock to the 156.25 MHz client clock"),
    ("axil_regs", "AXI4-Lite register block generated from its declaration"),
]

_SHOW = ("beats_per_cycle_in", "beats_per_cycle_out", "latency_cycles", "cycles_per_read", "cycles_per_write",
         "cycles_per_wall_second")


def run_demo(*, sim="verilator", seed=1, steps=None, out=print):
    from din.rtl.catalog import TOPS
    from din.sim.bench import run_bench
    from din.sim.runner import SimulationFailed
    steps = [s for s in (steps or STEPS) if s[0] in TOPS]
    out(f"din demo: {len(steps)} block(s) on {sim}, seed {seed}")
    rows, ok_all, t0 = [], True, time.monotonic()
    for i, (block, what) in enumerate(steps, 1):
        out(f"[{i}/{len(steps)}] {block}: {what} ...")
        try:
            figures = run_bench(block, sim=sim, seed=seed)
            rows.append((block, "PASS", figures))
        except (SimulationFailed, RuntimeError, ImportError) as e:
            ok_all = False
            rows.append((block, "FAIL", {"error": str(e).splitlines()[0][:120]}))
    out("")
    out(f"{'block':<20} {'result':<6} figures")
    for block, result, figures in rows:
        shown = ", ".join(f"{k}={figures[k]}" for k in _SHOW if k in figures) or figures.get("error", "")
        out(f"{block:<20} {result:<6} {shown}")
    passed = sum(r[1] == "PASS" for r in rows)
    out(f"\n{passed} passed, {len(rows) - passed} failed in {time.monotonic() - t0:.1f} s")
    return ok_all
