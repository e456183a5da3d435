"""GCM (NIST SP 800-38D) for PHYSec frames: keystream, GHASH and tag, with a pluggable 128-bit block cipher.

The per-frame work is split as the hardware does it (physec.md §7, "Precomputation"):

* at key installation: ``H = E_K(0^128)`` (SP 800-38D §6.4) and a table of ``x^b · H^j`` for every power ``j`` a frame
  needs (:class:`GhashKey`); the GF(2^128) arithmetic is derived from R = 0xE1 ‖ 0^120 (Algorithm 1), no constant tables;
* per frame, from (key, IV) alone: ``J0 = IV ‖ 0^31 ‖ 1``, the keystream ``E_K(inc32^i(J0))`` for i = 1..2040 and the tag
  mask ``E_K(J0)`` (§7.1);
* over the data: ``S = GHASH_H(A ‖ 0^v ‖ C ‖ 0^u ‖ [len A]64 ‖ [len C]64)`` (§6.4, §7.1) and ``T = E_K(J0) XOR S``.

GHASH is linear, so ``S = XOR over blocks i and bits b set in X_i of x^b · H^(m+1−i)`` (an m-way aggregated GHASH,
as a pipelined hardware GHASH uses powers of H). The model stores that table column-wise as bit-packed words, so each
of the 128 output bits is the parity of one AND over the input (numpy ``bitwise_count``).
:func:`gf_mult` is the bit-serial Algorithm 1 the table is built from.
"""

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = ["R", "gf_mult", "Aes256", "Sm4", "GhashKey", "GcmKey"]

#: SP 800-38D §6.3: R = 11100001 ‖ 0^120
R = 0xE1 << 120
_BITREV = np.array([int(f"{b:08b}"[::-1], 2) for b in range(256)], dtype=np.uint8)


def gf_mult(x, y):
    """SP 800-38D Algorithm 1: X · Y in GF(2^128), blocks as 128-bit integers (bit 0 of the block = MSB)."""
    z, v = 0, y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ R if v & 1 else v >> 1
    return z


class Aes256:
    """AES-256 (FIPS 197) as the GCM block cipher; ``encrypt_blocks`` takes and returns a multiple of 16 octets."""
    name = "AES-256"
    key_octets = 32

    def __init__(self, key):
        if len(key) != self.key_octets:
            raise ValueError(f"{self.name} needs a {self.key_octets}-octet key, got {len(key)}")
        self._ecb = Cipher(algorithms.AES(bytes(key)), modes.ECB())

    def encrypt_blocks(self, data):
        enc = self._ecb.encryptor()
        return enc.update(bytes(data)) + enc.finalize()


class Sm4(Aes256):
    """SM4 (GB/T 32907) as the block cipher, for SM4-GCM (RFC 8998); optional in physec.md §7."""
    name = "SM4"
    key_octets = 16

    def __init__(self, key):
        if len(key) != self.key_octets:
            raise ValueError(f"{self.name} needs a {self.key_octets}-octet key, got {len(key)}")
        self._ecb = Cipher(algorithms.SM4(bytes(key)), modes.ECB())


