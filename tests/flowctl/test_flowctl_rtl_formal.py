"""Bounded proof (24 cycles under `make regress`, 14 by default; Yosys SAT, sim/common/formal.py; sby cannot run
here) of the free-list invariants of the flowctl core (spec §9 I1 / I2) for a tiny configuration: 2 flows, 4 cells
of 32 bytes, MAX_PKT 64, any input on every port.

Ghost state in the harness, from the free-list port activity only: ``in_list[c]`` (the cell is on the free list) and
``owned[c]`` (it was popped and not pushed back). Properties, every cycle after reset:

* a pop takes a cell that is on the list, a push adds one that is not (no cell twice on the list);
* after initialisation a push returns a cell that was popped (no double free, no invented cell);
* ``free_cells`` equals the number of cells on the list (I1 for the list), and ``used_cells`` never exceeds the cells
  out of it (occupancy counts only real cells);
* after initialisation ``s_axis`` is never back-pressured (spec §3).

No assumption on the input beats: the first run found a frame of near-empty beats (``tkeep`` not packed) that
allocated more cells than admission reserved and underflowed the free list; since the RTL stops storing a frame at
its first unpacked beat (docs/flowctl.md "Bad input"), the proof holds for any ``tkeep``.
``test_flowctl_rtl_formal_unpacked_input_needs_the_guard`` keeps that finding honest: with the guard disabled
the same proof fails.
"""

from amaranth import Elaboratable, Module, Signal
from amaranth.hdl import Assert, Assume

from din.rtl.flowctl.core import FlowCtlCore
from din.sim.common.formal import prove
from din.sim.common.tb import regression_count

CELLS = 4


class _FreeListHarness(Elaboratable):
    def __init__(self, *, bug=False, packed=False):
        self.dut = FlowCtlCore(flows=2, cells=CELLS, cell_bytes=32, max_pkt=64, dest_width=2, formal=True)
        self.bug = bug
        self.packed = packed

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = dut = self.dut
        in_list = Signal(CELLS)
        owned = Signal(CELLS)
        pop_mask = Signal(CELLS)
        push_mask = Signal(CELLS)
        after_pop = Signal(CELLS)
        m.d.comb += [pop_mask.eq(dut.fl_pop << dut.fl_pop_cell), push_mask.eq(dut.fl_push << dut.fl_push_cell),
                     after_pop.eq(in_list & ~pop_mask)]
        m.d.sync += [in_list.eq(after_pop | push_mask), owned.eq((owned | pop_mask) & ~push_mask)]
        # environment: any tkeep, unless ``packed`` (every beat full but the last, whose tkeep is contiguous
        # from bit 0: spec README "Streams")
        s = dut.s_axis
        if self.packed:
            with m.If(s.valid):
                m.d.comb += Assume(s.payload.keep.any() & ((s.payload.keep & (s.payload.keep + 1)) == 0))
                m.d.comb += Assume(s.payload.last | (s.payload.keep == 0xFF))
        started = Signal()                 # one cycle after reset: the checks apply
        m.d.sync += started.eq(1)
        with m.If(started):
            with m.If(dut.fl_pop):
                m.d.comb += Assert((in_list >> dut.fl_pop_cell)[0], "pop of a cell not on the free list")
            with m.If(dut.fl_push):
                m.d.comb += Assert(~(after_pop >> dut.fl_push_cell)[0], "push of a cell already on the list")
                with m.If(dut.init_done):
                    m.d.comb += Assert(((owned | pop_mask) >> dut.fl_push_cell)[0],
                                       "push of a cell that was never allocated")
            count = sum(in_list[i] for i in range(CELLS))
            out = sum(owned[i] for i in range(CELLS))
            m.d.comb += Assert(dut.free_cells == count + (1 if self.bug else 0), "free_cells != cells on the list")
            m.d.comb += Assert(dut.used_cells <= out, "used_cells exceeds the cells out of the free list")
            with m.If(dut.init_done):
                m.d.comb += Assert(dut.s_axis.ready, "s_axis back-pressured after initialisation")
        return m


def _ports(dut):
    s, o = dut.s_axis, dut.m_axis
    # every configuration input is free: any profiles, any per-flow word written in any cycle
    return [s.valid, s.payload.as_value(), o.ready, dut.pfc_paused, *(p.as_value() for p in dut.cfg_profiles), dut.flow_we,
            dut.flow_sel, dut.flow_wdata.as_value(), dut.cfg_g_xoff, dut.cfg_g_xon, dut.cfg_guard_en, dut.cfg_h,
            dut.cfg_pfc_mirror_en]


def test_flowctl_rtl_formal_free_list():
    h = _FreeListHarness()
    # 24 cycles reach the first egress beats and the unpacked-beat counterexample of the RTL before its guard (which
    # fails at 24 in 142 s; this passes in about 9 min here); the default suite checks initialisation, admission,
    # allocation and reclaim in 14
    depth = regression_count(14, 24)
    result = prove(h, name=f"flowctl_free_list_{depth}", ports=_ports(h.dut), depth=depth, mode="bmc",
                   timeout=1800)
    assert result, result.counterexample()


def test_flowctl_rtl_formal_refutes_a_wrong_count():
    """The same harness with an off-by-one in the expected count must fail (the proof is not vacuous)."""
    h = _FreeListHarness(bug=True)
    assert not prove(h, name="flowctl_free_list_bug", ports=_ports(h.dut), depth=6, mode="bmc")
