"""Frames for the parser tests: valid packets of every header kind (scapy), the tcpdump captures, and seeded
mutations / truncations of them (issue 4: 'random and mutated frames, frames cut at every byte offset')."""

import random
from pathlib import Path

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (HBHOptUnknown, ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting)
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.layers.sctp import SCTP
from scapy.packet import Raw

from din.golden.parser import ParserConfig, read_pcap

__all__ = ["TCPDUMP_DIR", "CFG", "valid_frames", "capture_frames", "mutated_frames", "cut_frames", "many_ext_frame", "bench_frames", "config_cases"]

TCPDUMP_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pcap" / "tcpdump"
CFG = ParserConfig.from_json({"arn": {"carrier": "both"},
                              "csid_blocks": [{"prefix": "fc00::", "lbl": 32, "lnfl": 16, "flavor": "next"},
                                              {"prefix": "2001:db8:0:1::", "lbl": 64, "lnfl": 32,
                                               "flavor": "replace"}]})
E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def valid_frames():
    arn64 = bytes([2, 0x80, 0, 1]) + bytes(range(8)) + b"\x12\x34\x56\x00"
    arn128 = bytes([3, 0x40, 0, 0]) + bytes(range(16, 32))
    arn32 = bytes([1, 0, 0, 0]) + b"\xab\xcd\xef\x01"
    apn6 = (5).to_bytes(4, "big") + (0x1234).to_bytes(4, "big") + (0x99).to_bytes(4, "big")
    am = (0x12345 << 12 | 1 << 11).to_bytes(4, "big")
    nrp = bytes([1, 0, 0, 0]) + (7).to_bytes(4, "big")
    ioam_dex = bytes([0, 4]) + (0x55).to_bytes(2, "big") + bytes([0, 0xC0, 0, 0]) + bytes(4) + (9).to_bytes(4, "big") \
        + (10).to_bytes(4, "big")
    hbh = IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=0x1E, optdata=arn64), HBHOptUnknown(otype=0x12, optdata=am),
                                      HBHOptUnknown(otype=0x3E, optdata=nrp)])
    hbh2 = IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=0x31, optdata=ioam_dex), HBHOptUnknown(otype=0x05,
                                                                                                optdata=b"\x00\x01")])
    doh = IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x1E, optdata=arn128)])
    doh2 = IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x03, optdata=apn6), HBHOptUnknown(otype=0x7F,
                                                                                             optdata=b"ab")])
    srh = IPv6ExtHdrSegmentRouting(addresses=["fc00:3::", "fc00:2::", "2001:db8:0:1:0:9::"], segleft=2)
    srh0 = IPv6ExtHdrSegmentRouting(addresses=["fc00:3::"], segleft=0)
    inner = IPv6(src="2001:db8:a::1", dst="2001:db8:b::1") / UDP(sport=1000, dport=4791) / Raw(b"x" * 16)
    pkts = [
        E / Dot1Q(vlan=5) / IPv6(src="2001:db8::1", dst="2001:db8:0:1:0:9::") / hbh / IPv6ExtHdrDestOpt() / srh / inner,
        E / IPv6(src="2001:db8::1", dst="fc00:1:2:3:4::") / TCP(sport=5, dport=6) / Raw(b"y" * 8),
        E / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(m=1) / UDP(sport=7, dport=8),
        E / IP(src="10.0.0.1", dst="10.0.0.2", options=b"\x01\x01\x01\x00") / UDP(sport=9, dport=10) / Raw(b"z" * 4),
        E / IPv6(src="2001:db8::1", dst="fc00::1") / srh / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(),
        E / Dot1AD(vlan=7) / Dot1Q(vlan=9) / IPv6(hlim=1) / hbh2 / doh / doh2 / UDP(),
        E / IPv6() / srh0 / ICMPv6EchoRequest(),
        E / IPv6() / IPv6ExtHdrRouting(addresses=["::1"], segleft=0) / SCTP(sport=1, dport=2),
        E / IP(ttl=1) / ICMP(),
        E / IPv6() / IPv6ExtHdrFragment(offset=5) / UDP(),
        E / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=53, dport=53) / Raw(b"q" * 20),
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=0x0806) / Raw(b"\x00" * 28),
    ]
    return [bytes(p) for p in pkts]


def capture_frames():
    out = []
    for pcap in sorted(TCPDUMP_DIR.glob("*.pcap")):
        out.extend(pkt.data for pkt in read_pcap(pcap))
    return out


