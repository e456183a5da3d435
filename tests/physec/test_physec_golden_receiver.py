"""Golden PHYSec receiver (physec.md §5, §7, §8, §10): round trips, lock, loss of frame, replay, unknown AN, fail
closed, rekey, clock offsets and zero overhead."""

import numpy as np
import pytest

from din.golden.physec.ethernet import frames_to_xgmii, xgmii_to_frames
from din.golden.physec.pcs6466 import LOCAL_FAULT, XGMII_ERROR
from din.golden.physec.receiver import SYNC, Receiver
from din.golden.physec.security import KeyConfig, KeySlot
from din.golden.physec.transmitter import ClientTrace, transmit_trace

FRAME_BITS = 1024 * 257
FRAME_BYTES = FRAME_BITS // 8


def _keys(rng, mode="gcm", switch=None, slots=(0, 3)):
    return KeyConfig(mode=mode, fc_init=int(rng.integers(0, 2**40)), switch=switch, slots=[
        KeySlot(an=an, key=rng.bytes(32), salt=rng.bytes(12), ssci=int(rng.integers(0, 2**32))) for an in slots])


def _eth(rng, n):
    return [rng.bytes(int(k)) for k in rng.integers(60, 1515, n)]


def _rx(keys, line, **kw):
    rx = Receiver(keys, **kw)
    rx.feed(line)
    rx.finish()
    return rx


def _assert_prefix_then_idle(out, trace):
    d, c = out
    n = len(trace)
    assert len(d) >= n
    assert np.array_equal(d[:n], trace.data) and np.array_equal(c[:n], trace.ctrl)
    assert (c[n:] == 0xFF).all() and (d[n:] == 0x0707070707070707).all()      # the idle fill after the trace


@pytest.fixture(scope="module")
def rng_keys():
    rng = np.random.default_rng(99)
    return rng, _keys(rng)


@pytest.mark.parametrize("mode", ["gcm", "gmac", "clear"])
def test_round_trip_block_for_block(mode, seed):
    rng = np.random.default_rng(seed)
    keys = _keys(rng, mode)
    eth = _eth(rng, 300)
    trace = ClientTrace(*frames_to_xgmii(eth))
    line, tx = transmit_trace(trace, keys)
    rx = _rx(keys, line)
    _assert_prefix_then_idle(rx.output(), trace)
    c = rx.counters
    assert c.tag_fail == c.replay == c.oh_crc_err == c.jc_err == c.xcode_err == c.lof == 0
    assert c.tag_ok == (0 if mode == "clear" else c.frames_rx - 1)
    assert c.lf_words == FRAME_BITS // 66                           # only while locking (the PRESYNC frame)
    back = xgmii_to_frames(*rx.output())
    assert [f for f, ok, _ in back] == [e.ljust(60, b"\0") for e in eth] and all(ok for _, ok, _ in back)


def test_lock_from_random_bit_offset_with_kcc(rng_keys):
    rng, keys = rng_keys
    trace = ClientTrace(*frames_to_xgmii(_eth(rng, 150)))
    line, tx = transmit_trace(trace, keys, frames=7, kcc=b"hello key channel" * 3)
    for offset in rng.integers(1, 2 * FRAME_BITS, 3):
        offset = int(offset)
        # prepend `offset` random bits: the stream becomes unaligned to bytes and frames
        bits = np.unpackbits(np.frombuffer(line, dtype=np.uint8), bitorder="little")
        noisy = np.concatenate([rng.integers(0, 2, offset, dtype=np.uint8), bits])
        noisy = np.concatenate([noisy, np.zeros(-len(noisy) % 8, dtype=np.uint8)])
        rx = Receiver(keys)
        for chunk in np.array_split(np.packbits(noisy, bitorder="little"), 5):      # fed in pieces
            rx.feed(chunk.tobytes())
        rx.finish()
        assert rx.state == SYNC and rx.counters.locks == 1
        first = rx.reports[0]
        assert (first.pos - offset) % FRAME_BITS == 0
        k = (first.pos - offset) // FRAME_BITS                    # first SYNC frame index
        d, c = rx.output()
        start = 4 * tx.log[k].first_block
        assert np.array_equal(d, tx.trace.words(start, len(d))[0])
        assert rx.counters.tag_fail == 0
        # KCC: 32 octets per frame in order, zero when idle
        sent = (b"hello key channel" * 3).ljust(32 * 7, b"\0")
        assert b"".join(r.kcc for r in rx.reports) == sent[32 * k:32 * (k + len(rx.reports))]


