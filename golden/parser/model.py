"""The parser golden model: one Ethernet frame (bytes) in, one metadata record (parser.md §5) out.

Parse graph (parser.md §2): Ethernet → 0–2 VLAN tags (0x8100 / 0x88A8) → IPv4 → L4, or IPv6 → extension-header
chain → upper layer; an IPv6 (41) or IPv4 (4) after the outer chain is walked once more (inner slots); Ethernet
(143) inside SRv6 is not walked. The C-SID stage (parser.md §3) and the flow hash (parser.md §5) run on what the
walk captured.

How the walk treats bounds (parser.md §6, §8), stated once so the RTL can match it:

* A field is captured when all its bytes are inside the frame; the IPv6 header's fields need all 40 bytes.
* Each header is first processed for its content (options, SRH fields, TLVs) as far as the frame goes, then its
  end is checked: past the end of the frame → TRUNC; past the end of the IP payload (IPv6 Payload Length, the
  Jumbo length, IPv4 Total Length) → PLEN_GT_FRAME, or FRAG_CHAIN_INCOMPLETE inside a first fragment (RFC 7112).
  A Payload / Total Length beyond the frame is PLEN_GT_FRAME as well (the hardware sees it at ``tlast``).
* The walk stops at the first fatal error; the record keeps what was captured before it (parser.md §8). Two fatal
  conditions are known only at ``tlast`` and therefore never stop the walk: MAC_ERR (``tuser[0]``) and an outer
  Payload / Total Length beyond the frame (PLEN_GT_FRAME against the frame end); the walk goes on until it meets
  the frame end (TRUNC) or its own stop.
* Window (parser.md §8): CHAIN_TOO_LONG when an extension header or inner IP header starts at frame byte
  ``limits.window`` (512) or later, or the minimal L4 header does not end by it; checked before TRUNC.
* Errors inside the inner header become INNER_ERR (soft), except TRUNC, CHAIN_TOO_LONG, ARN_MULTI and the
  informational flags (errors.INNER_KEEPS).
"""

from .config import ParserConfig
from .csid import next_csid
from .errors import BY_NAME, FATAL_MASK, INNER_KEEPS
from .flowhash import flow_hash
from .options import walk_options
from .record import Csid, Inner, L4, ParseRecord, Vlan
from .srh import routing_header

__all__ = ["parse_frame", "ETH_IPV4", "ETH_IPV6", "VLAN_TPIDS", "L4_MIN", "EXT_HEADERS"]

ETH_IPV4, ETH_IPV6 = 0x0800, 0x86DD
VLAN_TPIDS = (0x8100, 0x88A8)                 # IEEE 802.1Q C-tag, 802.1ad S-tag (parser.md §8)
MAX_VLAN = 2                                  # parser.md §6 "more than 2 VLANs" is fatal
HBH, ROUTING, FRAGMENT, ESP, AH, NO_NEXT, DOH = 0, 43, 44, 50, 51, 59, 60    # IANA protocol numbers
IPV4_IN, IPV6_IN, ETH_IN = 4, 41, 143
#: extension headers walked by length (RFC 8200 §4; Mobility 135, HIP 139, Shim6 140, experimental 253/254)
EXT_HEADERS = frozenset({HBH, ROUTING, FRAGMENT, AH, DOH, 135, 139, 140, 253, 254})
#: minimal upper-layer header that must lie in the frame (parser.md §8): TCP 20, UDP 8, SCTP 12, ICMP / ICMPv6 4
L4_MIN = {6: 20, 17: 8, 132: 12, 1: 4, 58: 4}
PORTS = (6, 17, 132)


