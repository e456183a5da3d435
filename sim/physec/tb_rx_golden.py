"""Stimulus and expected results for the PHYSec RX tests, all from the golden model (golden/physec): line dumps of
the golden transmitter (MODE 00, key file mode "clear"), shifted to a bit offset, with prepended random words, slips
and bit errors, and the 257b blocks / counters the golden receiver delivers on exactly the same bits.

Plain Python + numpy (no Amaranth, no cocotb): used by the Amaranth-simulator tests and the cocotb testbenches.
Nothing here looks at the RTL.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from din.golden.physec.ethernet import frames_to_xgmii
from din.golden.physec.pcs6466 import decode_blocks, encode_words
from din.golden.physec.receiver import Receiver
from din.golden.physec.security import KeyConfig
from din.golden.physec.transcode257 import decode_groups, encode_groups
from din.golden.physec.transmitter import ClientTrace, transmit_trace

__all__ = ["FRAME_BITS", "Stimulus", "clear_keys", "golden_line_bits", "make_stimulus", "make_keys", "secure_stimulus",
           "words_of", "blocks_as_ints", "E_BLOCK_INT", "client_words"]

FRAME_BITS = 1024 * 257


def clear_keys(fc_init=5):
    return KeyConfig(mode="clear", fc_init=fc_init, switch=None, slots=[])


@lru_cache(maxsize=8)
def golden_line_bits(frames, seed=1, fc_init=5, kcc=b""):
    """The golden transmitter's line bits (uint8 0/1) for ``frames`` frames of random Ethernet traffic, MODE 00;
    ``kcc``: octets queued for the KCC channel (32 per frame, the rest zero)."""
    rng = np.random.default_rng(seed)
    eth = [rng.bytes(int(k)) for k in rng.integers(60, 1515, 40 * frames)]
    trace = ClientTrace(*frames_to_xgmii(eth))
    line, _ = transmit_trace(trace, clear_keys(fc_init), frames=frames, kcc=kcc)
    bits = np.unpackbits(np.frombuffer(line, dtype=np.uint8), bitorder="little")
    bits.setflags(write=False)
    return bits


def words_of(bits):
    """Bits (a multiple of 64) → line words as Python ints (word bit i = bits[64w + i])."""
    packed = np.packbits(np.asarray(bits, dtype=np.uint8).reshape(-1, 64), axis=1, bitorder="little")
    return [int(x) for x in packed.view("<u8").reshape(-1)]


def blocks_as_ints(bits257):
    """(N, 257) bit rows → Python ints with bit i = x<i>."""
    rows = np.asarray(bits257, dtype=np.uint8).reshape(-1, 257)
    padded = np.zeros((len(rows), 264), dtype=np.uint8)
    padded[:, :257] = rows
    packed = np.packbits(padded, axis=1, bitorder="little")
    return [int.from_bytes(r.tobytes(), "little") for r in packed]


def _e_block():
    hdr, pay = encode_words(np.full(4, 0xFEFEFEFEFEFEFEFE, dtype=np.uint64), np.full(4, 0xFF, dtype=np.uint8))
    return blocks_as_ints(encode_groups(hdr.reshape(1, 4), pay.reshape(1, 4)))[0]


#: the golden receiver's /E/ block (four XGMII /E/ words), as a 257b block
E_BLOCK_INT = _e_block()


def client_words(blocks):
    """257b blocks [(int, e)] → per block the tuple of its four XGMII words (data, ctrl) and e, through the golden
    decoder (what the client side of the receiver delivers: a garbled block after a slip decodes to /E/ words)."""
    if not blocks:
        return []
    rows = np.array([[(b >> i) & 1 for i in range(257)] for b, _ in blocks], dtype=np.uint8)
    hdr, pay, _ = decode_groups(rows)
    data, ctrl = decode_blocks(hdr.reshape(-1), pay.reshape(-1))
    return [(tuple(zip(data[4 * k:4 * k + 4].tolist(), ctrl[4 * k:4 * k + 4].tolist())), e)
            for k, (_, e) in enumerate(blocks)]


@dataclass
class Stimulus:
    words: list           # line words to drive (ints)
    blocks: list          # expected (block int, e) in order
    client: list          # expected per block: its four XGMII words as the golden receiver outputs them, and e
    counters: object      # the golden receiver's RxCounters
    reports: list         # its per-frame reports
    first_frame_bit: int  # line bit of f[0] of the first transmitted frame


def make_stimulus(frames, *, offset, pre_words=0, seed=1, slips=(), flips=(), rng_seed=0, kcc=b""):
    """A golden dump of ``frames`` frames behind ``pre_words`` random words and ``offset`` random bits.

    ``slips``: (frame bit position, delta) pairs, positions in the transmitted stream; delta > 0 inserts that many random
    bits there, delta < 0 deletes them. ``flips``: positions (in the transmitted stream) of bits to invert.
    The stream is padded so that the last aligned word of the last complete frame leaves the RTL and no further AM is
    checked (a partial frame the golden receiver would not process never starts in the RTL either).
    """
    rng = np.random.default_rng(rng_seed)
    tx = golden_line_bits(frames, seed, kcc=kcc).copy()
    for pos in flips:
        tx[pos] ^= 1
    parts, last = [], 0
    for pos, delta in sorted(slips):
        parts.append(tx[last:pos])
        if delta > 0:
            parts.append(rng.integers(0, 2, delta, dtype=np.uint8))
            last = pos
        else:
            last = pos - delta
    parts.append(tx[last:])
    lead = 64 * pre_words + offset
    bits = np.concatenate([rng.integers(0, 2, lead, dtype=np.uint8)] + parts)
    end = len(bits)
    n_words = (end - 64) // 64 + 3
    bits = np.concatenate([bits, rng.integers(0, 2, 64 * n_words - end, dtype=np.uint8)])
    return _golden_rx(bits, clear_keys(), first_frame_bit=lead)


def _golden_rx(bits, keys, *, first_frame_bit, **kw):
    """The golden receiver on ``bits``: a :class:`Stimulus` with the words, blocks, client words and counters."""
    rx = Receiver(keys, **kw)
    rx.feed(np.packbits(bits, bitorder="little").tobytes())
    rx.finish()
    data, ctrl = rx.output()
    hdr, pay = encode_words(data, ctrl)
    ints = blocks_as_ints(encode_groups(hdr.reshape(-1, 4), pay.reshape(-1, 4))) if len(data) else []
    flags = []
    for r in rx.reports:
        flags += [bool(r.e_blocks)] * r.blocks
    assert len(flags) == len(ints)
    xg = [(tuple(zip(data[4 * k:4 * k + 4].tolist(), ctrl[4 * k:4 * k + 4].tolist())), e) for k, e in enumerate(flags)]
    return Stimulus(client=xg, words=words_of(bits), blocks=list(zip(ints, flags)), counters=rx.counters,
                    reports=rx.reports, first_frame_bit=first_frame_bit)


def make_keys(mode, salt, *, ans=(1, 2), switch=None, fc_init=None):
    """A golden key file with one random slot per AN of ``ans`` (slot i = ``ans[i]``), drawn from the run's seed and
    ``salt``; ``fc_init`` random below 2^40 unless given."""
    from din.golden.physec.security import KeySlot
    from din.sim.common.tb import rng
    r = np.random.default_rng(rng(salt).randrange(1 << 30))
    fc = int(r.integers(0, 1 << 40)) if fc_init is None else fc_init
    return KeyConfig(mode=mode, fc_init=fc, switch=switch, slots=[
        KeySlot(an=a, key=r.bytes(32), salt=r.bytes(12), ssci=int(r.integers(0, 1 << 32))) for a in ans])


def secure_stimulus(keys, frames, *, seed=1, order=None, flips=(), lead_bits=0, rx_keys=None, rng_seed=0):
    """Frame-aligned words of a golden MODE 01 / 10 transmission (``keys``: a golden ``KeyConfig``, its mode, slots
    and switch) and what the golden receiver with ``predict_keystream=True`` (the hardware's rule) delivers from them.

    ``order``: the transmitted frames to put on the line, in that order (drop, repeat, reorder: replay and jump
    attacks; default all in order); ``flips``: bit positions in the resulting stream to invert; ``lead_bits``: random
    bits before it (the words are then not frame-aligned: for the receiver with its aligner); ``rx_keys``: the
    receiver's key file (default ``keys``). Frame 0 is the PRESYNC frame. Returns the :class:`Stimulus` and the golden
    transmitter."""
    rng = np.random.default_rng(seed)
    eth = [rng.bytes(int(k)) for k in rng.integers(60, 1515, 40 * frames)]
    trace = ClientTrace(*frames_to_xgmii(eth))
    line, tx = transmit_trace(trace, keys, frames=frames)
    bits = np.unpackbits(np.frombuffer(line, dtype=np.uint8), bitorder="little").reshape(frames, FRAME_BITS)
    bits = np.concatenate([bits[k] for k in (range(frames) if order is None else order)])
    for pos in flips:
        bits[pos] ^= 1
    r = np.random.default_rng(rng_seed)
    bits = np.concatenate([r.integers(0, 2, lead_bits, dtype=np.uint8), bits])
    # padded as in make_stimulus: the last aligned word of the last frame leaves the RTL, no further AM is checked
    end = len(bits)
    bits = np.concatenate([bits, r.integers(0, 2, 64 * ((end - 64) // 64 + 3) - end, dtype=np.uint8)])
    stim = _golden_rx(bits, keys if rx_keys is None else rx_keys, first_frame_bit=lead_bits, predict_keystream=True)
    return stim, tx
