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

Decision (model timing, docs/flowctl.md "Cycle model"): the loop above is what the scheduler computes, but hardware
cannot run an unbounded loop in one clock cycle, so the model takes **one decision step per cycle** (:meth:`step`),
the step the RTL takes:

* every listed flow blocked by a shared cause (the global pause, every tenant in use, or PFC on every priority in
  use): all of them are parked at once (the loop's result, which needs no per-flow work);
* the head flow is not eligible (its own lease): it is parked, and the decision continues in the next cycle;
* the head packet fits the head's deficit (plus a quantum when fresh): it is selected;
* the head is the only listed flow and is short: it is selected with one more quantum (the loop rotates it onto
  itself);
* otherwise the short head is rotated to the tail, and the second flow, fresh (quantum >= MAX_PKT: it always fits),
  is selected in the same step when it is eligible; when it is not, the step only rotates and the decision continues
  in the next cycle (where that flow, now the head, is parked).

So a decision parks one flow per cycle where the loop parks any number at once; the order in which flows are served,
rotated and parked is the loop's. :meth:`select` keeps the loop itself (the reference the tests compare :meth:`step`
with). Resumes come only from the expiry scanner (model.py), one flow per cycle, not from the XON entry itself.
"""

from collections import deque

__all__ = ["DrrScheduler", "RETRY", "jain_index"]

#: :meth:`DrrScheduler.step` parked or rotated without selecting: decide again in the next cycle
RETRY = "retry"


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

    def step(self, eligible, all_blocked=False):
        """One decision step (see the module docstring). ``eligible(f)`` is the pause check, ``all_blocked`` the
        shared-cause test. Returns ``(f, pkt)`` when a packet is selected, ``RETRY`` when the step parked or rotated
        a flow without selecting (the decision continues in the next cycle, even if no flow is left: a commit may
        list one meanwhile), or None when nothing is listed or everything was parked by a shared cause."""
        fifo = self.fifo
        if not fifo:
            return None
        if all_blocked:
            while fifo:
                self._park_head()
            return None
        f = fifo[0]
        if not eligible(f):
            self._park_head()
            return RETRY
        d = self.deficit[f] + (self.quantum[f] if self.fresh else 0)
        pkt = self.queues[f][0]
        if pkt.length <= d:
            return self._take(f, d)
        if len(fifo) == 1:
            return self._take(f, d + self.quantum[f])
        fifo.popleft()                  # rotate the short head (not fresh: its deficit is unchanged)
        fifo.append(f)
        self.fresh = True
        g = fifo[0]
        if not eligible(g):
            return RETRY
        return self._take(g, self.deficit[g] + self.quantum[g])

    def _park_head(self):
        """The head flow is paused: it leaves the FIFO and waits for a resume (its deficit is kept)."""
        f = self.fifo.popleft()
        self.in_list[f] = False
        self.parked[f] = True
        self.fresh = True

    def _take(self, f, d):
        """Select the head packet of ``f`` (the head of the FIFO) with the deficit ``d`` it has this round."""
        q = self.queues[f]
        pkt = q.popleft()
        self.deficit[f] = d - pkt.length
        if q:
            self.fresh = False
        else:
            self.fifo.popleft()
            self.in_list[f] = False
            self.deficit[f] = 0
            self.fresh = True
        return f, pkt

    def select(self, eligible):
        """The background's loop in one call (the reference for :meth:`step`): the next packet, ``eligible(f)`` being
        the pause check. Returns (f, pkt) or None."""
        fifo = self.fifo
        while fifo:
            f = fifo[0]
            if not eligible(f):
                self._park_head()
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
