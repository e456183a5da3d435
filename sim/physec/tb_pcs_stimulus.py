"""Stimulus and expected values for the 10GBASE-R PCS tests (amaranth.sim and cocotb), from the golden model.

XGMII words that hit every block type of IEEE 802.3 Figure 49-7, every control character of Table 49-1 (with the
reserved ones), /E/ cases the encoder must produce, and random bytes under every ``ctrl`` mask the formats use; 66b
blocks that hit every decoder branch (bad headers, unknown types, invalid 7-bit and O codes). Payloads are packed and
unpacked through the RTL layouts (:mod:`din.rtl.physec.layouts`), never by hand.
"""

import numpy as np

from din.golden.physec.blocklock import Pcs10GBaseR, serialize_66b
from din.golden.physec.pcs6466 import decode_block, encode_word
from din.rtl.physec.layouts import BLOCK66, XGMII

__all__ = ["CONTROL_CHARS", "CTRL_MASKS", "xgmii_words", "random_blocks", "pack_xgmii", "unpack_xgmii",
           "pack_block", "unpack_block", "bits_to_words", "golden_tx_words", "golden_rx", "encode_word",
           "decode_block"]

#: Table 49-1 characters: /I/ /LI/ /E/ and the six reserved, /Q/ /Fsig/, /S/ /T/
CONTROL_CHARS = (0x07, 0x06, 0xFE, 0x1C, 0x3C, 0x7C, 0xBC, 0xDC, 0xF7, 0x9C, 0x5C, 0xFB, 0xFD)
#: the ctrl masks of the block formats (Figure 49-7)
CTRL_MASKS = (0x00, 0xFF, 0x01, 0x1F, 0x11, 0xF1, 0xFE, 0xFC, 0xF8, 0xF0, 0xE0, 0xC0, 0x80)
_C7_CHARS = CONTROL_CHARS[:9]
_O_CHARS = (0x9C, 0x5C)


def _word(lanes, ctrl):
    return sum(b << (8 * i) for i, b in enumerate(lanes)), ctrl


def _templates(rng):
    """One word per block type (with random data / codes), the /E/-producing near misses."""
    d = [rng.getrandbits(8) for _ in range(8)]
    c = [rng.choice(_C7_CHARS) for _ in range(8)]
    o = [rng.choice(_O_CHARS) for _ in range(2)]
    S, T = 0xFB, 0xFD
    out = [
        (c, 0xFF), ([S] + d[1:], 0x01), (c[:4] + [o[1]] + d[5:], 0x1F), (c[:4] + [S] + d[5:], 0x1F),
        ([o[0]] + d[1:4] + [S] + d[5:], 0x11), ([o[0]] + d[1:4] + [o[1]] + d[5:], 0x11),
        ([o[0]] + d[1:4] + c[4:], 0xF1), (d, 0x00), ([0x07] * 8, 0xFF),
    ]
    for k in range(8):
        out.append((d[:k] + [T] + c[k + 1:], (0xFF << k) & 0xFF))
    # near misses: each one must become /E/ (or a different, still valid, type)
    k = rng.randrange(8)
    bad = list(c)
    bad[k] = rng.choice([0x00, 0xAB, 0xFB, 0xFD, 0x9C])
    out += [(bad, 0xFF), ([S] + d[1:], 0x03), ([0x9C] + d[1:], 0x01), (d[:3] + [T] + c[4:], 0xF0),
            (c[:4] + [0x07] + d[5:], 0x1F), ([0x07] + d[1:4] + [S] + d[5:], 0x11)]
    return [_word(lanes, ctrl) for lanes, ctrl in out]


