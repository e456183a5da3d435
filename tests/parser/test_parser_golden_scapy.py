"""scapy builds, the golden parser parses, the test compares with what was built (parser.md §9).

Each header and option of the parse graph (parser.md §2, §4) gets a packet; expected values are the values handed
to scapy or the bytes laid out by the spec (for the options scapy has no class for: ARN, APN6, NRP, Alt-Mark,
IOAM, and the HMAC TLV, whose scapy class is wrong, background/srv6_arn.md §5.1). Error cases name the spec rule
they test; two of them are also checked against tshark's expert info.
"""

import ipaddress
import struct

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (HBHOptUnknown, ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting, Jumbo, PadN,
                                RouterAlert)
from scapy.layers.ipsec import AH, ESP
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.layers.sctp import SCTP
from scapy.packet import Raw
from scapy.utils import wrpcap

from din.golden.parser import ParserConfig, parse_frame
from test_parser_golden_refs import tshark_pdml

SA, DA = "2001:db8::1", "2001:db8:ffff::2"
E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def parse(pkt, cfg=None):
    return parse_frame(bytes(pkt), cfg).to_json()


def opt(otype, data):
    return HBHOptUnknown(otype=otype, optdata=bytes(data))


def _a(s):
    return str(ipaddress.ip_address(s))


def test_ipv6_udp():
    p = E / IPv6(src=SA, dst=DA, tc=0xB8, fl=0x12345, hlim=9) / UDP(sport=1234, dport=4791) / Raw(b"x" * 20)
    j = parse(p)
    assert j["parse_ok"] and j["errors"] == []
    assert (j["l3"], j["src"], j["dst"]) == ("ipv6", _a(SA), _a(DA))
    assert (j["traffic_class"], j["flow_label"], j["hop_limit"]) == (0xB8, 0x12345, 9)
    assert j["ext_headers"] == [] and j["ulp"] == 17 and j["vlan_count"] == 0
    assert j["l4"] == {"proto": 17, "sport": 1234, "dport": 4791, "tcp_flags": None}


