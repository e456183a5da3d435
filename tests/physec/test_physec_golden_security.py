"""Golden PHYSec security (physec.md §7): every MODE 10 / 01 frame the golden transmitter makes is checked with
``cryptography``'s AESGCM after rebuilding IV, AAD and ciphertext from the line dump by the rules of the spec (with a
bit-serial PRBS31 written here), and single-bit flips give exactly one tag failure each."""

import numpy as np
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from din.golden.physec.ethernet import frames_to_xgmii
from din.golden.physec.receiver import Receiver
from din.golden.physec.security import KeyConfig, KeySlot, make_iv
from din.golden.physec.transmitter import ClientTrace, transmit_trace

FRAME_BITS = 1024 * 257
FRAME_BYTES = FRAME_BITS // 8
AM = bytes.fromhex("9A4A26B665B5D9D90171F326FE8E0C")


def _prbs31_serial(n):
    """physec.md §6 word for word: s = all ones; b = s[30] ^ s[27]; s = (s << 1 | b) mod 2^31."""
    s, out = (1 << 31) - 1, bytearray(n)
    for i in range(n):
        b = ((s >> 30) ^ (s >> 27)) & 1
        out[i] = b
        s = ((s << 1) | b) & 0x7FFFFFFF
    return np.frombuffer(bytes(out), dtype=np.uint8)


_MASK = None


