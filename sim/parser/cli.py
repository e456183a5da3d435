"""``din parse FILE.pcap [--config CONFIG.json] [--json] [--rtl [--sim icarus|verilator]]`` (issue 4 item 2).

Runs every frame of a pcap / pcapng capture through the parser golden model (``din.golden.parser``) and prints
one record per frame in capture order: a JSON object per line with ``--json``, else a readable one-line summary.
``--rtl`` runs the frames through the parser RTL (``din_parser``) in simulation instead, configured over its
AXI4-Lite registers with the same CONFIG.json, and prints its records the same way (the RTL record has every key
but ``unknown_options``, the golden model's diagnostic list), then the record counters on stderr.
"""

import json

from din.sim.cli import UserError

__all__ = ["register", "cmd_parse", "summary"]


def register(sub):
    sp = sub.add_parser("parse", help="parse the frames of a pcap / pcapng capture into metadata records")
    sp.add_argument("file", metavar="FILE.pcap", help="capture file (pcap or pcapng, Ethernet link type)")
    sp.add_argument("--config", metavar="CONFIG.json", help="register values: ARN / NRP option types, C-SID blocks")
    sp.add_argument("--json", action="store_true", help="one JSON object per frame per line")
    sp.add_argument("--rtl", action="store_true", help="parse with the RTL in simulation instead of the golden model")
    sp.add_argument("--sim", choices=("icarus", "verilator"), help="simulator for --rtl (default icarus)")
    sp.set_defaults(func=cmd_parse)


def _load(args):
    from din.golden.parser.config import ParserConfig, load_config
    from din.golden.parser.pcap import LINKTYPE_ETHERNET, PcapError, read_pcap
    if args.sim and not args.rtl:
        raise UserError("--sim chooses the simulator for --rtl; add --rtl or leave --sim out")
    try:
        cfg = load_config(args.config) if args.config else ParserConfig()
    except FileNotFoundError:
        raise UserError(f"configuration file {args.config} does not exist") from None
    except ValueError as e:
        raise UserError(f"{args.config}: {e}") from None
    try:
        packets = read_pcap(args.file)
    except FileNotFoundError:
        raise UserError(f"capture file {args.file} does not exist") from None
    except PcapError as e:
        raise UserError(f"{args.file}: {e}") from None
    for i, p in enumerate(packets):
        if p.linktype != LINKTYPE_ETHERNET:
            raise UserError(f"{args.file}: packet {i + 1} has link type {p.linktype}; only Ethernet (1) is parsed")
    return cfg, packets


def cmd_parse(args):
    from din.golden.parser.model import parse_frame
    cfg, packets = _load(args)
    if args.rtl:
        records = _rtl_records(args, packets)
    else:
        records = [parse_frame(p.data, cfg).to_json() for p in packets]
    for i, rec in enumerate(records, 1):
        if args.json:
            print(json.dumps(rec, separators=(",", ":")))
        else:
            print(f"{i:5d} {summary(rec)}")
    return 0


def _rtl_records(args, packets):
    """The records of the parser RTL in simulation (``tb_parser.parse_file``)."""
    import contextlib
    import pathlib
    import sys
    from din.sim.runner import SimulationFailed, build_root, export_top, run_cocotb
    from din.rtl.catalog import get_top
    if not packets:
        return []
    config = json.loads(pathlib.Path(args.config).read_text()) if args.config else None
    work = build_root() / "parse"
    work.mkdir(parents=True, exist_ok=True)
    spec = work / "input.json"
    spec.write_text(json.dumps({"config": config, "frames": [p.data.hex() for p in packets]}))
    top = get_top("parser")
    v_path, meta = export_top("parser")
    try:
        with contextlib.redirect_stdout(sys.stderr):     # stdout carries only the records
            _, results = run_cocotb(verilog=v_path, toplevel=top.module, test_module="din.sim.parser.tb_parser",
                                    sim=args.sim or "icarus", params=meta["parameters"], testcase="parse_file",
                                    run_name="parse", extra_env={"DIN_PARSE_INPUT": str(spec.resolve())})
    except SimulationFailed as e:
        raise UserError(f"the RTL simulation failed: {e}") from None
    out = json.loads((pathlib.Path(results).parent / "records.json").read_text())
    counters = ", ".join(f"{k} {v}" for k, v in out["counters"].items())
    print(f"[din parse --rtl] {len(out['records'])} records; counters: {counters}", file=sys.stderr)
    return out["records"]


def summary(j):
    """A one-line human summary of a ``to_json()`` record."""
    parts = ["ok " if j["parse_ok"] else "BAD"]
    if j["vlan_count"]:
        parts.append("vlan " + "/".join(str(v["vid"]) for v in j["vlans"]) + ("+" if j["vlan_count"] > 2 else ""))
    if j["l3"] is None:
        parts.append(f"ethertype 0x{j['ethertype']:04x}" if j["ethertype"] is not None else "short frame")
    else:
        parts.append(f"{j['l3']} {j['src']} > {j['dst']}")
    if j["ext_headers"]:
        parts.append("chain " + ",".join(map(str, j["ext_headers"])))
    s = j["srh"]
    if s:
        parts.append(f"SRH sl={s['sl']} le={s['le']} cur={s['seg_cur']} next={s['seg_next']}"
                     + (" reduced" if s["reduced"] else "") + (" hmac" if s["hmac"] else ""))
    c = j["csid"]
    if c:
        parts.append(f"C-SID {c['flavor']} " + ("end" if c["end"] else f"next-da {c['next_da']}"))
    a = j["arn"]
    if a:
        parts.append(f"ARN {a['id']} ({a['app_group']}/{a['app']}/{a['user_group']}/{a['user']})")
    if j["nrp_id"] is not None:
        parts.append(f"NRP {j['nrp_id']}")
    if j["altmark"]:
        parts.append(f"AltMark {j['altmark']['flowmon_id']} L={j['altmark']['l']} D={j['altmark']['d']}")
    if j["inner"]:
        parts.append(f"inner {j['inner']['l3']} {j['inner']['src']} > {j['inner']['dst']}")
    l4 = j["l4"]
    if l4:
        parts.append(f"proto {l4['proto']}" + (f" {l4['sport']} > {l4['dport']}" if l4["sport"] is not None else ""))
    elif j["ulp"] is not None:
        parts.append(f"ulp {j['ulp']}")
    parts.append(f"hash 0x{j['hash']:08x}")
    if j["errors"]:
        parts.append("errors " + ",".join(j["errors"]))
    return "  ".join(parts)
