"""Property tests: the cell buffer's free list (conservation, single ownership) and DRR fairness (Jain index)."""

from hypothesis import given, settings, strategies as st

from din.golden.flowctl.buffer import CellBuffer
from din.golden.flowctl.drr import RETRY, DrrScheduler, jain_index


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["alloc", "free", "reclaim", "walk", "cycle"]),
                          st.integers(0, 3), st.integers(0, 10 ** 6)), max_size=300))
def test_free_list_conservation_and_single_owner(ops):
    cells, flows = 16, 4
    buf = CellBuffer(cells=cells, cell_bytes=64, flows=flows, tenant_of=[0, 0, 1, 1])
    held = {f: [] for f in range(flows)}
    freed_this_cycle = set()
    for op, f, k in ops:
        if op == "alloc":
            c = buf.alloc(f)
            if c is None:
                assert buf.free_cells == 0
            else:
                assert c not in freed_this_cycle            # never the index freed in the same cycle
                held[f].append(c)
        elif op in ("free", "reclaim") and held[f]:
            c = held[f].pop(k % len(held[f]))
            (buf.release if op == "free" else buf.to_reclaim)(c, f)
            if op == "free":
                freed_this_cycle.add(c)
        elif op == "walk":
            buf.reclaim_step(push_port_busy=bool(k & 1))
        elif op == "cycle":
            buf.begin_cycle()
            freed_this_cycle.clear()
        # free + occupancy + in flight = total, every cycle
        assert buf.free_cells + sum(buf.occ) + buf.in_flight() == cells
        assert buf.occ == [len(held[g]) for g in range(flows)]
        assert buf.tenant_occ == [len(held[0]) + len(held[1]), len(held[2]) + len(held[3])]
    all_held = [c for g in held.values() for c in g]
    assert len(all_held) == len(set(all_held))
    assert buf.check_full() == [] and buf.violations == []
    # drain everything: every cell comes back
    for g, cs in held.items():
        for c in cs:
            buf.release(c, g)
    for _ in range(cells + 2):
        buf.reclaim_step(push_port_busy=False)
        buf.begin_cycle()
    assert buf.free_cells == cells and buf.check_full() == []


def test_double_free_and_double_alloc_are_flagged():
    buf = CellBuffer(cells=4, cell_bytes=64, flows=2, tenant_of=[0, 0])
    c = buf.alloc(0)
    buf.release(c, 0)
    buf.release(c, 0)                  # freed twice
    assert buf.violations


class P:
    def __init__(self, length):
        self.length = length


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 8), st.lists(st.integers(60, 1518), min_size=1, max_size=20), st.integers(0, 10 ** 6))
def test_drr_equal_quanta_is_fair(n, sizes, salt):
    """All flows backlogged with equal quanta: bytes served over whole rounds are within one max packet per flow."""
    drr = DrrScheduler(flows=n, quantum=[1518] * n)
    for f in range(n):
        for k in range(12 * 26 + 30):
            drr.commit(f, P(sizes[(k * (f + 1) + salt) % len(sizes)]))
    served = [0] * n
    prev, rounds = None, 0
    while True:
        sel = drr.select(lambda f: True)
        assert sel is not None
        f, pkt = sel
        if f == 0 and prev != 0:             # flow 0 starts a new visit: a round boundary
            rounds += 1
            if rounds > 12:
                break
        served[f] += pkt.length
        prev = f
    # over whole rounds flow i got k·Q − (deficit left), 0 ≤ deficit < max packet
    assert max(served) - min(served) < max(sizes)
    assert jain_index(served) >= 0.99


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(60, 129), min_size=1, max_size=10))
def test_drr_weights_and_parking(sizes):
    q = [1518, 2 * 1518, 4 * 1518]
    drr = DrrScheduler(flows=3, quantum=q)
    for f in range(3):
        for k in range(3000):
            drr.commit(f, P(sizes[k % len(sizes)]))
    served = [0, 0, 0]
    paused = {1}
    for step in range(4000):
        if step == 1000:
            paused.clear()
            drr.resume(1)
        sel = drr.select(lambda f: f not in paused)
        served[sel[0]] += sel[1].length
        if step == 999:
            before = list(served)
            assert before[1] == 0 and drr.parked[1]        # a paused flow is parked and never served
    after = [served[k] - before[k] for k in range(3)]
    tot = sum(after)
    for k, w in enumerate((1, 2, 4)):
        assert abs(after[k] / tot - w / 7) <= 0.02 * w / 7 + 2 * 1518 / tot


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.lists(st.tuples(st.integers(0, 5), st.integers(60, 1518)), min_size=1, max_size=40),
       st.lists(st.tuples(st.integers(0, 3), st.integers(0, 63), st.booleans()), max_size=60),
       st.lists(st.integers(1518, 4 * 1518), min_size=6, max_size=6))
def test_drr_step_serves_what_the_loop_serves(n, pkts, events, quanta):
    """The model's one-step-per-cycle scheduler (``step``, the RTL's decision) against the background's loop
    (``select``): driven by the same commits, pause changes and resumes between decisions, a decision that retries
    step by step until it selects (or gives up) ends in the loop's state with the loop's packet. Pauses are per flow
    (``all_blocked`` off) or shared (every flow paused: ``all_blocked`` on, the one-step flush)."""
    loop = DrrScheduler(flows=n, quantum=quanta[:n])
    stepped = DrrScheduler(flows=n, quantum=quanta[:n])
    paused = set()
    queue = [(f % n, P(length)) for f, length in pkts]
    for f, pkt in queue[:len(queue) // 2]:         # backlogs first, so that flows stay listed and get short
        loop.commit(f, pkt)
        stepped.commit(f, pkt)
    queue = queue[len(queue) // 2:]
    events = list(events)
    while queue or events or loop.fifo:
        if queue:
            f, pkt = queue.pop(0)
            loop.commit(f, pkt)
            stepped.commit(f, pkt)
        if events:
            kind, arg, flag = events.pop(0)
            if kind == 0:                                  # pause / unpause one flow
                (paused.add if flag else paused.discard)(arg % n)
            elif kind == 1 and (arg % n) not in paused:    # the scanner resumes an eligible parked flow
                loop.resume(arg % n)
                stepped.resume(arg % n)
            elif kind == 2:                                # everything paused by a shared cause, or released
                paused = set(range(n)) if flag else set()
        eligible = (lambda f: f not in paused)
        shared = len(paused) == n
        want = loop.select(eligible)
        got = RETRY
        while got == RETRY:                        # the decision continues cycle by cycle
            got = stepped.step(eligible, all_blocked=shared)
        assert got == want
        for attr in ("in_list", "parked", "deficit", "fresh"):
            assert getattr(stepped, attr) == getattr(loop, attr), attr
        assert list(stepped.fifo) == list(loop.fifo)
        assert [list(q) for q in stepped.queues] == [list(q) for q in loop.queues]