def test_loss_of_frame_and_relock_after_slips(rng_keys):
    rng, keys = rng_keys
    trace = ClientTrace(*frames_to_xgmii(_eth(rng, 600)))
    line, tx = transmit_trace(trace, keys, frames=22)
    bits = np.unpackbits(np.frombuffer(line, dtype=np.uint8), bitorder="little")
    cut = 6 * FRAME_BITS + 5000                                   # delete 3 bits inside frame 6 (a slip)
    ins = 14 * FRAME_BITS + 9000                                  # insert 1 bit inside frame 14
    slipped = np.concatenate([bits[:cut], bits[cut + 3:ins], [1], bits[ins:]]).astype(np.uint8)
    slipped = np.concatenate([slipped, np.zeros(-len(slipped) % 8, dtype=np.uint8)])
    rx = _rx(keys, np.packbits(slipped, bitorder="little").tobytes())
    c = rx.counters
    assert c.lof == 2 and c.locks == 3 and rx.state == SYNC
    assert c.am_miss == 2 * 4                                     # 3 frames processed with a missed AM, the 4th lost
    assert c.lf_words > 3 * FRAME_BITS // 66
    # after each relock the data is exact again: the last delivered frames equal the transmitter's blocks
    d, _ = rx.output()
    last = rx.reports[-1]
    n_last = (last.pos - 2) // FRAME_BITS                          # 3 deleted + 1 inserted bits
    fb = tx.log[n_last].first_block
    tail = tx.trace.words(4 * fb, 4 * tx.log[n_last].cm)[0]
    assert np.array_equal(d[-len(tail):], tail)
    assert c.replay == 0 and c.fc_jump == 0


def test_replay_and_splice_are_detected_and_not_delivered(rng_keys):
    rng, keys = rng_keys
    trace = ClientTrace(*frames_to_xgmii(_eth(rng, 300)))
    line, tx = transmit_trace(trace, keys, frames=10)
    frames = [line[k * FRAME_BYTES:(k + 1) * FRAME_BYTES] for k in range(10)]
    # an attacker replaces frame 6 with a copy of frame 3 (a replayed frame)
    spliced = b"".join(frames[:6] + [frames[3]] + frames[7:])
    rx = _rx(keys, spliced)
    c = rx.counters
    assert c.replay == 1
    rep6 = rx.reports[5]
    assert rep6.replay and rep6.e_blocks == rep6.blocks == tx.log[6].cm and not rep6.tag_checked
    # frame 7's TAG (T(6)) is compared with the still pending T(5): one tag failure; frame 8 is back to normal
    assert c.tag_fail == 1 and rx.reports[6].tag_checked and not rx.reports[6].tag_ok
    assert rx.reports[7].tag_ok
    # none of frame 3's (old) data is delivered a second time: frame 6's place holds /E/ words only
    d, ctl = rx.output()
    per_frame = [4 * r.blocks for r in rx.reports]
    s = sum(per_frame[:5])
    assert (d[s:s + per_frame[5]] == XGMII_ERROR[0]).all()
    # a plain duplicate (frame 4 sent twice) is also a replay
    rx = _rx(keys, b"".join(frames[:5] + [frames[4]] + frames[5:]))
    assert rx.counters.replay == 1 and rx.counters.fc_jump == 0


def test_forward_jump_counts_and_is_accepted_after_its_tag(rng_keys):
    rng, keys = rng_keys
    trace = ClientTrace(*frames_to_xgmii(_eth(rng, 300)))
    line, tx = transmit_trace(trace, keys, frames=10)
    frames = [line[k * FRAME_BYTES:(k + 1) * FRAME_BYTES] for k in range(10)]
    rx = _rx(keys, b"".join(frames[:4] + frames[6:]))              # frames 4 and 5 lost
    c = rx.counters
    assert c.fc_jump == 1 and c.replay == 0
    assert c.tag_fail == 1                                        # frame 6's TAG is T(5), not T(3)
    assert rx.reports[-1].tag_ok


