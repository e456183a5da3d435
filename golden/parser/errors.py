"""The parser's error table: one fixed bit, one name, one severity per error (parser.md §6).

This table is the single place the golden model, the CLI, the docs and (later) the RTL register map take the error
bits from. Bits, names and severities follow background/srv6_arn.md §7.4, which is the long form of parser.md §6.

Severity (parser.md §6):

* ``fatal``: a chain-walk error; the packet cannot be classified by its L4 / SRH state. ``parse_ok`` is false.
* ``soft``: an option / TLV content error; reported, the walk goes on by header length.
* ``info``: informational; ``parse_ok`` stays true.

``icmp`` is the ICMPv6 Parameter Problem code (type 4) a slow path would send, from RFC 8200 §4 (codes 0–2),
RFC 7112 (code 3), RFC 8754 §4.3.1.1 (code 4) and RFC 8883 §2 (codes 6–9); ``None`` where no Parameter Problem
applies (hop limit → Time Exceeded, MAC error, informational flags).

``pointer`` says which byte ``error_offset`` names for the first error (offset from the start of the outer L3
header, like the ICMPv6 pointer; parser.md §5 "error offset (from the IPv6 start)").
"""

from dataclasses import dataclass

__all__ = ["ErrorDef", "ERRORS", "BY_NAME", "FATAL_MASK", "SOFT_MASK", "INFO_MASK", "INNER_KEEPS",
           "names_of", "bitmap_of"]


@dataclass(frozen=True)
class ErrorDef:
    bit: int
    name: str
    severity: str        # "fatal" | "soft" | "info"
    icmp: int | None     # ICMPv6 Parameter Problem code, None when none applies
    pointer: str         # what error_offset points at
    meaning: str


