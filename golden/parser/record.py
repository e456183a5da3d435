"""The metadata record of parser.md §5, and its JSON form (parser.md §8, issue 4 item 2).

Every field the walk never reached is ``None`` (JSON null), parser.md §8. Addresses are 128-bit integers in the
record (IPv4 in the low 32 bits) and text in JSON; the ARN ID is hex text in JSON.
"""

import ipaddress
from dataclasses import dataclass, field

from .errors import FATAL_MASK, names_of

__all__ = ["Vlan", "Srh", "Csid", "Arn", "Nrp", "AltMark", "Ioam", "L4", "Inner", "ParseRecord", "addr_text"]


def addr_text(value, version):
    if value is None:
        return None
    if version == 4:
        return str(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    return str(ipaddress.IPv6Address(value))


@dataclass
class Vlan:
    tpid: int
    pcp: int
    dei: int
    vid: int


@dataclass
class Srh:
    """RFC 8754 §2 fields; ``seg_cur`` = list[SL] when SL <= LE, ``seg_next`` = list[SL - 1] when SL >= 1."""
    offset: int                  # from the outer L3 start
    length: int                  # (Hdr Ext Len + 1) * 8
    routing_type: int
    sl: int
    le: int
    flags: int
    tag: int
    max_le: int                  # Hdr Ext Len / 2 - 1 (RFC 8986 §4.1 S08)
    seg_cur: int | None = None
    seg_next: int | None = None
    hmac: bool = False
    hmac_d: bool | None = None
    hmac_key_id: int | None = None

    @property
    def reduced(self):
        return self.sl == self.le + 1


@dataclass
class Csid:
    block: int
    flavor: str
    index: int | None
    next_index: int | None
    next_da: int | None
    end: bool


@dataclass
class Arn:
    source: str                  # "outer_hbh" | "outer_doh" | "inner_hbh" | "inner_doh"
    layout: str                  # "arn" (default, APN6 header family) | "apn6_0x03" (pre-standard)
    option_type: int
    id_type: int | None          # 1 / 2 / 3 = 32 / 64 / 128-bit ID; None for the APN6 0x03 layout
    id_bits: int
    flags: int | None
    para_type: int | None
    id: int
    intent: int | None
    sla: int | None              # APN6 0x03 only
    app_group: int | None
    app: int | None
    user_group: int | None
    user: int | None


@dataclass
class Nrp:
    nr_type: int
    flags: int
    id: int
    source: str


@dataclass
class AltMark:
    flowmon_id: int
    l: int
    d: int
    source: str


@dataclass
class Ioam:
    ioam_type: int               # IOAM Option-Type (RFC 9197 §4: 0 pre-alloc trace, 1 inc. trace, 2 POT, 3 E2E, 4 DEX)
    namespace: int
    flow_id: int | None          # DEX only (RFC 9326 §3.2)
    seq: int | None              # DEX only
    source: str


@dataclass
class L4:
    proto: int
    sport: int | None
    dport: int | None
    tcp_flags: int | None
    offset: int                  # from the outer L3 start


@dataclass
class Inner:
    version: int                 # 4 | 6
    offset: int
    src: int | None = None
    dst: int | None = None
    ext_headers: list = field(default_factory=list)
    ulp: int | None = None


@dataclass
class ParseRecord:
    length: int
    error_bitmap: int = 0
    error_offset: int | None = None
    # L2
    vlans: list = field(default_factory=list)
    vlan_count: int = 0
    ethertype: int | None = None
    # L3 (outer)
    l3: str | None = None
    l3_offset: int | None = None
    version: int | None = None
    traffic_class: int | None = None
    flow_label: int | None = None
    hop_limit: int | None = None
    payload_length: int | None = None    # IPv6 Payload Length / IPv4 Total Length, as on the wire
    src: int | None = None
    dst: int | None = None
    # chain (outer)
    ext_headers: list = field(default_factory=list)
    ulp: int | None = None
    ulp_offset: int | None = None
    frag_first: bool = False
    frag_nonfirst: bool = False
    routing: dict | None = None          # {"type", "sl"} of the first routing header, whatever its type
    srh: Srh | None = None
    csid: Csid | None = None
    arn: Arn | None = None
    arn_count: int = 0
    nrp: Nrp | None = None
    altmark: AltMark | None = None
    ioam: Ioam | None = None
    jumbo: int | None = None
    router_alert: int | None = None
    unknown_options: list = field(default_factory=list)   # option types skipped by length, in walk order
    inner: Inner | None = None
    l4: L4 | None = None
    hash: int = 0

    @property
    def errors(self):
        return names_of(self.error_bitmap)

    @property
    def parse_ok(self):
        return not self.error_bitmap & FATAL_MASK

    def to_json(self):
        """The ``din parse --json`` object (issue 4 item 2 keys first, then the rest of parser.md §5)."""
        v = self.version
        srh = self.srh
        return {
            "parse_ok": self.parse_ok,
            "errors": self.errors,
            "vlan_count": self.vlan_count,
            "l3": self.l3,
            "src": addr_text(self.src, v),
            "dst": addr_text(self.dst, v),
            "ext_headers": list(self.ext_headers),
            "ulp": self.ulp,
            "srh": None if srh is None else {
                "sl": srh.sl, "le": srh.le, "seg_cur": addr_text(srh.seg_cur, 6),
                "seg_next": addr_text(srh.seg_next, 6), "reduced": srh.reduced, "tag": srh.tag,
                "flags": srh.flags, "offset": srh.offset, "length": srh.length, "hmac": srh.hmac,
                "hmac_d": srh.hmac_d, "hmac_key_id": srh.hmac_key_id},
            "csid": None if self.csid is None else {
                "flavor": self.csid.flavor, "index": self.csid.index, "next_da": addr_text(self.csid.next_da, 6),
                "end": self.csid.end, "block": self.csid.block, "next_index": self.csid.next_index},
            "arn": None if self.arn is None else {
                "id_type": self.arn.id_type, "flags": self.arn.flags, "id": f"{self.arn.id:0{self.arn.id_bits // 4}x}",
                "app_group": self.arn.app_group, "app": self.arn.app, "user_group": self.arn.user_group,
                "user": self.arn.user, "source": self.arn.source, "layout": self.arn.layout,
                "para_type": self.arn.para_type, "intent": self.arn.intent, "sla": self.arn.sla},
            "nrp_id": None if self.nrp is None else self.nrp.id,
            "altmark": None if self.altmark is None else {
                "flowmon_id": self.altmark.flowmon_id, "l": self.altmark.l, "d": self.altmark.d,
                "source": self.altmark.source},
            "l4": None if self.l4 is None else {
                "proto": self.l4.proto, "sport": self.l4.sport, "dport": self.l4.dport,
                "tcp_flags": self.l4.tcp_flags},
            "hash": self.hash,
            # more of parser.md §5
            "length": self.length,
            "error_bitmap": self.error_bitmap,
            "error_offset": self.error_offset,
            "vlans": [{"tpid": t.tpid, "pcp": t.pcp, "dei": t.dei, "vid": t.vid} for t in self.vlans],
            "ethertype": self.ethertype,
            "traffic_class": self.traffic_class,
            "flow_label": self.flow_label,
            "hop_limit": self.hop_limit,
            "payload_length": self.payload_length,
            "ulp_offset": self.ulp_offset,
            "frag": {"first": self.frag_first, "nonfirst": self.frag_nonfirst},
            "routing": self.routing,
            "nrp": None if self.nrp is None else {
                "id": self.nrp.id, "flags": self.nrp.flags, "nr_type": self.nrp.nr_type, "source": self.nrp.source},
            "ioam": None if self.ioam is None else {
                "type": self.ioam.ioam_type, "namespace": self.ioam.namespace, "flow_id": self.ioam.flow_id,
                "seq": self.ioam.seq, "source": self.ioam.source},
            "jumbo": self.jumbo,
            "router_alert": self.router_alert,
            "unknown_options": list(self.unknown_options),
            "inner": None if self.inner is None else {
                "l3": f"ipv{self.inner.version}", "src": addr_text(self.inner.src, self.inner.version),
                "dst": addr_text(self.inner.dst, self.inner.version), "ext_headers": list(self.inner.ext_headers),
                "ulp": self.inner.ulp},
        }