def test_unknown_an_is_not_decrypted(rng_keys):
    rng, keys = rng_keys
    trace = ClientTrace(*frames_to_xgmii(_eth(rng, 100)))
    line, tx = transmit_trace(trace, keys, frames=5)
    other = KeyConfig(mode="gcm", slots=[keys.slots[1]])          # the receiver lacks AN 0 (the one in use)
    rx = _rx(other, line)
    c = rx.counters
    assert c.unknown_an == 4 and c.tag_ok == c.tag_fail == 0
    d, _ = rx.output()
    assert len(d) > 0 and (d == XGMII_ERROR[0]).all()


def test_fail_closed_without_key_and_at_fc_limit():
    rng = np.random.default_rng(5)
    marker = b"SECRET-CLIENT-DATA" * 50
    trace = ClientTrace(*frames_to_xgmii([marker] * 60))
    nokeys = KeyConfig(mode="gcm", slots=[])
    line, tx = transmit_trace(trace, nokeys, frames=5)
    assert tx.counters.tx_blocked == 5 and tx.counters.blocks_sent == 0
    assert all(i.mode == 0 and i.cm == 0 and i.cm_next == 0 for i in tx.log)
    from test_physec_golden_security import parse_dump
    for f in parse_dump(line):
        assert f["payload"] == bytes(32639)                       # all stuff: no client byte on the line
    # a "clear" key file means REQUIRE_ENCRYPTION = 0: client data flows in MODE 00
    line, tx = transmit_trace(trace, KeyConfig(mode="clear"), frames=5)
    assert tx.counters.tx_blocked == 0 and tx.counters.blocks_sent > 0
    assert any(f["payload"] != bytes(32639) for f in parse_dump(line))
    # FC_LIMIT: frames with FC >= FC_LIMIT carry no client data; REKEY_REQUIRED before
    keys = _keys(rng)
    lim = keys.fc_init + 4
    line, tx = transmit_trace(trace, keys, frames=7, fc_limit=lim, rekey_warn=2)
    assert [i.blocked for i in tx.log] == [False] * 4 + [True] * 3
    assert tx.log[3].cm_next == 0 and tx.counters.rekey_required
    rx = _rx(keys, line)
    assert rx.counters.tag_fail == 0
    # the receiver policy: MODE 00 frames with client data are not delivered when encryption is required
    line, _ = transmit_trace(trace, KeyConfig(mode="clear"), frames=4)
    rx = _rx(keys, line)
    assert rx.counters.policy_drop == 3 and (rx.output()[0] == XGMII_ERROR[0]).all()


def test_hitless_rekey_loses_nothing(seed):
    rng = np.random.default_rng(seed + 3)
    keys = _keys(rng, switch={"frame": 9, "an": 3})
    trace = ClientTrace(*frames_to_xgmii(_eth(rng, 500)))
    line, tx = transmit_trace(trace, keys, frames=14)
    assert [i.an for i in tx.log] == [0] * 9 + [3] * 5
    rx = _rx(keys, line)
    c = rx.counters
    assert c.tag_fail == 0 and c.tag_ok == 12 and c.unknown_an == 0
    d, ctl = rx.output()
    assert np.array_equal(d, trace.words(0, len(d))[0]) and np.array_equal(ctl, trace.words(0, len(d))[1])
    # the first new-key frame carries the old key's tag, checked with the old key
    assert rx.reports[8].an == 3 and rx.reports[8].tag_ok