def test_vlans_and_depth():
    p = E / Dot1AD(vlan=100, prio=5) / Dot1Q(vlan=200, prio=3) / IPv6(src=SA, dst=DA) / UDP(sport=1, dport=2)
    j = parse(p)
    assert j["parse_ok"] and j["vlan_count"] == 2
    assert [(v["tpid"], v["vid"], v["pcp"]) for v in j["vlans"]] == [(0x88A8, 100, 5), (0x8100, 200, 3)]
    assert j["l4"]["dport"] == 2
    j = parse(E / Dot1Q(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / IPv6() / UDP())
    assert j["vlan_count"] == 3 and j["errors"] == ["L2_VLAN_DEPTH"] and not j["parse_ok"]   # parser.md §8


def test_non_ip_ethertype():
    j = parse(Ether(type=0x88CC) / Raw(b"\0" * 46))                          # LLDP: parse_ok, l3 null (§8)
    assert j["parse_ok"] and j["l3"] is None and j["ethertype"] == 0x88CC and j["l4"] is None


@pytest.mark.parametrize("l4,proto,ports,flags", [
    (TCP(sport=80, dport=443, flags="SA"), 6, (80, 443), 0x12),
    (UDP(sport=53, dport=5353), 17, (53, 5353), None),
    (SCTP(sport=2905, dport=2906), 132, (2905, 2906), None),
    (ICMP(), 1, (None, None), None),
])
def test_ipv4_l4(l4, proto, ports, flags):
    j = parse(E / IP(src="10.0.0.1", dst="192.0.2.9", ttl=64, tos=0x20) / l4)
    assert j["parse_ok"] and (j["l3"], j["src"], j["dst"], j["ulp"]) == ("ipv4", "10.0.0.1", "192.0.2.9", proto)
    assert (j["hop_limit"], j["traffic_class"]) == (64, 0x20)
    assert (j["l4"]["proto"], j["l4"]["sport"], j["l4"]["dport"], j["l4"]["tcp_flags"]) == (proto, *ports, flags)


def test_ipv4_fragments():
    j = parse(E / IP(src="10.0.0.1", dst="10.0.0.2", frag=100, proto=17) / Raw(b"\0" * 16))
    assert j["parse_ok"] and j["errors"] == ["FRAG_NONFIRST"] and j["l4"] is None and j["ulp"] == 17
    j = parse(E / IP(src="10.0.0.1", dst="10.0.0.2", flags="MF") / UDP(sport=7, dport=8) / Raw(b"\0" * 8))
    assert j["parse_ok"] and j["frag"]["first"] and j["l4"]["sport"] == 7


@pytest.mark.parametrize("l4,proto,ports", [
    (TCP(sport=5, dport=6, flags="PA"), 6, (5, 6)), (SCTP(sport=9, dport=10), 132, (9, 10)),
    (ICMPv6EchoRequest(), 58, (None, None))])
def test_ipv6_l4(l4, proto, ports):
    j = parse(E / IPv6(src=SA, dst=DA) / l4)
    assert j["parse_ok"] and j["ulp"] == proto and (j["l4"]["sport"], j["l4"]["dport"]) == ports


def test_srv6_three_sids_inner_ipv6_udp():
    sids = ["fc00:3::1", "fc00:2::1", "fc00:1::1"]           # addresses[0] = Segment List[0] = last segment
    srh = IPv6ExtHdrSegmentRouting(addresses=sids, segleft=2, tag=0x1234, oam=1)
    inner = IPv6(src="2001:db8:a::1", dst="2001:db8:b::1") / UDP(sport=49152, dport=4791)
    p = E / IPv6(src=SA, dst=sids[2], hlim=64) / IPv6ExtHdrDestOpt() / srh / inner / Raw(b"r" * 16)
    j = parse(p)
    assert j["parse_ok"] and j["errors"] == []
    assert j["ext_headers"] == [60, 43] and j["ulp"] == 41
    s = j["srh"]
    assert (s["sl"], s["le"], s["tag"], s["reduced"]) == (2, 2, 0x1234, False)
    assert s["flags"] == 0x20                                  # scapy's "oam" bit = RFC 9259 O-flag (bit 2)
    assert (s["seg_cur"], s["seg_next"]) == (_a(sids[2]), _a(sids[1]))
    assert s["length"] == len(srh) and s["offset"] == 40 + 8
    assert j["inner"] == {"l3": "ipv6", "src": _a("2001:db8:a::1"), "dst": _a("2001:db8:b::1"),
                          "ext_headers": [], "ulp": 17}
    assert j["l4"] == {"proto": 17, "sport": 49152, "dport": 4791, "tcp_flags": None}   # innermost (§8)


def test_srv6_inner_ipv4_and_reduced():
    srh = IPv6ExtHdrSegmentRouting(addresses=["fc00:9::1"], segleft=1, lastentry=0)   # reduced: SL = LE + 1
    p = E / IPv6(src=SA, dst="fc00:8::1") / srh / IP(src="10.1.1.1", dst="10.2.2.2") / TCP(sport=1, dport=2)
    j = parse(p)
    assert j["parse_ok"] and j["ulp"] == 4
    assert (j["srh"]["reduced"], j["srh"]["seg_cur"], j["srh"]["seg_next"]) == (True, None, _a("fc00:9::1"))
    assert (j["inner"]["l3"], j["inner"]["src"], j["inner"]["dst"], j["inner"]["ulp"]) == ("ipv4", "10.1.1.1",
                                                                                          "10.2.2.2", 6)
    assert j["l4"]["proto"] == 6


def test_hbh_router_alert_jumbo():
    hbh = IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), Jumbo(jumboplen=16 + 8 + 4)])  # RFC 2675: HBH + payload
    p = E / IPv6(src=SA, dst=DA, plen=0) / hbh / UDP(sport=3, dport=4, len=0) / Raw(b"abcd")
    j = parse(p)
    assert j["parse_ok"] and j["router_alert"] == 0 and j["jumbo"] == 28 and j["errors"] == ["JUMBO"]
    assert j["l4"]["sport"] == 3


def test_fragment_ah_esp():
    j = parse(E / IPv6(src=SA, dst=DA) / IPv6ExtHdrFragment(offset=0, m=1, id=7) / UDP(sport=1, dport=2))
    assert j["parse_ok"] and j["ext_headers"] == [44] and j["frag"]["first"] and j["l4"]["dport"] == 2
    j = parse(E / IPv6(src=SA, dst=DA) / IPv6ExtHdrFragment(offset=3, m=0, nh=6) / Raw(b"\0" * 24))
    assert j["parse_ok"] and j["errors"] == ["FRAG_NONFIRST"] and j["ulp"] == 6 and j["l4"] is None   # §8
    j = parse(E / IPv6(src=SA, dst=DA) / AH(nh=17, payloadlen=4, spi=5, icv=b"\0" * 12) / UDP(sport=11, dport=12))
    assert j["parse_ok"] and j["ext_headers"] == [51] and j["l4"]["sport"] == 11
    j = parse(E / IPv6(src=SA, dst=DA) / ESP(spi=9, seq=1, data=b"\0" * 16))
    assert j["parse_ok"] and j["errors"] == ["ESP_OPAQUE"] and j["ulp"] == 50 and j["l4"] is None


