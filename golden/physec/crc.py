"""CRCs of PHYSec and Ethernet, each derived from its generator polynomial (no hand-written tables).

* JC3: ITU-T G.709 Annex D CRC-8, g(x) = x^8 + x^3 + x^2 + 1, init 0, MSB first  (physec.md §4; check "123456789" → 0x01)
* OHCRC16: CRC-16/CCITT-FALSE, g(x) = x^16 + x^12 + x^5 + 1, init 0xFFFF      (physec.md §4; check → 0x29B1)
* Ethernet FCS: CRC-32, g(x) = 0x04C11DB7, reflected, init and final XOR 0xFFFFFFFF  (IEEE 802.3 Cl. 3.2.9;
  equal to ``zlib.crc32``, check "123456789" → 0xCBF43926)

A :class:`Crc` builds its 256-entry byte table from the polynomial with the bit-serial rule, and keeps the bit-serial
form (:meth:`Crc.bitwise`) as the reference the table is checked against.
"""

__all__ = ["Crc", "CRC8_JC", "CRC16_OH", "CRC32_ETH", "CHECK_INPUT"]

#: the catalogue's check input
CHECK_INPUT = b"123456789"


def _reflect(value, width):
    return int(f"{value:0{width}b}"[::-1], 2)


class Crc:
    """A CRC given by (width, poly, init, reflect, xorout) in the Rocksoft / catalogue convention."""

    def __init__(self, *, width, poly, init, reflect=False, xorout=0, check=None, name=""):
        self.width, self.poly, self.init, self.reflect, self.xorout = width, poly, init, reflect, xorout
        self.check, self.name = check, name
        self._mask = (1 << width) - 1
        if reflect:      # LSB-first register: the table uses the reflected polynomial
            rpoly = _reflect(poly, width)
            self._table = [self._step_lsb(b, rpoly) for b in range(256)]
        else:
            self._table = [self._step_msb(b << (width - 8) if width >= 8 else b) for b in range(256)]

    def _step_msb(self, reg):
        for _ in range(8):
            reg = ((reg << 1) ^ self.poly) if reg & (1 << (self.width - 1)) else (reg << 1)
        return reg & self._mask

    @staticmethod
    def _step_lsb(reg, rpoly):
        for _ in range(8):
            reg = (reg >> 1) ^ rpoly if reg & 1 else reg >> 1
        return reg

    def bitwise(self, data):
        """Bit-serial reference: one shift per message bit (MSB of each octet first unless reflected)."""
        reg = self.init
        top = 1 << (self.width - 1)
        for byte in data:
            for i in range(8):
                bit = (byte >> i) & 1 if self.reflect else (byte >> (7 - i)) & 1
                if self.reflect:
                    fb = (reg & 1) ^ bit
                    reg >>= 1
                    if fb:
                        reg ^= _reflect(self.poly, self.width)
                else:
                    fb = (1 if reg & top else 0) ^ bit
                    reg = (reg << 1) & self._mask
                    if fb:
                        reg ^= self.poly
        return reg ^ self.xorout

    def __call__(self, data):
        reg, table = self.init, self._table
        if self.reflect:
            for byte in data:
                reg = (reg >> 8) ^ table[(reg ^ byte) & 0xFF]
        else:
            shift = self.width - 8
            for byte in data:
                reg = ((reg << 8) & self._mask) ^ table[((reg >> shift) ^ byte) & 0xFF]
        return reg ^ self.xorout


CRC8_JC = Crc(width=8, poly=0x0D, init=0x00, check=0x01, name="G.709 Annex D JC CRC-8")          # physec.md §4
CRC16_OH = Crc(width=16, poly=0x1021, init=0xFFFF, check=0x29B1, name="CRC-16/CCITT-FALSE")      # physec.md §4
CRC32_ETH = Crc(width=32, poly=0x04C11DB7, init=0xFFFFFFFF, reflect=True, xorout=0xFFFFFFFF,
                check=0xCBF43926, name="Ethernet FCS CRC-32")                                    # IEEE 802.3 Cl. 3.2.9
