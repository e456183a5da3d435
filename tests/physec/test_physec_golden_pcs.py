"""Golden PHYSec: 64b/66b (IEEE 802.3 Cl. 49), the x^58 + x^39 + 1 scrambler and block lock (physec.md §2)."""

import json
import random
from pathlib import Path

import numpy as np
import pytest

from din.golden.physec.blocklock import Pcs10GBaseR
from din.golden.physec.pcs6466 import (BLOCK_TYPES, E_BLOCK, HDR_CTRL, HDR_DATA, XGMII_ERROR, decode_block,
                                       decode_blocks, encode_word, encode_words)
from din.golden.physec.scrambler import Descrambler58, Scrambler58, scramble_bits_serial

VECTOR = Path(__file__).resolve().parents[3] / "shared" / "data" / "vectors" / "10gbaser_thaler_example.json"


def _word(lanes, ctrl):
    return sum(b << (8 * i) for i, b in enumerate(lanes)), ctrl


def test_thaler_10gbaser_example_bit_exact():
    v = json.loads(VECTOR.read_text())
    words = [(int(d, 16), c) for c, d in v["xgmii"]]
    expected = [(h, int(p, 16)) for h, p in v["scrambled_blocks"]]
    # the transcriber writes the header with the first transmitted bit as bit 0: 1 = control, 2 = data
    assert {h for h, _ in expected} == {1, 2}
    blocks = [encode_word(d, c) for d, c in words]
    scr = Scrambler58(state=expected[0][1] >> 6)            # block 0's last 58 scrambled bits are the state
    for i in range(1, 11):
        hdr, pay = blocks[i]
        assert hdr == expected[i][0], f"block {i}: header"
        assert scr.scramble(pay) == expected[i][1], f"block {i}: scrambled payload"
    # and the receive direction gives the XGMII words back
    des = Descrambler58(state=expected[0][1] >> 6)
    for i in range(1, 11):
        assert decode_block(expected[i][0], des.descramble(expected[i][1])) == words[i]


def _all_15_types():
    """One XGMII word per block type of Figure 49-7, built from the Clause 49 tables (lane content → type)."""
    d = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]
    I, E, S, T, Q, F, LI, R = 0x07, 0xFE, 0xFB, 0xFD, 0x9C, 0x5C, 0x06, 0x1C
    cases = {
        0x1E: ([I, E, LI, R, I, I, I, I], 0xFF),
        0x2D: ([I, I, I, I, Q] + d[5:], 0x1F),
        0x33: ([I, I, I, I, S] + d[5:], 0x1F),
        0x66: ([Q] + d[1:4] + [S] + d[5:], 0x11),
        0x55: ([Q] + d[1:4] + [F] + d[5:], 0x11),
        0x78: ([S] + d[1:], 0x01),
        0x4B: ([F] + d[1:4] + [I, I, E, I], 0xF1),
    }
    for k, bt in enumerate((0x87, 0x99, 0xAA, 0xB4, 0xCC, 0xD2, 0xE1, 0xFF)):
        cases[bt] = (d[:k] + [T] + [I] * (7 - k), (0xFF << k) & 0xFF)
    return cases


def test_all_15_block_types_round_trip():
    cases = _all_15_types()
    assert sorted(cases) == sorted(BLOCK_TYPES)
    for bt, (lanes, ctrl) in cases.items():
        word = _word(lanes, ctrl)
        hdr, pay = encode_word(*word)
        assert hdr == HDR_CTRL and pay & 0xFF == bt, hex(bt)
        assert decode_block(hdr, pay) == word, hex(bt)
    # the payload layouts that matter for byte positions (Figure 49-7)
    assert encode_word(*_word([0xFB] + list(range(1, 8)), 0x01))[1] == 0x0706050403020178
    assert encode_word(*_word([0xFD] + [0x07] * 7, 0xFF))[1] == 0x87                     # /T/ + idles: codes 0
    assert encode_word(*_word(list(range(1, 8)) + [0xFD], 0x80))[1] == 0x07060504030201FF


