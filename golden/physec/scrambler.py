"""10GBASE-R self-synchronising scrambler G(x) = 1 + x^39 + x^58 (IEEE 802.3 Cl. 49.2.6) and its descrambler.

Used only on the optional 10GBASE-R client port (physec.md §1, §2): the PHYSec path transcodes unscrambled 66b blocks.
Over the payload bits in transmission order, ``S[n] = D[n] XOR S[n-39] XOR S[n-58]``; the sync header is not
scrambled. The state is the last 58 scrambled bits as an integer whose bit 57 is the most recent one.

:meth:`Scrambler58.scramble` works on a whole 64-bit payload with two word operations (bits 0–38 of a block only
depend on earlier blocks; bits 39–63 then depend on bits 0–24 of the same block). :func:`scramble_bits_serial` is the
bit-serial form of the recurrence it is checked against.
"""

__all__ = ["Scrambler58", "Descrambler58", "scramble_bits_serial"]

_M58 = (1 << 58) - 1
_M64 = (1 << 64) - 1
_M39 = (1 << 39) - 1


def scramble_bits_serial(bits, state=0):
    """Reference: scramble a list of payload bits; ``state`` bit j is S[n-58+j]. Returns (bits, state)."""
    hist = [(state >> j) & 1 for j in range(58)]
    out = []
    for d in bits:
        s = d ^ hist[-39] ^ hist[-58]
        out.append(s)
        hist = hist[1:] + [s]
    return out, sum(b << j for j, b in enumerate(hist))


class Scrambler58:
    """Transmit scrambler: payloads in, scrambled payloads out."""

    def __init__(self, state=0):
        self.state = state & _M58

    def scramble(self, payload):
        s = self.state
        lo = (payload ^ (s >> 19) ^ s) & _M39                  # bits 0..38: taps S[i-39] = X[i+19], S[i-58] = X[i]
        x = s | (lo << 58)
        full = (payload ^ (x >> 19) ^ x) & _M64                # bits 39..63 now see bits 0..24 of this block
        full = (full & ~_M39) | lo
        self.state = ((s | (full << 58)) >> 64) & _M58
        return full


class Descrambler58:
    """Receive descrambler: needs no seed, correct after 58 received bits (self-synchronising)."""

    def __init__(self, state=0):
        self.state = state & _M58

    def descramble(self, scrambled):
        x = self.state | (scrambled << 58)
        self.state = (x >> 64) & _M58
        return (scrambled ^ (x >> 19) ^ x) & _M64
