"""Routing header / SRH processing (parser.md §2, §6, §8; RFC 8754 §2, §4.3.1.1; RFC 8200 §4.4).

SRH layout (RFC 8754 §2): ``NH 8 | Hdr Ext Len 8 | Routing Type 8 = 4 | Segments Left 8 | Last Entry 8 | Flags 8 |
Tag 16 | Segment List[0..LE] (128 each) | TLVs``. Segment List[0] is the last segment.

Checks (RFC 8986 §4.1 S08-S09, as in background/srv6_arn.md §2.3): ``max_LE = HdrExtLen // 2 - 1``;
``LE > max_LE`` → SRH_LE_GT_MAX, ``SL > LE + 1`` → SRH_SL_GT_LE1 (both fatal; the segment list is then not
captured). An odd Hdr Ext Len is legal (parser.md §6).

TLVs (RFC 8754 §2.1): Pad1 = type 0 (one byte), PadN = type 4 (Length 0..5), HMAC = type 5
(``D 1 | reserved 15 | Key ID 32 | HMAC``, Length = 6 + HMAC bytes, HMAC 0..32 bytes in 8-byte steps); Length
excludes Type and Length. Bad TLVs are SRH_TLV_BAD (soft): the chain walk goes on by Hdr Ext Len.

Deliberate disagreement with tcpdump: tcpdump's ``ipv6-srh-tlv-hmac.pcap`` carries an HMAC TLV with Length 16 for
a 4 + 16-byte body; RFC 8754 §2.1.2 counts D/reserved and the Key ID in Length (Linux requires 38 for a 32-byte
HMAC), so this walker flags it (SRH_TLV_BAD) and walks on by that Length, where the trailing bytes overrun.
"""

from .record import Srh

__all__ = ["SRH_TYPE", "TLV_PAD1", "TLV_PADN", "TLV_HMAC", "routing_header", "walk_tlvs"]

SRH_TYPE = 4                          # RFC 8754 §8.1 (IANA Routing Type 4)
TLV_PAD1, TLV_PADN, TLV_HMAC = 0, 4, 5   # RFC 8754 §8.2
HMAC_LENGTHS = frozenset(6 + 8 * k for k in range(5))   # RFC 8754 §2.1.2: HMAC up to 32 octets, multiple of 8


def _u128(data, pos):
    return int.from_bytes(data[pos:pos + 16], "big")


def routing_header(ctx, start, length, capture):
    """Process the routing header at ``start`` (its first 4 bytes are in the frame). Returns False on a fatal error.

    ``capture``: this is the first routing header of the outer chain, whose fields go into the record.
    """
    data, rec = ctx.data, ctx.rec
    frame_end = len(data)
    rtype, sl = data[start + 2], data[start + 3]
    if capture and rec.routing is None:
        rec.routing = {"type": rtype, "sl": sl}
    if rtype != SRH_TYPE:
        if sl != 0:                                   # RFC 8200 §4.4: unknown type, SL != 0
            ctx.err("RH_UNKNOWN_SLNZ", start + 2)
            return False
        return True                                   # SL = 0: ignore the header (parser.md §8: srh null)
    if start + 8 > frame_end:
        return True                                   # the caller reports TRUNC for the header
    hel, le, flags, tag = data[start + 1], data[start + 4], data[start + 5], int.from_bytes(data[start + 6:start + 8], "big")
    max_le = hel // 2 - 1
    srh = Srh(offset=start - ctx.l3_start, length=length, routing_type=rtype, sl=sl, le=le, flags=flags, tag=tag,
              max_le=max_le)
    if capture and rec.srh is None:
        rec.srh = srh
        ctx.srh_sl = sl
    if le > max_le:
        ctx.err("SRH_LE_GT_MAX", start + 3)
        return False
    if sl > le + 1:
        ctx.err("SRH_SL_GT_LE1", start + 3)
        return False
    # parser.md §5: seg_cur = list[SL] when SL <= LE, seg_next = list[SL - 1] when SL >= 1
    if sl <= le and start + 8 + 16 * (sl + 1) <= frame_end:
        srh.seg_cur = _u128(data, start + 8 + 16 * sl)
    if sl >= 1 and start + 8 + 16 * sl <= frame_end:
        srh.seg_next = _u128(data, start + 8 + 16 * (sl - 1))
    walk_tlvs(ctx, srh, start + 8 + 16 * (le + 1), start + length)
    return True


def walk_tlvs(ctx, srh, pos, end):
    """SRH TLV walk from ``pos`` to the header end ``end``; stops at the first overrun or at the frame end."""
    data = ctx.data
    frame_end = len(data)
    while pos < end and pos < frame_end:
        ttype = data[pos]
        if ttype == TLV_PAD1:
            pos += 1
            continue
        if pos + 1 >= frame_end:
            return
        tlen = data[pos + 1]
        tend = pos + 2 + tlen
        if tend > end:                                # Linux seg6_validate_srh: tlv_len > trailing
            ctx.err("SRH_TLV_BAD", pos)
            return
        if ttype == TLV_PADN and tlen > 5:
            ctx.err("SRH_TLV_BAD", pos)
        elif ttype == TLV_HMAC:
            if tlen not in HMAC_LENGTHS:
                ctx.err("SRH_TLV_BAD", pos)
            if not srh.hmac and tlen >= 6 and pos + 8 <= frame_end:
                srh.hmac = True
                srh.hmac_d = bool(data[pos + 2] & 0x80)
                srh.hmac_key_id = int.from_bytes(data[pos + 4:pos + 8], "big")
        pos = tend