# --- options the spec defines byte by byte (parser.md §4, §8) ------------------------------------------------------

def _arn_body(id_type, ident, flags=0x80, para=0, intent=None):
    nbytes = {1: 4, 2: 8, 3: 16}[id_type]
    body = bytes([id_type, flags]) + struct.pack(">H", para | (1 if intent is not None else 0))
    body += ident.to_bytes(nbytes, "big")
    return body + (struct.pack(">I", intent) if intent is not None else b"")


@pytest.mark.parametrize("id_type,ident,intent,carve", [
    (2, 0x0001_0002_0003_0004, None, (1, 2, 3, 4)),
    (2, 0xAAAA_BBBB_CCCC_DDDD, 0x1234_5600, (0xAAAA, 0xBBBB, 0xCCCC, 0xDDDD)),
    (1, 0x0102_0304, None, (0x0102, 0x0304, None, None)),                   # 32-bit: null user fields (§8)
    (3, 0x1111_2222_3333_4444_5555_6666_7777_8888, 0xFFFF_FF00, (0x1111, 0x2222, 0x3333, 0x4444)),  # top 64 bits
])
def test_arn_default_layout(id_type, ident, intent, carve):
    body = _arn_body(id_type, ident, intent=intent)
    p = E / IPv6(src=SA, dst=DA) / IPv6ExtHdrHopByHop(options=[opt(0x1E, body)]) / UDP(sport=1, dport=2)
    j = parse(p)
    assert j["parse_ok"] and j["errors"] == []
    a = j["arn"]
    nbits = {1: 32, 2: 64, 3: 128}[id_type]
    assert (a["id_type"], a["flags"], a["id"]) == (id_type, 0x80, f"{ident:0{nbits // 4}x}")
    assert (a["app_group"], a["app"], a["user_group"], a["user"]) == carve
    assert a["intent"] == intent and a["source"] == "outer_hbh"


def test_arn_carrier_and_type_registers():
    body = _arn_body(2, 0x0005_0006_0007_0008)
    p = E / IPv6(src=SA, dst=DA) / IPv6ExtHdrDestOpt(options=[opt(0x3E, body)]) / UDP()
    assert parse(p)["arn"] is None                             # default: HBH carrier, type 0x1E
    cfg = ParserConfig.from_json({"arn": {"option_type": 0x3E, "carrier": "doh"}, "nrp": {"option_type": None}})
    j = parse(p, cfg)
    assert j["arn"]["app"] == 6 and j["arn"]["source"] == "outer_doh"
    cfg = ParserConfig.from_json({"arn": {"carve": {"app_group": 48, "user": 0}}})
    q = E / IPv6(src=SA, dst=DA) / IPv6ExtHdrHopByHop(options=[opt(0x1E, body)]) / UDP()
    a = parse(q, cfg)["arn"]
    assert (a["app_group"], a["app"], a["user_group"], a["user"]) == (8, 6, 7, 5)


def test_apn6_prestandard_layout():
    # the real 2020 APN6 capture's option (background/srv6_arn.md §5.3): 03 0c | aaaa0810 0000aaaa 00522703
    body = bytes.fromhex("aaaa08100000aaaa00522703")
    p = E / IPv6(src=SA, dst=DA) / IPv6ExtHdrHopByHop(options=[opt(0x03, body)]) / TCP(sport=1, dport=2)
    a = parse(p)["arn"]
    assert a["id"] == "0000aaaa00522703" and a["id_type"] is None and a["sla"] == 0xAAAA0810
    assert (a["app_group"], a["app"], a["user_group"], a["user"]) == (0x0000, 0xAAAA, 0x0052, 0x2703)


