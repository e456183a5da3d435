"""Golden parser pieces: CRC-32C and the flow hash, the error table, the configuration, the pcap reader, the
classifier's priority order, and the ``din parse`` command."""

import ipaddress
import json
import struct

import pytest
from scapy.layers.inet import UDP
from scapy.layers.inet6 import HBHOptUnknown, IPv6, IPv6ExtHdrHopByHop
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap, wrpcapng

from din.golden.parser import (ERRORS, Action, Classifier, ParserConfig, load_config, parse_frame, read_pcap)
from din.golden.parser.classifier import SLICE_CLASSES
from din.golden.parser.errors import FATAL_MASK, INFO_MASK, SOFT_MASK
from din.golden.parser.flowhash import CRC32C_CHECK, crc32c, crc32c_bitwise
from din.golden.parser.pcap import PcapError
from din.sim.cli import main
from test_parser_golden_refs import TCPDUMP_DIR

E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


# --- CRC-32C ----------------------------------------------------------------------------------------------------

def test_crc32c_check_value():
    assert CRC32C_CHECK == 0xE3069283                                   # the catalogue's CRC-32/ISCSI check
    assert crc32c(b"123456789") == crc32c_bitwise(b"123456789") == 0xE3069283


@pytest.mark.parametrize("data,crc", [
    (bytes(32), 0x8A9136AA), (b"\xff" * 32, 0x62A8AB43),               # RFC 3720 §B.4 iSCSI CRC examples
    (bytes(range(32)), 0x46DD794E), (bytes(range(31, -1, -1)), 0x113FDB5C)])
def test_crc32c_rfc3720_vectors(data, crc):
    assert crc32c(data) == crc


def test_flow_hash_key_layout():
    # parser.md §5: CRC-32C over the innermost {SA, DA, protocol, sport, dport}; 37 bytes in network order
    sa, da = "2001:db8::1", "2001:db8::2"
    rec = parse_frame(bytes(E / IPv6(src=sa, dst=da) / UDP(sport=1111, dport=2222)))
    key = ipaddress.IPv6Address(sa).packed + ipaddress.IPv6Address(da).packed + bytes([17]) + struct.pack(">HH", 1111,
                                                                                                      2222)
    assert rec.hash == crc32c(key)


# --- error table ----------------------------------------------------------------------------------------------

def test_error_table_is_complete_and_fixed():
    names = [e.name for e in ERRORS]
    assert len(set(names)) == len(names) and [e.bit for e in ERRORS] == list(range(len(ERRORS)))
    assert FATAL_MASK & SOFT_MASK == FATAL_MASK & INFO_MASK == SOFT_MASK & INFO_MASK == 0
    # every condition parser.md §6 lists has its bit with the severity the spec gives it
    spec = {"fatal": ["TRUNC", "L2_VLAN_DEPTH", "IP_VER", "PLEN_GT_FRAME", "HBH_NOT_FIRST", "EXT_TOO_MANY",
                      "CHAIN_TOO_LONG", "EXT_TOO_BIG", "OPT_OVERRUN", "RH_UNKNOWN_SLNZ", "SRH_LE_GT_MAX",
                      "SRH_SL_GT_LE1", "CSID_BAD", "FRAG_CHAIN_INCOMPLETE", "MAC_ERR"],
            "soft": ["OPT_UNKNOWN_DISCARD", "PAD_ABUSE", "TOO_MANY_OPTS", "SRH_TLV_BAD", "SRH_SL0_ULP", "ARN_BAD",
                     "NRP_BAD", "ALTMARK_BAD", "IOAM_BAD", "ARN_MULTI", "INNER_ERR"],
            "info": ["ESP_OPAQUE", "FRAG_NONFIRST", "HOPLIMIT_LE1", "JUMBO"]}
    by = {e.name: e for e in ERRORS}
    for severity, listed in spec.items():
        for name in listed:
            assert by[name].severity == severity, name
    assert all(e.icmp is None or 0 <= e.icmp <= 10 for e in ERRORS)     # RFC 8200 / 7112 / 8754 / 8883 codes


# --- configuration ----------------------------------------------------------------------------------------------

