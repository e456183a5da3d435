"""Deficit round robin over eligible flows with a FIFO of active flows, pause-aware (spec §7, background §5.9).

The algorithm is the background's pseudo-code, line for line::

    on COMMIT(f) making backlog(f) 0 -> 1:      if not in_list[f] and not parked[f]: push_tail(f); in_list[f] = 1
    on resume(f) (XON, snapshot clear, expiry): if parked[f]: parked[f] = 0; if backlog(f) > 0: push_tail(f)
    select():  while FIFO not empty:
                 f = head()
                 if not eligible(f): pop; in_list = 0; parked = 1; fresh = 1; continue     # deficit kept
                 if fresh: deficit[f] += quantum[f]; fresh = 0
                 if len(head packet) <= deficit[f]: deficit[f] -= len; dequeue;
                      if backlog(f) == 0: pop; in_list = 0; deficit = 0; fresh = 1
                      return f
                 else: pop; push_tail(f); fresh = 1
               return None

Decision (model timing): the whole loop runs in the decision cycle. Parking a paused flow is free in the model; see
docs/flowctl.md (TODO for the RTL: it must park at least as fast as ``L_SCHED`` allows, or the comparison moves to the
transaction level for the cycles where many parked flows sit at the head).
"""

from collections import deque

__all__ = ["DrrScheduler", "jain_index"]


def jain_index(xs):
    """Jain's fairness index (Σx)² / (n·Σx²); 1.0 for an empty or all-zero list."""
    xs = list(xs)
    s2 = sum(x * x for x in xs)
    return 1.0 if not xs or s2 == 0 else sum(xs) ** 2 / (len(xs) * s2)


class DrrScheduler:
    def __init__(self, *, flows, quantum):
        self.flows = flows
        self.quantum = list(quantum)
        self.reset()

    def reset(self):
        self.queues = [deque() for _ in range(self.flows)]    # committed packets per flow (objects with .length)
        self.fifo = deque()
        self.in_list = [False] * self.flows
        self.parked = [False] * self.flows
        self.deficit = [0] * self.flows
        self.fresh = True

    def backlog(self, f):
        return len(self.queues[f])

    def commit(self, f, pkt):
        q = self.queues[f]
        q.append(pkt)
        if len(q) == 1 and not self.in_list[f] and not self.parked[f]:
            self.fifo.append(f)
            self.in_list[f] = True

    def resume(self, f):
        """The flow's pause ended (the caller checked that nothing else pauses it)."""
        if self.parked[f]:
            self.parked[f] = False
            if self.queues[f]:
                self.fifo.append(f)
                self.in_list[f] = True

    def select(self, eligible):
        """Pick the next packet; ``eligible(f)`` is the pause check. Returns (f, pkt) or None."""
        fifo = self.fifo
        while fifo:
            f = fifo[0]
            if not eligible(f):
                fifo.popleft()
                self.in_list[f] = False
                self.parked[f] = True
                self.fresh = True
                continue
            if self.fresh:
                self.deficit[f] += self.quantum[f]
                self.fresh = False
            q = self.queues[f]
            pkt = q[0]
            if pkt.length <= self.deficit[f]:
                self.deficit[f] -= pkt.length
                q.popleft()
                if not q:
                    fifo.popleft()
                    self.in_list[f] = False
                    self.deficit[f] = 0
                    self.fresh = True
                return f, pkt
            fifo.popleft()
            fifo.append(f)
            self.fresh = True
        return None