def test_arn_bad_and_multi():
    good, bad = _arn_body(2, 0x1_0002_0003_0004), _arn_body(2, 1)[:-1]           # one byte short
    p = E / IPv6(src=SA, dst=DA) / IPv6ExtHdrHopByHop(options=[opt(0x1E, bad), opt(0x1E, good)]) / UDP()
    j = parse(p)
    assert j["parse_ok"] and set(j["errors"]) == {"ARN_BAD", "ARN_MULTI"} and j["arn"]["user"] == 4
    # an ARN in the outer and one in the inner header: the outer wins, ARN_MULTI (parser.md §4)
    inner = IPv6(src="::1", dst="::2") / IPv6ExtHdrHopByHop(options=[opt(0x1E, _arn_body(2, 9))]) / UDP()
    srh = IPv6ExtHdrSegmentRouting(addresses=["fc00::1"], segleft=0)
    p = E / IPv6(src=SA, dst="fc00::1") / IPv6ExtHdrHopByHop(options=[opt(0x1E, good)]) / srh / inner
    j = parse(p)
    assert j["errors"] == ["ARN_MULTI"] and j["arn"]["user"] == 4 and j["arn"]["source"] == "outer_hbh"


def test_nrp_altmark_ioam():
    nrp = bytes([1, 0x80, 0, 0]) + (0xDEADBEEF).to_bytes(4, "big")             # NR type | flags | rsvd | NRP id
    am = ((0xABCDE << 12) | (1 << 11) | (0 << 10)).to_bytes(4, "big")         # FlowMonID 20 | L | D | rsvd 10
    dex = bytes([0, 4]) + struct.pack(">HBB", 0x0102, 0, 0xC0) + b"\0\0\0\0" + struct.pack(">II", 77, 88)
    hbh = IPv6ExtHdrHopByHop(options=[opt(0x3E, nrp), opt(0x12, am), opt(0x31, dex)])
    j = parse(E / IPv6(src=SA, dst=DA) / hbh / UDP(sport=1, dport=2))
    assert j["parse_ok"] and j["errors"] == []
    assert j["nrp_id"] == 0xDEADBEEF and j["nrp"]["flags"] == 0x80 and j["nrp"]["nr_type"] == 1
    assert j["altmark"] == {"flowmon_id": 0xABCDE, "l": 1, "d": 0, "source": "outer_hbh"}
    assert j["ioam"] == {"type": 4, "namespace": 0x0102, "flow_id": 77, "seq": 88, "source": "outer_hbh"}
    # IOAM in a DOH uses 0x11 (RFC 9486); a pre-allocated trace header is 8 bytes after the 2
    trace = bytes([0, 0]) + struct.pack(">HBBI", 0x0A0B, 0, 0, 0) + b"\0" * 4
    j = parse(E / IPv6(src=SA, dst=DA) / IPv6ExtHdrDestOpt(options=[opt(0x11, trace)]) / UDP())
    assert j["ioam"]["type"] == 0 and j["ioam"]["namespace"] == 0x0A0B
    hbh = IPv6ExtHdrHopByHop(options=[opt(0x3E, nrp[:6]), opt(0x12, am[:2]), opt(0x31, dex[:5])])
    j = parse(E / IPv6(src=SA, dst=DA) / hbh / UDP())
    assert j["parse_ok"] and set(j["errors"]) == {"NRP_BAD", "ALTMARK_BAD", "IOAM_BAD"}
    assert j["nrp_id"] is None and j["altmark"] is None and j["ioam"] is None