# parser.md §6; background/srv6_arn.md §7.4 (bit assignment)
ERRORS = (
    ErrorDef(0, "TRUNC", "fatal", None, "start of the header or field cut by the end of the frame",
             "the frame ends (tlast) before a header or field the walk needs is complete"),
    ErrorDef(1, "L2_VLAN_DEPTH", "fatal", None, "null (before L3)", "more than 2 VLAN tags"),
    ErrorDef(2, "IP_VER", "fatal", 0, "0 (the version field)",
             "IP version nibble does not match the EtherType (or the inner Next Header), or IPv4 IHL < 5"),
    ErrorDef(3, "PLEN_GT_FRAME", "fatal", 0, "4 (Payload Length) / 2 (IPv4 Total Length), or the header start",
             "Payload / Total Length beyond the frame, or headers running past Payload Length"),
    ErrorDef(4, "HBH_NOT_FIRST", "fatal", 1, "the Next Header field that names the HBH",
             "Hop-by-Hop header not directly after an IPv6 header (RFC 8200 §4.1)"),
    ErrorDef(5, "EXT_TOO_MANY", "fatal", 8, "start of the extension header over the limit",
             "more than limits.max_ext (8) extension headers in one chain (RFC 8883)"),
    ErrorDef(6, "CHAIN_TOO_LONG", "fatal", 7, "start of the header beyond the window",
             "L4 not reached in the parse window: a header starts at byte 512 or later, or the minimal L4 header "
             "does not end by byte 512 (RFC 8883)"),
    ErrorDef(7, "EXT_TOO_BIG", "fatal", 6, "start of the HBH / DOH",
             "HBH / DOH larger than limits.max_opt_hdr_bytes (256) (RFC 8883)"),
    ErrorDef(8, "OPT_OVERRUN", "fatal", 0, "the option type byte", "an option runs past the end of its header"),
    ErrorDef(9, "OPT_UNKNOWN_DISCARD", "soft", 2, "the option type byte",
             "unknown option whose action bits are not 00 (RFC 8200 §4.2)"),
    ErrorDef(10, "PAD_ABUSE", "soft", 0, "the pad option type byte",
             "more than 7 consecutive pad bytes, or non-zero PadN data (RFC 8504 §5.3); the option walk of "
             "that header stops"),
    ErrorDef(11, "TOO_MANY_OPTS", "soft", 9, "the option type byte",
             "more than limits.max_opts (8) non-pad options in one header; later options are not decoded"),
    ErrorDef(12, "RH_UNKNOWN_SLNZ", "fatal", 0, "the Routing Type field",
             "routing type other than 4 (incl. deprecated RH0) with Segments Left != 0 (RFC 8200 §4.4)"),
    ErrorDef(13, "SRH_LE_GT_MAX", "fatal", 0, "the Segments Left field",
             "SRH Last Entry > Hdr Ext Len / 2 - 1 (RFC 8754 §4.3.1.1 / RFC 8986 §4.1 S08)"),
    ErrorDef(14, "SRH_SL_GT_LE1", "fatal", 0, "the Segments Left field", "SRH Segments Left > Last Entry + 1"),
    ErrorDef(15, "SRH_TLV_BAD", "soft", None, "the TLV type byte",
             "SRH TLV overrun, PadN Length > 5, or HMAC Length not 6 + 8k (k = 0..4) (RFC 8754 §2.1)"),
    ErrorDef(16, "SRH_SL0_ULP", "soft", 4, "the upper-layer header start",
             "Segments Left = 0 and the upper layer is not in srh_sl0_ulp_allowed (RFC 8754 §4.3.1.1)"),
    ErrorDef(17, "CSID_BAD", "fatal", 0, "the Segments Left field (or the DA when there is no SRH)",
             "REPLACE-C-SID index != 0 with SL > Last Entry, or index >= 128 / LNFL (RFC 9800 §4.2.1)"),
    ErrorDef(18, "FRAG_NONFIRST", "info", None, "the Fragment header", "non-first fragment: no L4"),
    ErrorDef(19, "FRAG_CHAIN_INCOMPLETE", "fatal", 3, "the Fragment header",
             "first fragment without the whole header chain and minimal upper-layer header (RFC 7112)"),
    ErrorDef(20, "ESP_OPAQUE", "info", None, "the ESP header", "ESP: the walk stops, L4 is not visible"),
    ErrorDef(21, "ARN_BAD", "soft", None, "the option type byte",
             "ARN / APN6 option length does not match its ID-Type (or ID-Type not 1, 2, 3)"),
    ErrorDef(22, "ARN_MULTI", "soft", None, "the option type byte", "more than one ARN / APN6 option: first valid wins"),
    ErrorDef(23, "ALTMARK_BAD", "soft", None, "the option type byte", "Alternate-Marking Opt Data Len != 4"),
    ErrorDef(24, "IOAM_BAD", "soft", None, "the option type byte",
             "IOAM option shorter than its IOAM option type needs"),
    ErrorDef(25, "NRP_BAD", "soft", None, "the option type byte", "NRP option Opt Data Len != 8"),
    ErrorDef(26, "INNER_ERR", "soft", None, "the inner header start",
             "any error inside the inner header other than TRUNC / CHAIN_TOO_LONG / info flags / ARN_MULTI"),
    ErrorDef(27, "HOPLIMIT_LE1", "info", None, "7 (Hop Limit)",
             "outer hop limit (TTL) <= 1: an SR endpoint would send Time Exceeded"),
    ErrorDef(28, "JUMBO", "info", None, "the Jumbo option", "Payload Length 0 with a Jumbo Payload option"),
    ErrorDef(29, "MAC_ERR", "fatal", None, "null", "tuser[0]: the MAC flagged the frame"),
)

BY_NAME = {e.name: e for e in ERRORS}
assert [e.bit for e in ERRORS] == list(range(len(ERRORS)))

FATAL_MASK = sum(1 << e.bit for e in ERRORS if e.severity == "fatal")
SOFT_MASK = sum(1 << e.bit for e in ERRORS if e.severity == "soft")
INFO_MASK = sum(1 << e.bit for e in ERRORS if e.severity == "info")

#: errors raised inside the inner header that keep their own bit; every other one becomes INNER_ERR (parser.md §6
#: "error in the inner header" is soft; frame-level conditions stay frame-level).
INNER_KEEPS = frozenset({"TRUNC", "CHAIN_TOO_LONG", "MAC_ERR", "ARN_MULTI", "FRAG_NONFIRST", "ESP_OPAQUE", "JUMBO"})


def names_of(bitmap):
    """Error names set in ``bitmap``, in bit order."""
    return [e.name for e in ERRORS if bitmap >> e.bit & 1]


def bitmap_of(names):
    return sum(1 << BY_NAME[n].bit for n in names)
