"""Hop-by-Hop / Destination Options walk and the option decoders (parser.md §2, §4, §8; RFC 8200 §4.2).

Option TLV (RFC 8200 §4.2): ``Option Type (8) | Opt Data Len (8) | data``; Pad1 (0x00) is a single byte. The
two high bits of the type are the action for an unrecognised option (00 skip, else discard).

Walk rules (parser.md §6, background/srv6_arn.md §7.5 item 6):

* an option whose declared end is past the header end is ``OPT_OVERRUN`` (fatal); the walk stops;
* more than ``limits.max_pad`` consecutive pad bytes, or a PadN with non-zero data, is ``PAD_ABUSE`` (soft) and
  the walk of that header stops (the hardware walker jumps to the header end);
* the (max_opts + 1)-th non-pad option is ``TOO_MANY_OPTS`` (soft); it and the rest are not decoded;
* an option cut by the end of the frame stops the walk; the chain walk reports ``TRUNC`` for the header.

Decoders (first valid one of each kind wins, outer headers before inner):

* ARN, default layout (parser.md §4, §8): ``ID-Type 8 | Flags 8 | Para-Type 16 | ID (32/64/128) | [intent 32]``,
  the intent word present when ``Para-Type & 0x0001``; Opt Data Len must be 4 + ID bytes (+ 4), else ARN_BAD.
* APN6 pre-standard 0x03 (parser.md §8, background §4.2): ``SLA 32 | AppID 32 | UserID 32`` (Opt Data Len 12);
  ``id`` = AppID << 32 | UserID, ``id_type`` None.
* NRP (parser.md §4): ``NR type 8 | flags 8 | reserved 16 | NRP id 32`` (Opt Data Len 8), else NRP_BAD.
* Alternate-Marking (RFC 9343 §2): ``FlowMonID 20 | L 1 | D 1 | reserved 10`` (Opt Data Len 4), else ALTMARK_BAD.
* IOAM (RFC 9486 §2, RFC 9197 §4, RFC 9326 §3): ``reserved 8 | IOAM option type 8 | namespace 16 | ...``.
* Jumbo Payload 0xC2 (RFC 2675 §2, Opt Data Len 4) and Router Alert 0x05 (RFC 2711 §2.1, Opt Data Len 2).
"""

from .record import AltMark, Arn, Ioam, Nrp

__all__ = ["walk_options", "decode_arn", "decode_apn6", "carve", "IOAM_MIN_BODY"]

PAD1, PADN = 0x00, 0x01                  # RFC 8200 §4.2
ROUTER_ALERT, JUMBO = 0x05, 0xC2          # RFC 2711 §2.1, RFC 2675 §2
ARN_ID_BITS = {1: 32, 2: 64, 3: 128}      # parser.md §4 "ID-Type 1/2/3 = 32/64/128-bit ID"
#: IOAM data after ``reserved | IOAM option type`` that each IOAM option type needs at least (RFC 9197 §4.4:
#: trace header 8 bytes; §4.5: POT 20 bytes; §4.6: E2E 4 bytes; RFC 9326 §3.2: DEX 8 bytes + optional fields)
IOAM_MIN_BODY = {0: 8, 1: 8, 2: 20, 3: 4, 4: 8}


def carve(id_value, id_bits, offsets):
    """The four 16-bit carve-outs (App-Group, App, User-Group, User), each at a bit offset from the ID's MSB;
    a field that does not fit in the ID is None (parser.md §8: a 32-bit ID has null user fields)."""
    out = []
    for off in offsets:
        out.append(None if off + 16 > id_bits else (id_value >> (id_bits - off - 16)) & 0xFFFF)
    return out


