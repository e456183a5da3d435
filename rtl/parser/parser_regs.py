"""Register map of the header parser (parser.md §4, §6, §8 "Configuration file"; background/srv6_arn.md §7.1).

Plain Python (no Amaranth): ``din regs`` turns it into ``docs/regs/parser.md`` and ``din.sim.parser.regs``, and
:class:`din.rtl.parser.parser_axil.ParserAxil` turns it into hardware through
:class:`din.rtl.common.axil_regs.AXI4LiteRegisters`.

The reset values are the defaults of the golden model's ``ParserConfig`` (parser.md §8), so a parser out of reset
parses like ``din parse`` without ``--config``. Each register is the hardware form of one key of ``CONFIG.json``;
:func:`din.sim.parser.rtlrec.register_values` gives the register values of a configuration. The configuration
applies to the frames that start after the write; software should change it while no traffic flows (a frame
being walked may see the old and the new value).

Misconfiguration (``CONFIG_ERR``, read-only flags computed from the registers, parser.md §6 "defined result"):
the walker keeps working with a defined reading of the value, given with each flag.
"""

from din.rtl.common.regdecl import COUNTER, RO, RW, Field, Register, RegisterMap
from .consts import FATAL_MASK, INFO_MASK, SOFT_MASK

__all__ = ["PARSER_REGMAP", "MAX_EXT_HW", "CONFIG_ERR_FIELDS", "CSID_BLOCKS", "ERROR_CLASS_MASKS"]

#: the record keeps eight extension headers per chain (outer and inner): MAX_EXT above 8 reads as 8
MAX_EXT_HW = 8
CSID_BLOCKS = 4
#: error bitmap masks of the three record counters (parser.md §6 severities)
ERROR_CLASS_MASKS = {"fatal": FATAL_MASK, "soft": SOFT_MASK, "info": INFO_MASK}

# reset values: the defaults of parser.md §8 and background/srv6_arn.md §7.1 (tests/parser/test_parser_regs.py
# checks them against the golden model's ParserConfig(), written apart from this file)
ARN_TYPE, APN6_TYPE, NRP_TYPE, ALT_TYPE, IOAM_HBH_TYPE, IOAM_DOH_TYPE = 0x1E, 0x03, 0x3E, 0x12, 0x31, 0x11
ARN_CARVE = (0, 16, 32, 48)
MAX_EXT, MAX_OPTS, MAX_PAD, MAX_OPT_HDR, WINDOW = 8, 8, 7, 256, 512
#: RFC 8754 §4.3.1.1 leaves the SL = 0 upper-layer set to local policy: every upper layer of the parse graph
#: (parser.md §2), ICMP and No Next Header
SL0_ULP = (1, 4, 6, 17, 41, 50, 58, 59, 132, 143)


#: CONFIG_ERR flags: (name, bit, what is wrong, how the hardware reads it)
CONFIG_ERR_FIELDS = (
    ("TYPE_CONFLICT", 0, "two enabled decoded options (ARN, APN6, NRP, Alt-Mark, IOAM HBH, IOAM DOH) share an "
                         "option type, or one is 0 or 1 (Pad1 / PadN); the golden model refuses such a configuration",
     "an option is decoded as the first of ARN, APN6, NRP, Alt-Mark, IOAM whose type matches; Pad1 / PadN are "
     "always padding"),
    ("MAX_EXT", 1, f"LIMITS.MAX_EXT is 0 or above {MAX_EXT_HW}",
     f"0: every extension header is one too many (EXT_TOO_MANY); above {MAX_EXT_HW}: read as {MAX_EXT_HW}"),
    ("LIMIT_ZERO", 2, "LIMITS.MAX_OPTS, LIMITS_BYTES.MAX_OPT_HDR or LIMITS_BYTES.WINDOW is 0",
     "taken as written: no option / no HBH or DOH / no header fits (the matching fatal or soft error)"),
    ("CARVE", 3, "an ARN_CARVE offset is above 112 (the 16-bit field would leave the 128-bit ID)",
     "that field is null in every record"),
    ("CSID", 4, "an enabled C-SID descriptor has LBL or LNFL 0, LBL + LNFL > 128, or REPLACE with an LNFL other "
                "than 16 or 32",
     "the descriptor never matches"),
)

def _option_pair(name, offset, lo, hi, *, doc):
    """A register holding two decoded options' type and enable: ``lo`` at bits 7:0 / 8, ``hi`` at bits 23:16 / 24,
    each ``(field prefix, reset type, what is decoded)``; both enabled at reset."""
    fields = []
    for lsb, (prefix, reset, what) in ((0, lo), (16, hi)):
        fields += [Field(f"{prefix}_TYPE", lsb, 8, reset=reset, doc=f"option type of {what} (default {reset:#04x})"),
                   Field(f"{prefix}_EN", lsb + 8, 1, reset=1, doc=f"decode {what}")]
    return Register(name, offset, RW, width=25, fields=fields, doc=doc)


