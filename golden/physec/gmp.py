"""GMP mapping (physec.md §5; ITU-T G.709 Annex D, eq. D-18/D-19), the JC bytes, and the transmitter's Cm controller.

Slot rule: payload slot j (1..1016) of a frame with count Cm carries the next client 257b block iff
``(j · Cm) mod 1016 < Cm``; otherwise it is a stuff slot of 257 zero bits.

JC (physec.md §4): JC1 = Cm[13:6], JC2 = {Cm[5:0], II, DI} with II = DI = 0, JC3 = CRC-8 (G.709 Annex D) over JC1‖JC2.
Frame n carries Cm(n+1). The receiver accepts Cm = 0 and 980..1016.

Cm controller (implementer's choice in the spec; here fixed exactly so that the RTL reproduces it bit for bit):

* Time is counted in line bit periods (1 / 10.3125 GHz nominal). Frame n starts at ``t(n) = 263168 · n``.
* The client delivers XGMII word w at ``t0 + w · Tw`` with ``Tw = 66 · 10^6 / (10^6 + ppm)`` line bit periods
  (a 64b/66b client at 10.3125 Gb/s · (1 + ppm · 10^-6)); 257b block k (words 4k..4k+3) **enters the FIFO** at
  ``t0 + (4k + 4) · Tw``, i.e. when its fourth word has been fully received. ``t0`` (``client_start``) is 0 for a trace
  file (physec.md §5: word 0 arrives at f[0] of frame 0). ``latency`` (line bit periods, default 0) delays every entry,
  for an implementation whose FIFO write becomes visible to the line domain later.
* At ``t(n)`` the controller reads the FIFO level ``L(n)`` (blocks entered and not yet taken or dropped; all blocks of
  frames < n have been taken) and the count ``Cm(n)`` already announced for frame n, and announces

      x = L(n) − Cm(n) + BIAS,   BIAS = 2 · 997 − TARGET
      Cm(n+1) = 1016 if x ≥ 1016;   x if 980 ≤ x < 1016;   0 if x < 980

  a dead-beat rule: it aims at a FIFO level of ``TARGET`` blocks at the start of frame n+2. In steady state it
  announces the number of blocks that entered during frame n−1 (996 or 997 at nominal and ±100 ppm clocks, on average
  996.8485 = 1024 · 257 / 264). After start-up (frame 0 has Cm = 0 while blocks keep coming) it sends 1016 until the
  FIFO is back at its target (about 50 frames). ``TARGET`` defaults to 8 blocks.
* When the transmitter blocks client data (fail closed, physec.md §7), the blocked frame announced Cm = 0 one frame
  earlier; at the start of a blocked frame the FIFO is flushed (its blocks are dropped and counted), and the blocks
  that enter during the blocked frame are kept, so the first frame after a blocked run starts like frame 1 after reset.
* A slot needs its block at the slot's first bit time (``t(n) + 257 · (j + 7)``); a block that has not entered by then
  counts ``underflow`` (never expected: TARGET leaves several blocks of margin).
"""

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import numpy as np

from .crc import CRC8_JC

__all__ = ["SLOTS", "FRAME_BITS", "CM_NOMINAL", "cm_valid", "slot_mask", "jc_encode", "jc_decode", "ClientClock",
           "CmController"]

SLOTS = 1016                    # payload slots per frame (physec.md §4)
FRAME_BITS = 1024 * 257         # 263 168
BLOCK_LINE_BITS = 264           # 4 × 66 bits of client line time per 257b block
#: nominal Cm = 1024 · 257 · f_client / (264 · f_line) with f_client = f_line (physec.md §5)
CM_NOMINAL = Fraction(1024 * 257, 264)
CM_MIN_VALID, CM_MAX_VALID = 980, SLOTS


def cm_valid(cm):
    """The receiver accepts Cm = 0 and 980..1016 (physec.md §5)."""
    return cm == 0 or CM_MIN_VALID <= cm <= CM_MAX_VALID


@lru_cache(maxsize=64)
def slot_mask(cm):
    """Boolean array (1016,): entry j−1 is True iff slot j carries client data (G.709 D-18)."""
    j = np.arange(1, SLOTS + 1, dtype=np.int64)
    m = (j * cm) % SLOTS < cm
    m.setflags(write=False)
    return m


def jc_encode(cm, ii=0, di=0):
    """Cm → the three JC octets (physec.md §4)."""
    if not 0 <= cm < (1 << 14):
        raise ValueError(f"Cm {cm} does not fit in 14 bits")
    jc1 = (cm >> 6) & 0xFF
    jc2 = ((cm & 0x3F) << 2) | (ii << 1) | di
    return bytes([jc1, jc2, CRC8_JC(bytes([jc1, jc2]))])