def decode_arn(body, option_type, source, offsets):
    """Default ARN layout; None when the length does not match (ARN_BAD)."""
    if len(body) < 4:
        return None
    id_type, flags, para = body[0], body[1], int.from_bytes(body[2:4], "big")
    bits = ARN_ID_BITS.get(id_type)
    if bits is None:
        return None
    intent_present = bool(para & 0x0001)              # parser.md §8: "intent word present when Para-Type & 0x0001"
    if len(body) != 4 + bits // 8 + (4 if intent_present else 0):
        return None
    value = int.from_bytes(body[4:4 + bits // 8], "big")
    intent = int.from_bytes(body[4 + bits // 8:], "big") if intent_present else None
    return Arn(source, "arn", option_type, id_type, bits, flags, para, value, intent, None,
               *carve(value, bits, offsets))


def decode_apn6(body, option_type, source, offsets):
    """Pre-standard APN6 0x03 layout (SLA | AppID | UserID); None when Opt Data Len != 12 (ARN_BAD)."""
    if len(body) != 12:
        return None
    sla, app_id, user_id = (int.from_bytes(body[i:i + 4], "big") for i in (0, 4, 8))
    value = app_id << 32 | user_id
    return Arn(source, "apn6_0x03", option_type, None, 64, None, None, value, None, sla, *carve(value, 64, offsets))


def _decode_ioam(body, source):
    if len(body) < 4:
        return None
    otype, ns = body[1], int.from_bytes(body[2:4], "big")
    need = IOAM_MIN_BODY.get(otype, 2)
    flow = seq = None
    if otype == 4 and len(body) >= 2 + 8:             # DEX, RFC 9326 §3.2: Ext-Flags bit 0 flow id, bit 1 seq
        ext = body[5]
        pos = 2 + 8
        need = 8 + 4 * bool(ext & 0x80) + 4 * bool(ext & 0x40)
        if len(body) >= 2 + need:
            if ext & 0x80:
                flow = int.from_bytes(body[pos:pos + 4], "big")
                pos += 4
            if ext & 0x40:
                seq = int.from_bytes(body[pos:pos + 4], "big")
    if len(body) < 2 + need:
        return None
    return Ioam(otype, ns, flow, seq, source)


def walk_options(ctx, start, length, kind, where):
    """Walk the options of the HBH / DOH at ``start`` (``length`` bytes, header known to begin in the frame).

    ``ctx`` gives ``data`` (the frame), ``cfg``, ``rec`` and ``err(name, offset)``. Decoded options land in
    ``ctx.rec``. Returns True when the walk reported a fatal error (OPT_OVERRUN in the outer chain): the chain walk
    stops there. Fatal conditions known only at ``tlast`` (MAC_ERR, a Payload Length beyond the frame) never stop it.
    """
    data, cfg, rec = ctx.data, ctx.cfg, ctx.rec
    hdr_end = start + length
    frame_end = len(data)
    source = f"{where}_{kind}"
    arn_here = cfg.arn_carrier in (kind, "both")
    ioam_type = cfg.ioam_hbh_type if kind == "hbh" else cfg.ioam_doh_type
    pos = start + 2
    pad_run = 0
    n_opts = 0
    while pos < hdr_end:
        if pos >= frame_end:
            return
        otype = data[pos]
        if otype == PAD1:
            pad_run += 1
            if pad_run > cfg.limits.max_pad:
                ctx.err("PAD_ABUSE", pos)
                return
            pos += 1
            continue
        if pos + 1 >= frame_end:
            return
        olen = data[pos + 1]
        end = pos + 2 + olen
        if end > hdr_end:
            ctx.err("OPT_OVERRUN", pos)
            return not ctx.inner                     # fatal outside the inner header (there it is INNER_ERR)
        if otype == PADN:
            pad_run += 2 + olen
            if pad_run > cfg.limits.max_pad:
                ctx.err("PAD_ABUSE", pos)
                return
            if end > frame_end:
                return
            if any(data[pos + 2:end]):
                ctx.err("PAD_ABUSE", pos)
                return
            pos = end
            continue
        pad_run = 0
        n_opts += 1
        if n_opts > cfg.limits.max_opts:
            ctx.err("TOO_MANY_OPTS", pos)
            return
        if end > frame_end:
            return
        body = data[pos + 2:end]
        _decode(ctx, rec, cfg, otype, body, pos, kind, source, arn_here, ioam_type)
        pos = end


def _decode(ctx, rec, cfg, otype, body, pos, kind, source, arn_here, ioam_type):
    if arn_here and otype in (cfg.arn_option_type, cfg.apn6_option_type):
        rec.arn_count += 1
        if rec.arn_count > 1:
            ctx.err("ARN_MULTI", pos)
        decoder = decode_arn if otype == cfg.arn_option_type else decode_apn6
        arn = decoder(body, otype, source, cfg.arn_carve)
        if arn is None:
            ctx.err("ARN_BAD", pos)
        elif rec.arn is None:
            rec.arn = arn
    elif otype == cfg.nrp_option_type:
        if len(body) != 8:
            ctx.err("NRP_BAD", pos)
        elif rec.nrp is None:
            rec.nrp = Nrp(body[0], body[1], int.from_bytes(body[4:8], "big"), source)
    elif otype == cfg.altmark_option_type:
        if len(body) != 4:
            ctx.err("ALTMARK_BAD", pos)
        elif rec.altmark is None:
            word = int.from_bytes(body, "big")
            rec.altmark = AltMark(word >> 12, word >> 11 & 1, word >> 10 & 1, source)
    elif otype == ioam_type:
        ioam = _decode_ioam(body, source)
        if ioam is None:
            ctx.err("IOAM_BAD", pos)
        elif rec.ioam is None:
            rec.ioam = ioam
    elif otype == JUMBO and kind == "hbh":
        if len(body) == 4 and ctx.jumbo is None:
            ctx.jumbo = int.from_bytes(body, "big")
    elif otype == ROUTER_ALERT and kind == "hbh":
        if len(body) == 2 and rec.router_alert is None:
            rec.router_alert = int.from_bytes(body, "big")
    else:
        rec.unknown_options.append(otype)
        if otype >> 6:                               # RFC 8200 §4.2: action bits 01 / 10 / 11 discard
            ctx.err("OPT_UNKNOWN_DISCARD", pos)
