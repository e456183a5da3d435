"""Register map of the match-action classifier (parser.md §7; docs/parser-classifier.md).

Plain Python (no Amaranth): ``din regs`` turns it into ``docs/regs/classifier.md`` and the Python constants, and
:class:`din.rtl.parser.classifier.Classifier` turns it into hardware through
:class:`din.rtl.common.axil_regs.AXI4LiteRegisters`.

Programming one entry: write ``ENTRY_SEL`` (table, index), the low words of ``ENTRY_VALUE`` / ``ENTRY_MASK`` the
table uses (NRP 1 word of value, mask ignored: exact match; ARN 2 words; prefix 4; 5-tuple 10), ``ENTRY_ACTION``,
then ``CMD.OP`` = 1 (write) or 2 (invalidate); poll ``STATUS.BUSY`` until 0. A write takes about 520 cycles (the
RAM-based TCAM rewrites one bit of each of its 512 addresses) during which the key stream is back-pressured; an
invalidate takes effect at once and never stalls the keys.
"""

from din.rtl.common.regdecl import COUNTER, RO, RW, W1C, Field, Register, RegisterMap

__all__ = ["CLASSIFIER_REGMAP", "ACTION_FIELDS", "TABLE_CODES", "OP_WRITE", "OP_INVALIDATE", "KEY_WORDS",
           "MAX_FLOW_BITS", "MAX_SLICE_BITS", "MAX_TABLE_SIZE"]

#: table codes, shared by ``ENTRY_SEL.TABLE`` and the ``table`` field of the action stream
TABLE_CODES = {"fatal": 0, "nrp": 1, "arn": 2, "prefix": 3, "tuple": 4, "default": 5}
OP_WRITE, OP_INVALIDATE = 1, 2
#: key width of each programmable table (bits of ENTRY_VALUE / ENTRY_MASK it reads)
KEY_WIDTHS = {"nrp": 32, "arn": 64, "prefix": 128, "tuple": 296}
KEY_WORDS = {name: (width + 31) // 32 for name, width in KEY_WIDTHS.items()}
MAX_FLOW_BITS, MAX_SLICE_BITS, MAX_TABLE_SIZE = 16, 8, 256


def _action_fields(prefix=""):
    return [
        Field("FLOW_ID", 0, MAX_FLOW_BITS, doc=f"{prefix}flow id (micro-flow queue, `tdest`); bits above "
                                              "`flow_bits` are ignored"),
        Field("SLICE_ID", 16, MAX_SLICE_BITS, doc="slice id; bits above `slice_bits` are ignored"),
        Field("PRIORITY", 24, 2, doc="priority class (0 best effort, 1 high reliability, 2 bandwidth, "
                                     "3 ultra-low latency)"),
        Field("DROP", 26, 1, doc="drop the packet"),
        Field("PUNT", 27, 1, doc="punt the packet to the CPU"),
        Field("IFIT", 28, 1, doc="IFIT (Alt-Mark) enable"),
    ]


#: field names of an action word, in ``ENTRY_ACTION`` / ``DEFAULT_ACTION`` order
ACTION_FIELDS = tuple(f.name.lower() for f in _action_fields())

CLASSIFIER_REGMAP = RegisterMap("classifier", "DCLS", 0x0001_0000, [
    Register("CTRL", 0x08, RW, width=1, fields=[
        Field("FATAL_PUNT", 0, 1, doc="action for a record with a fatal parse error: 0 drop, 1 punt"),
    ], doc="control"),
    Register("DEFAULT_ACTION", 0x0C, RW, width=29, fields=_action_fields(),
             doc="action when no table hits (reset: all zero, best effort, flow 0)"),
    Register("ENTRY_SEL", 0x10, RW, width=16, fields=[
        Field("TABLE", 0, 3, doc="table of the next command: 1 NRP, 2 ARN, 3 DA prefix, 4 5-tuple"),
        Field("INDEX", 8, 8, doc="entry index (priority: the lowest index that matches wins)"),
    ], doc="entry selected for the next command"),
    Register("ENTRY_ACTION", 0x14, RW, width=29, fields=_action_fields(), doc="action of the entry to write"),
    Register("CMD", 0x18, RW, width=2, fields=[
        Field("OP", 0, 2, doc="1 write the staged entry (value, mask, action) and make it valid; 2 invalidate it"),
    ], doc="writing starts a command on ENTRY_SEL; rejected commands set an ERRORS bit and count in CMD_ERRORS"),
    Register("STATUS", 0x1C, RO, width=1, fields=[
        Field("BUSY", 0, 1, doc="a write command is in progress (keys are back-pressured)"),
    ], doc="status"),
    Register("TABLE_LAST", 0x20, RO, fields=[
        Field("NRP", 0, 8, doc="NRP table size - 1"),
        Field("ARN", 8, 8, doc="ARN table size - 1"),
        Field("PREFIX", 16, 8, doc="DA prefix table size - 1"),
        Field("TUPLE", 24, 8, doc="5-tuple table size - 1"),
    ], doc="table sizes (hardware parameters)"),
    Register("ERRORS", 0x24, W1C, width=4, fields=[
        Field("BAD_OP", 0, 1, doc="CMD.OP was 0 or 3 (command ignored)"),
        Field("BAD_TABLE", 1, 1, doc="ENTRY_SEL.TABLE was not 1..4 (command ignored)"),
        Field("BAD_INDEX", 2, 1, doc="ENTRY_SEL.INDEX was beyond the table size (command ignored)"),
        Field("BUSY", 3, 1, doc="CMD or ENTRY_* written while BUSY: a new command is ignored and the entry "
                                "being written is left invalid"),
    ], doc="misconfiguration flags"),
    Register("CMD_ERRORS", 0x28, COUNTER, doc="rejected commands and writes while busy"),
    Register("HITS_FATAL", 0x2C, COUNTER, doc="records resolved by the fatal-error action"),
    Register("HITS_NRP", 0x30, COUNTER, doc="records resolved by the NRP table"),
    Register("HITS_ARN", 0x34, COUNTER, doc="records resolved by the ARN table"),
    Register("HITS_PREFIX", 0x38, COUNTER, doc="records resolved by the DA prefix table"),
    Register("HITS_TUPLE", 0x3C, COUNTER, doc="records resolved by the 5-tuple table"),
    Register("HITS_DEFAULT", 0x40, COUNTER, doc="records resolved by the default action"),
    Register("ENTRY_VALUE", 0x80, RW, width=296, doc="staged key value, bit 0 = key bit 0 (NRP id in bits 31:0, "
                                                     "ARN key 63:0, DA 127:0, 5-tuple 295:0)"),
    Register("ENTRY_MASK", 0xC0, RW, width=296, doc="staged ternary mask: 1 bits are compared (ignored for NRP: "
                                                    "exact match)"),
], addr_width=8, doc="Match-action classifier (parser.md §7): NRP exact, ARN / DA prefix / 5-tuple ternary tables "
                     "in RAM-based TCAMs, resolved fatal → NRP → ARN → prefix → 5-tuple → default. "
                     "See docs/parser-classifier.md.")