def mutated_frames(count, seed, base=None):
    """``count`` (frame, mac_error) pairs: random byte changes after the MAC addresses, random cuts."""
    rng = random.Random(f"parser-mutations:{seed}")
    frames = [f for f in (base or valid_frames() + capture_frames()) if len(f) < 1600]
    out = []
    for _ in range(count):
        frame = bytearray(rng.choice(frames))
        for _ in range(rng.randint(0, 4)):
            if len(frame) <= 12:
                break
            pos = rng.randrange(12, min(len(frame), 200))
            frame[pos] = rng.randrange(256) if rng.random() < 0.7 else frame[pos] ^ (1 << rng.randrange(8))
        if rng.random() < 0.3:
            frame = frame[:rng.randrange(len(frame) + 1)]
        if not frame:
            frame = bytearray(b"\x00")
        out.append((bytes(frame), int(rng.random() < 0.05)))
    return out


def cut_frames(frames, limit=600):
    """Every prefix (1 byte up to ``limit``) of each frame."""
    return [f[:n] for f in frames for n in range(1, min(len(f), limit) + 1)]


def many_ext_frame(n):
    """IPv6 with ``n`` Destination Options headers (8 bytes each, PadN) and UDP: EXT_TOO_MANY when n > MAX_EXT."""
    pkt = IPv6(src="2001:db8::1", dst="2001:db8::2")
    for _ in range(n):
        pkt = pkt / IPv6ExtHdrDestOpt()
    return bytes(E / pkt / UDP(sport=1, dport=2))


def bench_frames():
    """The benchmark's frames (issue 4 "Must show"), each valid (no error) so the walk goes to the end:

    * ``ipv6_udp_64``: plain IPv6 / UDP in 64 bytes (the back-to-back throughput frame);
    * ``srv6_3sid_inner``: IPv6 / SRH with 3 SIDs / inner IPv6 / UDP;
    * ``worst_512``: 512 bytes with the longest walk the default limits allow in the parse window: HBH with eight
      options (ARN, Alt-Mark, NRP, IOAM and four unknown skip options, PadN between), a DOH with an option, an SRH
      with 8 SIDs, Fragment, a DOH, inner IPv6 with its own HBH, and UDP ending before byte 512.
    """
    arn64 = bytes([2, 0x80, 0, 1]) + bytes(range(8)) + b"\x12\x34\x56\x00"
    am = (0x12345 << 12 | 1 << 11).to_bytes(4, "big")
    nrp = bytes([1, 0, 0, 0]) + (7).to_bytes(4, "big")
    ioam = bytes([0, 4]) + (0x55).to_bytes(2, "big") + bytes([0, 0xC0, 0, 0]) + bytes(4) + (9).to_bytes(4, "big") \
        + (10).to_bytes(4, "big")
    opts = [HBHOptUnknown(otype=0x1E, optdata=arn64), HBHOptUnknown(otype=0x12, optdata=am),
            HBHOptUnknown(otype=0x3E, optdata=nrp), HBHOptUnknown(otype=0x31, optdata=ioam)]
    opts += [HBHOptUnknown(otype=0x07 + k, optdata=bytes(3 + k)) for k in range(4)]
    sids = [f"fc00:{k}::" for k in range(8)]
    srh = IPv6ExtHdrSegmentRouting(addresses=sids, segleft=5)
    udp = UDP(sport=1000, dport=4791)
    frames = {
        "ipv6_udp_64": E / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=53, dport=53) / Raw(b"q" * 2),
        "srv6_3sid_inner": E / IPv6(src="2001:db8::1", dst="fc00:2::") / IPv6ExtHdrSegmentRouting(
            addresses=["fc00:3::", "fc00:2::", "fc00:1::"], segleft=1)
        / IPv6(src="2001:db8:a::1", dst="2001:db8:b::1") / udp / Raw(b"x" * 18),
    }
    worst = (E / IPv6(src="2001:db8::1", dst="fc00:5::") / IPv6ExtHdrHopByHop(options=opts)
             / IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x08, optdata=bytes(6))]) / srh
             / IPv6ExtHdrFragment(m=1) / IPv6ExtHdrDestOpt()
             / IPv6(src="2001:db8:a::1", dst="2001:db8:b::1")
             / IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=0x0C, optdata=bytes(12))]) / udp)
    frames["worst_512"] = worst / Raw(bytes(512 - len(worst)))
    return {name: bytes(p) for name, p in frames.items()}


