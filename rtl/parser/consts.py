"""Parser constants: error bits (parser.md §6; background/srv6_arn.md §7.4) and protocol numbers.

The bit numbers are fixed by the spec's error table; ``tests/parser/test_parser_rtl_consts.py`` checks them against
the golden model's table (``din.golden.parser.errors``), which is written independently from the same source.
"""

__all__ = ["ERR", "FATAL_BITS", "INNER_KEEPS", "NUM_ERRORS", "L4_MIN", "EXT_HEADERS", "ETH_IPV4", "ETH_IPV6",
           "VLAN_TPIDS", "FATAL_MASK", "INFO_BITS", "INFO_MASK", "SOFT_MASK", "HBH", "ROUTING", "FRAGMENT", "ESP", "AH", "DOH", "IPV4_IN", "IPV6_IN"]

ERR = {name: bit for bit, name in enumerate((
    "TRUNC", "L2_VLAN_DEPTH", "IP_VER", "PLEN_GT_FRAME", "HBH_NOT_FIRST", "EXT_TOO_MANY", "CHAIN_TOO_LONG",
    "EXT_TOO_BIG", "OPT_OVERRUN", "OPT_UNKNOWN_DISCARD", "PAD_ABUSE", "TOO_MANY_OPTS", "RH_UNKNOWN_SLNZ",
    "SRH_LE_GT_MAX", "SRH_SL_GT_LE1", "SRH_TLV_BAD", "SRH_SL0_ULP", "CSID_BAD", "FRAG_NONFIRST",
    "FRAG_CHAIN_INCOMPLETE", "ESP_OPAQUE", "ARN_BAD", "ARN_MULTI", "ALTMARK_BAD", "IOAM_BAD", "NRP_BAD",
    "INNER_ERR", "HOPLIMIT_LE1", "JUMBO", "MAC_ERR"))}
NUM_ERRORS = len(ERR)

#: parser.md §6: chain-walk errors are fatal (parse_ok = 0)
FATAL_BITS = frozenset(ERR[n] for n in (
    "TRUNC", "L2_VLAN_DEPTH", "IP_VER", "PLEN_GT_FRAME", "HBH_NOT_FIRST", "EXT_TOO_MANY", "CHAIN_TOO_LONG",
    "EXT_TOO_BIG", "OPT_OVERRUN", "RH_UNKNOWN_SLNZ", "SRH_LE_GT_MAX", "SRH_SL_GT_LE1", "CSID_BAD",
    "FRAG_CHAIN_INCOMPLETE", "MAC_ERR"))
FATAL_MASK = sum(1 << b for b in FATAL_BITS)
#: parser.md §6 / background/srv6_arn.md §7.4: informational (JUMBO is "info / unsupported"); the rest is soft
INFO_BITS = frozenset(ERR[n] for n in ("FRAG_NONFIRST", "ESP_OPAQUE", "HOPLIMIT_LE1", "JUMBO"))
INFO_MASK = sum(1 << b for b in INFO_BITS)
SOFT_MASK = ((1 << NUM_ERRORS) - 1) & ~FATAL_MASK & ~INFO_MASK

#: errors inside the inner header that keep their own bit; every other one becomes INNER_ERR (soft)
INNER_KEEPS = frozenset(("TRUNC", "CHAIN_TOO_LONG", "MAC_ERR", "ARN_MULTI", "FRAG_NONFIRST", "ESP_OPAQUE", "JUMBO"))

ETH_IPV4, ETH_IPV6 = 0x0800, 0x86DD
VLAN_TPIDS = (0x8100, 0x88A8)
HBH, ROUTING, FRAGMENT, ESP, AH, NO_NEXT, DOH = 0, 43, 44, 50, 51, 59, 60
IPV4_IN, IPV6_IN = 4, 41
#: extension headers walked by length (RFC 8200 §4; Mobility 135, HIP 139, Shim6 140, experimental 253/254)
EXT_HEADERS = (HBH, ROUTING, FRAGMENT, AH, DOH, 135, 139, 140, 253, 254)
#: minimal upper-layer header inside the frame (parser.md §8)
L4_MIN = {6: 20, 17: 8, 132: 12, 1: 4, 58: 4}
PORTS = (6, 17, 132)
