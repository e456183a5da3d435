"""Idle and backpressure patterns for sources (valid gaps) and sinks (ready low), shared by cocotb and amaranth.sim.

A pattern is an infinite iterator of booleans, one per clock cycle: ``True`` means stall (a source inserts an idle
cycle, a sink holds ready low). cocotbext-axi takes it as is: ``source.set_pause_generator(stall_pattern(...))``.
"""

import itertools
import random

__all__ = ["PATTERNS", "stall_pattern"]

#: the three patterns every stream test runs under (none, periodic, seeded random)
PATTERNS = ("none", "periodic", "random")


def stall_pattern(kind, *, seed=0, period=(3, 2), probability=0.35):
    """Return the iterator of pattern ``kind``.

    * ``none``: never stall;
    * ``periodic``: ``period = (run, stall)``: ``run`` cycles free then ``stall`` cycles stalled, repeated, with
      the phase offset by ``seed`` so a source and a sink with different seeds do not line up;
    * ``random``: each cycle stalls with ``probability``, from ``random.Random(seed)`` (replayable).
    """
    if kind == "none":
        return itertools.repeat(False)
    if kind == "periodic":
        run, stall = period
        cycle = [False] * run + [True] * stall
        offset = seed % len(cycle)
        return itertools.cycle(cycle[offset:] + cycle[:offset])
    if kind == "random":
        rng = random.Random(seed)
        return (rng.random() < probability for _ in itertools.count())
    raise ValueError(f"unknown stall pattern {kind!r}; choose one of: {', '.join(PATTERNS)}")
