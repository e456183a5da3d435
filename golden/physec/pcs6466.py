"""XGMII ↔ 64b/66b, IEEE 802.3 Clause 49 (physec.md §2).

A 66b block is ``(header, payload)``:

* ``header`` is the 2-bit sync header as an integer whose **bit 0 is the first bit sent**: ``HDR_DATA = 0b10``
  (802.3 notation "01": first bit 0, second bit 1) and ``HDR_CTRL = 0b01`` (802.3 "10"). 0b00 and 0b11 are invalid.
* ``payload`` is a 64-bit integer whose bit i is payload bit i (sent i-th); the block type byte is bits 0–7.

An XGMII word is ``(data, ctrl)``: ``data`` 64 bits with lane 0 = ``data[7:0]`` (sent first), ``ctrl`` bit i flags lane i.

Each word / block is mapped on its own (no Clause 49 sequence state machine), physec.md §2. Words the encoder cannot
represent become an /E/ block; blocks the decoder cannot interpret become /E/ on all eight lanes. Reserved bits are
sent as 0 and ignored on receive. The scalar functions are the definition; :func:`encode_words` and
:func:`decode_blocks` are numpy front ends with fast paths for data and all-idle words that fall back to them.
"""

import numpy as np

__all__ = [
    "HDR_DATA", "HDR_CTRL", "BLOCK_TYPES", "XGMII_IDLE", "XGMII_ERROR", "E_BLOCK", "IDLE_BLOCK", "LOCAL_FAULT",
    "encode_word", "decode_block", "encode_words", "decode_blocks",
]

HDR_DATA = 0b10     # 802.3 sync header "01" (first bit sent = bit 0 = 0)           IEEE 802.3 Cl. 49.2.4.2
HDR_CTRL = 0b01     # 802.3 sync header "10"

# XGMII control characters (IEEE 802.3 Table 49-1)
IDLE, LPI, START, TERM, ERROR, SEQ, SIG = 0x07, 0x06, 0xFB, 0xFD, 0xFE, 0x9C, 0x5C
#: XGMII control character ↔ 7-bit 10GBASE-R control code (Table 49-1; /LI/ from 802.3az; 6 reserved codes)
CTRL_TO_C7 = {0x07: 0x00, 0x06: 0x06, 0xFE: 0x1E, 0x1C: 0x2D, 0x3C: 0x33, 0x7C: 0x4B, 0xBC: 0x55, 0xDC: 0x66,
              0xF7: 0x78}
C7_TO_CTRL = {v: k for k, v in CTRL_TO_C7.items()}
#: ordered-set control character ↔ 4-bit O code (/Q/ sequence, /Fsig/ signal ordered set)
CTRL_TO_O = {SEQ: 0x0, SIG: 0xF}
O_TO_CTRL = {v: k for k, v in CTRL_TO_O.items()}

#: the 15 block types of Figure 49-7 (their low nibbles are distinct, which 256b/257b relies on)
BLOCK_TYPES = (0x1E, 0x2D, 0x33, 0x66, 0x55, 0x78, 0x4B, 0x87, 0x99, 0xAA, 0xB4, 0xCC, 0xD2, 0xE1, 0xFF)
#: block type of a terminate block with /T/ in lane k (Figure 49-7)
TERM_TYPES = (0x87, 0x99, 0xAA, 0xB4, 0xCC, 0xD2, 0xE1, 0xFF)

XGMII_IDLE = (0x0707070707070707, 0xFF)
XGMII_ERROR = (0xFEFEFEFEFEFEFEFE, 0xFF)
#: Local Fault ordered set on both halves (physec.md §8): lane 0 = /Q/, lanes 1..3 = 00 00 01
LOCAL_FAULT = (0x0100009C0100009C, 0x11)


def _lanes(data):
    return [(data >> (8 * i)) & 0xFF for i in range(8)]


def _pack_c7(codes, first_bit):
    v = 0
    for k, c in enumerate(codes):
        v |= c << (first_bit + 7 * k)
    return v


def _pack_bytes(octets, first_bit):
    v = 0
    for k, d in enumerate(octets):
        v |= d << (first_bit + 8 * k)
    return v


E_BLOCK = (HDR_CTRL, 0x1E | _pack_c7([0x1E] * 8, 8))
IDLE_BLOCK = (HDR_CTRL, 0x1E)