def test_data_and_vectorised_paths_agree_with_scalar():
    rng = random.Random(5)
    words = [(rng.getrandbits(64), 0) for _ in range(50)] + [(0x0707070707070707, 0xFF)] * 5
    words += [_word(lanes, c) for lanes, c in _all_15_types().values()]
    words += [(rng.getrandbits(64), rng.getrandbits(8)) for _ in range(200)]
    d = np.array([w for w, _ in words], dtype=np.uint64)
    c = np.array([x for _, x in words], dtype=np.uint8)
    hdr, pay = encode_words(d, c)
    for i, (w, x) in enumerate(words):
        assert (int(hdr[i]), int(pay[i])) == encode_word(w, x)
    d2, c2 = decode_blocks(hdr, pay)
    for i in range(len(words)):
        assert (int(d2[i]), int(c2[i])) == decode_block(int(hdr[i]), int(pay[i]))


def test_unrepresentable_words_become_E_and_bad_blocks_decode_to_E():
    assert encode_word(*_word([0x07] * 7 + [0x00], 0x7F)) == E_BLOCK          # data lane after control lanes
    assert encode_word(*_word([0xFB] + [0] * 7, 0x03)) == E_BLOCK              # /S/ with a control lane after it
    assert encode_word(*_word([0x07] * 7 + [0xAB], 0xFF)) == E_BLOCK           # not a control character
    assert encode_word(*_word([0x9C] + [0] * 7, 0x01)) == E_BLOCK              # /Q/ alone (no 0x4B: needs C4..C7)
    assert decode_block(*E_BLOCK) == XGMII_ERROR                               # /E/ codes decode to /E/ lanes
    assert decode_block(0b00, 0) == XGMII_ERROR and decode_block(0b11, 0) == XGMII_ERROR
    assert decode_block(HDR_CTRL, 0x00) == XGMII_ERROR                         # unknown block type
    assert decode_block(HDR_CTRL, 0x1E | (0x01 << 8)) == XGMII_ERROR           # invalid 7-bit code
    assert decode_block(HDR_CTRL, 0x2D | (0x5 << 36)) == XGMII_ERROR           # invalid O code
    assert decode_block(HDR_DATA, 0x1234) == (0x1234, 0)


def test_scrambler_word_form_equals_bit_serial_recurrence():
    rng = random.Random(7)
    state = rng.getrandbits(58)
    bits = [rng.getrandbits(1) for _ in range(64 * 20)]
    ref, ref_state = scramble_bits_serial(bits, state)
    s = Scrambler58(state)
    out = []
    for k in range(20):
        w = s.scramble(sum(b << i for i, b in enumerate(bits[64 * k:64 * k + 64])))
        out += [(w >> i) & 1 for i in range(64)]
    assert out == ref and s.state == ref_state
    # self-synchronising: a descrambler with a wrong state is right from the second block on
    d = Descrambler58(state=12345)
    words = [sum(b << i for i, b in enumerate(ref[64 * k:64 * k + 64])) for k in range(20)]
    back = [d.descramble(w) for w in words]
    assert back[1:] == [sum(b << i for i, b in enumerate(bits[64 * k:64 * k + 64])) for k in range(1, 20)]


@pytest.mark.parametrize("offset", [0, 1, 37, 65])
def test_block_lock_from_a_bit_offset_and_after_a_slip(offset, seed):
    rng = np.random.default_rng(seed + offset)
    n = 600
    d = rng.integers(0, 2**64 - 1, n, dtype=np.uint64)
    c = np.zeros(n, dtype=np.uint8)
    c[::7] = 0xFF
    d[::7] = 0x0707070707070707
    pcs = Pcs10GBaseR(tx_state=int(rng.integers(0, 2**58)))
    bits = pcs.transmit(d, c)
    bits = np.concatenate([rng.integers(0, 2, offset, dtype=np.uint8), bits])
    rxd, rxc = pcs.receive(bits)
    assert pcs.lock.block_lock and pcs.lock.locks == 1
    # the decoded tail matches the sent words (the first locked block may still be descrambled wrongly)
    k = len(rxd) - 1
    assert np.array_equal(rxd[1:], d[n - k:]) and np.array_equal(rxc[1:], c[n - k:])
    # a one-bit slip in the stream: lock is lost after 16 bad headers and found again
    pcs2 = Pcs10GBaseR()
    slipped = np.concatenate([bits[:66 * 200 + 3], bits[66 * 200 + 4:]])
    pcs2.receive(slipped)
    assert pcs2.lock.locks == 2 and pcs2.lock.block_lock