def test_hmac_tlv_rfc_length():
    # RFC 8754 §2.1.2 HMAC TLV as raw bytes (scapy's class is wrong): type 5, Length 38, D=1, key id, 32-byte HMAC
    tlv = bytes([5, 38, 0x80, 0]) + (0x01020304).to_bytes(4, "big") + bytes(range(32))
    sid = ipaddress.IPv6Address("fc00::5").packed
    srh = bytes([59, (8 + 16 + len(tlv) + 2) // 8 - 1, 4, 0, 0, 0, 0, 0]) + sid + tlv + bytes([0, 0])   # + 2 Pad1
    p = E / IPv6(src=SA, dst="fc00::5", nh=43) / Raw(srh)
    j = parse(p)
    assert j["parse_ok"] and j["errors"] == [] and j["ulp"] == 59
    assert (j["srh"]["hmac"], j["srh"]["hmac_d"], j["srh"]["hmac_key_id"]) == (True, True, 0x01020304)
    bad = bytearray(srh)
    bad[8 + 16 + 1] = 37                                     # not 6 + 8k → soft SRH_TLV_BAD
    j = parse(E / IPv6(src=SA, dst="fc00::5", nh=43) / Raw(bytes(bad)))
    assert j["parse_ok"] and "SRH_TLV_BAD" in j["errors"]


# --- errors of parser.md §6 -----------------------------------------------------------------------------------------

def _srh_raw(sl, le, hel, nh=17, nsids=None):
    sids = b"".join(ipaddress.IPv6Address(f"fc00::{i + 1}").packed for i in range(le + 1 if nsids is None else nsids))
    body = bytes([nh, hel, 4, sl, le, 0, 0, 0]) + sids
    return body + b"\0" * ((hel + 1) * 8 - len(body))


def _chain(pkt, layers):
    for layer in layers:
        pkt = pkt / layer()
    return pkt


@pytest.mark.parametrize("name,pkt", [
    ("HBH_NOT_FIRST", lambda: E / IPv6(src=SA, dst=DA) / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / UDP()),
    ("SRH_SL_GT_LE1", lambda: E / IPv6(src=SA, dst=DA, nh=43) / Raw(_srh_raw(3, 1, 4)) / UDP()),
    ("SRH_LE_GT_MAX", lambda: E / IPv6(src=SA, dst=DA, nh=43) / Raw(_srh_raw(0, 3, 4, nsids=2)) / UDP()),
    ("RH_UNKNOWN_SLNZ", lambda: E / IPv6(src=SA, dst=DA) / IPv6ExtHdrRouting(addresses=["::1"], segleft=1) / UDP()),
    ("EXT_TOO_MANY", lambda: _chain(E / IPv6(src=SA, dst=DA), [IPv6ExtHdrDestOpt] * 9) / UDP()),
    ("EXT_TOO_BIG", lambda: E / IPv6(src=SA, dst=DA) / IPv6ExtHdrDestOpt(options=[opt(0x1F, b"\0" * 255)]) / UDP()),
    ("OPT_OVERRUN", lambda: E / IPv6(src=SA, dst=DA, nh=60) / Raw(bytes([17, 0, 0x1F, 9, 0, 0, 0, 0])) / UDP()),
    ("CHAIN_TOO_LONG", lambda: E / IPv6(src=SA, dst=DA) / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)])
     / IPv6ExtHdrSegmentRouting(addresses=[f"fc00::{i}" for i in range(1, 29)]) / UDP()),
    ("TRUNC", lambda: Raw(bytes(E / IPv6(src=SA, dst=DA) / TCP())[:14 + 40 + 19])),
])
def test_fatal_errors(name, pkt):
    j = parse(pkt())
    assert name in j["errors"] and not j["parse_ok"], j["errors"]


@pytest.mark.parametrize("name,pkt", [
    ("OPT_UNKNOWN_DISCARD", lambda: E / IPv6(src=SA, dst=DA) / IPv6ExtHdrHopByHop(options=[opt(0x9F, b"\0\0")])
     / UDP()),
    ("PAD_ABUSE", lambda: E / IPv6(src=SA, dst=DA, nh=0) / Raw(bytes([17, 1]) + b"\0" * 14) / UDP()),
    ("PAD_ABUSE", lambda: E / IPv6(src=SA, dst=DA, nh=0) / Raw(bytes([17, 0, 1, 4, 0, 0, 1, 0])) / UDP()),
    ("TOO_MANY_OPTS", lambda: E / IPv6(src=SA, dst=DA) / IPv6ExtHdrHopByHop(options=[opt(0x1F, b"")] * 9) / UDP()),
    ("SRH_SL0_ULP", lambda: E / IPv6(src=SA, dst=DA, nh=43) / Raw(_srh_raw(0, 0, 2, nh=47)) / Raw(b"\0" * 8)),
    ("HOPLIMIT_LE1", lambda: E / IPv6(src=SA, dst=DA, hlim=1) / UDP()),
    ("INNER_ERR", lambda: E / IPv6(src=SA, dst=DA) / IPv6(src=SA, dst=DA) / IPv6ExtHdrDestOpt()
     / IPv6ExtHdrHopByHop() / UDP()),
])
def test_soft_and_info_errors(name, pkt):
    j = parse(pkt())
    assert name in j["errors"] and j["parse_ok"], j["errors"]