class _Ctx:
    """Walk state: the frame, the registers, the record under construction, and the error reporter."""

    def __init__(self, data, cfg, rec):
        self.data = data
        self.cfg = cfg
        self.rec = rec
        self.l3_start = None
        self.inner = False
        self.jumbo = None
        self.srh_sl = None

    def err(self, name, pos):
        if self.inner and name not in INNER_KEEPS:
            name = "INNER_ERR"
        rec = self.rec
        rec.error_bitmap |= 1 << BY_NAME[name].bit
        if rec.error_offset is None and pos is not None and self.l3_start is not None:
            rec.error_offset = pos - self.l3_start

    @property
    def fatal(self):
        return bool(self.rec.error_bitmap & FATAL_MASK)


def parse_frame(frame, cfg=None, *, mac_error=False):
    """Parse one Ethernet frame (no FCS) into a :class:`ParseRecord`. Never raises on any byte string."""
    data = bytes(frame)
    cfg = cfg or ParserConfig()
    rec = ParseRecord(length=len(data))
    ctx = _Ctx(data, cfg, rec)
    if mac_error:
        ctx.err("MAC_ERR", None)                      # tuser[0] (parser.md §1); known at tlast, the walk goes on
    _ethernet(ctx)
    _post(ctx)
    return rec


def _ethernet(ctx):
    data, rec = ctx.data, ctx.rec
    if len(data) < 14:
        ctx.err("TRUNC", None)
        return
    ethertype = int.from_bytes(data[12:14], "big")
    pos = 14
    while ethertype in VLAN_TPIDS:
        if rec.vlan_count == MAX_VLAN:
            rec.vlan_count += 1
            ctx.err("L2_VLAN_DEPTH", None)
            return
        if pos + 4 > len(data):
            ctx.err("TRUNC", None)
            return
        tci = int.from_bytes(data[pos:pos + 2], "big")
        rec.vlans.append(Vlan(ethertype, tci >> 13, tci >> 12 & 1, tci & 0xFFF))
        rec.vlan_count += 1
        ethertype = int.from_bytes(data[pos + 2:pos + 4], "big")
        pos += 4
    rec.ethertype = ethertype
    if ethertype == ETH_IPV6:
        ctx.l3_start = pos
        rec.l3, rec.l3_offset = "ipv6", pos
        _ipv6(ctx, pos, len(data))
    elif ethertype == ETH_IPV4:
        ctx.l3_start = pos
        rec.l3, rec.l3_offset = "ipv4", pos
        _ipv4(ctx, pos, len(data))
    # any other EtherType: parse_ok with l3 null (parser.md §8)


def _bounds(ctx, pos, end, l3_end, first_frag):
    """End-of-header checks (module docstring). Returns False when the walk must stop."""
    ok = True
    if end > len(ctx.data):
        ctx.err("TRUNC", pos)
        ok = False
    if l3_end is not None and end > l3_end:
        ctx.err("FRAG_CHAIN_INCOMPLETE" if first_frag else "PLEN_GT_FRAME", pos)
        ok = False
    return ok


def _ipv4(ctx, start, enclosing_end):
    # RFC 791 §3.1
    data, rec, cfg = ctx.data, ctx.rec, ctx.cfg
    if start >= len(data):
        ctx.err("TRUNC", start)
        return
    ver, ihl = data[start] >> 4, data[start] & 0xF
    if ver != 4 or ihl < 5:                           # IP_VER also covers an IHL below 5 (no valid header)
        ctx.err("IP_VER", start)
        return
    if start + 20 > len(data):
        ctx.err("TRUNC", start)
        return
    total = int.from_bytes(data[start + 2:start + 4], "big")
    ttl, proto = data[start + 8], data[start + 9]
    frag = int.from_bytes(data[start + 6:start + 8], "big")
    src = int.from_bytes(data[start + 12:start + 16], "big")
    dst = int.from_bytes(data[start + 16:start + 20], "big")
    if ctx.inner:
        rec.inner = Inner(4, start - ctx.l3_start, src, dst)
    else:
        rec.version, rec.traffic_class, rec.hop_limit, rec.payload_length = 4, data[start + 1], ttl, total
        rec.src, rec.dst = src, dst
        if ttl <= 1:
            ctx.err("HOPLIMIT_LE1", start + 8)
    l3_end = start + total
    if l3_end > enclosing_end or total < ihl * 4:
        ctx.err("PLEN_GT_FRAME", start + 2)
        if total < ihl * 4:
            return
    pos = start + ihl * 4
    if not _bounds(ctx, start, pos, l3_end, False):
        return
    offset, mf = frag & 0x1FFF, bool(frag & 0x2000)
    _set_ulp(ctx, proto, pos)
    if offset:
        rec.frag_nonfirst = True
        ctx.err("FRAG_NONFIRST", start + 6)
        return
    if mf:
        rec.frag_first = True
    _upper(ctx, proto, pos, l3_end, mf)


