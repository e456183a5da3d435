"""A small reader for pcap (both byte orders, micro- and nanosecond) and pcapng (SHB, IDB, EPB, SPB, OPB).

Formats: the classic libpcap file format (draft-ietf-opsawg-pcap) and pcapng (draft-ietf-opsawg-pcapng). Only
what ``din parse`` needs: each packet's captured bytes, original length, timestamp and link type. No scapy.
"""

import struct
from dataclasses import dataclass

__all__ = ["Packet", "PcapError", "read_pcap", "write_pcap", "LINKTYPE_ETHERNET"]

LINKTYPE_ETHERNET = 1
_PCAP_MAGIC = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
               b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}
_PCAPNG_SHB = 0x0A0D0D0A


class PcapError(ValueError):
    """The file is not a pcap / pcapng file this reader understands (one sentence)."""


@dataclass(frozen=True)
class Packet:
    data: bytes             # the captured bytes (may be shorter than orig_len)
    orig_len: int
    timestamp: float
    linktype: int


def read_pcap(path_or_bytes):
    """All packets of a pcap or pcapng file, in capture order."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        raw = bytes(path_or_bytes)
    else:
        with open(path_or_bytes, "rb") as f:
            raw = f.read()
    if len(raw) >= 4 and raw[:4] in _PCAP_MAGIC:
        return _read_classic(raw)
    if len(raw) >= 12 and int.from_bytes(raw[:4], "little") == _PCAPNG_SHB:
        return _read_ng(raw)
    raise PcapError("not a pcap or pcapng file (unknown magic number)")


def _read_classic(raw):
    endian, unit = _PCAP_MAGIC[raw[:4]]
    if len(raw) < 24:
        raise PcapError("pcap file header is truncated")
    linktype = struct.unpack(endian + "I", raw[20:24])[0] & 0x0FFFFFFF
    out, pos = [], 24
    while pos + 16 <= len(raw):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", raw[pos:pos + 16])
        pos += 16
        if pos + incl > len(raw):
            raise PcapError(f"pcap record at byte {pos - 16} runs past the end of the file")
        out.append(Packet(raw[pos:pos + incl], orig, sec + frac * unit, linktype))
        pos += incl
    if pos != len(raw):
        raise PcapError(f"pcap file ends inside a record header at byte {pos}")
    return out


def _read_ng(raw):
    out, pos = [], 0
    endian = "<"
    interfaces = []                                   # (linktype, timestamp unit) per IDB of the current section
    while pos + 12 <= len(raw):
        btype = struct.unpack(endian + "I", raw[pos:pos + 4])[0]
        if btype == _PCAPNG_SHB:
            bom = raw[pos + 8:pos + 12]
            endian = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">" if bom == b"\x1a\x2b\x3c\x4d" else None
            if endian is None:
                raise PcapError("pcapng section header has an unknown byte-order magic")
            interfaces = []
        blen = struct.unpack(endian + "I", raw[pos + 4:pos + 8])[0]
        if blen < 12 or blen % 4 or pos + blen > len(raw):
            raise PcapError(f"pcapng block at byte {pos} has a bad length {blen}")
        body = raw[pos + 8:pos + blen - 4]
        if btype == 1:                                # Interface Description Block
            linktype = struct.unpack(endian + "H", body[:2])[0]
            interfaces.append((linktype, _if_tsresol(body[8:], endian)))
        elif btype in (6, 3):                         # Enhanced / Simple Packet Block
            if btype == 6:
                ifid, ts_hi, ts_lo, cap, orig = struct.unpack(endian + "IIIII", body[:20])
                data = body[20:20 + cap]
            else:
                ifid, ts_hi, ts_lo, orig = 0, 0, 0, struct.unpack(endian + "I", body[:4])[0]
                data = body[4:4 + orig]
            if ifid >= len(interfaces):
                raise PcapError(f"pcapng packet at byte {pos} names interface {ifid}, which is not described")
            linktype, unit = interfaces[ifid]
            out.append(Packet(bytes(data), orig, ((ts_hi << 32) | ts_lo) * unit, linktype))
        pos += blen
    if pos != len(raw):
        raise PcapError(f"pcapng file ends inside a block at byte {pos}")
    return out


def _if_tsresol(options, endian):
    pos = 0
    while pos + 4 <= len(options):
        code, length = struct.unpack(endian + "HH", options[pos:pos + 4])
        if code == 0:
            break
        if code == 9 and length >= 1:                 # if_tsresol
            v = options[pos + 4]
            return 2.0 ** -(v & 0x7F) if v & 0x80 else 10.0 ** -v
        pos += 4 + (length + 3) // 4 * 4
    return 1e-6


def write_pcap(path, frames, linktype=LINKTYPE_ETHERNET):
    """Write ``frames`` (bytes) as a little-endian microsecond pcap (for tests and tools)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(frame), len(frame)))
            f.write(bytes(frame))