def test_tshark_flags_the_same_errors(tmp_path):
    # tshark's expert info (background/srv6_arn.md §5.2): "HBH not first" and "SL > address count"
    pkts = [E / IPv6(src=SA, dst=DA) / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / UDP(),
            E / IPv6(src=SA, dst=DA) / IPv6ExtHdrSegmentRouting(addresses=["fc00::1", "fc00::2"], segleft=5) / UDP()]
    path = tmp_path / "errors.pcap"
    wrpcap(str(path), pkts)
    dissected = tshark_pdml(path)
    expected = [("Hop-by-Hop extension header must appear immediately after IPv6 header", "HBH_NOT_FIRST"),
                ("segments left field must not exceed address count", "SRH_SL_GT_LE1")]
    for p, t, (message, name) in zip(pkts, dissected, expected):
        assert any(message in m for m in t["expert"]), t["expert"]
        assert name in parse(p)["errors"]


def test_srh_tlvs_built_by_scapy():
    from scapy.layers.inet6 import (IPv6ExtHdrSegmentRoutingTLVIngressNode, IPv6ExtHdrSegmentRoutingTLVPad1,
                                    IPv6ExtHdrSegmentRoutingTLVPadN)
    # legacy Ingress Node TLV (type 1, 18 bytes) is skipped by length; Pad1 / PadN ≤ 5 are legal (RFC 8754 §2.1.1)
    tlvs = [IPv6ExtHdrSegmentRoutingTLVIngressNode(ingress_node="2001:db8::7"), IPv6ExtHdrSegmentRoutingTLVPad1(),
            IPv6ExtHdrSegmentRoutingTLVPadN(padding=b"\0" * 3)]
    srh = IPv6ExtHdrSegmentRouting(addresses=["fc00::2", "fc00::1"], segleft=1, tlv_objects=tlvs)
    j = parse(E / IPv6(src=SA, dst="fc00::1") / srh / TCP(sport=1, dport=2))
    assert j["parse_ok"] and j["errors"] == [] and j["srh"]["length"] == len(srh) and j["l4"]["dport"] == 2
    srh = IPv6ExtHdrSegmentRouting(addresses=["fc00::2"], segleft=0,
                                   tlv_objects=[IPv6ExtHdrSegmentRoutingTLVPadN(len=6, padding=b"\0" * 6)])
    j = parse(E / IPv6(src=SA, dst="fc00::2") / srh / UDP())
    assert j["parse_ok"] and j["errors"] == ["SRH_TLV_BAD"]                    # PadN Length > 5 (soft)


def test_options_in_inner_and_doh_sources():
    am = (0x00042 << 12 | 1 << 10).to_bytes(4, "big")
    arn = _arn_body(2, 0x0A_000B_000C_000D)
    inner = (IPv6(src="2001:db8:a::1", dst="2001:db8:b::1") / IPv6ExtHdrHopByHop(options=[opt(0x1E, arn)])
             / UDP(sport=5, dport=6))
    srh = IPv6ExtHdrSegmentRouting(addresses=["fc00::1"], segleft=0)
    p = E / IPv6(src=SA, dst="fc00::1") / IPv6ExtHdrDestOpt(options=[opt(0x12, am)]) / srh / inner
    j = parse(p)
    assert j["parse_ok"] and j["errors"] == []
    assert j["arn"]["source"] == "inner_hbh" and j["arn"]["user"] == 0x000D       # outer has none: inner searched
    assert j["altmark"] == {"flowmon_id": 0x42, "l": 0, "d": 1, "source": "outer_doh"}
    assert j["ext_headers"] == [60, 43] and j["inner"]["ext_headers"] == [0] and j["l4"]["sport"] == 5


def test_ioam_trace_agrees_with_tshark(tmp_path):
    # tshark dissects the IOAM option (RFC 9486, type 0x31 in HBH) and its trace header (background §5.2)
    trace = bytes([0, 1]) + struct.pack(">H", 0x0A0B) + bytes([0x08, 0x08]) + bytes([0x80, 0, 0, 0]) + b"\0" * 8
    p = E / IPv6(src=SA, dst=DA) / IPv6ExtHdrHopByHop(options=[opt(0x31, trace)]) / UDP(sport=1, dport=2)
    path = tmp_path / "ioam.pcap"
    wrpcap(str(path), [p])
    (t,) = tshark_pdml(path)
    f = t["ipv6"][0]["fields"]
    j = parse(p)
    assert j["parse_ok"] and j["ioam"]["source"] == "outer_hbh"
    assert j["ioam"]["type"] == int(f["ipv6.opt.ioam.opt_type"][0]) == 1
    assert j["ioam"]["namespace"] == int(f["ipv6.opt.ioam.trace.ns"][0]) == 0x0A0B
