"""Stream payloads of the PHYSec pipeline (physec.md §1, §2, §3, §9). Every PHYSec component uses these.

* :data:`XGMII`: one XGMII word, ``data`` lane 0 in bits 7:0 (sent first), ``ctrl`` bit i = lane i is a control
  character (spec/README.md "Byte and bit order").
* :data:`BLOCK66`: one 64b/66b block: ``header`` is the 2-bit sync header with bit 0 the first bit sent
  (data = 0b10 as a number, i.e. bits "01" in sending order; control = 0b01, bits "10"), ``payload`` bit i is
  sent i-th after the header; the block type byte of a control block is payload bits 7:0 (IEEE 802.3 Cl. 49.2.4).
* :data:`BLOCK257`: one 257b block, bit i = ``x<i>``, ``x<0>`` sent first (physec.md §3).
* :data:`LINE_WORD`: one 64-bit line word, bit i = ``f[64w + i]`` (physec.md §4).
"""

from amaranth import unsigned
from amaranth.lib import data

__all__ = ["XGMII", "BLOCK66", "BLOCK257", "LINE_WORD", "SYNC_DATA", "SYNC_CTRL"]

XGMII = data.StructLayout({"data": 64, "ctrl": 8})
BLOCK66 = data.StructLayout({"header": 2, "payload": 64})
BLOCK257 = unsigned(257)
LINE_WORD = unsigned(64)

#: sync header values as numbers with bit 0 sent first: "01" (data) -> 0b10, "10" (control) -> 0b01
SYNC_DATA = 0b10
SYNC_CTRL = 0b01
