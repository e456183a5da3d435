"""``din demo``: the default end-to-end scenario through every block that exists, with a short report.

Each step runs one block's RTL (exported Verilog, in the chosen simulator) on a test that checks it against its
reference under random idle and backpressure: the golden model where the block has one (packet FIFOs, PCS, 257b
transcoding, PHYSec TX and RX framers, the TX security engine with ``cryptography``'s AESGCM as a second
reference, the RX security engine against the golden receiver), the register-map declaration for the register block, the frames sent for the
skid buffer; the parser and the classifier against the golden parser and classifier table model. The step then runs the
block's ``bench`` test for its figures. Blocks join ``STEPS`` as they are built (the two-node system next). flowctl
and the classifier run in small test configurations (16 flows; tables of 6-8 entries).
"""

import json
import time

__all__ = ["STEPS", "run_demo"]

R = "pattern_in=random/pattern_out=random"
#: (block, what the step shows, the cocotb test (name under the testbench module) that checks it)
STEPS = [
    ("skid_buffer", "register slice: frames unchanged", f"frames_pass_unchanged/{R}"),
    ("packet_fifo", "store-and-forward FIFO vs golden model (drops)", f"frames_with_drops/{R}"),
    ("async_packet_fifo", "FIFO 161.13 -> 156.25 MHz vs golden model", f"frames_with_drops/{R}"),
    ("axil_regs", "AXI4-Lite registers vs their declaration", "id_version_and_reset_values"),
    ("physec_pcs_tx", "10GBASE-R PCS TX vs golden, bit for bit", f"tx_matches_golden/{R}"),
    ("physec_pcs_rx", "10GBASE-R PCS RX vs golden (lock, decode)", f"rx_matches_golden/{R}"),
    ("transcode257", "256b/257b transcoding round trip vs golden", f"round_trip/{R}"),
    ("physec_tx", "PHYSec TX framer: line words vs golden", "frames_vs_golden/ppm=0"),
    ("physec_tx_sec", "PHYSec TX + AES-256-GCM (MODE 10): line words vs golden, frames authenticated by AESGCM",
     "frames_vs_golden/mode=gcm/ppm=0"),
    ("rx_framer", "PHYSec RX framer: lock and demap vs golden", "lock_from_bit_offsets"),
    ("physec_rx_sec", "PHYSec RX + AES-256-GCM: golden MODE 10 dump decrypted and verified, vs golden receiver",
     "mode10_round_trip"),
    ("physec_phy", "PHYSec PHY: Ethernet XGMII -> TX -> fibre -> RX -> XGMII at ±100 ppm, vs golden receiver",
     "ethernet_loopback/clocks=cfast/load=full"),
    ("parser", "SRv6 / G-SRv6 / ARN parser: one record per frame vs golden model (captures, mutations)",
     "random_patterns"),
    # small tables: the default sizes take minutes to program in simulation (docs/parser-classifier.md)
    ("classifier", "slice classifier: tables over AXI4-Lite, one action per key vs golden model",
     "tables_against_golden", {"nrp_size": 8, "arn_size": 6, "prefix_size": 6, "tuple_size": 6}),
    # the 16-flow test build: the default 256-flow configuration is not simulation-sized yet (docs/flowctl.md)
    ("flowctl", "micro-flow queues (16 flows): per cycle vs golden model, bad input, MFC reaction",
     "traffic/pattern=random", {"flows": 16, "cells": 256}),
]

_SHOW = ("beats_per_cycle_in", "beats_per_cycle_out", "mfc_reaction_cycles", "pfc_reaction_cycles", "beats_per_cycle_in_locked", "beats_per_cycle_out_locked",
         "line_words_per_cycle", "latency_cycles", "cycles_to_lock", "lock_time_frames", "cycles_per_read",
         "cycles_per_write", "cycles_per_wall_second", "latency_tx_to_rx_ns", "blocks_rx_per_client_block_in",
         "keystream_words_missing", "tag_margin_cycles", "tag_fail", "record_latency_cycles_first_beat",
         "mpps_at_156_25", "keys_per_cycle_in")


def _shown(figures):
    """The figures worth a column, in ``_SHOW`` order; keys may carry a prefix (``line_to_client.latency_cycles``)."""
    picked = []
    for name in _SHOW:
        for key, value in figures.items():
            if key.split(".")[-1] == name:
                picked.append(f"{name}={_short(value)}")
                break
    return ", ".join(picked)


def _run_step(block, check, *, sim, seed, params=None):
    import re
    from din.rtl.catalog import get_top
    from din.sim.runner import export_top, run_cocotb
    top = get_top(block)
    v_path, meta = export_top(block, params) if params else export_top(block)
    pattern = rf"\.({re.escape(check)}|bench)$"
    n, results = run_cocotb(verilog=v_path, toplevel=top.module, test_module=f"din.sim.{top.folder}.tb_{top.name}",
                            sim=sim, seed=seed, params=meta["parameters"], testcase=pattern, run_name="demo")
    if n < 2:
        raise RuntimeError(f"expected the check {check!r} and the bench to run, {n} test(s) ran")
    path = results.parent / "figures.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _short(value):
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value[:3]) + "]"
    return str(value)


def run_demo(*, sim="verilator", seed=1, steps=None, out=print):
    from din.rtl.catalog import TOPS
    from din.sim.runner import SimulationFailed
    steps = [s for s in (steps or STEPS) if s[0] in TOPS]
    out(f"din demo: {len(steps)} blocks on {sim}, seed {seed}; each checked against its reference, then measured")
    rows, t0 = [], time.monotonic()
    for i, (block, what, check, *rest) in enumerate(steps, 1):
        out(f"[{i}/{len(steps)}] {block}: {what} ...")
        t1 = time.monotonic()
        try:
            figures = _run_step(block, check, sim=sim, seed=seed, params=rest[0] if rest else None)
            rows.append((block, "PASS", figures, time.monotonic() - t1))
        except (SimulationFailed, RuntimeError, ImportError) as e:
            rows.append((block, "FAIL", {"error": str(e).splitlines()[0][:150]}, time.monotonic() - t1))
    out("")
    out(f"{'block':<18} {'result':<6} {'time':>6}  figures (bench: back-to-back traffic, no stalls)")
    for block, result, figures, dt in rows:
        shown = _shown(figures) or figures.get("error", "")
        out(f"{block:<18} {result:<6} {dt:5.1f}s  {shown}")
    passed = sum(r[1] == "PASS" for r in rows)
    out(f"\ndemo: {passed} of {len(rows)} blocks passed in {time.monotonic() - t0:.1f} s")
    return passed == len(rows)