PARSER_REGMAP = RegisterMap("parser", "DPRS", 0x0001_0000, [
    Register("OPT_ARN", 0x08, RW, width=25, fields=[
                 Field("TYPE", 0, 8, reset=ARN_TYPE,
                       doc="ARN option type (CONFIG.json arn.option_type; default 0x1E)"),
                 Field("HBH", 8, 1, reset=1, doc="search Hop-by-Hop Options headers (carrier hbh or both)"),
                 Field("DOH", 9, 1, doc="search Destination Options headers (carrier doh or both)"),
                 Field("APN6_TYPE", 16, 8, reset=APN6_TYPE, doc="pre-standard APN6 option type (default 0x03)"),
                 Field("APN6_EN", 24, 1, reset=1, doc="decode the APN6 layout"),
             ], doc="ARN option and carrier (parser.md §4)"),
    _option_pair("OPT_NRP_ALT", 0x0C, ("NRP", NRP_TYPE, "NRP options"),
                 ("ALT", ALT_TYPE, "Alternate-Marking options (RFC 9343)"),
                 doc="NRP and Alternate-Marking options (parser.md §4)"),
    _option_pair("OPT_IOAM", 0x10, ("HBH", IOAM_HBH_TYPE, "IOAM in Hop-by-Hop Options"),
                 ("DOH", IOAM_DOH_TYPE, "IOAM in Destination Options"), doc="IOAM options (RFC 9486)"),
    Register("ARN_CARVE", 0x14, RW, width=31, fields=[
                 Field("APP_GROUP", 0, 7, reset=ARN_CARVE[0],
                       doc="bit offset of App-Group from the ID's most significant bit"),
                 Field("APP", 8, 7, reset=ARN_CARVE[1], doc="bit offset of App"),
                 Field("USER_GROUP", 16, 7, reset=ARN_CARVE[2], doc="bit offset of User-Group"),
                 Field("USER", 24, 7, reset=ARN_CARVE[3], doc="bit offset of User"),
             ], doc="ARN ID carve-out of the four 16-bit fields (parser.md §8; 0..112)"),
    Register("LIMITS", 0x18, RW, width=20, fields=[
                 Field("MAX_EXT", 0, 5, reset=MAX_EXT,
                       doc=f"extension headers per chain (1..{MAX_EXT_HW}; default 8)"),
                 Field("MAX_OPTS", 8, 5, reset=MAX_OPTS, doc="non-pad options per HBH / DOH (default 8)"),
                 Field("MAX_PAD", 16, 4, reset=MAX_PAD, doc="consecutive pad bytes (default 7, RFC 8504 §5.3)"),
             ], doc="parse limits (parser.md §6)"),
    Register("LIMITS_BYTES", 0x1C, RW, fields=[
        Field("MAX_OPT_HDR", 0, 12, reset=MAX_OPT_HDR, doc="largest HBH / DOH in bytes (default 256)"),
        Field("WINDOW", 16, 16, reset=WINDOW, doc="parse window in bytes from the frame start (default 512)"),
    ], doc="parse limits in bytes (parser.md §1, §6)"),
    Register("CONFIG_ERR", 0x20, RO, width=len(CONFIG_ERR_FIELDS), fields=[
        Field(name, bit, 1, doc=f"{what}; {reading}") for name, bit, what, reading in CONFIG_ERR_FIELDS
    ], doc="misconfiguration flags, computed from the registers (live)"),
    Register("FRAMES", 0x24, COUNTER, doc="records delivered on m_meta (one per frame)"),
    Register("FATAL", 0x28, COUNTER, doc="records with a fatal error (parse_ok = 0)"),
    Register("SOFT", 0x2C, COUNTER, doc="records with at least one soft error"),
    Register("INFO", 0x30, COUNTER, doc="records with at least one informational error"),
    Register("INNER", 0x34, COUNTER, doc="records with INNER_ERR (an error in the inner header)"),
    Register("WALK_GUARD", 0x38, COUNTER, doc="walks ended by the walker's action guard (more than 31 actions on "
                                                "one word: a walker fault, never expected; the frame's record "
                                                "still leaves, with what was walked)"),
    *[Register(f"CSID{i}", 0x40 + 4 * i, RW, width=24, fields=[
        Field("EN", 0, 1, doc="descriptor enabled"),
        Field("REPLACE", 1, 1, doc="flavour: 0 NEXT-C-SID, 1 REPLACE-C-SID"),
        Field("LBL", 8, 8, doc="Locator-Block length in bits"),
        Field("LNFL", 16, 8, doc="Locator-Node + Function length (C-SID length) in bits"),
    ], doc=f"C-SID block descriptor {i} (parser.md §3); the first matching descriptor in table order wins")
      for i in range(CSID_BLOCKS)],
    Register("SL0_ALLOWED", 0x60, RW, width=256, reset=sum(1 << x for x in SL0_ULP),
             doc="upper layers accepted after an SRH with SL = 0: bit n = Next Header n (SRH_SL0_ULP otherwise)"),
    *[Register(f"CSID{i}_PREFIX", 0x80 + 0x10 * i, RW, width=128,
               doc=f"C-SID block descriptor {i}: prefix (the DA's first LBL bits are compared; bit 127 = the DA's "
                   "first bit)")
      for i in range(CSID_BLOCKS)],
], addr_width=8, doc="SRv6 / G-SRv6 / ARN header parser (parser.md): option types, ARN carrier and carve-out, "
                     "limits, C-SID block descriptors, the SL = 0 upper-layer set, record counters. "
                     "See docs/parser.md.")
