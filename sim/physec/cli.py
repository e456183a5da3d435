"""``din physec ...``: the PHYSec golden model from the command line (physec.md §10 file formats).

    din physec tx IN.xgmii OUT.line --keys KEYS.json [--frames N] [--ppm P]
    din physec rx IN.line OUT.xgmii --keys KEYS.json [--store-and-forward]
    din physec xgmii-from-pcap IN.pcap OUT.xgmii [--ifg 12]
    din physec keys OUT.json [--mode gcm|gmac|clear] [--switch FRAME]   a key file with random keys
    din physec bench-golden [--frames N] [--mode gcm|gmac|clear]         golden TX and RX throughput in Mb/s
"""

import os
import time
from pathlib import Path

from din.sim.cli import UserError

__all__ = ["register"]


def _keys(path):
    from din.golden.physec.files import read_keys
    if not Path(path).is_file():
        raise UserError(f"key file {path} does not exist")
    try:
        return read_keys(path)
    except ValueError as e:
        raise UserError(str(e)) from None


def _input(path):
    if not Path(path).is_file():
        raise UserError(f"input file {path} does not exist")
    return path


def cmd_tx(args):
    from din.golden.physec.files import read_xgmii, write_line
    from din.golden.physec.transmitter import ClientTrace, transmit_trace
    keys = _keys(args.keys)
    try:
        data, ctrl = read_xgmii(_input(args.input))
    except ValueError as e:
        raise UserError(str(e)) from None
    if args.frames is not None and args.frames < 1:
        raise UserError("--frames must be at least 1")
    if abs(args.ppm) > 200:
        raise UserError("--ppm must be within ±200 (the GMP range is sized for ±100 ppm clocks)")
    t0 = time.perf_counter()
    line, tx = transmit_trace(ClientTrace(data, ctrl), keys, frames=args.frames, ppm=args.ppm)
    dt = time.perf_counter() - t0
    write_line(args.output, line)
    c, g = tx.counters, tx.controller
    print(f"{args.output}: {c.frames_tx} frames, {len(line)} bytes; client {len(data)} words in, "
          f"{c.blocks_sent} blocks mapped; mode {keys.mode}; tx_blocked {c.tx_blocked}; FIFO high-water "
          f"{g.high_water} blocks, underflow {g.underflow}; {8 * len(line) / dt / 1e6:.1f} Mb/s line")


def cmd_rx(args):
    from din.golden.physec.files import read_line, write_xgmii
    from din.golden.physec.receiver import Receiver
    keys = _keys(args.keys)
    line = read_line(_input(args.input))
    rx = Receiver(keys, store_and_forward=args.store_and_forward)
    t0 = time.perf_counter()
    rx.feed(line)
    rx.finish()
    dt = time.perf_counter() - t0
    data, ctrl = rx.output()
    write_xgmii(args.output, data, ctrl)
    c = rx.counters
    nonzero = {k: v for k, v in vars(c).items() if v and k not in ("frames_rx", "blocks_delivered")}
    print(f"{args.output}: {len(data)} client words from {c.frames_rx} frames; "
          + ", ".join(f"{k} {v}" for k, v in nonzero.items())
          + f"; {8 * len(line) / max(dt, 1e-9) / 1e6:.1f} Mb/s line")
    return 1 if (c.tag_fail or c.replay or c.lof) else 0


def cmd_from_pcap(args):
    from din.golden.physec.ethernet import frames_to_xgmii, read_pcap
    from din.golden.physec.files import write_xgmii
    try:
        frames = read_pcap(_input(args.input))
    except ValueError as e:
        raise UserError(str(e)) from None
    if args.ifg < 5:
        raise UserError("--ifg must be at least 5 octets")
    data, ctrl = frames_to_xgmii(frames, ifg=args.ifg)
    write_xgmii(args.output, data, ctrl)
    print(f"{args.output}: {len(frames)} Ethernet frames, {len(data)} XGMII words")


def cmd_keys(args):
    from din.golden.physec.files import write_keys
    from din.golden.physec.security import KeyConfig, KeySlot
    slots = [KeySlot(an=an, key=os.urandom(32), salt=os.urandom(12), ssci=int.from_bytes(os.urandom(4), "big"))
             for an in (0, 1)]
    sw = None if args.switch is None else {"frame": args.switch, "an": 1}
    if sw and sw["frame"] < 8:
        raise UserError("--switch must be frame 8 or later (8 frames announce the switch)")
    write_keys(args.output, KeyConfig(mode=args.mode, fc_init=args.fc_init, slots=slots, switch=sw))
    print(f"{args.output}: mode {args.mode}, slots AN 0 and 1" + (f", switch to AN 1 at frame {args.switch}"
                                                                  if sw else ""))