@pytest.mark.parametrize("ppm", [100, -100])
def test_clock_offsets_and_zero_overhead(ppm, seed):
    rng = np.random.default_rng(seed + abs(ppm) + (ppm < 0))
    keys = _keys(rng)
    trace = ClientTrace(*frames_to_xgmii(_eth(rng, 2500)))
    line, tx = transmit_trace(trace, keys, ppm=ppm, frames=160)       # the trace, then idle
    g = tx.controller
    assert g.underflow == 0
    assert {i.cm for i in tx.log[60:-1]} <= {996, 997, 998}
    rx = _rx(keys, line)
    _assert_prefix_then_idle(rx.output(), trace)
    # zero overhead: after start-up (frame 60 on) the client blocks that enter the FIFO equal the blocks carried,
    # up to the change of the (bounded) FIFO level; the whole-run difference is the start-up frame's worth
    t60, t_end = FRAME_BITS * 60, FRAME_BITS * tx.n
    arrived = g.clock.entered_by(t_end) - g.clock.entered_by(t60)
    carried = sum(i.cm for i in tx.log[60:])
    secs = (t_end - t60) / 10.3125e9
    print(f"ppm {ppm}: frames 60..{tx.n - 1}: client in {256 * arrived / secs / 1e9:.6f} Gb/s, "
          f"carried {256 * carried / secs / 1e9:.6f} Gb/s (257b payload bits)")
    assert abs(arrived - carried) <= 20
    assert rx.counters.blocks_delivered == tx.counters.blocks_sent - tx.log[0].cm
    assert 0 <= g.clock.entered_by(t_end) - tx.counters.blocks_sent <= 1016 + 20