class GhashKey:
    """GHASH with a fixed H for inputs of a fixed number of blocks ``m`` (a frame always has m = 2042)."""

    def __init__(self, h, m):
        self.h, self.m = h, m
        # powers H^1..H^m, serially with Algorithm 1 sped up by an 8-bit table built from x^b · H
        xb = [h]
        for _ in range(127):
            v = xb[-1]
            xb.append((v >> 1) ^ R if v & 1 else v >> 1)
        byte_tab = []
        for k in range(16):                      # byte k of X (k = 0 is the most significant octet)
            t = [0] * 256
            for val in range(1, 256):
                low = val & -val
                bit = 7 - (low.bit_length() - 1)  # position of that bit inside the octet, MSB = 0
                t[val] = t[val ^ low] ^ xb[8 * k + bit]
            byte_tab.append(t)
        powers = [h]
        for _ in range(m - 1):
            x = powers[-1]
            acc = 0
            for k in range(16):
                acc ^= byte_tab[k][(x >> (8 * (15 - k))) & 0xFF]
            powers.append(acc)
        # row (i, b) of the table = x^b · H^(m − i): input block i (0-based) is multiplied by H^(m−i)
        hi = np.array([p >> 64 for p in reversed(powers)], dtype=np.uint64)
        lo = np.array([p & 0xFFFFFFFFFFFFFFFF for p in reversed(powers)], dtype=np.uint64)
        table = np.empty((m, 128, 2), dtype=np.uint64)
        r_hi = np.uint64(0xE1 << 56)
        for b in range(128):                       # x^(b+1) · Y = (x^b · Y) · x: the shift of Algorithm 1
            table[:, b, 0], table[:, b, 1] = lo, hi
            lsb = lo & np.uint64(1)
            lo = (lo >> np.uint64(1)) | ((hi & np.uint64(1)) << np.uint64(63))
            hi = (hi >> np.uint64(1)) ^ (lsb * r_hi)
        # S is linear in the input bits: output bit q = parity of (input bits AND column q of the table). The
        # columns are stored packed 64 rows per word, so a digest is 128 AND + popcount passes over 2·m words.
        rows = np.unpackbits(table.reshape(m * 128, 2).view(np.uint8), axis=1, bitorder="little")  # (rows, 128)
        self._cols = np.ascontiguousarray(np.packbits(rows.T, axis=1, bitorder="little")).view("<u8")  # (128, 2m)

    def digest(self, blocks):
        """GHASH_H of exactly m 16-octet blocks (bytes or uint8 array) → 128-bit integer."""
        x = np.frombuffer(bytes(blocks), dtype=np.uint8) if not isinstance(blocks, np.ndarray) else blocks
        if x.size != 16 * self.m:
            raise ValueError(f"GHASH input must be {self.m} blocks")
        # input bit r (MSB of octet 0 first) packed little-endian 64 per word, like the table's rows
        words = _BITREV[x.reshape(-1)].view("<u8")
        parity = np.bitwise_count(self._cols & words).sum(axis=1) & 1
        return int.from_bytes(np.packbits(parity.astype(np.uint8), bitorder="little").tobytes(), "little")


def _len_block(a_octets, c_octets):
    return (8 * a_octets).to_bytes(8, "big") + (8 * c_octets).to_bytes(8, "big")


def _pad16(data):
    return bytes(data) + bytes(-len(data) % 16)


class GcmKey:
    """One key of a slot: cipher, H and its GHASH table for frames of ``a_octets`` AAD and ``p_octets`` payload."""

    def __init__(self, key, *, p_octets, a_octets, cipher=Aes256):
        self.cipher = cipher(key)
        self.h = int.from_bytes(self.cipher.encrypt_blocks(bytes(16)), "big")          # SP 800-38D §6.4
        self.p_octets, self.a_octets = p_octets, a_octets
        # GCM: A (padded) + C (padded) + length block; GMAC: A‖P as AAD (padded) + length block
        m_gcm = -(-a_octets // 16) + -(-p_octets // 16) + 1
        m_gmac = -(-(a_octets + p_octets) // 16) + 1
        self._ghash = {m: GhashKey(self.h, m) for m in {m_gcm, m_gmac}}
        self.n_ks = -(-p_octets // 16)

    def precompute(self, iv):
        """(E_K(J0), keystream octets for the payload) for a 96-bit IV (SP 800-38D §7.1 with len(IV) = 96)."""
        if len(iv) != 12:
            raise ValueError("IV must be 96 bits")
        j0 = int.from_bytes(bytes(iv) + b"\0\0\0\1", "big")
        ctr = np.arange(0, self.n_ks + 1, dtype=np.uint64)
        low = (np.uint64(j0 & 0xFFFFFFFF) + ctr) & np.uint64(0xFFFFFFFF)                 # inc32
        blocks = np.empty((self.n_ks + 1, 16), dtype=np.uint8)
        blocks[:, :12] = np.frombuffer(bytes(iv), dtype=np.uint8)
        blocks[:, 12:] = low.astype(">u4").view(np.uint8).reshape(-1, 4)
        out = np.frombuffer(self.cipher.encrypt_blocks(blocks.tobytes()), dtype=np.uint8)
        return int.from_bytes(out[:16].tobytes(), "big"), out[16:16 + self.p_octets]

    def ghash_gcm(self, aad, ciphertext):
        data = _pad16(aad) + _pad16(ciphertext) + _len_block(len(aad), len(ciphertext))
        return self._ghash[len(data) // 16].digest(data)

    def ghash_gmac(self, aad_and_payload):
        data = _pad16(aad_and_payload) + _len_block(len(aad_and_payload), 0)
        return self._ghash[len(data) // 16].digest(data)