def bench_golden(frames=20, mode="gcm", seed=1):
    """Golden TX and RX throughput on random Ethernet-like traffic: dict of figures (Mb/s of line bits)."""
    import numpy as np
    from din.golden.physec.ethernet import frames_to_xgmii
    from din.golden.physec.receiver import Receiver
    from din.golden.physec.security import KeyConfig, KeySlot
    from din.golden.physec.transmitter import ClientTrace, Transmitter
    rng = np.random.default_rng(seed)
    eth = [rng.integers(0, 256, int(n), dtype=np.uint8).tobytes() for n in rng.integers(60, 1515, 50 * frames)]
    data, ctrl = frames_to_xgmii(eth)
    keys = KeyConfig(mode=mode, slots=[KeySlot(an=0, key=bytes(range(32)), salt=bytes(12), ssci=1)])
    tx = Transmitter(ClientTrace(data, ctrl), keys)
    keys.slots[0].gcm                                  # key installation (H and its powers) is not per frame
    t0 = time.perf_counter()
    parts = [tx.next_frame() for _ in range(frames)]
    t_tx = time.perf_counter() - t0
    line = np.concatenate(parts).tobytes()
    rx = Receiver(keys)
    t0 = time.perf_counter()
    rx.feed(line)
    rx.finish()
    t_rx = time.perf_counter() - t0
    bits = 8 * len(line)
    out, _ = rx.output()
    return {"frames": frames, "mode": mode, "line_bits": bits, "tx_mbps": bits / t_tx / 1e6,
            "rx_mbps": bits / t_rx / 1e6, "client_words_in": int(4 * tx.counters.blocks_sent),
            "client_words_out": int(len(out)), "tag_fail": rx.counters.tag_fail}


def cmd_bench(args):
    if args.frames < 2:
        raise UserError("--frames must be at least 2")
    f = bench_golden(args.frames, args.mode)
    print(f"golden PHYSec, {f['frames']} frames, MODE {f['mode']}: TX {f['tx_mbps']:.1f} Mb/s, "
          f"RX {f['rx_mbps']:.1f} Mb/s of line bits (real time is 10312.5 Mb/s); "
          f"{f['client_words_out']} client words delivered, tag_fail {f['tag_fail']}")


def register(subparsers):
    p = subparsers.add_parser("physec", help="PHYSec golden model: tx / rx line dumps, pcap → XGMII, keys, bench")
    sub = p.add_subparsers(dest="physec_command", required=True, metavar="SUBCOMMAND")
    sp = sub.add_parser("tx", help="golden transmitter: client trace → line dump")
    sp.add_argument("input", help="client trace (.xgmii)")
    sp.add_argument("output", help="line dump to write (.line)")
    sp.add_argument("--keys", required=True, help="key file (JSON, physec.md §10)")
    sp.add_argument("--frames", type=int, help="frames to send (default: until the trace is mapped, plus one)")
    sp.add_argument("--ppm", type=float, default=0.0, help="client clock offset from nominal in ppm")
    sp.set_defaults(func=cmd_tx)
    sp = sub.add_parser("rx", help="golden receiver: line dump → client trace")
    sp.add_argument("input", help="line dump (.line)")
    sp.add_argument("output", help="client trace to write (.xgmii)")
    sp.add_argument("--keys", required=True, help="key file (JSON, physec.md §10)")
    sp.add_argument("--store-and-forward", action="store_true", help="deliver a frame only after its tag verifies")
    sp.set_defaults(func=cmd_rx)
    sp = sub.add_parser("xgmii-from-pcap", help="client trace with real Ethernet frames from a pcap file")
    sp.add_argument("input", help="pcap file (link type Ethernet, frames without FCS)")
    sp.add_argument("output", help="client trace to write (.xgmii)")
    sp.add_argument("--ifg", type=int, default=12, help="minimum inter-frame gap in octets (default 12)")
    sp.set_defaults(func=cmd_from_pcap)
    sp = sub.add_parser("keys", help="write a key file with two random key slots (AN 0 and 1)")
    sp.add_argument("output")
    sp.add_argument("--mode", choices=("gcm", "gmac", "clear"), default="gcm")
    sp.add_argument("--fc-init", type=int, default=0)
    sp.add_argument("--switch", type=int, metavar="FRAME", help="switch to AN 1 at this frame")
    sp.set_defaults(func=cmd_keys)
    sp = sub.add_parser("bench-golden", help="throughput of the golden transmitter and receiver in Mb/s")
    sp.add_argument("--frames", type=int, default=20)
    sp.add_argument("--mode", choices=("gcm", "gmac", "clear"), default="gcm")
    sp.set_defaults(func=cmd_bench)
