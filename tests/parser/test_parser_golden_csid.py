"""RFC 9800 compressed-SID next-DA walks through the golden parser (parser.md §3, §8).

Independent vectors: VPP's ``test/test_srv6_un.py`` NEXT-C-SID vector and the P4 reference shift of
netgroup/p4-srv6-usid (background/srv6_arn.md §3.1); the REPLACE-C-SID worked example of background §3.2, whose
successive DAs were produced by an independent generator. Packets are built with scapy.
"""

import ipaddress
import random

import pytest
from scapy.layers.inet import UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrSegmentRouting
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from din.golden.parser import ParserConfig, parse_frame

E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")   # explicit MACs: no neighbour lookup
SA = "2001:db8::99"


def _cfg(*blocks):
    return ParserConfig.from_json({"csid_blocks": [dict(zip(("prefix", "lbl", "lnfl", "flavor"), b)) for b in blocks]})


def _a(s):
    return str(ipaddress.IPv6Address(s))


USID = _cfg(("1111:2222::", 32, 16, "next"))


def test_vpp_usid_vector_without_srh():
    # VPP test_srv6_un.py: DA 1111:2222:aaaa:bbbb:cccc:dddd:eeee:ffff -> 1111:2222:bbbb:cccc:dddd:eeee:ffff:0
    j = parse_frame(bytes(E / IPv6(src=SA, dst="1111:2222:aaaa:bbbb:cccc:dddd:eeee:ffff") / UDP()), USID).to_json()
    assert j["parse_ok"]
    assert j["csid"]["flavor"] == "next" and j["csid"]["end"] is False and j["csid"]["block"] == 0
    assert j["csid"]["next_da"] == _a("1111:2222:bbbb:cccc:dddd:eeee:ffff:0")


def test_vpp_usid_walk_to_the_end():
    # shifting on: each step drops the first uSID (RFC 9800 §4.1.1), until the argument is zero: with no SRH (or
    # SL = 0) that is the end of the path (parser.md §8)
    expected = ["1111:2222:bbbb:cccc:dddd:eeee:ffff:0", "1111:2222:cccc:dddd:eeee:ffff::", "1111:2222:dddd:eeee:ffff::",
                "1111:2222:eeee:ffff::", "1111:2222:ffff::", None]
    da = "1111:2222:aaaa:bbbb:cccc:dddd:eeee:ffff"
    for exp in expected:
        c = parse_frame(bytes(E / IPv6(src=SA, dst=da) / UDP()), USID).to_json()["csid"]
        assert c["next_da"] == (_a(exp) if exp else None) and c["end"] is (exp is None)
        da = exp


def test_vpp_usid_with_odd_srh():
    # VPP also sends the vector with an SRH of segleft=1, lastentry=0 and two 16-byte entries (background §3.1):
    # the second entry is read as TLV bytes, which an RFC-strict walk flags -- softly: the uN node never needs them.
    # (Here the second entry starts a2 ff: a TLV of Length 255 that overruns the header.)
    sids = ipaddress.IPv6Address("a1::").packed + ipaddress.IPv6Address("a2ff::").packed
    srh = bytes([17, 4, 4, 1, 0, 0, 0, 0]) + sids
    p = E / IPv6(src=SA, dst="1111:2222:aaaa:bbbb:cccc:dddd:eeee:ffff", nh=43) / Raw(srh) / UDP(sport=1, dport=2)
    j = parse_frame(bytes(p), USID).to_json()
    assert j["parse_ok"] and j["errors"] == ["SRH_TLV_BAD"] and j["l4"]["dport"] == 2
    assert j["srh"]["reduced"] and j["srh"]["seg_next"] == _a("a1::")
    assert j["csid"]["next_da"] == _a("1111:2222:bbbb:cccc:dddd:eeee:ffff:0")


def test_usid_end_then_next_segment_from_srh():
    # argument zero and SL = 1: normal End, next DA = Segment List[0] (RFC 8986 §4.1)
    srh = IPv6ExtHdrSegmentRouting(addresses=["2001:db8:e::1", "1111:2222:ffff::"], segleft=1)
    j = parse_frame(bytes(E / IPv6(src=SA, dst="1111:2222:ffff::") / srh / UDP()), USID).to_json()
    assert j["csid"]["next_da"] == _a("2001:db8:e::1") and not j["csid"]["end"]


def test_usid_matches_p4_reference_shift(seed):
    # netgroup/p4-srv6-usid end_action_usid / srv6_usid_un:
    #   dst_addr = (dst_addr & BLOCK_MASK) | ((dst_addr << 16) & ~BLOCK_MASK), 32-bit block
    rng = random.Random(seed)
    block_mask = ((1 << 32) - 1) << 96
    full = (1 << 128) - 1
    for _ in range(200):
        da = 0x1111_2222 << 96 | rng.getrandbits(96)
        if not da & ((1 << 80) - 1):
            continue                                   # zero argument: normal End, covered above
        ref = (da & block_mask) | ((da << 16) & ~block_mask & full)
        c = parse_frame(bytes(E / IPv6(src=SA, dst=str(ipaddress.IPv6Address(da))) / UDP()), USID).csid
        assert c.next_da == ref


G_SRV6 = _cfg(("2001:db8:0:1::", 64, 32, "replace"))
CONTAINER = "::3:3:2:2:1:1"                            # 00000000 00030003 00020002 00010001 (background §3.2)