def config_cases(seed=1):
    """(name, ParserConfig, frames) for RTL-vs-golden runs under other configurations than ``CFG``: RFC 9800
    NEXT-C-SID with VPP's published uSID vector (``test/test_srv6_un.py``: block 1111:2222::/32, 16-bit uSIDs) walked
    to its end, VPP's odd SRH, random uSID DAs; REPLACE-C-SID with the worked example of background/srv6_arn.md §3.2
    (LBL 64, LNFL 32) and with 16-bit C-SIDs, zero C-SIDs, CSID_BAD and no SRH; descriptor order; ARN carried in DOH
    only with another carve-out and APN6 off."""
    import ipaddress
    rng = random.Random(f"parser-config-cases:{seed}")
    sa = "2001:db8::99"

    def cfg(*blocks, **extra):
        return ParserConfig.from_json({"csid_blocks": [dict(zip(("prefix", "lbl", "lnfl", "flavor"), b))
                                                       for b in blocks], **extra})

    def plain(da):
        return bytes(E / IPv6(src=sa, dst=da) / UDP(sport=1, dport=2))

    def srh(da, sl, containers, le=None):
        s = IPv6ExtHdrSegmentRouting(addresses=list(containers), segleft=sl,
                                     lastentry=len(containers) - 1 if le is None else le)
        return bytes(E / IPv6(src=sa, dst=da) / s / UDP(sport=1, dport=2))

    vpp = ["1111:2222:aaaa:bbbb:cccc:dddd:eeee:ffff", "1111:2222:bbbb:cccc:dddd:eeee:ffff:0",
           "1111:2222:cccc:dddd:eeee:ffff::", "1111:2222:dddd:eeee:ffff::", "1111:2222:eeee:ffff::", "1111:2222:ffff::"]
    odd = (bytes([17, 4, 4, 1, 0, 0, 0, 0]) + ipaddress.IPv6Address("a1::").packed
           + ipaddress.IPv6Address("a2ff::").packed)
    usid = [plain(da) for da in vpp]
    usid.append(bytes(E / IPv6(src=sa, dst=vpp[0], nh=43) / Raw(odd) / UDP(sport=1, dport=2)))
    usid.append(srh("1111:2222:ffff::", 1, ["2001:db8:e::1", "1111:2222:ffff::"]))
    usid += [plain(str(ipaddress.IPv6Address(0x1111_2222 << 96 | rng.getrandbits(96)))) for _ in range(30)]
    usid += [srh(str(ipaddress.IPv6Address(0x1111_2222 << 96 | rng.getrandbits(96))), rng.randint(0, 2),
                 ["2001:db8:e::1", "2001:db8:e::2", "1111:2222:1:2:3::"]) for _ in range(10)]
    container = "::3:3:2:2:1:1"
    replace32 = [srh("2001:db8:0:1:0:9::", 1, [container]), srh("2001:db8:0:1:1:1:0:3", 0, [container]),
                 srh("2001:db8:0:1:2:2:0:2", 0, [container]), srh("2001:db8:0:1:3:3:0:1", 0, [container]),
                 srh("2001:db8:0:1:5:5:0:2", 1, ["2001:db8:0:7::", "::5:5:0:0"]),
                 srh("2001:db8:0:1:1:1:0:3", 1, [container], le=0), plain("2001:db8:0:1:1:1:0:3")]
    replace32 += [srh(str(ipaddress.IPv6Address(0x2001_0db8_0000_0001 << 64 | rng.getrandbits(64))),
                      rng.randint(0, 2), ["::7:7:6:6", "::5:5:4:4", container]) for _ in range(20)]
    r16 = "0:0:0:0:0:0:22:11"
    replace16 = [srh("2001:db8:0:1:abcd::", 1, [r16]), srh("2001:db8:0:1:11::7", 0, [r16]),
                 srh("2001:db8:0:1:22::6", 0, [r16])]
    replace16 += [srh(str(ipaddress.IPv6Address(0x2001_0db8_0000_0001 << 64 | rng.getrandbits(64))),
                      rng.randint(0, 1), [r16, "1:2:3:4:5:6:7:8"]) for _ in range(20)]
    order = [plain("fc00:1:2::"), plain("2001:db8::1"), plain("fc00:1:2:3:4:5:6:7")]
    arn = [f for f in valid_frames()]
    return [
        ("usid_next", cfg(("1111:2222::", 32, 16, "next")), usid),
        ("replace_32", cfg(("2001:db8:0:1::", 64, 32, "replace")), replace32),
        ("replace_16", cfg(("2001:db8:0:1::", 64, 16, "replace")), replace16),
        ("descriptor_order", cfg(("fc00::", 16, 16, "next"), ("fc00:1::", 32, 16, "replace")), order),
        ("arn_doh_carve", ParserConfig.from_json({"arn": {"carrier": "doh", "apn6_option_type": None,
                                                          "carve": {"app_group": 8, "app": 24, "user_group": 40,
                                                                    "user": 112}}}), arn),
    ]