def _set_ulp(ctx, nh, pos):
    if ctx.inner:
        ctx.rec.inner.ulp = nh
    else:
        ctx.rec.ulp, ctx.rec.ulp_offset = nh, pos - ctx.l3_start


def _ipv6(ctx, start, enclosing_end):
    # RFC 8200 §3
    data, rec, cfg = ctx.data, ctx.rec, ctx.cfg
    lim = cfg.limits
    if start >= len(data):
        ctx.err("TRUNC", start)
        return
    if data[start] >> 4 != 6:
        ctx.err("IP_VER", start)
        return
    if start + 40 > len(data):
        ctx.err("TRUNC", start)
        return
    ctx.jumbo = None                                  # each IPv6 header has its own Jumbo option
    word = int.from_bytes(data[start:start + 4], "big")
    plen, nh, hlim = int.from_bytes(data[start + 4:start + 6], "big"), data[start + 6], data[start + 7]
    src, dst = int.from_bytes(data[start + 8:start + 24], "big"), int.from_bytes(data[start + 24:start + 40], "big")
    if ctx.inner:
        rec.inner = Inner(6, start - ctx.l3_start, src, dst)
    else:
        rec.version, rec.traffic_class, rec.flow_label, rec.hop_limit = 6, word >> 20 & 0xFF, word & 0xFFFFF, hlim
        rec.payload_length = plen
        rec.src, rec.dst = src, dst
        if hlim <= 1:
            ctx.err("HOPLIMIT_LE1", start + 7)
    chain = rec.inner.ext_headers if ctx.inner else rec.ext_headers
    jumbo_pending = plen == 0 and nh == HBH           # RFC 2675 §3: Payload Length 0 + Jumbo option in the HBH
    l3_end = None if jumbo_pending else start + 40 + plen
    if l3_end is not None and l3_end > enclosing_end:
        ctx.err("PLEN_GT_FRAME", start + 4)
    pos, first, count, first_frag = start + 40, True, 0, False
    nh_field = start + 6                              # where the current Next Header value was read
    while nh in EXT_HEADERS:
        if nh == HBH and not first:
            ctx.err("HBH_NOT_FIRST", nh_field)        # RFC 8200 §4.1
            return
        count += 1
        if count > lim.max_ext:
            ctx.err("EXT_TOO_MANY", pos)
            return
        if pos >= lim.window:
            ctx.err("CHAIN_TOO_LONG", pos)
            return
        if pos + 2 > len(data):
            ctx.err("TRUNC", pos)
            return
        chain.append(nh)
        if nh == FRAGMENT:
            length = 8                                # RFC 8200 §4.5
        elif nh == AH:
            length = (data[pos + 1] + 2) * 4          # RFC 4302 §2.2
        else:
            length = (data[pos + 1] + 1) * 8          # RFC 8200 §4.3
        end = pos + length
        if nh in (HBH, DOH):
            if length > lim.max_opt_hdr_bytes:
                ctx.err("EXT_TOO_BIG", pos)
                return
            if walk_options(ctx, pos, length, "hbh" if nh == HBH else "doh", "inner" if ctx.inner else "outer"):
                return
        elif nh == ROUTING:
            if pos + 4 > len(data):
                ctx.err("TRUNC", pos)
                return
            if not routing_header(ctx, pos, length, capture=not ctx.inner):
                return
        elif nh == FRAGMENT:
            if not _bounds(ctx, pos, end, l3_end, first_frag):
                return
            frag = int.from_bytes(data[pos + 2:pos + 4], "big")
            if frag >> 3:                             # non-first fragment: no L4 (parser.md §8: ulp = its NH)
                rec.frag_nonfirst = True
                ctx.err("FRAG_NONFIRST", pos)
                _set_ulp(ctx, data[pos], end)
                return
            if frag & 1:
                rec.frag_first = first_frag = True
        if jumbo_pending and nh == HBH:
            jumbo_pending = False
            if ctx.jumbo is not None:
                if not ctx.inner:
                    rec.jumbo = ctx.jumbo
                ctx.err("JUMBO", pos)
                l3_end = start + 40 + ctx.jumbo
                if l3_end > enclosing_end:
                    ctx.err("PLEN_GT_FRAME", start + 4)
            else:
                l3_end = start + 40
        if not _bounds(ctx, pos, end, l3_end, first_frag):
            return
        nh_field, nh, pos, first = pos, data[pos], end, False
    if jumbo_pending:
        l3_end = start + 40
    # the upper layer (parser.md §8: ulp ends the outer chain walk)
    _set_ulp(ctx, nh, pos)
    if not ctx.inner and ctx.srh_sl == 0 and nh not in cfg.srh_sl0_ulp_allowed:
        ctx.err("SRH_SL0_ULP", pos)                   # RFC 8754 §4.3.1.1, ICMP code 4
    if nh == ESP:
        ctx.err("ESP_OPAQUE", pos)
        return
    if nh in (IPV6_IN, IPV4_IN):
        if ctx.inner:
            return                                    # walked once (parser.md §2)
        if pos >= lim.window:
            ctx.err("CHAIN_TOO_LONG", pos)
            return
        ctx.inner = True
        try:
            (_ipv6 if nh == IPV6_IN else _ipv4)(ctx, pos, l3_end)
        finally:
            ctx.inner = False
        return
    _upper(ctx, nh, pos, l3_end, first_frag)