def _replace_pkt(da, sl, containers=(CONTAINER,)):
    srh = IPv6ExtHdrSegmentRouting(addresses=list(containers), segleft=sl, lastentry=len(containers) - 1)
    return bytes(E / IPv6(src=SA, dst=da) / srh / UDP(sport=1, dport=2))


def test_replace_csid_worked_example():
    # background/srv6_arn.md §3.2: LBL 64, LNFL 32, DA 2001:db8:0:1:0:9:: (index 0), SL 1, LE 0 → successive DAs
    # 2001:db8:0:1:1:1:0:3, …:2:2:0:2, …:3:3:0:1, then SL == 0 and list[0][0] == 0 → end of path.
    steps = [("2001:db8:0:1:0:9::", 1, "2001:db8:0:1:1:1:0:3", 3),
             ("2001:db8:0:1:1:1:0:3", 0, "2001:db8:0:1:2:2:0:2", 2),
             ("2001:db8:0:1:2:2:0:2", 0, "2001:db8:0:1:3:3:0:1", 1),
             ("2001:db8:0:1:3:3:0:1", 0, None, None)]
    for da, sl, nxt, nidx in steps:
        # the first packet has a reduced SRH (SL 1, LE 0: the first SID is only in the DA); after the first step
        # SL is 0 (S24 decremented it) and list[0] is still the container
        j = parse_frame(_replace_pkt(da, sl), G_SRV6).to_json()
        c = j["csid"]
        assert j["parse_ok"], (da, j["errors"])
        assert c["flavor"] == "replace" and c["next_da"] == (_a(nxt) if nxt else None), da
        assert c["end"] is (nxt is None) and c["next_index"] == nidx


def test_replace_csid_zero_ends_container():
    # RFC 9800 §4.2.1 S14-S18: a zero C-SID ends the container: SL - 1, next DA = Segment List[SL - 1] in full
    containers = ["2001:db8:0:7::", "::5:5:0:0"]           # list[1] = [0, 0, 5:5, 0]; list[0] a full SID
    j = parse_frame(_replace_pkt("2001:db8:0:1:5:5:0:2", 1, containers), G_SRV6).to_json()
    # index 2 → position 1 of list[1] is zero
    assert j["csid"]["next_da"] == _a("2001:db8:0:7::") and j["csid"]["next_index"] is None


def test_replace_csid_errors_and_no_srh():
    # index != 0 with SL > LE (reduced SRH): Parameter Problem → CSID_BAD (fatal, parser.md §6)
    srh = IPv6ExtHdrSegmentRouting(addresses=[CONTAINER], segleft=1, lastentry=0)
    j = parse_frame(bytes(E / IPv6(src=SA, dst="2001:db8:0:1:1:1:0:3") / srh / UDP()), G_SRV6).to_json()
    assert "CSID_BAD" in j["errors"] and not j["parse_ok"] and j["csid"]["next_da"] is None
    # index != 0 and no SRH: end of the path, not an error (parser.md §8)
    j = parse_frame(bytes(E / IPv6(src=SA, dst="2001:db8:0:1:1:1:0:3") / UDP()), G_SRV6).to_json()
    assert j["parse_ok"] and j["csid"]["end"] and j["csid"]["next_da"] is None and j["csid"]["index"] == 3


def test_replace_csid_16_bit():
    # LNFL 16: K = 8, a 3-bit index (RFC 9800 §4.2); container positions 0..7, consumed from 7 down
    cfg = _cfg(("2001:db8:0:1::", 64, 16, "replace"))
    j = parse_frame(_replace_pkt("2001:db8:0:1:abcd::", 1, ["0:0:0:0:0:0:22:11"]), cfg).to_json()
    assert j["csid"]["next_da"] == _a("2001:db8:0:1:11::7")
    j = parse_frame(_replace_pkt("2001:db8:0:1:11::7", 0, ["0:0:0:0:0:0:22:11"]), cfg).to_json()
    assert j["csid"]["next_da"] == _a("2001:db8:0:1:22::6")
    j = parse_frame(_replace_pkt("2001:db8:0:1:22::6", 0, ["0:0:0:0:0:0:22:11"]), cfg).to_json()
    assert j["csid"]["end"]


def test_descriptor_order_and_no_match():
    cfg = _cfg(("fc00::", 16, 16, "next"), ("fc00:1::", 32, 16, "replace"))
    j = parse_frame(bytes(E / IPv6(src=SA, dst="fc00:1:2::") / UDP()), cfg).to_json()
    assert j["csid"]["block"] == 0 and j["csid"]["flavor"] == "next"       # first match in table order (§8)
    j = parse_frame(bytes(E / IPv6(src=SA, dst="2001:db8::1") / UDP()), cfg).to_json()
    assert j["csid"] is None


@pytest.mark.parametrize("bad", [
    {"csid_blocks": [{"prefix": "fc00::", "lbl": 120, "lnfl": 16, "flavor": "next"}]},
    {"csid_blocks": [{"prefix": "fc00::", "lbl": 32, "lnfl": 16, "flavor": "sideways"}]},
    {"csid_blocks": [{"prefix": "not-an-address", "lbl": 32, "lnfl": 16}]},
    {"csid_blocks": [{"prefix": "fc00::", "lbl": 32, "lnfl": 16}] * 5},
])
def test_bad_descriptors_rejected(bad):
    with pytest.raises(ValueError):
        ParserConfig.from_json(bad)
