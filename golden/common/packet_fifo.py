"""Transaction-level model of the store-and-forward packet FIFOs (rtl/common/packet_fifo.py), plain Python.

It answers, frame by frame, whether a frame is delivered or dropped and why:

* ``"bad"``: its last beat has ``user`` bit 0 set (``USER_BAD_FRAME``) and ``drop_bad_frame`` is on (needs a
  ``user`` field);
* ``"oversize"``: it has more beats than the FIFO is deep, so it could never be stored whole;
* ``"full"`` (only with ``drop_when_full``): a beat arrives while the memory is full of other frames.

The first event in beat order decides: full or oversize while the frame streams in, bad at its last beat. With
``drop_when_full`` a frame of ``n`` beats meeting ``free`` free beats is dropped when ``n > free``; it is then
"oversize" if ``free == depth`` (the frame alone filled the memory) and "full" otherwise. Without
``drop_when_full`` the FIFO waits for space, so the outcome of every frame is independent of the drain schedule.

With ``drop_when_full`` the outcome depends on when the sink drains: the model is exact for a schedule given as
calls of :meth:`PacketFifoModel.write` and :meth:`PacketFifoModel.read` (frames written while the sink is stalled,
then drained), which is what the tests drive. Concurrent reading and writing is timing-dependent in hardware and
is not predicted here (hardware may judge a slot freed in the same cycle as still occupied).
"""

from collections import deque
from dataclasses import dataclass

__all__ = ["REASONS", "Outcome", "PacketFifoModel", "beats_of", "predict"]

#: drop reasons, in the order the RTL reports them on its ``drop_*`` outputs
REASONS = ("bad", "oversize", "full")


def beats_of(length, bytes_per_beat):
    """Beats a frame of ``length`` bytes takes on the stream (at least one)."""
    return max(1, -(-length // bytes_per_beat))


@dataclass(frozen=True)
class Outcome:
    index: int           # position of the frame in the input sequence
    data: bytes
    user: int
    verdict: str         # "delivered" or one of REASONS


class PacketFifoModel:
    """State of one FIFO: frames stored (committed) in order, and the counters of drops."""

    def __init__(self, *, depth, data_width=64, user_width=1, drop_bad_frame=True, drop_when_full=False):
        if depth < 1 or data_width % 8:
            raise ValueError("depth must be positive and data_width a multiple of 8")
        self.depth = depth
        self.bytes_per_beat = data_width // 8
        self.user_width = user_width
        self.drop_bad_frame = drop_bad_frame
        self.drop_when_full = drop_when_full
        self.stored = deque()                    # (data, user, beats) in order
        self.drops = {r: 0 for r in REASONS}
        self.outcomes = []

    @property
    def level(self):
        """Beats stored (committed frames)."""
        return sum(b for *_, b in self.stored)

    @property
    def frames(self):
        return len(self.stored)

    def verdict(self, data, user=0):
        """What writing this frame now would do, without doing it."""
        n = beats_of(len(data), self.bytes_per_beat)
        free = self.depth - self.level
        if self.drop_when_full and n > free:
            return "oversize" if free == self.depth else "full"
        if n > self.depth:
            return "oversize"
        if self.drop_bad_frame and self.user_width and (user & 1):
            return "bad"
        return "delivered"

    def write(self, data, user=0):
        """Write one frame; return its verdict. Without drop_when_full a frame that does not fit yet waits: the
        caller must :meth:`read` first (``ValueError`` otherwise, so a test cannot model a deadlock by mistake)."""
        data = bytes(data)
        verdict = self.verdict(data, user)
        n = beats_of(len(data), self.bytes_per_beat)
        if verdict == "delivered":
            if n > self.depth - self.level:
                raise ValueError("frame does not fit yet: read frames first (backpressure)")
            self.stored.append((data, user, n))
        else:
            self.drops[verdict] += 1
        self.outcomes.append(Outcome(len(self.outcomes), data, user, verdict))
        return verdict

    def read(self):
        """Deliver the oldest stored frame: ``(data, user)``."""
        data, user, _ = self.stored.popleft()
        return data, user

    def drain(self):
        out = []
        while self.stored:
            out.append(self.read())
        return out


def predict(frames, *, depth, data_width=64, user_width=1, drop_bad_frame=True, drop_when_full=False,
            drain="continuous"):
    """Outcomes of ``frames`` (``bytes`` or ``(bytes, user)``) and the frames delivered, ``(outcomes, delivered)``.

    ``drain``: ``"continuous"`` (the sink reads whatever it can, as slowly as it likes: exact without
    drop_when_full; with drop_when_full exact only if each frame has left before the next one arrives) or
    ``"stalled"`` (the sink reads nothing until every frame has been written: exact in both modes; without
    drop_when_full every frame must fit at once).
    """
    if drain not in ("continuous", "stalled"):
        raise ValueError(f"unknown drain schedule {drain!r}")
    model = PacketFifoModel(depth=depth, data_width=data_width, user_width=user_width,
                            drop_bad_frame=drop_bad_frame, drop_when_full=drop_when_full)
    delivered = []
    for frame in frames:
        data, user = (frame, 0) if isinstance(frame, (bytes, bytearray)) else frame
        if drain == "continuous":
            delivered += model.drain()
        model.write(data, user)
    delivered += model.drain()
    return model.outcomes, delivered