def _upper(ctx, proto, pos, l3_end, first_frag):
    """Capture the L4 ports / flags when ``proto`` is TCP, UDP, SCTP, ICMP or ICMPv6 (parser.md §8)."""
    size = L4_MIN.get(proto)
    if size is None:
        return
    end = pos + size
    if end > ctx.cfg.limits.window:
        ctx.err("CHAIN_TOO_LONG", pos)
        return
    if not _bounds(ctx, pos, end, l3_end, first_frag):
        return
    data = ctx.data
    if proto in PORTS:
        sport, dport = int.from_bytes(data[pos:pos + 2], "big"), int.from_bytes(data[pos + 2:pos + 4], "big")
    else:
        sport = dport = None
    flags = data[pos + 13] if proto == 6 else None
    ctx.rec.l4 = L4(proto, sport, dport, flags, pos - ctx.l3_start)


def _post(ctx):
    """C-SID next-DA stage and flow hash, on what the walk captured."""
    rec, cfg = ctx.rec, ctx.cfg
    if rec.l3 == "ipv6" and rec.dst is not None and cfg.csid_blocks:
        srh = rec.srh if rec.srh is not None and rec.srh.routing_type == 4 else None
        res = next_csid(cfg.csid_blocks, rec.dst, srh)
        if res is not None:
            rec.csid = Csid(res.block, res.flavor, res.index, res.next_index, res.next_da, res.end)
            if res.bad:
                ctx.err("CSID_BAD", ctx.l3_start + (srh.offset + 3 if srh else 24))
    inner = rec.inner
    if inner is not None:
        sa, da, proto = inner.src, inner.dst, inner.ulp
    else:
        sa, da, proto = rec.src, rec.dst, rec.ulp
    l4 = rec.l4
    rec.hash = flow_hash(sa, da, proto, l4.sport if l4 else None, l4.dport if l4 else None)