def jc_decode(jc):
    """Three JC octets → Cm, or None on a CRC-8 error or a value the receiver does not accept."""
    jc1, jc2, jc3 = jc
    if CRC8_JC(bytes([jc1, jc2])) != jc3:
        return None
    cm = (jc1 << 6) | (jc2 >> 2)
    return cm if cm_valid(cm) else None


@dataclass(frozen=True)
class ClientClock:
    """When client 257b blocks enter the transmitter's FIFO, in line bit periods (exact rationals)."""
    ppm: Fraction = Fraction(0)
    start: Fraction = Fraction(0)
    latency: Fraction = Fraction(0)

    def __post_init__(self):
        object.__setattr__(self, "ppm", Fraction(self.ppm))
        object.__setattr__(self, "start", Fraction(self.start))
        object.__setattr__(self, "latency", Fraction(self.latency))

    @property
    def block_period(self):
        return Fraction(BLOCK_LINE_BITS * 10**6) / (10**6 + self.ppm)

    def entered_by(self, t):
        """Number of blocks that have entered the FIFO at line time ``t`` (block k enters at start + (k+1)·period)."""
        dt = Fraction(t) - self.start - self.latency
        return max(0, int(dt // self.block_period))

    def entered_at(self, times):
        """Vectorised :meth:`entered_by` for an int array of line times (exact integer arithmetic)."""
        base = self.start + self.latency
        rate = (10**6 + self.ppm) / (BLOCK_LINE_BITS * 10**6)          # blocks per line bit period
        d = base.denominator * rate.denominator
        t = np.asarray(times, dtype=np.int64)
        # floor((t − base) · rate) = floor((t·bd − bn) · rn / (bd · rd)), in int64 when it cannot overflow
        if int(t.max(initial=0)) * base.denominator * abs(rate.numerator) < (1 << 62) and abs(base.numerator) < (1 << 40):
            q = ((t * base.denominator - base.numerator) * rate.numerator) // d
        else:
            q = ((t.astype(object) * base.denominator - base.numerator) * rate.numerator) // d
        return np.maximum(np.asarray(q, dtype=np.int64), 0)


@dataclass
class CmController:
    """The transmitter's client FIFO and Cm rule (see the module docstring). One call of :meth:`frame` per frame."""
    clock: ClientClock = field(default_factory=ClientClock)
    target: int = 8
    depth: int | None = None               # FIFO depth in blocks (None: unbounded, only the high-water mark is kept)
    taken: int = 0                         # blocks taken into frames so far
    dropped: int = 0                       # blocks flushed while blocked
    underflow: int = 0
    overflow: int = 0
    high_water: int = 0
    cm_next: int = 0                       # Cm of the frame about to start (frame 0 after reset: 0)
    n: int = 0

    @property
    def bias(self):
        return 2 * 997 - self.target

    def level_at(self, t):
        return self.clock.entered_by(t) - self.taken - self.dropped

    def frame(self, blocked_next=False, blocked_now=False):
        """Plan frame n: returns (Cm(n), index of its first client block, Cm(n+1)); advances to frame n+1.

        ``blocked_now``: frame n carries no client data (its Cm was announced as 0) and flushes the FIFO;
        ``blocked_next``: frame n+1 will be blocked, so Cm(n+1) = 0 is announced.
        """
        t = FRAME_BITS * self.n
        cm = self.cm_next
        if blocked_now:
            assert cm == 0
            self.dropped += self.level_at(t)
        level = self.level_at(t)
        self._watch(level)
        x = level - cm + self.bias
        nxt = 0 if blocked_next else (SLOTS if x >= SLOTS else (x if x >= CM_MIN_VALID else 0))
        first = self.taken + self.dropped          # index of the first block in client arrival order
        # the level peaks at the end of the overhead, before the first payload slot is taken
        self._watch(self.level_at(t + 2056) )
        if cm:
            js = np.flatnonzero(slot_mask(cm)) + 1
            entered = self.clock.entered_at(t + 257 * (js + 7)) - self.dropped
            # block (first + i) must have entered by the first bit of the i-th data slot
            self.underflow += int(np.count_nonzero(entered < first + np.arange(1, cm + 1)))
        self.taken += cm
        self.cm_next = nxt
        self.n += 1
        return cm, first, nxt

    def _watch(self, level):
        self.high_water = max(self.high_water, level)
        if self.depth is not None and level > self.depth:
            self.overflow += 1
