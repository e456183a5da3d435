"""256b/257b transcoding (physec.md §3; IEEE 802.3 Cl. 91.5.2.5 / 119.2.4.2 rule), vectorised over groups.

A group is four 66b blocks j = 0..3 (j = 0 oldest), given as arrays ``hdr (N, 4)`` and ``pay (N, 4)`` in the
representation of :mod:`.pcs6466`. A 257b block is a row of 257 bits ``x<0..256>`` (uint8 0/1, ``x<0>`` sent first).

* all four data: ``x<0> = 1``, ``x<1..256>`` = the four payloads, block 0 first, payload bit 0 first;
* otherwise ``x<0> = 0``, ``x<1+j>`` = 1 if block j is data, and ``x<5..256>`` = the 256 payload bits with bits 4..7 of
  the first control block's type byte removed. The receiver restores that nibble from the low nibble, which is distinct
  for each of the 15 block types.
* RX errors (``x<0> = 0`` with mask 1111, or a low nibble that names no block type): the four blocks become /E/ control
  blocks and the group is flagged (``xcode_err``).
"""

import numpy as np

from .pcs6466 import BLOCK_TYPES, E_BLOCK, HDR_CTRL, HDR_DATA

__all__ = ["encode_groups", "decode_groups", "payload_bits", "bits_payload"]

#: low nibble of a block type → its high nibble, or -1 (physec.md §3)
_LOW_TO_HIGH = np.full(16, -1, dtype=np.int16)
for _bt in BLOCK_TYPES:
    assert _LOW_TO_HIGH[_bt & 0xF] == -1, "block types must have distinct low nibbles"
    _LOW_TO_HIGH[_bt & 0xF] = _bt >> 4
_NIBBLE_BITS = np.unpackbits(np.arange(16, dtype=np.uint8)[:, None], axis=1, bitorder="little")[:, :4]


def payload_bits(pay):
    """uint64 payloads (..., k) → bits (..., 64k): bit i of payload 0 first."""
    pay = np.ascontiguousarray(pay, dtype="<u8")
    return np.unpackbits(pay.view(np.uint8).reshape(*pay.shape[:-1], -1), axis=-1, bitorder="little")


def bits_payload(bits):
    """Inverse of :func:`payload_bits` for bits (..., 64k) → uint64 (..., k)."""
    packed = np.packbits(np.ascontiguousarray(bits, dtype=np.uint8), axis=-1, bitorder="little")
    return packed.view("<u8").astype(np.uint64)


def encode_groups(hdr, pay):
    """(N, 4) headers and payloads → (N, 257) bits. Headers must be valid (the encoder only makes valid ones)."""
    hdr = np.asarray(hdr, dtype=np.uint8).reshape(-1, 4)
    pay = np.asarray(pay, dtype=np.uint64).reshape(-1, 4)
    if np.any((hdr != HDR_DATA) & (hdr != HDR_CTRL)):
        raise ValueError("256b/257b input has an invalid sync header")
    n = len(hdr)
    is_data = hdr == HDR_DATA
    bits256 = payload_bits(pay)                       # (N, 256)
    out = np.zeros((n, 257), dtype=np.uint8)
    all_data = is_data.all(axis=1)
    out[all_data, 0] = 1
    out[all_data, 1:] = bits256[all_data]
    first_ctrl = np.argmin(is_data, axis=1)           # index of the first control block (rows with one)
    out[~all_data, 1:5] = is_data[~all_data]
    for k in range(4):
        rows = ~all_data & (first_ctrl == k)
        if rows.any():
            out[rows, 5:] = np.delete(bits256[rows], np.arange(64 * k + 4, 64 * k + 8), axis=1)
    return out


def decode_groups(bits):
    """(N, 257) bits → headers (N, 4), payloads (N, 4), error flags (N,)."""
    bits = np.asarray(bits, dtype=np.uint8).reshape(-1, 257)
    n = len(bits)
    hdr = np.empty((n, 4), dtype=np.uint8)
    bits256 = np.empty((n, 256), dtype=np.uint8)
    all_data = bits[:, 0] == 1
    hdr[all_data] = HDR_DATA
    bits256[all_data] = bits[all_data, 1:]
    mask = bits[:, 1:5]
    err = ~all_data & mask.all(axis=1)
    first_ctrl = np.argmin(mask, axis=1)
    for k in range(4):
        rows = np.flatnonzero(~all_data & ~err & (first_ctrl == k))
        if len(rows) == 0:
            continue
        body = bits[rows, 5:]
        low = (body[:, 64 * k] | body[:, 64 * k + 1] << 1 | body[:, 64 * k + 2] << 2 | body[:, 64 * k + 3] << 3)
        high = _LOW_TO_HIGH[low]
        bad = high < 0
        err[rows[bad]] = True
        good = rows[~bad]
        bits256[good] = np.insert(body[~bad], [64 * k + 4] * 4, _NIBBLE_BITS[high[~bad]], axis=1)
        hdr[good] = np.where(mask[good] == 1, HDR_DATA, HDR_CTRL)
    pay = bits_payload(bits256)
    hdr[err] = E_BLOCK[0]
    pay[err] = E_BLOCK[1]
    return hdr, pay, err