def test_config_file_and_defaults(tmp_path):
    cfg = ParserConfig()
    assert (cfg.arn_option_type, cfg.arn_carrier, cfg.nrp_option_type, cfg.altmark_option_type) == (0x1E, "hbh",
                                                                                                    0x3E, 0x12)
    assert (cfg.ioam_hbh_type, cfg.ioam_doh_type, cfg.limits.window, cfg.limits.max_ext) == (0x31, 0x11, 512, 8)
    path = tmp_path / "CONFIG.json"
    path.write_text(json.dumps({"arn": {"option_type": 62, "carrier": "both"}, "nrp": {"option_type": 0x7E},
                                "csid_blocks": [{"prefix": "2001:db8:0:1::", "lbl": 64, "lnfl": 32,
                                                 "flavor": "replace"}]}))
    cfg = load_config(path)
    assert (cfg.arn_option_type, cfg.arn_carrier, cfg.nrp_option_type) == (62, "both", 0x7E)
    assert cfg.csid_blocks[0].lbl == 64 and cfg.csid_blocks[0].k == 4 and cfg.csid_blocks[0].index_bits == 2


@pytest.mark.parametrize("bad,words", [
    ({"arn": {"carrier": "srh"}}, "carrier"), ({"arn": {"option_type": 1}}, "option type"),
    ({"bogus": 1}, "unknown key"), ({"nrp": {"option_type": 30}}, "its own option type"), ({"limits": {"window": 0}}, "positive"), ([], "JSON object")])
def test_config_errors_are_one_sentence(bad, words):
    with pytest.raises(ValueError, match=words):
        ParserConfig.from_json(bad)


# --- pcap reader ----------------------------------------------------------------------------------------------

def test_pcap_and_pcapng_reader(tmp_path):
    frames = [bytes(E / IPv6(src="::1", dst=f"::{i + 2:x}") / UDP(sport=i, dport=i)) for i in range(5)]
    wrpcap(str(tmp_path / "a.pcap"), [E.__class__(f) for f in frames])
    wrpcapng(str(tmp_path / "a.pcapng"), [E.__class__(f) for f in frames])
    for name in ("a.pcap", "a.pcapng"):
        got = read_pcap(tmp_path / name)
        assert [p.data for p in got] == frames and all(p.linktype == 1 for p in got), name
    # the truncated tcpdump capture: caplen 85 of 86 bytes
    (p,) = read_pcap(TCPDUMP_DIR / "ipv6-srh-tlv-pad1-padn-5-trunc.pcap")
    assert (len(p.data), p.orig_len) == (85, 86)
    with pytest.raises(PcapError):
        read_pcap(b"not a capture at all")


# --- classifier (parser.md §7) -----------------------------------------------------------------------------------

def _rec(*, nrp=None, arn=None, dst="2001:db8:5::1", sport=1000, dport=2000, truncate=False):
    opts = []
    if nrp is not None:
        opts.append(HBHOptUnknown(otype=0x3E, optdata=bytes([0, 0, 0, 0]) + nrp.to_bytes(4, "big")))
    if arn is not None:
        opts.append(HBHOptUnknown(otype=0x1E, optdata=bytes([2, 0, 0, 0]) + arn.to_bytes(8, "big")))
    p = E / IPv6(src="2001:db8:1::1", dst=dst) / IPv6ExtHdrHopByHop(options=opts) / UDP(sport=sport, dport=dport)
    raw = bytes(p)
    return parse_frame(raw[:60] if truncate else raw)


def _classifier():
    c = Classifier(fatal_action="punt", default=Action(flow_id=0, slice_id=0))
    c.add_nrp(42, Action(flow_id=1, slice_id=1, priority=SLICE_CLASSES["ultra_low_latency"]))
    c.add_arn(0x0001_0002_0000_0000, 0xFFFF_FFFF_0000_0000, Action(flow_id=2, slice_id=2, ifit=True))
    c.add_arn(0x0001_0002_0003_0004, (1 << 64) - 1, Action(flow_id=3))      # more specific, but lower priority
    c.add_arn(0, 0, Action(flow_id=4))                                       # catch-all ARN entry
    c.add_prefix(int(ipaddress.IPv6Address("2001:db8:5::")), 48, Action(flow_id=5, priority=2))
    tuple_value = 17 << 32 | 1000 << 16 | 2000
    c.add_tuple(tuple_value, (0xFF << 32) | 0xFFFFFFFF, Action(flow_id=6))
    return c


