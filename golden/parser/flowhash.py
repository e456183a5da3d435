"""CRC-32C (Castagnoli) and the flow hash of parser.md §5.

The CRC is derived from its polynomial (RFC 3385 / iSCSI, the "CRC-32/ISCSI" catalogue entry): width 32,
poly 0x1EDC6F41, reflected in and out, init 0xFFFFFFFF, xorout 0xFFFFFFFF, check("123456789") = 0xE3069283.
The byte table is built from the bit-serial definition, never typed in.

Flow-hash key (parser.md §5 "CRC-32C over the innermost {SA, DA, protocol, source port, destination port}"),
37 bytes = 296 bits in network order: SA (16) | DA (16) | protocol (1) | source port (2) | destination port (2).
IPv4 addresses sit in the low 32 bits of their 128-bit slots (IPv4-compatible form, background/srv6_arn.md §7.3
"IPv4 in the low 32 bits"). Absent fields are zero: ports when L4 has none (ICMP, ESP, not reached), the protocol
when no upper-layer Next Header was reached, everything for a non-IP frame.
"""

__all__ = ["CRC32C_POLY", "CRC32C_CHECK", "crc32c", "crc32c_bitwise", "flow_key", "flow_hash"]

CRC32C_POLY = 0x1EDC6F41        # Castagnoli, normal (MSB-first) form (RFC 3385 §4)
CRC32C_CHECK = 0xE3069283       # published check value of "123456789"


def _reflect(value, width):
    return int(f"{value:0{width}b}"[::-1], 2)


_POLY_REFLECTED = _reflect(CRC32C_POLY, 32)      # 0x82F63B78


def crc32c_bitwise(data, crc=0xFFFFFFFF):
    """Bit-serial reflected CRC-32C (the definition the table is derived from). Returns the final value."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (_POLY_REFLECTED if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ (_POLY_REFLECTED if c & 1 else 0)
        table.append(c)
    return tuple(table)


_TABLE = _table()


def crc32c(data):
    """CRC-32C of ``data`` (bytes)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def flow_key(sa, da, proto, sport, dport):
    """The 37-byte hash key; ``sa`` / ``da`` are 128-bit integers (IPv4 in the low 32 bits), None → 0."""
    return ((sa or 0).to_bytes(16, "big") + (da or 0).to_bytes(16, "big") + bytes([proto or 0])
            + (sport or 0).to_bytes(2, "big") + (dport or 0).to_bytes(2, "big"))


def flow_hash(sa, da, proto, sport, dport):
    return crc32c(flow_key(sa, da, proto, sport, dport))
