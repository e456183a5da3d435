"""Golden expectations for the PHYSec TX framer tests (Amaranth simulator and cocotb): the golden transmitter
(``din.golden.physec``) aligned to the RTL's clocks, and conversions between golden bit arrays and bus words.

Alignment (docs/physec.md, "The Cm controller"): the golden controller reads the FIFO level at t(n) = 263168·n line
bit periods; the RTL samples ``written`` at the clock edge S_n that closes the cycle where its ``sample`` output is
high (S_n = S_0 + 4112·n line cycles). A block written into the client FIFO at client edge c is counted at S_n iff
c < S_n − 2·T_line (two-flop synchroniser: the first line edge strictly after c, then one more; see
``din.rtl.physec.tx_fifo``). With the golden time origin at S_0 (g(T) = (T − S_0)·64 / T_line line bit periods):

* ``ppm``: the client rate relative to the line, from the two simulated periods (exact rationals);
* ``start``: golden word 0 at g(c_0) − 4·Tw, so that the fourth word of block 0 is "in" at the client edge c_0 where
  the testbench writes block 0 (block k at c_0 + 4k client periods);
* ``latency``: 128 line bit periods (the two synchroniser flops) plus a rounding term: none for exact edges; for
  client edges placed on even picoseconds by ``2·floor(y/2)`` with odd-picosecond line edges, ``c < E`` is
  ``y < E + 1``, so the latency is 1 ps shorter. A tiny ε turns the RTL's strict "<" into the golden "≥".

Nothing here reads RTL internals: the expected line words come from the golden transmitter only.
"""

from fractions import Fraction

import numpy as np

__all__ = ["EPSILON", "golden_clock", "make_trace", "golden_tx", "blocks_as_ints", "line_words", "ppm_period",
           "frame_bodies", "check_with_aesgcm"]

#: turns the RTL's strict comparison into the golden model's "entered at or before t" (line bit periods)
EPSILON = Fraction(1, 10**9)
LINE_NOMINAL_PS = Fraction(10**6, 1) / Fraction("161.1328125")        # 6206.06... ps
CLIENT_NOMINAL_PS = Fraction(6400)


def ppm_period(nominal, ppm):
    """The period (same unit as ``nominal``) of a clock ``ppm`` parts per million fast."""
    return Fraction(nominal) / (1 + Fraction(ppm) / 10**6)


def golden_clock(*, t_line, s0, t_client, c0, even_client_edges=False):
    """``(ppm, start, latency)`` for ``ClientClock`` / ``Transmitter`` (module docstring). All times in one unit
    (ps or fs); ``c0`` is the exact (unrounded) time of the client edge that writes block 0."""
    t_line, s0, t_client, c0 = (Fraction(v) for v in (t_line, s0, t_client, c0))
    to_bits = Fraction(64) / t_line
    tw = t_client * to_bits                                     # one client word in line bit periods
    ppm = Fraction(66 * 10**6) / tw - 10**6
    start = (c0 - s0) * to_bits - 4 * tw
    latency = 128 - (to_bits if even_client_edges else 0) + EPSILON
    return ppm, start, latency


def make_trace(seed, words):
    """A client trace of random Ethernet frames (64..1518 octets, minimum gap) of at least ``words`` XGMII words."""
    from din.golden.physec.ethernet import frames_to_xgmii
    from din.golden.physec.transmitter import ClientTrace
    rng = np.random.default_rng(seed)
    frames, total = [], 0
    while total < words * 8:
        n = int(rng.choice([60, 64, 128, 512, 1514, int(rng.integers(60, 1515))]))
        frames.append(rng.integers(0, 256, n, dtype=np.uint8).tobytes())
        total += n + 24
    data, ctrl = frames_to_xgmii(frames)
    return ClientTrace(data, ctrl)


def golden_tx(trace, *, frames, ppm, start, latency, fc_init=0, an=0, target=8, kcc_at=None, keys=None,
              **security):
    """Run the golden transmitter: with ``keys`` (a ``KeyConfig``, its ``fc_init`` replaced by ``fc_init``) or else
    MODE 00 (key file mode "clear", one slot with AN ``an``); ``kcc_at``: {frame: KCC octets queued before that
    frame}; ``security``: ``fc_limit`` / ``rekey_warn`` of the transmitter. Returns ``(line_dump_bytes,
    transmitter)``."""
    from dataclasses import replace
    from din.golden.physec.security import KeyConfig, KeySlot
    from din.golden.physec.transmitter import Transmitter
    if keys is None:
        slots = [KeySlot(an=an, key=bytes(32), salt=bytes(12), ssci=0)] if an else []
        keys = KeyConfig(mode="clear", fc_init=fc_init, slots=slots)
        security = {}
    tx = Transmitter(trace, replace(keys, fc_init=fc_init), ppm=ppm, client_start=start, latency=latency,
                     target=target, **security)
    parts = []
    for n in range(frames):
        if kcc_at and kcc_at.get(n):
            tx.send_kcc(kcc_at[n])
        parts.append(tx.next_frame().tobytes())
    dump = b"".join(parts)
    return dump, tx


def blocks_as_ints(bits):
    """(N, 257) golden 257b bit arrays → ints with bit i = x<i> (the BLOCK257 layout)."""
    packed = np.packbits(np.asarray(bits, dtype=np.uint8), axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def line_words(dump):
    """Line dump bytes (byte k bit i = line bit 8k + i) → 64-bit line words (bit i = f[64w + i])."""
    return np.frombuffer(bytes(dump), dtype="<u8")


def frame_bodies(words):
    """Line words → per frame the descrambled body octets (O0 first)."""
    from din.golden.physec.frame import line_to_body
    from din.golden.physec.prbs import FRAME_MASK_OCTETS
    out = []
    for n in range(len(words) // 4112):
        fb = words[4112 * n:4112 * (n + 1)].astype("<u8").tobytes()
        _, body = line_to_body(np.frombuffer(fb, dtype=np.uint8))
        out.append(np.asarray(body, dtype=np.uint8) ^ FRAME_MASK_OCTETS)
    return out


def check_with_aesgcm(words, keys, fc_init, frames):
    """Frame n's payload (C(n) or P(n)) with its AAD and the TAG carried by frame n+1 authenticates under
    ``cryptography``'s AESGCM (independent of the golden model), for n < frames − 1, with the key of the slot whose AN
    the frame carries. Returns the number of frames checked."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from din.golden.physec.frame import AAD_OCTETS, Overhead
    from din.golden.physec.security import make_iv
    bodies = frame_bodies(words)
    for n in range(frames - 1):
        body, nxt = bodies[n], bodies[n + 1]
        oh, crc_ok = Overhead.parse(body[:64])
        assert crc_ok and oh.fc == fc_init + n, (n, oh)
        slot = keys.slot_for(oh.an)
        aead = AESGCM(slot.key)
        aad, payload, tag = bytes(body[:AAD_OCTETS]), bytes(body[242:]), bytes(nxt[14:30])
        assert len(payload) == 32639
        iv = make_iv(slot, fc_init + n)
        if oh.mode == 0b10:
            aead.decrypt(iv, payload + tag, aad)          # raises InvalidTag on any difference
        else:
            assert oh.mode == 0b01, oh
            assert aead.decrypt(iv, tag, aad + payload) == b""
    return frames - 1
