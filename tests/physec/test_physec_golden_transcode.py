"""Golden PHYSec: 256b/257b transcoding (physec.md §3)."""

import numpy as np

from din.golden.physec.pcs6466 import BLOCK_TYPES, E_BLOCK, HDR_CTRL, HDR_DATA
from din.golden.physec.transcode257 import decode_groups, encode_groups


def _reference_encode(hdrs, pays):
    """Straight from the text of physec.md §3, one group, bit lists."""
    pbits = [[(p >> i) & 1 for i in range(64)] for p in pays]
    if all(h == HDR_DATA for h in hdrs):
        return [1] + sum(pbits, [])
    k = [h == HDR_DATA for h in hdrs].index(False)
    body = []
    for j in range(4):
        body += pbits[j][:4] + pbits[j][8:] if j == k else pbits[j]
    return [0] + [int(h == HDR_DATA) for h in hdrs] + body


def _random_groups(rng, n):
    is_data = rng.random((n, 4)) < 0.6
    hdr = np.where(is_data, HDR_DATA, HDR_CTRL).astype(np.uint8)
    pay = rng.integers(0, 2**64 - 1, (n, 4), dtype=np.uint64, endpoint=True)
    bt = np.array(BLOCK_TYPES, dtype=np.uint64)[rng.integers(0, 15, (n, 4))]
    pay = np.where(is_data, pay, (pay & ~np.uint64(0xFF)) | bt)
    return hdr, pay


def test_all_idle_group_of_spec_section_3():
    bits = encode_groups(np.full((1, 4), HDR_CTRL), np.full((1, 4), 0x1E, dtype=np.uint64))[0]
    expected = {6, 7, 8, *range(66, 70), *range(130, 134), *range(194, 198)}
    assert set(np.flatnonzero(bits).tolist()) == expected
    hdr, pay, err = decode_groups(bits[None])
    assert not err.any() and (hdr == HDR_CTRL).all() and (pay == 0x1E).all()


def test_encoder_matches_the_rule_text(seed):
    rng = np.random.default_rng(seed)
    hdr, pay = _random_groups(rng, 300)
    bits = encode_groups(hdr, pay)
    for i in range(300):
        assert bits[i].tolist() == _reference_encode(hdr[i].tolist(), [int(p) for p in pay[i]])


def test_round_trip_100k_random_valid_groups(seed):
    rng = np.random.default_rng(seed)
    hdr, pay = _random_groups(rng, 100_000)
    hdr[:1000] = HDR_DATA                                          # make sure every mask value occurs
    hdr2, pay2, err = decode_groups(encode_groups(hdr, pay))
    assert not err.any()
    assert np.array_equal(hdr2, hdr) and np.array_equal(pay2, pay)
    masks = set((hdr == HDR_DATA).dot([8, 4, 2, 1]).tolist())
    assert masks == set(range(16))


def test_receive_errors_give_E_blocks():
    rng = np.random.default_rng(3)
    hdr, pay = _random_groups(rng, 64)
    bits = encode_groups(hdr, pay)
    bad = bits.copy()
    bad[:32, 0] = 0
    bad[:32, 1:5] = 1                                              # x<0> = 0 with mask 1111
    ctrl_rows = np.flatnonzero(bits[32:, 0] == 0) + 32
    k = np.argmin(bits[ctrl_rows, 1:5], axis=1)
    for r, kk in zip(ctrl_rows, k):
        bad[r, 5 + 64 * kk:9 + 64 * kk] = 0                        # low nibble 0 names no block type
    h, p, err = decode_groups(bad)
    assert err[:32].all() and err[ctrl_rows].all()
    assert (h[err] == E_BLOCK[0]).all() and (p[err] == E_BLOCK[1]).all()
    assert not err[np.setdiff1d(np.arange(32, 64), ctrl_rows)].any()
