"""Shared cell buffer: free list, cell ownership, data RAM, occupancy counters, reclaim queue (spec §3, background §5.4).

The free list is a FIFO of cell indices. After reset it holds every cell in index order (the refill counter of
background §5.12). Ordering rule 1 of background §5.13: a cell freed in cycle t is pushed to the *tail* and becomes
visible to allocation at t+1 (``L_FREE_VIS``); an allocation pops the *head*, so it never receives a cell freed in the same
cycle. Cells of dropped packets go to a reclaim queue that a walker returns one per cycle, only in cycles in which the
egress frees no cell (the free list has one push port).

Conservation (invariant I1 of background §4.2, spec §9)::

    len(free) + Σ_f occ[f] + len(pending_push) + len(reclaim) == cells

``owner[c]`` is the ghost ownership array of invariant I2: ``FREE``, ``RECLAIM`` or the flow id holding the cell.
An allocation of a cell that is not free or a free of a cell that is not owned counts a violation; nothing is
silently repaired.
"""

from collections import deque

__all__ = ["FREE", "RECLAIM", "CellBuffer"]

FREE = -1
RECLAIM = -2


class CellBuffer:
    def __init__(self, *, cells, cell_bytes, flows, tenant_of):
        self.cells = cells
        self.cell_bytes = cell_bytes
        self.flows = flows
        self.tenant_of = tenant_of           # list: flow -> tenant
        self.reset()

    def reset(self):
        self.free = deque(range(self.cells))
        self.pending_push = []               # freed this cycle, visible next cycle
        self.reclaim = deque()
        self.owner = [FREE] * self.cells
        self.data = [None] * self.cells      # one bytearray per cell, written beat by beat
        self.occ = [0] * self.flows
        self.tenant_occ = [0] * (max(self.tenant_of) + 1 if self.tenant_of else 1)
        self.used = 0
        self.min_free = self.cells
        self.violations = []

    # ---- one cycle ----
    def begin_cycle(self):
        """Frees of the previous cycle become visible (``L_FREE_VIS`` = 1)."""
        if self.pending_push:
            self.free.extend(self.pending_push)
            self.pending_push = []

    @property
    def free_cells(self):
        return len(self.free)

    def alloc(self, flow):
        """Pop the free-list head for ``flow``; returns the cell or None when the list is empty."""
        if not self.free:
            return None
        c = self.free.popleft()
        if self.owner[c] != FREE:
            self.violations.append(f"cell {c} allocated while owned by {self.owner[c]}")
        self.owner[c] = flow
        self.data[c] = bytearray()
        self.occ[flow] += 1
        self.tenant_occ[self.tenant_of[flow]] += 1
        self.used += 1
        if len(self.free) < self.min_free:
            self.min_free = len(self.free)
        return c

    def release(self, cell, flow):
        """Egress freed ``cell`` of ``flow`` after its last beat: push to the tail (visible next cycle)."""
        self._unown(cell, flow)
        self.owner[cell] = FREE
        self.pending_push.append(cell)

    def to_reclaim(self, cell, flow):
        """A dropped packet's cell: leaves the flow's occupancy now, returns to the free list through the walker."""
        self._unown(cell, flow)
        self.owner[cell] = RECLAIM
        self.reclaim.append(cell)

    def reclaim_step(self, push_port_busy):
        """The reclaim walker: one cell per cycle through the free-list push port when the egress does not use it."""
        if self.reclaim and not push_port_busy:
            c = self.reclaim.popleft()
            self.owner[c] = FREE
            self.pending_push.append(c)

    def _unown(self, cell, flow):
        if self.owner[cell] != flow:
            self.violations.append(f"cell {cell} freed by flow {flow} but owned by {self.owner[cell]}")
        self.occ[flow] -= 1
        self.tenant_occ[self.tenant_of[flow]] -= 1
        self.used -= 1
        self.data[cell] = None

    # ---- invariants ----
    def in_flight(self):
        return len(self.pending_push) + len(self.reclaim)

    def conservation_ok(self):
        return len(self.free) + self.used + self.in_flight() == self.cells

    def check_full(self):
        """Exhaustive I1 + I2 check (O(cells)); used by property tests and at the end of scenarios."""
        errors = []
        if not self.conservation_ok():
            errors.append(f"I1: free {len(self.free)} + used {self.used} + in flight {self.in_flight()} "
                          f"!= {self.cells}")
        if sum(self.occ) != self.used:
            errors.append(f"I1: sum of flow occupancy {sum(self.occ)} != used {self.used}")
        seen = {}
        for where, seq in (("free", self.free), ("pending", self.pending_push), ("reclaim", self.reclaim)):
            for c in seq:
                if c in seen:
                    errors.append(f"I2: cell {c} in {where} and {seen[c]}")
                seen[c] = where
        owned = [c for c in range(self.cells) if self.owner[c] >= 0]
        for c in owned:
            if c in seen:
                errors.append(f"I2: cell {c} owned by flow {self.owner[c]} and in {seen[c]}")
        per_flow = [0] * self.flows
        for c in owned:
            per_flow[self.owner[c]] += 1
        if per_flow != self.occ:
            errors.append("I2: ownership does not match the occupancy counters")
        if len(seen) + len(owned) != self.cells:
            errors.append(f"I2: {self.cells - len(seen) - len(owned)} cells are nowhere")
        return errors
