"""PRBS31 line scrambler (physec.md §6): additive, frame-synchronous, x^31 + x^28 + 1.

State ``s`` (31 bits) is all ones at ``f[120]`` of every frame; per bit ``b = s[30] XOR s[27]`` is output and shifted in
(``s = (s << 1 | b) mod 2^31``). The output therefore obeys ``o[n] = o[n-31] XOR o[n-28]`` with ``o[-31..-1] = 1``, which
is how :func:`prbs31` computes it 28 bits at a time. Because the scrambler restarts every frame, the whole mask is one
constant (:data:`FRAME_MASK`, 263 048 bits) computed once.
"""

import numpy as np

__all__ = ["prbs31", "prbs31_serial", "prbs31_check_value", "FRAME_MASK", "FRAME_MASK_OCTETS", "SCRAMBLED_BITS"]

#: bits of a frame the scrambler covers: f[120 .. 263167]  (physec.md §4, §6)
SCRAMBLED_BITS = 263168 - 120
_TAP_A, _TAP_B = 31, 28   # x^31 + x^28 + 1


def prbs31_serial(n, state=(1 << 31) - 1):
    """Bit-serial reference, literally the rule of physec.md §6: a list of ``n`` output bits."""
    out = []
    for _ in range(n):
        b = ((state >> 30) ^ (state >> 27)) & 1
        out.append(b)
        state = ((state << 1) | b) & ((1 << 31) - 1)
    return out


def prbs31(n):
    """First ``n`` output bits after the all-ones reset, as a uint8 array of 0/1 (vectorised recurrence)."""
    o = np.ones(n + _TAP_A, dtype=np.uint8)          # o[0:31] are the virtual bits o[-31..-1] = 1
    step = _TAP_B                                     # each chunk only reads bits at least 28 back
    for i in range(_TAP_A, n + _TAP_A, step):
        j = min(i + step, n + _TAP_A)
        o[i:j] = o[i - _TAP_A:j - _TAP_A] ^ o[i - _TAP_B:j - _TAP_B]
    return o[_TAP_A:]


def prbs31_check_value():
    """The first 64 output bits as a number whose MSB is the first bit; physec.md §6 gives 0x0000000E000000FC."""
    return int("".join(map(str, prbs31(64))), 2)


#: the scrambler mask for f[120..263167] of every frame, one bit per entry
FRAME_MASK = prbs31(SCRAMBLED_BITS)
FRAME_MASK.setflags(write=False)
#: the same mask as octets, most-significant bit first (f[120] is the MSB of octet 0, as for overhead octets)
FRAME_MASK_OCTETS = np.packbits(FRAME_MASK, bitorder="big")
FRAME_MASK_OCTETS.setflags(write=False)