def test_oh_and_jc_crc_errors_use_prediction():
    rng = np.random.default_rng(8)
    keys = _keys(rng)
    trace = ClientTrace(*frames_to_xgmii(_eth(rng, 200)))
    line, tx = transmit_trace(trace, keys, frames=7)
    bad = bytearray(line)
    fc_bit = 3 * FRAME_BITS + 120 + 8 * 13 + 7                    # LSB of FC in frame 3
    jc_bit = 4 * FRAME_BITS + 120 + 8 * 3 + 2                     # a Cm bit in JC2 of frame 4
    for pos in (fc_bit, jc_bit):
        bad[pos // 8] ^= 1 << (pos % 8)
    rx = _rx(keys, bytes(bad))
    c = rx.counters
    assert c.oh_crc_err == 2 and c.jc_err == 1 and c.replay == 0 and c.fc_jump == 0
    assert rx.reports[2].fc == tx.log[3].fc                       # predicted FC used
    assert c.tag_fail == 2                                        # AAD as received: frames 3 and 4 fail
    rep5 = rx.reports[4]
    assert rep5.cm is None and rep5.e_blocks == rep5.blocks == tx.log[4].cm     # Cm of frame 5 unknown → /E/


def test_store_and_forward_delivers_only_verified_frames(rng_keys):
    rng, keys = rng_keys
    trace = ClientTrace(*frames_to_xgmii(_eth(rng, 200)))
    line, tx = transmit_trace(trace, keys, frames=7)
    bad = bytearray(line)
    pos = 3 * FRAME_BITS + 100_000
    bad[pos // 8] ^= 1 << (pos % 8)
    ct = _rx(keys, bytes(bad))
    sf = _rx(keys, bytes(bad), store_and_forward=True)
    assert ct.counters.tag_fail == sf.counters.tag_fail == 1
    dct, _ = ct.output()
    dsf, _ = sf.output()
    per = [4 * r.blocks for r in ct.reports]
    s3, e3 = sum(per[:2]), sum(per[:3])                            # frame 3 is the third processed frame
    assert (dsf[s3:e3] == XGMII_ERROR[0]).all()                   # not delivered: /E/ in its place
    assert not (dct[s3:e3] == XGMII_ERROR[0]).all()               # cut-through delivered it (one bit wrong)
    assert np.array_equal(dsf[:s3], dct[:s3])
    assert len(dsf) == len(dct) - per[-1]                          # the last frame is never verified


def test_local_fault_ordered_set_constant():
    lanes = [(LOCAL_FAULT[0] >> (8 * i)) & 0xFF for i in range(8)]
    assert lanes == [0x9C, 0, 0, 0x01] * 2 and LOCAL_FAULT[1] == 0x11                # physec.md §8


# ------------------------------------------------------------------ keystream prediction (the hardware receiver's rule)

def _same_result(a, b):
    da, ca = a.output()
    db, cb = b.output()
    assert np.array_equal(da, db) and np.array_equal(ca, cb)
    assert a.counters == b.counters


def test_predicted_keystream_changes_nothing_on_a_clean_link_with_rekey(seed):
    rng = np.random.default_rng(seed + 11)
    keys = _keys(rng, switch={"frame": 10, "an": 3})
    trace = ClientTrace(*frames_to_xgmii(_eth(rng, 500)))
    line, tx = transmit_trace(trace, keys, frames=14)
    assert [i.an for i in tx.log] == [0] * 10 + [3] * 4
    # lock in the middle of the KSP run too: the switch is then predicted from fewer KSP frames seen, so it misses
    for start, misses in ((0, 0), (3 * FRAME_BYTES, 1)):
        cut = line[start:]
        ref, pred = _rx(keys, cut), _rx(keys, cut, predict_keystream=True)
        assert pred.counters.ks_miss == misses
        if not misses:
            _same_result(ref, pred)
            assert pred.counters.tag_fail == 0 and pred.counters.tag_ok == 12
        else:
            # the switch frame (frame 10) is /E/ and has no pending tag; nothing else changes
            rep = next(r for r in pred.reports if r.an == 3)
            assert rep.e_blocks == rep.blocks and not rep.decrypted
            assert pred.counters.tag_fail == 0 and pred.counters.tag_ok == ref.counters.tag_ok - 1


def test_predicted_keystream_on_replay_and_oh_errors(rng_keys):
    rng, keys = rng_keys
    trace = ClientTrace(*frames_to_xgmii(_eth(rng, 300)))
    line, tx = transmit_trace(trace, keys, frames=10)
    frames = [line[k * FRAME_BYTES:(k + 1) * FRAME_BYTES] for k in range(10)]
    bad = bytearray(line)
    pos = 3 * FRAME_BITS + 120 + 8 * 13 + 7                       # LSB of FC in frame 3
    bad[pos // 8] ^= 1 << (pos % 8)
    # a replaced frame (frame 6 → a copy of frame 3) and an OHCRC16 error: the prediction (one FC per frame time)
    # holds, the result is the spec's
    for dump in (b"".join(frames[:6] + [frames[3]] + frames[7:]), bytes(bad)):
        ref, pred = _rx(keys, dump), _rx(keys, dump, predict_keystream=True)
        _same_result(ref, pred)
        assert pred.counters.ks_miss == 0
    # an inserted frame (frame 4 twice) delays the stream by one frame time: the frame after the copy is predicted
    # one FC too far, /E/ and ``ks_miss``; the next one is back in step
    rx = _rx(keys, b"".join(frames[:5] + [frames[4]] + frames[5:]), predict_keystream=True)
    c = rx.counters
    assert c.replay == 1 and c.ks_miss == 1 and c.tag_fail == 0 and c.fc_jump == 0
    assert [r.decrypted for r in rx.reports] == [True] * 4 + [False, False] + [True] * 4
    assert rx.reports[5].e_blocks == rx.reports[5].blocks > 0 and rx.reports[7].tag_ok


def test_predicted_keystream_misses_a_forward_jump_and_recovers(rng_keys):
    rng, keys = rng_keys
    trace = ClientTrace(*frames_to_xgmii(_eth(rng, 300)))
    line, tx = transmit_trace(trace, keys, frames=10)
    frames = [line[k * FRAME_BYTES:(k + 1) * FRAME_BYTES] for k in range(10)]
    rx = _rx(keys, b"".join(frames[:4] + frames[6:]), predict_keystream=True)     # frames 4 and 5 lost
    c = rx.counters
    jump, after, third = rx.reports[3], rx.reports[4], rx.reports[5]
    assert jump.fc == tx.log[6].fc and jump.fc_jump and not jump.decrypted and jump.e_blocks == jump.blocks > 0
    assert c.ks_miss == 1 and c.replay == 0
    assert c.tag_fail == 1 and jump.tag_checked and not jump.tag_ok     # frame 6's TAG is T(5), not T(3)
    # frame 7 is predicted from frame 6: decrypted, still a jump from the reference (frame 3), accepted by its tag
    assert after.decrypted and after.fc_jump and not after.tag_checked and after.e_blocks == 0
    assert third.tag_checked and third.tag_ok and not third.fc_jump
    assert c.fc_jump == 2
