"""No input breaks the golden parser (parser.md §1 "exactly one metadata record per frame", spec README "Bad input").

Frames cut at every byte offset, seeded random mutations of valid packets, and hypothesis-generated frames: the
model never raises, returns exactly one record, sets only bits of the error table, keeps ``parse_ok`` equal to
"no fatal bit", and a cut inside the header chain is always reported as fatal (TRUNC or PLEN_GT_FRAME). The
L4 offsets used as expectations come from scapy's layer lengths.
"""

import ipaddress
import json
import random
import struct

from hypothesis import HealthCheck, given, settings, strategies as st
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import (HBHOptUnknown, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                IPv6ExtHdrSegmentRouting)
from scapy.layers.l2 import Dot1Q, Ether
from scapy.packet import Raw

from din.golden.parser import ERRORS, ParserConfig, parse_frame, read_pcap
from din.golden.parser.errors import FATAL_MASK
from din.golden.parser.record import ParseRecord
from test_parser_golden_refs import TCPDUMP_DIR

E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
ALL_BITS = sum(1 << e.bit for e in ERRORS)
CFG = ParserConfig.from_json({"csid_blocks": [{"prefix": "fc00::", "lbl": 32, "lnfl": 16, "flavor": "next"},
                                              {"prefix": "2001:db8:0:1::", "lbl": 64, "lnfl": 32,
                                               "flavor": "replace"}]})


def _corpus():
    """(frame bytes, end of the minimal L4 header from scapy, or None) for valid packets of every kind."""
    arn = bytes([2, 0x80, 0, 1]) + bytes(range(8)) + b"\x12\x34\x56\x00"
    am = (0x12345 << 12 | 1 << 11).to_bytes(4, "big")
    nrp = bytes([1, 0, 0, 0]) + (7).to_bytes(4, "big")
    hbh = IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=0x1E, optdata=arn), HBHOptUnknown(otype=0x12, optdata=am),
                                      HBHOptUnknown(otype=0x3E, optdata=nrp)])
    srh = IPv6ExtHdrSegmentRouting(addresses=["fc00:3::", "fc00:2::", "2001:db8:0:1:0:9::"], segleft=2)
    inner = IPv6(src="2001:db8:a::1", dst="2001:db8:b::1") / UDP(sport=1000, dport=4791) / Raw(b"x" * 16)
    pkts = [
        E / Dot1Q(vlan=5) / IPv6(src="2001:db8::1", dst="2001:db8:0:1:0:9::") / hbh / IPv6ExtHdrDestOpt() / srh / inner,
        E / IPv6(src="2001:db8::1", dst="fc00:1:2:3:4::") / TCP(sport=5, dport=6) / Raw(b"y" * 8),
        E / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(m=1) / UDP(sport=7, dport=8),
        E / IP(src="10.0.0.1", dst="10.0.0.2", options=b"\x01\x01\x01\x00") / UDP(sport=9, dport=10) / Raw(b"z" * 4),
        E / IPv6(src="2001:db8::1", dst="fc00::1") / srh / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(),
    ]
    out = []
    for p in pkts:
        raw = bytes(p)
        l4 = p.lastlayer()
        while not isinstance(l4, (TCP, UDP)):
            l4 = l4.underlayer
        size = 20 if isinstance(l4, TCP) else 8
        out.append((raw, len(raw) - len(l4) + size))
    for pcap in sorted(TCPDUMP_DIR.glob("*.pcap")):
        for pkt in read_pcap(pcap):
            out.append((pkt.data, None))
    return out


CORPUS = _corpus()


def _check(frame, cfg=CFG, **kw):
    rec = parse_frame(frame, cfg, **kw)
    assert isinstance(rec, ParseRecord)
    assert rec.error_bitmap & ~ALL_BITS == 0
    assert rec.parse_ok == (not rec.error_bitmap & FATAL_MASK)
    j = rec.to_json()
    json.dumps(j)
    assert j["length"] == len(frame)
    assert set(j["errors"]) <= {e.name for e in ERRORS}
    s = j["srh"]
    if s is not None:
        if s["sl"] > s["le"]:
            assert s["seg_cur"] is None
        if s["sl"] == 0:
            assert s["seg_next"] is None
    if j["l4"] is not None:
        assert (j["l4"]["sport"] is None) == (j["l4"]["proto"] in (1, 58))
    assert 0 <= j["hash"] < 1 << 32
    return rec


def test_cut_at_every_offset():
    n = 0
    for frame, l4_end in CORPUS:
        # beyond the parse window plus one IPv6 header nothing new is reached, so long frames are cut up to there
        for cut in range(min(len(frame), 512 + 64) + 1):
            rec = _check(frame[:cut])
            n += 1
            if l4_end is not None and cut < l4_end:
                assert not rec.parse_ok and {"TRUNC", "PLEN_GT_FRAME"} & set(rec.errors), (cut, rec.errors)
                assert rec.l4 is None
    assert n > 2000


def test_full_corpus_parses_clean():
    for frame, l4_end in CORPUS:
        if l4_end is not None:
            rec = _check(frame)
            assert rec.parse_ok and rec.errors == [] and rec.l4 is not None, rec.errors


def test_seeded_mutations(seed):
    rng = random.Random(seed)
    frames = [f for f, _ in CORPUS if len(f) < 2000]
    for _ in range(4000):
        frame = bytearray(rng.choice(frames))
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(12, min(len(frame), 200))
            frame[pos] = rng.randrange(256) if rng.random() < 0.7 else frame[pos] ^ (1 << rng.randrange(8))
        if rng.random() < 0.3:
            frame = frame[:rng.randrange(len(frame) + 1)]
        _check(bytes(frame), mac_error=rng.random() < 0.05)


def test_mac_error_is_fatal_and_keeps_fields():
    frame, _ = CORPUS[1]
    rec = _check(frame, mac_error=True)
    assert rec.errors == ["MAC_ERR"] and not rec.parse_ok and rec.l4 is not None


def test_frames_longer_than_the_window():
    sids = [f"fc00::{i + 1:x}" for i in range(40)]                 # SRH of 648 bytes: L4 beyond byte 512
    p = E / IPv6(src="::1", dst=sids[-1]) / IPv6ExtHdrSegmentRouting(addresses=sids) / UDP() / Raw(b"\0" * 64)
    rec = _check(bytes(p))
    assert rec.errors == ["CHAIN_TOO_LONG"] and rec.l4 is None and rec.srh.seg_cur is not None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=300), ethertype=st.sampled_from([0x86DD, 0x0800, 0x8100, 0x88A8, 0x1234]),
       version_first=st.booleans())
def test_hypothesis_random_frames(body, ethertype, version_first):
    if version_first and body:
        body = bytes([0x60 if ethertype != 0x0800 else 0x45]) + body[1:]
    _check(b"\x02" * 12 + struct.pack(">H", ethertype) + body)


@settings(max_examples=300, deadline=None)
@given(nh=st.sampled_from([0, 43, 44, 51, 60, 135, 59, 50, 41, 4, 6, 17]), chain=st.binary(min_size=0, max_size=200),
       plen_delta=st.integers(-16, 16))
def test_hypothesis_chains(nh, chain, plen_delta):
    plen = max(0, min(0xFFFF, len(chain) + plen_delta))
    hdr = struct.pack(">IHBB", 6 << 28, plen, nh, 64) + ipaddress.IPv6Address("fc00::1").packed * 2
    _check(b"\x02" * 12 + b"\x86\xdd" + hdr + chain)
