"""PHYSec constants taken from the spec, shared by the RTL components (physec.md; the golden model keeps its own,
derived independently, so a transcription error here cannot hide in both).

Bit numbering: ``f[i]`` is frame bit i in transmission order; on a 64-bit line word, word bit i = ``f[64w + i]``
(spec/README.md "Byte and bit order", physec.md §4).
"""

# physec.md §4: the frame
SLOT_BITS = 257                       # one 257b block per slot
FRAME_SLOTS = 1024
FRAME_BITS = FRAME_SLOTS * SLOT_BITS  # 263 168
LINE_WORD_BITS = 64
FRAME_WORDS = FRAME_BITS // LINE_WORD_BITS   # 4112
PAYLOAD_SLOTS = 1016                  # slots j = 1..1016
PAYLOAD_START_BIT = 2056              # slot j starts at 257 * (j + 7)
AM_OCTETS = bytes.fromhex("9A4A26B665B5D9D90171F326FE8E0C")   # each octet sent LSB first; f[0..119]; not scrambled
AM_BITS = 120
OH_START_BIT = 120                    # octet k = f[120+8k .. 127+8k], MSB first
OH_OCTETS = 242
#: overhead fields: name -> (first octet, octet count)   (physec.md §4 table)
OH_FIELDS = {"MFAS": (0, 1), "STAT": (1, 1), "JC": (2, 3), "SEC_CTRL": (5, 1), "FC": (6, 8), "TAG": (14, 16),
             "OHCRC16": (30, 2), "KCC": (32, 32), "RES": (64, 178)}
SEC_VERSION = 0b001                   # SEC_CTRL b2..0
MODE_CLEAR, MODE_GMAC, MODE_GCM, MODE_RESERVED = 0b00, 0b01, 0b10, 0b11

# physec.md §4: CRCs (MSB-first, no reflection, no final XOR)
JC_CRC8_POLY, JC_CRC8_INIT = 0x0D, 0x00          # G.709 Annex D; check "123456789" -> 0x01
OH_CRC16_POLY, OH_CRC16_INIT = 0x1021, 0xFFFF    # CRC-16/CCITT-FALSE; check "123456789" -> 0x29B1

# physec.md §5: GMP
CM_MIN_ACCEPTED, CM_MAX = 980, 1016              # plus Cm = 0

# physec.md §6: PRBS31 line scrambler x^31 + x^28 + 1, state all ones at f[120] of every frame
PRBS31_TAPS = (31, 28)
PRBS31_FIRST64 = 0x0000000E000000FC              # first 64 output bits, MSB = first bit

# IEEE 802.3 Cl. 49.2.6: self-synchronous scrambler x^58 + x^39 + 1
SCRAMBLER58_TAPS = (58, 39)

# physec.md §8: receiver alignment
AM_SYNC_MAX_BIT_ERRORS = 3
AM_LOF_MISSES = 4
