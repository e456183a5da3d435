"""The PHYSec frame (physec.md §4): AM, overhead octets O0..O241, 1016 payload slots; builder and parser.

A frame is ``f[0..263167]`` in transmission order, 4112 line words of 64 bits; word bit i = ``f[64w + i]``.

* ``f[0..119]``    AM, 15 octets each sent least-significant bit first, never scrambled
* ``f[120..2055]`` overhead, octet k = ``f[120+8k .. 127+8k]`` most-significant bit first
* ``f[2056..]``    payload, slot j (1..1016) = ``f[257(j+7) .. 257(j+8)−1]`` holding a 257b block, ``x<0>`` first

Since the overhead and payload start on octet boundaries, a frame is handled as octets: the AM as 15 octets read
LSB first, everything after it as MSB-first octets (:data:`BODY_OCTETS` = 32 881 of them). A line dump (§10) stores
line bit 8k+i in bit i of byte k, so the dump of a frame is the AM octets as they are, then every body octet with its
bits reversed. Layouts are defined once here (field table :data:`OH_FIELDS`) and used by builder, parser and tests.
"""

from dataclasses import dataclass

import numpy as np

from .crc import CRC16_OH
from .gmp import SLOTS, FRAME_BITS

__all__ = ["AM_OCTETS", "AM_BITS", "FRAME_BITS", "FRAME_OCTETS", "OH_OCTETS", "BODY_OCTETS", "PAYLOAD_BITS",
           "PAYLOAD_OCTETS", "OH_FIELDS", "MODE_CLEAR", "MODE_GMAC", "MODE_GCM", "MODE_RESERVED", "VERSION",
           "Overhead", "pack_slots", "unpack_slots", "frame_to_line", "line_to_body", "BITREV"]

#: 400GBASE-R PCS lane 0 alignment marker (IEEE 802.3 Table 119-2), physec.md §4
AM_OCTETS = bytes.fromhex("9A4A26B665B5D9D90171F326FE8E0C")
AM_BITS = np.unpackbits(np.frombuffer(AM_OCTETS, dtype=np.uint8), bitorder="little")
AM_BITS.setflags(write=False)
FRAME_OCTETS = FRAME_BITS // 8          # 32 896
OH_OCTETS = 242
BODY_OCTETS = FRAME_OCTETS - len(AM_OCTETS)       # 32 881: overhead + payload
PAYLOAD_BITS = SLOTS * 257              # 261 112
PAYLOAD_OCTETS = PAYLOAD_BITS // 8      # 32 639
assert len(AM_OCTETS) * 8 + OH_OCTETS * 8 == 2056 and PAYLOAD_BITS % 8 == 0

#: overhead fields: name → (first octet, octet count)   (physec.md §4 table)
OH_FIELDS = {
    "MFAS": (0, 1), "STAT": (1, 1), "JC": (2, 3), "SEC_CTRL": (5, 1), "FC": (6, 8), "TAG": (14, 16),
    "OHCRC16": (30, 2), "KCC": (32, 32), "RES": (64, 178),
}
AAD_OCTETS = 14           # O0..O13: the AAD and the OHCRC16 coverage (physec.md §4, §7)
MODE_CLEAR, MODE_GMAC, MODE_GCM, MODE_RESERVED = 0b00, 0b01, 0b10, 0b11
VERSION = 0b001

#: bit reversal of an octet (MSB-first octet ↔ LSB-first line dump byte)
BITREV = np.array([int(f"{b:08b}"[::-1], 2) for b in range(256)], dtype=np.uint8)


@dataclass
class Overhead:
    """The fields of O0..O63 (RES is always zero on transmit and ignored on receive)."""
    fc: int = 0
    rdi: bool = False
    rif: bool = False
    mode: int = MODE_CLEAR
    jc: bytes = b"\0\0\0"
    an: int = 0
    nan: int = 0
    ksp: bool = False
    version: int = VERSION
    tag: bytes = bytes(16)
    kcc: bytes = bytes(32)
    mfas: int | None = None          # None: FC mod 256 (physec.md §4); set only to model a faulty sender
    stat_low: int = 0                # STAT b3..0, zero on transmit

    def aad(self):
        """O0..O13 (the AAD of GCM / GMAC, and what OHCRC16 covers)."""
        mfas = self.fc & 0xFF if self.mfas is None else self.mfas
        stat = (self.rdi << 7) | (self.rif << 6) | (self.mode << 4) | self.stat_low
        sec = (self.an << 6) | (self.nan << 4) | (self.ksp << 3) | self.version
        return bytes([mfas, stat]) + bytes(self.jc) + bytes([sec]) + self.fc.to_bytes(8, "big")

    def octets(self):
        """O0..O241 before scrambling."""
        a = self.aad()
        assert len(self.tag) == 16 and len(self.kcc) == 32
        return a + bytes(self.tag) + CRC16_OH(a).to_bytes(2, "big") + bytes(self.kcc) + bytes(178)

    @classmethod
    def parse(cls, oh):
        """O0..O63 (or more) → (Overhead, ohcrc_ok). Every field is returned as received."""
        oh = bytes(oh)
        stat, sec = oh[1], oh[5]
        o = cls(fc=int.from_bytes(oh[6:14], "big"), rdi=bool(stat >> 7), rif=bool((stat >> 6) & 1),
                mode=(stat >> 4) & 3, jc=oh[2:5], an=sec >> 6, nan=(sec >> 4) & 3, ksp=bool((sec >> 3) & 1),
                version=sec & 7, tag=oh[14:30], kcc=oh[32:64], mfas=oh[0], stat_low=stat & 0xF)
        return o, CRC16_OH(oh[:AAD_OCTETS]) == int.from_bytes(oh[30:32], "big")


def pack_slots(blocks, cm):
    """Client 257b blocks (Cm, 257) → payload octets P (32 639, MSB first), stuff slots zero (physec.md §5, §7)."""
    from .gmp import slot_mask
    region = np.zeros((SLOTS, 257), dtype=np.uint8)
    if cm:
        region[slot_mask(cm)] = blocks
    return np.packbits(region.reshape(-1), bitorder="big")


def unpack_slots(payload_octets, cm):
    """Payload octets → the Cm client 257b blocks (Cm, 257), in slot order."""
    from .gmp import slot_mask
    region = np.unpackbits(np.asarray(payload_octets, dtype=np.uint8), bitorder="big").reshape(SLOTS, 257)
    return region[slot_mask(cm)] if cm else region[:0]


def frame_to_line(body):
    """Scrambled body octets (32 881, MSB first) → the frame's 32 896 line-dump bytes (§10)."""
    return np.concatenate([np.frombuffer(AM_OCTETS, dtype=np.uint8), BITREV[np.asarray(body, dtype=np.uint8)]])


def line_to_body(frame_bytes):
    """A frame's 32 896 line-dump bytes → (AM octets as 15 bytes, body octets MSB first). Still scrambled."""
    fb = np.asarray(frame_bytes, dtype=np.uint8)
    return fb[:15], BITREV[fb[15:]]