def test_classifier_priority_order():
    c = _classifier()
    assert c.classify(_rec(nrp=42, arn=0x0001_0002_0003_0004, truncate=True)).table == "fatal"
    d = c.classify(_rec(nrp=42, arn=0x0001_0002_0003_0004, truncate=True))
    assert d.action.punt and not d.action.drop
    d = c.classify(_rec(nrp=42, arn=0x0001_0002_0003_0004))
    assert (d.table, d.action.flow_id, d.action.priority) == ("nrp", 1, 3)
    d = c.classify(_rec(nrp=7, arn=0x0001_0002_0003_0004))                 # NRP miss falls through to ARN
    assert (d.table, d.entry, d.action.flow_id, d.action.ifit) == ("arn", 0, 2, True)   # table order wins
    assert c.classify(_rec(arn=0x0009_0000_0000_0000)).entry == 2           # the catch-all
    assert c.classify(_rec()).table == "prefix"                             # no ARN: DA prefix
    d = c.classify(_rec(dst="2001:db8:6::1"))
    assert (d.table, d.action.flow_id) == ("tuple", 6)
    d = c.classify(_rec(dst="2001:db8:6::1", dport=2001))
    assert d.table == "default" and d.action == Action()


def test_classifier_sizes_and_fatal_register():
    c = Classifier(arn_size=1)
    c.add_arn(0, 0, Action())
    with pytest.raises(ValueError, match="full"):
        c.add_arn(1, 1, Action())
    with pytest.raises(ValueError):
        Classifier(fatal_action="forward")
    d = Classifier().classify(_rec(truncate=True))
    assert d.action.drop and d.table == "fatal"


# --- din parse ------------------------------------------------------------------------------------------------

KEYS = {"parse_ok", "errors", "vlan_count", "l3", "src", "dst", "ext_headers", "ulp", "srh", "csid", "arn",
        "nrp_id", "altmark", "l4", "hash"}


def test_din_parse_json(capsys, tmp_path):
    pcap = TCPDUMP_DIR / "ipv6-srh-insert-cksum.pcap"
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"csid_blocks": [{"prefix": "2::", "lbl": 16, "lnfl": 16, "flavor": "next"}]}))
    assert main(["parse", str(pcap), "--json", "--config", str(cfg)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    j = json.loads(lines[0])
    assert KEYS <= set(j)
    assert set(j["srh"]) >= {"sl", "le", "seg_cur", "seg_next", "reduced", "tag", "flags"}
    assert set(j["csid"]) >= {"flavor", "index", "next_da", "end"}
    # tcpdump: segleft=2, [1]3::d6; DA 2::f1:0 = 2:0:0:0:0:0:f1:0 in block 2::/16 with 16-bit uSIDs: uSID 0, argument
    # 0:0:0:0:f1:0 non-zero → shifted left by one uSID: 2:0:0:0:0:f1:0:0
    assert j["srh"]["seg_next"] == "3::d6" and j["csid"]["next_da"] == "2::f1:0:0"


def test_din_parse_summary_and_errors(capsys, tmp_path):
    pcap = TCPDUMP_DIR / "ipv6-routing-header.pcap"
    assert main(["parse", str(pcap)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and all("RH_UNKNOWN_SLNZ" in line for line in out)
    assert main(["parse", str(pcap), "--sim", "icarus"]) == 1
    assert "--sim chooses the simulator for --rtl" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"arn": {"carrier": "nowhere"}}')
    assert main(["parse", str(pcap), "--config", str(bad)]) == 1
    assert "carrier" in capsys.readouterr().err
    assert main(["parse", str(tmp_path / "missing.pcap")]) == 1
    assert "does not exist" in capsys.readouterr().err


# --- project rules ----------------------------------------------------------------------------------------------

def test_docs_error_table_matches_the_model():
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[2] / "docs" / "parser.md").read_text()
    for e in ERRORS:
        assert f"| {e.bit} | `{e.name}` | {e.severity} |" in doc, e.name


def test_golden_imports_nothing_forbidden():
    # style.md: golden/ imports nothing from rtl/, sim/ or Amaranth; scapy / cocotb stay out (independent references)
    import ast
    from pathlib import Path
    root = Path(__file__).resolve().parents[2] / "golden" / "parser"
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            for name in names:
                assert not name.split(".")[0] in ("amaranth", "cocotb", "scapy"), (path.name, name)
                assert not name.startswith(("din.rtl", "din.sim")), (path.name, name)