def encode_word(data, ctrl):
    """One XGMII word → one 66b block ``(header, payload)`` (IEEE 802.3 Cl. 49.2.4, Figure 49-7)."""
    if ctrl == 0:
        return HDR_DATA, data
    lane = _lanes(data)
    c7 = [CTRL_TO_C7.get(x) for x in lane]
    if ctrl == 0xFF and None not in c7:                                                   # C0..C7
        return HDR_CTRL, 0x1E | _pack_c7(c7, 8)
    if ctrl == 0x01 and lane[0] == START:                                                 # S0 D1..D7
        return HDR_CTRL, 0x78 | _pack_bytes(lane[1:], 8)
    if ctrl == 0x1F and None not in c7[:4]:
        if lane[4] in CTRL_TO_O:                                                          # C0..C3 O4 D5..D7
            return HDR_CTRL, 0x2D | _pack_c7(c7[:4], 8) | CTRL_TO_O[lane[4]] << 36 | _pack_bytes(lane[5:], 40)
        if lane[4] == START:                                                              # C0..C3 S4 D5..D7
            return HDR_CTRL, 0x33 | _pack_c7(c7[:4], 8) | _pack_bytes(lane[5:], 40)
    if ctrl == 0x11 and lane[0] in CTRL_TO_O:
        o0 = CTRL_TO_O[lane[0]]
        if lane[4] == START:                                                              # O0 D1..D3 S4 D5..D7
            return HDR_CTRL, 0x66 | _pack_bytes(lane[1:4], 8) | o0 << 32 | _pack_bytes(lane[5:], 40)
        if lane[4] in CTRL_TO_O:                                                          # O0 D1..D3 O4 D5..D7
            return (HDR_CTRL, 0x55 | _pack_bytes(lane[1:4], 8) | o0 << 32 | CTRL_TO_O[lane[4]] << 36
                    | _pack_bytes(lane[5:], 40))
    if ctrl == 0xF1 and lane[0] in CTRL_TO_O and None not in c7[4:]:                      # O0 D1..D3 C4..C7
        return HDR_CTRL, 0x4B | _pack_bytes(lane[1:4], 8) | CTRL_TO_O[lane[0]] << 32 | _pack_c7(c7[4:], 36)
    for k in range(8):                                                                    # D0..D(k-1) T(k) C(k+1)..C7
        if ctrl == (0xFF << k) & 0xFF and lane[k] == TERM and None not in c7[k + 1:]:
            # data octets from bit 8, reserved zero bits, then the 7-bit codes C(k+1)..C7 ending at bit 63
            return HDR_CTRL, TERM_TYPES[k] | _pack_bytes(lane[:k], 8) | _pack_c7(c7[k + 1:], 64 - 7 * (7 - k))
    return E_BLOCK


def decode_block(header, payload):
    """One 66b block → one XGMII word ``(data, ctrl)``; anything not interpretable gives /E/ on all lanes."""
    if header == HDR_DATA:
        return payload, 0x00
    if header != HDR_CTRL:
        return XGMII_ERROR
    bt = payload & 0xFF

    def c7s(first_bit, n):
        out = []
        for k in range(n):
            c = C7_TO_CTRL.get((payload >> (first_bit + 7 * k)) & 0x7F)
            if c is None:
                return None
            out.append(c)
        return out

    def octs(first_bit, n):
        return [(payload >> (first_bit + 8 * k)) & 0xFF for k in range(n)]

    def word(lanes, ctrl):
        return _pack_bytes(lanes, 0), ctrl

    if bt == 0x1E:
        c = c7s(8, 8)
        return XGMII_ERROR if c is None else word(c, 0xFF)
    if bt == 0x78:
        return word([START] + octs(8, 7), 0x01)
    if bt in (0x2D, 0x33):
        c = c7s(8, 4)
        if c is None:
            return XGMII_ERROR
        if bt == 0x2D:
            o4 = O_TO_CTRL.get((payload >> 36) & 0xF)
            if o4 is None:
                return XGMII_ERROR
            return word(c + [o4] + octs(40, 3), 0x1F)
        return word(c + [START] + octs(40, 3), 0x1F)
    if bt in (0x66, 0x55, 0x4B):
        o0 = O_TO_CTRL.get((payload >> 32) & 0xF)
        if o0 is None:
            return XGMII_ERROR
        d13 = octs(8, 3)
        if bt == 0x66:
            return word([o0] + d13 + [START] + octs(40, 3), 0x11)
        if bt == 0x55:
            o4 = O_TO_CTRL.get((payload >> 36) & 0xF)
            if o4 is None:
                return XGMII_ERROR
            return word([o0] + d13 + [o4] + octs(40, 3), 0x11)
        c = c7s(36, 4)
        return XGMII_ERROR if c is None else word([o0] + d13 + c, 0xF1)
    if bt in TERM_TYPES:
        k = TERM_TYPES.index(bt)
        c = c7s(64 - 7 * (7 - k), 7 - k)
        if c is None:
            return XGMII_ERROR
        return word(octs(8, k) + [TERM] + c, (0xFF << k) & 0xFF)
    return XGMII_ERROR


_IDLE_DATA = np.uint64(XGMII_IDLE[0])


def encode_words(data, ctrl):
    """Arrays of XGMII words (uint64, uint8) → arrays of sync headers (uint8) and payloads (uint64)."""
    data = np.asarray(data, dtype=np.uint64)
    ctrl = np.asarray(ctrl, dtype=np.uint8)
    hdr = np.full(data.shape, HDR_CTRL, dtype=np.uint8)
    pay = np.empty_like(data)
    is_data = ctrl == 0
    is_idle = (ctrl == 0xFF) & (data == _IDLE_DATA)
    hdr[is_data] = HDR_DATA
    pay[is_data] = data[is_data]
    pay[is_idle] = 0x1E
    for i in np.flatnonzero(~(is_data | is_idle)):
        hdr[i], pay[i] = encode_word(int(data[i]), int(ctrl[i]))
    return hdr, pay


def decode_blocks(hdr, pay):
    """Arrays of 66b blocks → arrays of XGMII words ``(data uint64, ctrl uint8)``."""
    hdr = np.asarray(hdr, dtype=np.uint8)
    pay = np.asarray(pay, dtype=np.uint64)
    data = np.empty_like(pay)
    ctrl = np.empty(pay.shape, dtype=np.uint8)
    is_data = hdr == HDR_DATA
    is_idle = (hdr == HDR_CTRL) & (pay == np.uint64(0x1E))
    data[is_data] = pay[is_data]
    ctrl[is_data] = 0
    data[is_idle] = _IDLE_DATA
    ctrl[is_idle] = 0xFF
    for i in np.flatnonzero(~(is_data | is_idle)):
        data[i], ctrl[i] = decode_block(int(hdr[i]), int(pay[i]))
    return data, ctrl
