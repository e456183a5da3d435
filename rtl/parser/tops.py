"""Parser tops for ``din verilog / sim / bench / build`` (collected by :mod:`din.rtl.catalog`)."""

from din.rtl.catalog import Top

__all__ = ["TOPS"]

TOPS = [
    Top("classifier", "parser", "parser.classifier:Classifier",
        "match-action classifier (parser.md §7): NRP exact, ARN / DA prefix / 5-tuple ternary tables in RAM-based "
        "TCAMs, fatal -> NRP -> ARN -> prefix -> 5-tuple -> default, programmed over AXI4-Lite",
        defaults={"nrp_size": 256, "arn_size": 64, "prefix_size": 64, "tuple_size": 64, "flow_bits": 8,
                  "slice_bits": 8}),
]

TOPS.append(
    Top("parser", "parser", "parser.parser_axil:ParserAxil",
        "SRv6 / G-SRv6 / ARN header parser (parser.md §1-§6, §8): Ethernet + VLANs, IPv4, IPv6 extension-header "
        "chain, HBH/DOH options (ARN, APN6, NRP, Alt-Mark, IOAM, Jumbo, Router Alert), SRH + TLVs, inner IPv6/IPv4, "
        "L4; frames out unmodified (1 cycle), one metadata record per frame on m_meta; AXI4-Lite registers "
        "(configuration, CONFIG_ERR, record counters)",
        defaults={"record_depth": 16, "word_depth": 16}))
