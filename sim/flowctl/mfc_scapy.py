"""An MFC frame dissector / builder written with scapy from the spec (flowctl.md §5, docs/flowctl.md "MFC frame"),
independent of the golden model's codec (golden/flowctl/mfc.py): the RTL benches decode every ``m_fc`` frame with it
and build the ``s_fc`` frames they inject with it.

Layout after the Ethernet header (EtherType 0x88B5), big-endian::

    14 version(4) | type(4)   15 flags (b0 GLOBAL_PAUSE, b1 RESET, b2 SNAP_LAST)   16 seq(16)   18 time_exp   19 0
    20 count (DELTA, TENANT_DELTA) | base (SNAPSHOT)      22 0 | covered
    24 DELTA: count × {id(16), lease(16)}          SNAPSHOT: lease(16), 6 reserved, 32 bitmap (covered / 8 bytes,
                                                   bit i of byte k = flow base + 8k + i, LSB first)

Frames are zero padded to 60 bytes (no FCS on AXI-Stream).
"""

from scapy.fields import (BitEnumField, BitField, ConditionalField, FieldLenField, FlagsField, PacketListField,
                          ShortField, StrLenField, XByteField, XStrFixedLenField)
from scapy.layers.l2 import Ether
from scapy.packet import Packet, Padding, bind_layers

__all__ = ["MFC_ETYPE", "MfcEntry", "Mfc", "mfc_frame", "parse_mfc", "paused_from_bitmap", "to_beats"]

MFC_ETYPE = 0x88B5
_TYPES = {1: "FLOW_DELTA", 2: "FLOW_SNAPSHOT", 3: "TENANT_DELTA"}


class MfcEntry(Packet):
    name = "MFC entry"
    fields_desc = [ShortField("id", 0), ShortField("lease", 0)]

    def extract_padding(self, s):
        return b"", s


def _is_snap(pkt):
    return pkt.type == 2


class Mfc(Packet):
    name = "MFC"
    fields_desc = [
        BitField("version", 1, 4),
        BitEnumField("type", 1, 4, _TYPES),
        FlagsField("flags", 0, 8, ["GLOBAL_PAUSE", "RESET", "SNAP_LAST", "r3", "r4", "r5", "r6", "r7"]),
        ShortField("seq", 0),
        XByteField("time_exp", 0),
        XByteField("rsvd", 0),
        ConditionalField(FieldLenField("count", None, count_of="entries"), lambda p: not _is_snap(p)),
        ConditionalField(ShortField("base", 0), _is_snap),
        ConditionalField(ShortField("zero", 0), lambda p: not _is_snap(p)),
        ConditionalField(FieldLenField("covered", None, length_of="bitmap", adjust=lambda p, n: n * 8), _is_snap),
        ConditionalField(PacketListField("entries", [], MfcEntry, count_from=lambda p: p.count),
                         lambda p: not _is_snap(p)),
        ConditionalField(ShortField("lease", 0), _is_snap),
        ConditionalField(XStrFixedLenField("rsvd6", b"\0" * 6, 6), _is_snap),
        ConditionalField(StrLenField("bitmap", b"", length_from=lambda p: p.covered // 8), _is_snap),
    ]


bind_layers(Ether, Mfc, type=MFC_ETYPE)


def mfc_frame(*, dst="01:80:c2:00:00:0e", src="02:00:00:00:00:01", etype=MFC_ETYPE, **fields):
    """Build the bytes of one MFC frame (padded to 60 bytes); ``fields`` are :class:`Mfc` fields."""
    raw = bytes(Ether(dst=dst, src=src, type=etype) / Mfc(**fields))
    return raw + bytes(max(0, 60 - len(raw)))


def parse_mfc(frame):
    """Decode bytes into the :class:`Mfc` layer; raises ValueError when the frame is not a well-formed MFC frame
    (wrong EtherType, version, type, a length that is not exactly the one the fields imply)."""
    if len(frame) < 60:
        raise ValueError(f"runt of {len(frame)} bytes")
    pkt = Ether(frame)
    if Mfc not in pkt:
        raise ValueError(f"EtherType {pkt.type:#06x}")
    m = pkt[Mfc]
    if m.version != 1 or m.type not in _TYPES:
        raise ValueError(f"version {m.version} type {m.type}")
    if _is_snap(m):
        if m.covered == 0 or m.covered % 64 or len(m.bitmap) != m.covered // 8:
            raise ValueError("bad snapshot coverage")
        used = 32 + m.covered // 8
    else:
        if m.zero != 0 or len(m.entries) != m.count:
            raise ValueError("bad delta")
        used = 24 + 4 * m.count
    if len(frame) != max(60, used):
        raise ValueError(f"length {len(frame)}, expected {max(60, used)}")
    pad = m[Padding].load if Padding in m else b""
    if any(pad):
        raise ValueError("non-zero padding")
    return m


def paused_from_bitmap(m):
    """The flow ids a snapshot marks paused."""
    return [m.base + 8 * k + i for k, b in enumerate(m.bitmap) for i in range(8) if b >> i & 1]


def to_beats(frame, *, user_last=0):
    """AXI-Stream beats (data bytes, last, user) of a frame; ``user_last`` is tuser[0] on the last beat."""
    out = []
    for off in range(0, len(frame), 8):
        last = off + 8 >= len(frame)
        out.append((frame[off:off + 8], last, user_last if last else 0))
    return out