def parse_dump(line):
    """Line dump (§10) → per frame: dict(am, oh (242 octets), payload (32 639 octets)), descrambled."""
    global _MASK
    if _MASK is None:
        _MASK = _prbs31_serial(FRAME_BITS - 120)
    frames = []
    for k in range(len(line) // FRAME_BYTES):
        f = np.unpackbits(np.frombuffer(line, dtype=np.uint8, count=FRAME_BYTES, offset=k * FRAME_BYTES),
                          bitorder="little")                      # f[8k + i] = bit i of byte k
        am = np.packbits(f[:120], bitorder="little").tobytes()   # AM octets are sent LSB first
        body = f[120:] ^ _MASK
        oh = np.packbits(body[:1936], bitorder="big").tobytes()  # overhead octets MSB first
        payload = np.packbits(body[1936:], bitorder="big").tobytes()
        frames.append({"am": am, "oh": oh, "payload": payload})
    return frames


def _keys(rng, mode, switch=None):
    slots = [KeySlot(an=an, key=rng.bytes(32), salt=rng.bytes(12), ssci=int(rng.integers(0, 2**32)))
             for an in (2, 1)]
    return KeyConfig(mode=mode, fc_init=int(rng.integers(0, 2**62)), slots=slots, switch=switch)


def _traffic(rng, n_frames):
    eth = [rng.bytes(int(n)) for n in rng.integers(60, 1515, n_frames)]
    return ClientTrace(*frames_to_xgmii(eth))


@pytest.fixture(scope="module")
def gcm_stream():
    rng = np.random.default_rng(2024)
    keys = _keys(rng, "gcm", switch={"frame": 12, "an": 1})
    line, tx = transmit_trace(_traffic(rng, 1200), keys, frames=30)
    return keys, line, tx


def _check_with_aesgcm(keys, line, expect_mode):
    frames = parse_dump(line)
    checked = 0
    for n in range(len(frames) - 1):
        fr, nxt = frames[n], frames[n + 1]
        assert fr["am"] == AM
        oh = fr["oh"]
        mode, an, fc = (oh[1] >> 4) & 3, oh[5] >> 6, int.from_bytes(oh[6:14], "big")
        assert mode == expect_mode and oh[0] == fc & 0xFF and oh[5] & 7 == 1
        slot = keys.slot_for(an)
        iv = (int.from_bytes(slot.salt, "big") ^ (slot.ssci << 64 | fc)).to_bytes(12, "big")
        assert iv == make_iv(slot, fc)
        aad, tag = oh[:14], nxt["oh"][14:30]
        if mode == 0b10:
            plain = AESGCM(slot.key).decrypt(iv, fr["payload"] + tag, aad)     # raises InvalidTag on mismatch
            assert len(plain) == 32639
        else:
            assert AESGCM(slot.key).encrypt(iv, b"", aad + fr["payload"]) == tag
        checked += 1
    return frames, checked


def test_aesgcm_decrypts_and_verifies_every_mode10_frame(gcm_stream):
    keys, line, tx = gcm_stream
    frames, checked = _check_with_aesgcm(keys, line, 0b10)
    assert checked == 29
    # across the key switch: AN 2 before frame 12, AN 1 from it; KSP and NAN in the 8 frames before
    ans = [f["oh"][5] >> 6 for f in frames]
    assert ans == [2] * 12 + [1] * 18
    ksp = [(f["oh"][5] >> 3) & 1 for f in frames]
    assert ksp == [0] * 4 + [1] * 8 + [0] * 18
    assert all((f["oh"][5] >> 4) & 3 == 1 for f in frames[4:12])
    # FC counts from FC_INIT by one per frame; the first frame's TAG is zero
    fcs = [int.from_bytes(f["oh"][6:14], "big") for f in frames]
    assert fcs == list(range(keys.fc_init, keys.fc_init + 30))
    assert frames[0]["oh"][14:30] == bytes(16)
    # reserved octets are zero; with no KCC traffic the KCC octets are zero too
    assert all(f["oh"][32:] == bytes(210) for f in frames)


def test_aesgcm_verifies_every_mode01_frame_and_payload_is_clear():
    rng = np.random.default_rng(7)
    keys = _keys(rng, "gmac")
    trace = _traffic(rng, 200)
    line, tx = transmit_trace(trace, keys, frames=6)
    frames, checked = _check_with_aesgcm(keys, line, 0b01)
    assert checked == 5
    # MODE 01 sends the payload in clear: the 257b blocks of frame 1 are the client's first blocks
    first_block = tx.client_blocks(0, 1)[0]
    bits = np.unpackbits(np.frombuffer(frames[1]["payload"], dtype=np.uint8), bitorder="big")
    cm = tx.log[1].cm
    first_slot = next(j for j in range(1, 1017) if (j * cm) % 1016 < cm)
    assert np.array_equal(bits[257 * (first_slot - 1):257 * first_slot], first_block)


def test_tampered_frame_is_rejected_by_aesgcm(gcm_stream):
    keys, line, _ = gcm_stream
    bad = bytearray(line)
    bad[5 * FRAME_BYTES + 20000] ^= 0x10
    fr = parse_dump(bytes(bad[5 * FRAME_BYTES:7 * FRAME_BYTES]))
    oh = fr[0]["oh"]
    slot = keys.slot_for(oh[5] >> 6)
    with pytest.raises(InvalidTag):
        AESGCM(slot.key).decrypt(make_iv(slot, int.from_bytes(oh[6:14], "big")),
                                 fr[0]["payload"] + fr[1]["oh"][14:30], oh[:14])


def _f_bit(region, rng):
    """A random frame bit index f[...] in the given region (physec.md §4 offsets)."""
    if region == "payload":
        return 2056 + int(rng.integers(0, 261112))
    if region == "aad":                                   # O0..O13
        return 120 + int(rng.integers(0, 14 * 8))
    return 120 + 14 * 8 + int(rng.integers(0, 16 * 8))   # TAG, O14..O29


def test_single_bit_flips_give_exactly_one_tag_failure_each(gcm_stream, seed):
    """≥ 1000 random flips. Each run flips one bit per tag check k = 2..28 (the check of frame k happens in frame
    k+1 and covers frame k's payload and O0..O13 and frame k+1's TAG), so the flips of one run never share a check."""
    keys, line, _ = gcm_stream
    rng = np.random.default_rng(seed)
    clean = Receiver(keys)
    clean.feed(line)
    assert clean.counters.tag_fail == 0 and clean.counters.tag_ok == 28
    flips, hits = 0, {"payload": 0, "aad": 0, "tag": 0}
    while flips < 1000:
        bad = bytearray(line)
        for k in range(2, 29):
            region = ("payload", "aad", "tag")[int(rng.integers(0, 3))]
            frame = k + 1 if region == "tag" else k
            pos = frame * FRAME_BITS + _f_bit(region, rng)
            bad[pos // 8] ^= 1 << (pos % 8)               # line bit 8k + i is bit i of byte k
            hits[region] += 1
        rx = Receiver(keys)
        rx.feed(bytes(bad))
        checks = {r.fc - keys.fc_init: r for r in rx.reports}
        for k in range(2, 29):
            rep = checks[k + 1]
            assert rep.tag_checked and not rep.tag_ok, f"check of frame {k}"
        assert rx.counters.tag_fail == 27 and rx.counters.tag_ok == 1     # only frame 1's check is clean
        flips += 27
    assert min(hits.values()) > 250
