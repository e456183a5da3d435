"""Real Ethernet on XGMII: a small pcap reader, the FCS, and frames ↔ XGMII words (IEEE 802.3 Cl. 46, 4.2.3.2).

Frames → XGMII (:func:`frames_to_xgmii`): each frame starts in lane 0 of a word with /S/, six preamble octets 0x55
and the SFD 0xD5; then the frame (padded to 60 octets), its FCS (CRC-32, sent least-significant octet first), /T/,
and /I/ up to at least ``ifg`` octets of inter-frame gap counted from the /T/ (default 12, the minimum average IPG),
then more /I/ to the next word boundary. The FCS comes from :data:`~.crc.CRC32_ETH`, derived from its polynomial.

pcap (:func:`read_pcap`): the classic libpcap format (both byte orders, µs and ns), link type 1 (Ethernet); captured
frames are taken to carry no FCS, as in captures from a NIC.
"""

import struct

import numpy as np

from .crc import CRC32_ETH
from .pcs6466 import XGMII_IDLE

__all__ = ["read_pcap", "fcs", "frames_to_xgmii", "xgmii_to_frames"]

PREAMBLE_SFD = bytes([0x55] * 6 + [0xD5])
START, TERM, IDLE = 0xFB, 0xFD, 0x07
MIN_FRAME_NO_FCS = 60


def read_pcap(path_or_bytes):
    """List of frames (bytes) from a classic pcap file with link type Ethernet."""
    raw = path_or_bytes if isinstance(path_or_bytes, (bytes, bytearray)) else open(path_or_bytes, "rb").read()
    if len(raw) < 24:
        raise ValueError("the pcap file is shorter than its 24-byte header")
    magic = raw[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    elif magic == b"\x0a\x0d\x0d\x0a":
        raise ValueError("pcapng files are not supported; convert with `editcap -F pcap IN OUT`")
    else:
        raise ValueError("not a pcap file (unknown magic number)")
    linktype = struct.unpack(endian + "I", raw[20:24])[0] & 0x0FFFFFFF
    if linktype != 1:
        raise ValueError(f"pcap link type {linktype} is not Ethernet (1)")
    frames, off = [], 24
    while off + 16 <= len(raw):
        _, _, incl, _ = struct.unpack(endian + "IIII", raw[off:off + 16])
        off += 16
        if off + incl > len(raw):
            raise ValueError("the pcap file ends inside a packet record")
        frames.append(bytes(raw[off:off + incl]))
        off += incl
    return frames


def fcs(frame):
    """The 4 FCS octets of a frame (without FCS), in transmission order."""
    return CRC32_ETH(frame).to_bytes(4, "little")


def frames_to_xgmii(frames, *, ifg=12, lead_idle=2):
    """Ethernet frames (no preamble, no FCS) → XGMII words (data uint64, ctrl uint8)."""
    lanes, ctrl = [IDLE] * (8 * lead_idle), [1] * (8 * lead_idle)
    for f in frames:
        f = bytes(f).ljust(MIN_FRAME_NO_FCS, b"\0")
        body = PREAMBLE_SFD + f + fcs(f)
        lanes += [START] + list(body) + [TERM]
        ctrl += [1] + [0] * len(body) + [1]
        gap = ifg - 1
        gap += -(len(lanes) + gap) % 8
        lanes += [IDLE] * gap
        ctrl += [1] * gap
    lanes += [IDLE] * (-len(lanes) % 8)
    ctrl += [1] * (-len(ctrl) % 8)
    lb = np.array(lanes, dtype=np.uint8).reshape(-1, 8)
    cb = np.array(ctrl, dtype=np.uint8).reshape(-1, 8)
    data = lb.view("<u8").reshape(-1).astype(np.uint64)
    c = np.packbits(cb, axis=1, bitorder="little").reshape(-1)
    return data, c


def xgmii_to_frames(data, ctrl):
    """XGMII words → list of (frame without FCS, fcs_ok, preamble_ok); for checking a receiver's output."""
    lb = np.asarray(data, dtype="<u8").view(np.uint8).reshape(-1, 8).reshape(-1)
    cb = np.unpackbits(np.asarray(ctrl, dtype=np.uint8)[:, None], axis=1, bitorder="little").reshape(-1)
    out, i, n = [], 0, len(lb)
    starts = np.flatnonzero((cb == 1) & (lb == START))
    for s in starts:
        if s < i:
            continue
        ends = np.flatnonzero(cb[s + 1:] == 1)
        if len(ends) == 0:
            break
        e = s + 1 + ends[0]
        body = lb[s + 1:e].tobytes()
        ok_t = lb[e] == TERM
        pre_ok = body[:7] == PREAMBLE_SFD
        frame, f = body[7:-4], body[-4:]
        out.append((frame, bool(ok_t and pre_ok and len(body) >= 11 and fcs(frame) == f), pre_ok))
        i = e
    return out