def xgmii_words(rng, n):
    """``n`` XGMII words ``(data, ctrl)``: a third templates, a third data / idle, a third random lanes and masks."""
    out = []
    while len(out) < n:
        kind = rng.randrange(3)
        if kind == 0:
            out += _templates(rng)
        elif kind == 1:
            out += [(rng.getrandbits(64), 0)] * 1 + [(0x0707070707070707, 0xFF)]
        else:
            ctrl = rng.choice(CTRL_MASKS) if rng.random() < 0.7 else rng.getrandbits(8)
            lanes = [rng.choice(CONTROL_CHARS) if (ctrl >> i) & 1 and rng.random() < 0.9 else rng.getrandbits(8)
                     for i in range(8)]
            out.append(_word(lanes, ctrl))
    return out[:n]


def random_blocks(rng, n):
    """``n`` 66b blocks ``(header, payload)``: encoded words, and corrupted ones (header, type, codes, random)."""
    out = []
    for data, ctrl in xgmii_words(rng, n):
        hdr, pay = encode_word(data, ctrl)
        r = rng.random()
        if r < 0.1:
            hdr = rng.choice((0, 3))
        elif r < 0.2:
            pay ^= 1 << rng.randrange(64)
        elif r < 0.25:
            pay = rng.getrandbits(64)
        elif r < 0.3:
            pay = (pay & ~0xFF) | rng.getrandbits(8)
        out.append((hdr, pay))
    return out


def pack_xgmii(data, ctrl):
    return XGMII.const({"data": data, "ctrl": ctrl}).as_value().value


def unpack_xgmii(value):
    return (value >> XGMII["data"].offset) & ((1 << 64) - 1), (value >> XGMII["ctrl"].offset) & 0xFF


def pack_block(header, payload):
    return BLOCK66.const({"header": header, "payload": payload}).as_value().value


def unpack_block(value):
    return (value >> BLOCK66["header"].offset) & 3, (value >> BLOCK66["payload"].offset) & ((1 << 64) - 1)


def bits_to_words(bits):
    """Bit array (transmission order) → 64-bit words, word bit i sent i-th; a trailing partial word is dropped."""
    bits = np.asarray(bits, dtype=np.uint8)
    n = len(bits) // 64
    return [int(w) for w in np.packbits(bits[:64 * n].reshape(n, 64), axis=1, bitorder="little")
            .view("<u8").reshape(-1)]


def words_to_bits(words):
    return np.unpackbits(np.array(words, dtype="<u8").view(np.uint8), bitorder="little")


def golden_tx_words(words, tx_state=0):
    """The golden transmitter's serial words for XGMII ``words`` (encoder, scrambler, 66 → 64 gearbox)."""
    pcs = Pcs10GBaseR(tx_state=tx_state)
    d = np.array([w for w, _ in words], dtype=np.uint64)
    c = np.array([x for _, x in words], dtype=np.uint8)
    return bits_to_words(pcs.transmit(d, c))


def golden_rx(serial_words):
    """The golden receiver on serial words: ``(xgmii words, lock)`` with the block-lock state object."""
    pcs = Pcs10GBaseR()
    d, c = pcs.receive(words_to_bits(serial_words))
    return [(int(a), int(b)) for a, b in zip(d, c)], pcs.lock


def serial_stream(rng, n, *, offset=0, tx_state=None):
    """``n`` XGMII words (packets of data between idles and control words), the golden serial words for them,
    preceded by ``offset`` random bits."""
    words = []
    while len(words) < n:
        words += [(0x0707070707070707, 0xFF)] * rng.randint(1, 3)
        words += [(0xD5555555555555FB, 0x01)] + [(rng.getrandbits(64), 0) for _ in range(rng.randint(1, 12))]
        words += [rng.choice(xgmii_words(rng, 4))]
    words = words[:n]
    pcs = Pcs10GBaseR(tx_state=rng.getrandbits(58) if tx_state is None else tx_state)
    bits = pcs.transmit(np.array([w for w, _ in words], dtype=np.uint64),
                        np.array([c for _, c in words], dtype=np.uint8))
    bits = np.concatenate([np.array([rng.getrandbits(1) for _ in range(offset)], dtype=np.uint8), bits])
    return words, bits


__all__ += ["words_to_bits", "serial_stream", "serialize_66b"]
