"""Micro-flow queue manager data path: admission, shared cell buffer with a free list, per-flow packet queues,
reclaim walker, DRR egress scheduler, FC controller state machines and counters (spec flowctl.md §2–§4, §7, §8).

Structure (one ``sync`` domain, 64-bit beats; cycle figures are the golden model's, docs/flowctl.md "Cycle model"):

* **Free list**: a FIFO of cell numbers in block RAM, refilled 0 … cells−1 during the ``cells`` initialisation cycles
  (``s_axis.ready`` low). The head is read ahead through a port transparent to the push port, so a cell pushed at t
  can be allocated at t+1 (``L_FREE_VIS`` = 1). One push per cycle: an egress free wins over the reclaim walker.
* **Ingress** (no back-pressure after initialisation, spec §3): admission at the first beat (``invalid``,
  ``nobuf`` when fewer than ``ceil(MAX_PKT / cell)`` cells are free, ``cap`` for a non-lossless flow at its CAP);
  the first beat of every cell pops the free list and links the previous cell (``next`` RAM); ``tlast`` commits the
  packet (descriptor ``{last cell, length}`` stored at its first cell) or sends its cell chain to the reclaim queue
  (``tuser[0]``, runt < 60 bytes, or the beat that passes MAX_PKT, after which the frame is discarded).
* **Per-flow queues**: registers ``head`` / ``tail`` / ``pkts`` and the head packet's length and last cell. A commit
  enters the flow queue one cycle after ``tlast`` (so the scheduler sees it two cycles after, ``L_COMMIT`` = 2);
  it links the packet behind the tail (``next[tail] = first``) or becomes the head of an empty queue.
* **DRR** (spec §7, background §5.9): a FIFO of active flows in RAM; one step per cycle (park an ineligible flow,
  rotate a flow whose deficit is short, or select). A selection at t gives the first beat at t+3 (``L_SCHED``) and
  never before the cycle after the previous ``tlast``; the next decision is taken when the first beat of the current
  packet is transferred, so back-to-back packets leave without a bubble.
* **Egress**: a read issuer and one output register stage (the data RAM's own register); the last beat of a cell frees
  it when the beat is transferred.
* **Occupancy**: per-flow counters of cells committed (ingress, at tlast) and freed (egress) in RAMs, read a cycle
  ahead by each reader; admission tests an ``at_cap`` bit vector kept by those readers (docs/flowctl.md "RTL").
* **FC controller** (spec §4): occupancy notifications two cycles after every allocation / free (``L_NOTIFY``), per-flow
  RUN/PAUSED hysteresis with the clamp ``XON ≤ XOFF − 1`` and the global guard; ``pfc_req`` mirrors the guard.

Decisions where the hardware differs from the golden model's free-of-cost loops (docs/flowctl.md): the DRR parks one
flow per cycle and a rotation costs one cycle; the reclaim walker loads a chain in one cycle before pushing its cells.
These change *when* things happen by a few cycles, never *what* is delivered per flow or counted.
"""

from amaranth import Array, Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for, exact_log2

from din.rtl.common.decoded import put
from din.rtl.common.layouts import BeatLayout

from .mfc import RX_ERR_REASONS, RX_FRAME_KINDS, MfcRx, MfcTx
from .stats import StatRam

__all__ = ["FlowCtlCore", "DROP_REASONS", "MIN_PKT", "PROFILES", "FLOW_WORD", "FLOW_WORD_RESET", "profile_layout",
           "flow_stats_layout", "validate_params"]

BYTES_PER_BEAT = 8          # 64-bit AXI-Stream (spec §1)
MIN_PKT = 60                # shorter frames are runts, dropped as bad (docs/flowctl.md decision 2)
DROP_REASONS = ("invalid", "nobuf", "cap", "bad")   # spec §3, in counter order
COUNTER_W = 32
PROFILES = 16               # threshold / quantum profiles (spec §4)

#: the per-flow configuration word (spec §3, background §5.11 FLOW_CFG / FLOW_XOFF_XON / FLOW_CAP_QUANTUM); an
#: override of 0 means "use the profile's value"
FLOW_WORD = data.StructLayout({"enable": 1, "lossless": 1, "profile": 4, "prio": 3,
                               "xoff": 16, "xon": 16, "cap": 16, "quantum": 16})
#: the word every flow has after the FPGA is configured: enabled, lossless, profile 0, priority 0, no overrides (the
#: golden model's ``FlowCfg()``); the words are RAM and survive ``rst`` and soft resets (docs/flowctl.md)
FLOW_WORD_RESET = {"enable": 1, "lossless": 1, "profile": 0, "prio": 0, "xoff": 0, "xon": 0, "cap": 0, "quantum": 0}


def flow_stats_layout(cells):
    """One flow's statistics as the indirect window shows them (spec §8; counters 32-bit, wrapping): live values
    taken when the snapshot completes (``occ``, the state bits, ``backlog`` = packets queued) and the RAM counters:
    ``hwm`` (highest occupancy right after an allocation), packets / bytes committed (``enq``), sent (``deq``, at the
    last beat) and dropped (``drop``, every reason, at the frame's last beat), XOFF / XON decisions (``xoff_tx`` /
    ``xon_tx``), DELTA entries applied with a lease / lease 0 (``xoff_rx`` / ``xon_rx``; snapshot bits not counted),
    watchdog events and lossless frames admitted at or over CAP (``cap_exceeded``)."""
    cnt = bits_for(cells)
    return data.StructLayout({
        "occ": cnt, "hwm": cnt, "enq_pkts": COUNTER_W, "enq_bytes": COUNTER_W, "deq_pkts": COUNTER_W,
        "deq_bytes": COUNTER_W, "drop_pkts": COUNTER_W, "drop_bytes": COUNTER_W, "xoff_tx": COUNTER_W,
        "xon_tx": COUNTER_W, "xoff_rx": COUNTER_W, "xon_rx": COUNTER_W, "wd_events": COUNTER_W,
        "cap_exceeded": COUNTER_W, "paused_tx": 1, "paused_rx": 1, "parked": 1, "in_list": 1, "backlog": cnt})


THR_W = 17                  # XOFF / XON as configured: 17 bits (up to 2^17 - 1 cells, above any table: "never pauses")


def profile_layout(cells):
    """One threshold profile: XOFF, XON, CAP in cells, QUANTUM in bytes (``cells`` kept for callers: the widths are
    those of the registers, so an XOFF above the table is seen as such, never truncated)."""
    return data.StructLayout({"xoff": THR_W, "xon": THR_W, "cap": 16, "quantum": 16})


def validate_params(*, flows, cells, cell_bytes, max_pkt, dest_width, formal=False):
    """Spec §2 ranges (plus powers of two for flows and cells). ``formal=True`` admits the tiny configurations of the
    bounded proofs (flows ≥ 2, cells ≥ 4, max_pkt ≥ 60), never used for a build."""
    if formal:
        ok = (isinstance(flows, int) and flows >= 2 and flows & (flows - 1) == 0 and isinstance(cells, int)
              and cells >= 4 and cells & (cells - 1) == 0 and cell_bytes in (32, 64, 128)
              and isinstance(max_pkt, int) and 60 <= max_pkt <= 9600 and -(-max_pkt // cell_bytes) <= cells
              and exact_log2(flows) <= dest_width <= 16)
        if not ok:
            raise ValueError("formal configuration out of range")
        return

    def need(cond, msg):
        if not cond:
            raise ValueError(msg)
    need(isinstance(flows, int) and 16 <= flows <= 4096 and flows & (flows - 1) == 0,
         f"flows must be a power of two from 16 to 4096, not {flows!r}")
    need(isinstance(cells, int) and 256 <= cells <= 65536 and cells & (cells - 1) == 0,
         f"cells must be a power of two from 256 to 65536 (the RTL's free-list pointers wrap), not {cells!r}")
    need(flows <= cells, f"flows ({flows}) must not exceed cells ({cells}): the per-flow statistics RAMs are cleared "
                         "one word per cycle within the cells-cycle initialisation")
    need(cell_bytes in (32, 64, 128), f"cell_bytes must be 32, 64 or 128, not {cell_bytes!r}")
    need(isinstance(max_pkt, int) and 1518 <= max_pkt <= 9600, f"max_pkt must be 1518 to 9600, not {max_pkt!r}")
    need(isinstance(dest_width, int) and exact_log2(flows) <= dest_width <= 16,
         f"dest_width must be from log2(flows) to 16, not {dest_width!r}")


class FlowCtlCore(wiring.Component):
    """The queue manager without its register block (see the module docstring).

    Parameters (keyword-only): ``flows``, ``cells`` (powers of two), ``cell_bytes``, ``max_pkt`` (spec §2) and
    ``dest_width`` (``s_axis.tdest`` width; ids ≥ ``flows`` are dropped as ``invalid``).

    Configuration inputs (``cfg_*``) hold the 16 threshold profiles and the global settings; the per-flow words
    (:data:`FLOW_WORD`) live in a RAM written through ``flow_we`` / ``flow_sel`` / ``flow_wdata`` and read back on
    ``flow_rdata`` (the word of ``flow_sel``); counters are outputs.
    """

    def __init__(self, *, flows=256, cells=2048, cell_bytes=64, max_pkt=1518, dest_width=16, formal=False):
        validate_params(flows=flows, cells=cells, cell_bytes=cell_bytes, max_pkt=max_pkt, dest_width=dest_width,
                        formal=formal)
        self.flows, self.cells, self.cell_bytes, self.max_pkt = flows, cells, cell_bytes, max_pkt
        self.dest_width = dest_width
        self.cell_beats = cell_bytes // BYTES_PER_BEAT
        self.max_pkt_cells = -(-max_pkt // cell_bytes)
        self.flow_bits = exact_log2(flows)
        cnt = unsigned(bits_for(cells))
        cw = COUNTER_W
        # free-list port activity, observed by the formal harness (not ports)
        self.fl_pop, self.fl_pop_cell = Signal(), Signal(exact_log2(cells))
        self.fl_push, self.fl_push_cell = Signal(), Signal(exact_log2(cells))
        super().__init__({
            "s_axis": In(stream.Signature(BeatLayout(data_width=64, user_width=1, dest_width=dest_width))),
            "m_axis": Out(stream.Signature(BeatLayout(data_width=64, user_width=1, dest_width=self.flow_bits))),
            "pfc_paused": In(8),
            "pfc_req": Out(8),
            "m_fc": Out(stream.Signature(BeatLayout(data_width=64, user_width=1))),
            "s_fc": In(stream.Signature(BeatLayout(data_width=64, user_width=1))),
            # MFC configuration (background §5.11)
            "cfg_fc_tx_en": In(1), "cfg_fc_rx_en": In(1), "cfg_snap_en": In(1), "cfg_snap_idle": In(1),
            "cfg_snap_trail": In(8), "cfg_t_snap": In(16), "cfg_pause_time": In(16), "cfg_time_exp": In(4),
            "cfg_coal_xoff": In(16), "cfg_coal_xon": In(16), "cfg_fc_da": In(48), "cfg_fc_sa": In(48),
            "cfg_fc_etype": In(16), "cfg_wd_cycles": In(32), "cfg_wd_action": In(1), "cfg_wd_restore": In(32),
            # configuration: profiles, per-flow words, the global guard
            "cfg_profiles": In(profile_layout(cells)).array(PROFILES),
            "flow_we": In(1), "flow_sel": In(self.flow_bits), "flow_wdata": In(FLOW_WORD),
            "flow_rdata": Out(FLOW_WORD),
            # per-flow statistics window: ``st_req`` (a pulse) snapshots flow ``st_sel`` into ``st_data``, valid
            # from ``st_valid`` on (a few cycles later; cleared by the next request)
            "st_req": In(1), "st_sel": In(self.flow_bits), "st_valid": Out(1), "st_flow": Out(self.flow_bits),
            "st_data": Out(flow_stats_layout(cells)),
            "cfg_g_xoff": In(THR_W), "cfg_g_xon": In(THR_W), "cfg_guard_en": In(1), "cfg_h": In(THR_W),
            "cfg_pfc_mirror_en": In(1),
            # status and counters (spec §8)
            "init_done": Out(1),
            "cfg_err": Out(1), "cfg_err_flow_valid": Out(1), "cfg_err_flow": Out(self.flow_bits),
            "guard_unsafe": Out(1),
            "free_cells": Out(cnt), "min_free_cells": Out(cnt), "used_cells": Out(cnt), "max_used_cells": Out(cnt),
            "drops": Out(data.ArrayLayout(cw, len(DROP_REASONS))),
            "drop_bytes": Out(data.ArrayLayout(cw, len(DROP_REASONS))),
            "bad_tuser": Out(cw), "bad_oversize": Out(cw), "bad_runt": Out(cw), "bad_unpacked": Out(cw),
            "cap_exceeded": Out(cw),
            "enq_pkts": Out(cw), "enq_bytes": Out(cw), "deq_pkts": Out(cw), "deq_bytes": Out(cw),
            "xoff_tx": Out(cw), "xon_tx": Out(cw), "global_xoff_tx": Out(cw), "global_paused": Out(1),
            "flow_paused_tx": Out(flows),
            # MFC counters and status
            "mfc_tx_delta": Out(cw), "mfc_tx_snapshot": Out(cw), "mfc_tx_entries": Out(cw),
            "mfc_tx_xoff_entries": Out(cw), "mfc_tx_xon_entries": Out(cw),
            "mfc_rx_frames": Out(data.ArrayLayout(cw, len(RX_FRAME_KINDS))),
            "fc_rx_err": Out(data.ArrayLayout(cw, len(RX_ERR_REASONS))),
            "fc_rx_seq_gap": Out(cw), "fc_rx_stale": Out(cw), "fc_rx_dup": Out(cw), "fc_rx_range": Out(cw),
            "xoff_rx": Out(cw), "xon_rx": Out(cw), "wd_events": Out(cw), "wd_flag": Out(1),
            "fc_rx_overrun": Out(1),
            "hop_paused": Out(flows),        # paused by the next hop (flow lease, tenant, global), this cycle
            "rx_flow_lease": Out(flows), "rx_tenant_paused": Out(1), "rx_global_paused": Out(1),
        })

    # ------------------------------------------------------------------------------------------------------------
    def elaborate(self, platform):
        m = Module()
        F, C, CB = self.flows, self.cells, self.cell_beats
        cb_bits = exact_log2(CB)
        cell_shape = unsigned(exact_log2(C))
        cnt_shape = unsigned(bits_for(C))
        len_shape = unsigned(bits_for(self.max_pkt + BYTES_PER_BEAT))
        fb = self.flow_bits
        s, o = self.s_axis, self.m_axis

        # ---- memories -----------------------------------------------------------------------------------------
        m.submodules.data_ram = data_ram = Memory(shape=64, depth=C * CB, init=[])
        m.submodules.next_ram = next_ram = Memory(shape=cell_shape, depth=C, init=[])
        desc_layout = data.StructLayout({"last": cell_shape, "length": len_shape})
        m.submodules.desc_ram = desc_ram = Memory(shape=desc_layout, depth=C, init=[])
        m.submodules.fl_ram = fl_ram = Memory(shape=cell_shape, depth=C, init=[])
        chain_layout = data.StructLayout({"first": cell_shape, "n": unsigned(bits_for(self.max_pkt_cells))})
        m.submodules.rc_ram = rc_ram = Memory(shape=chain_layout, depth=C, init=[])
        m.submodules.act_ram = act_ram = Memory(shape=fb, depth=F, init=[])

        data_wp = data_ram.write_port()
        data_rp = data_ram.read_port()
        next_wp = next_ram.write_port()
        next_rp_e = next_ram.read_port(transparent_for=(next_wp,))    # egress: next cell of the packet on m_axis
        next_rp_w = next_ram.read_port(transparent_for=(next_wp,))    # reclaim walker
        next_rp_h = next_ram.read_port(transparent_for=(next_wp,))    # head update after a dequeue
        desc_wp = desc_ram.write_port()
        desc_rp = desc_ram.read_port(transparent_for=(desc_wp,))
        fl_wp = fl_ram.write_port()
        fl_rp = fl_ram.read_port(transparent_for=(fl_wp,))
        rc_wp = rc_ram.write_port()
        rc_rp = rc_ram.read_port(transparent_for=(rc_wp,))
        act_wp = act_ram.write_port()
        act_rp = act_ram.read_port(transparent_for=(act_wp,))

        # ---- configuration: per-flow words, profiles, the hardware clamps (spec §3, §4, §7) -------------------
        # The words are a RAM with asynchronous read ports, one per reader (admission, the two FC evaluations, the
        # two DRR candidates, the resume scanner, the configuration checker, the register read-back). Its contents
        # are not reset (configuration survives a soft reset, spec background §5.12; after ``rst`` too: software
        # rewrites the words it changed).
        m.submodules.flow_ram = flow_ram = Memory(shape=FLOW_WORD, depth=F, init=[FLOW_WORD_RESET] * F)
        flow_wp = flow_ram.write_port()
        m.d.comb += [flow_wp.addr.eq(self.flow_sel), flow_wp.data.eq(self.flow_wdata), flow_wp.en.eq(self.flow_we)]
        # admission's bits of the words as vectors (a bit select on tdest, not a RAM read): written with the word,
        # like it not reset
        f_enable = Signal(F, init=(1 << F) - 1 if FLOW_WORD_RESET["enable"] else 0, reset_less=True)
        f_lossless = Signal(F, init=(1 << F) - 1 if FLOW_WORD_RESET["lossless"] else 0, reset_less=True)
        with m.If(self.flow_we):
            m.d.sync += [f_enable.bit_select(self.flow_sel, 1).eq(self.flow_wdata.enable),
                         f_lossless.bit_select(self.flow_sel, 1).eq(self.flow_wdata.lossless)]

        def word_of(addr, name):
            """The word of ``addr`` in this cycle (an asynchronous read: only the DRR's two candidates still)."""
            port = flow_ram.read_port(domain="comb")
            m.d.comb += port.addr.eq(addr)
            w = Signal(FLOW_WORD, name=f"word_{name}")
            m.d.comb += w.eq(port.data)
            return w

        def thresholds(w, name):
            """(xoff, xon clamped to xoff - 1, cap, quantum clamped to MAX_PKT, cfg_err) of a flow word."""
            prof = {k: Array(getattr(p, k) for p in self.cfg_profiles)[w.profile]
                    for k in ("xoff", "xon", "cap", "quantum")}
            xoff, xon_raw, xon = Signal(THR_W, name=f"xoff_{name}"), Signal(THR_W), Signal(THR_W, name=f"xon_{name}")
            cap, q_raw, q = Signal(16, name=f"cap_{name}"), Signal(16), Signal(16, name=f"quantum_{name}")
            err = Signal(name=f"cfg_err_{name}")
            m.d.comb += [
                xoff.eq(Mux(w.xoff != 0, w.xoff, prof["xoff"])), xon_raw.eq(Mux(w.xon != 0, w.xon, prof["xon"])),
                xon.eq(Mux(xon_raw >= xoff, xoff - 1, xon_raw)),
                cap.eq(Mux(w.cap != 0, w.cap, prof["cap"])), q_raw.eq(Mux(w.quantum != 0, w.quantum, prof["quantum"])),
                q.eq(Mux(q_raw < self.max_pkt, self.max_pkt, q_raw)),
                err.eq((xon_raw >= xoff) | (xoff == 0) | (xoff > C)),
            ]
            return xoff, xon, cap, q, err

        def word_sync(addr, name):
            """The word of this cycle's ``addr`` (a write of this cycle included), in the next cycle."""
            port = flow_ram.read_port(transparent_for=(flow_wp,))
            m.d.comb += port.addr.eq(addr)
            w = Signal(FLOW_WORD, name=f"word_{name}")
            m.d.comb += w.eq(port.data)
            return w

        def thresholds_q(addr, name):
            """:func:`thresholds` of this cycle's ``addr``, registered: valid two cycles later."""
            thr = thresholds(word_sync(addr, name), name)
            out = [Signal.like(v, name=f"{v.name}_q") for v in thr]
            m.d.sync += [o_.eq(v) for o_, v in zip(out, thr)]
            return out

        # FLOW_*_RD: FLOW_SEL's word a cycle after the select (AXI4-Lite reads come later)
        m.d.comb += self.flow_rdata.eq(word_sync(self.flow_sel, "rd"))
        g_xon = Signal(THR_W)
        m.d.comb += g_xon.eq(Mux(self.cfg_g_xon >= self.cfg_g_xoff, self.cfg_g_xoff - 1, self.cfg_g_xon))
        # configuration checker: one flow per cycle, always running; CFG_ERR and the lowest offending flow are sticky
        # until a soft reset (found again within ``flows`` cycles if still wrong); it also collects the priorities
        # in use, so the scheduler knows when PFC pauses every flow at once
        chk = Signal(fb)
        m.d.sync += chk.eq(chk + 1)
        w_chk = word_sync(chk + 1, "chk")               # the word of ``chk`` (a registered read)
        chk_err = thresholds(w_chk, "chk")[4]
        chk_cap = thresholds_q(chk + 2, "chk2")[2]      # its CAP, registered (at_cap below)
        err_seen = Signal()
        err_flow = Signal(fb)
        with m.If(chk_err & (~err_seen | (chk < err_flow))):
            m.d.sync += [err_seen.eq(1), err_flow.eq(chk)]
        prio_acc = Signal(8)
        prio_used = Signal(8, init=1)          # priorities of the flows (all 0 after configuration)
        prio_bit = Signal(8)
        m.d.comb += prio_bit.eq(1 << w_chk.prio)
        with m.If(chk == F - 1):
            m.d.sync += [prio_used.eq(prio_acc | prio_bit), prio_acc.eq(0)]
        with m.Else():
            m.d.sync += prio_acc.eq(prio_acc | prio_bit)
        m.d.comb += [
            self.cfg_err.eq(err_seen | (self.cfg_g_xon >= self.cfg_g_xoff)),
            self.cfg_err_flow_valid.eq(err_seen), self.cfg_err_flow.eq(err_flow),
            self.guard_unsafe.eq(self.cfg_guard_en & (self.cfg_g_xoff + self.cfg_h > C)),
        ]

        # ---- per-flow state ------------------------------------------------------------------------------------
        def farray(shape, name):
            return Array(Signal(shape, name=f"{name}{i}") for i in range(F))
        # occupancy >= CAP per flow, as of the start of the cycle (admission; kept by the occupancy readers below)
        at_cap = Signal(F)
        pkts = farray(cnt_shape, "pkts")
        head = farray(cell_shape, "head")
        tail = farray(cell_shape, "tail")
        hlen = farray(len_shape, "hlen")
        hlast = farray(cell_shape, "hlast")
        deficit = farray(16, "deficit")
        in_list = farray(1, "in_list")
        parked = farray(1, "parked")
        fc_paused = farray(1, "fc_paused")
        m.d.comb += self.flow_paused_tx.eq(Cat(*fc_paused))

        # ---- free list and initialisation (background §5.12) ---------------------------------------------------
        init_ctr = Signal(range(C + 1))
        init_done = Signal()
        fl_rd, fl_wr = Signal(cell_shape), Signal(cell_shape)
        free_cnt = Signal(cnt_shape)
        fl_pop = Signal()
        fl_push = Signal()
        fl_push_cell = Signal(cell_shape)
        m.d.comb += [
            fl_rp.addr.eq(fl_rd + fl_pop),
            fl_wp.addr.eq(fl_wr), fl_wp.data.eq(fl_push_cell), fl_wp.en.eq(fl_push),
            init_done.eq(init_ctr == C),
            self.init_done.eq(init_done), self.free_cells.eq(free_cnt),
        ]
        free_nx = Signal(cnt_shape)
        free_low = Signal(init=1)          # free_cnt < ceil(MAX_PKT / cell): admission's nobuf, registered
        m.d.comb += free_nx.eq(free_cnt + fl_push - fl_pop)
        m.d.sync += [fl_rd.eq(fl_rd + fl_pop), fl_wr.eq(fl_wr + fl_push), free_cnt.eq(free_nx),
                     free_low.eq(free_nx < self.max_pkt_cells)]
        with m.If(~init_done):
            m.d.comb += [fl_push.eq(1), fl_push_cell.eq(init_ctr)]
            m.d.sync += init_ctr.eq(init_ctr + 1)

        used = Signal(cnt_shape)
        m.d.comb += self.used_cells.eq(used)

        # ---- ingress ---------------------------------------------------------------------------------------------
        in_busy = Signal()                 # inside a frame (after its first beat)
        in_flow = Signal(fb)
        in_reason = Signal(range(len(DROP_REASONS) + 1))   # 0 accepted, else 1 + index in DROP_REASONS
        in_nbytes = Signal(range(65536))
        in_bic = Signal(cb_bits)           # beat index inside the current cell
        in_cell = Signal(cell_shape)
        in_first = Signal(cell_shape)
        in_ncells = Signal(range(self.max_pkt_cells + 1))
        in_over = Signal()                 # storage stopped (oversize or unpacked beat) ...
        in_unp = Signal()                  # ... by an unpacked beat
        in_ok = Signal()                   # ... and its tdest is a flow of the table (per-flow drop statistics)

        beat = s.valid & s.ready
        first = ~in_busy
        dest = s.payload.dest
        dest_ok = dest < F if self.dest_width > fb else Const(1)
        f_in = Mux(first, dest[:fb], in_flow)
        f_ok = Mux(first, dest_ok, in_ok)
        nb = Signal(4)
        m.d.comb += [s.ready.eq(init_done), nb.eq(sum(s.payload.keep[i] for i in range(8)))]
        reason_new = Signal.like(in_reason)
        dest_at_cap = at_cap.bit_select(dest[:fb], 1)
        with m.If(~dest_ok | ~f_enable.bit_select(dest[:fb], 1)):
            m.d.comb += reason_new.eq(1)
        with m.Elif(free_low):
            m.d.comb += reason_new.eq(2)
        with m.Elif(~f_lossless.bit_select(dest[:fb], 1) & dest_at_cap):
            m.d.comb += reason_new.eq(3)
        reason = Mux(first, reason_new, in_reason)
        nbytes = Signal.like(in_nbytes)
        m.d.comb += nbytes.eq(Mux(first, 0, in_nbytes) + nb)
        ncells = Mux(first, 0, in_ncells)
        over_prev = ~first & in_over
        over_now = Signal()
        # an unpacked beat (docs/flowctl.md "Bad input"): fewer than 8 bytes before tlast, or a tlast beat whose
        # tkeep is empty or not contiguous from byte 0. Admission reserves cells per byte and cells are allocated
        # per beat, so the frame stops being stored there, like an oversize frame, and is dropped as bad.
        keep = s.payload.keep
        unpacked = Signal()
        m.d.comb += unpacked.eq(Mux(s.payload.last, (keep & (keep + 1)).any() | (keep == 0), keep != 0xFF))
        too_long = nbytes > self.max_pkt
        m.d.comb += over_now.eq(beat & (reason == 0) & ~over_prev & (too_long | unpacked))
        unp_kind = Mux(over_prev, in_unp, ~too_long)
        store = Signal()
        alloc = Signal()
        bic = Mux(first, 0, in_bic)
        m.d.comb += [store.eq(beat & (reason == 0) & ~over_prev & ~over_now),
                     alloc.eq(store & (bic == 0)), fl_pop.eq(alloc)]
        m.d.comb += [self.fl_pop.eq(fl_pop), self.fl_pop_cell.eq(fl_rp.data), self.fl_push.eq(fl_push),
                     self.fl_push_cell.eq(fl_push_cell)]
        cell = Mux(alloc, fl_rp.data, in_cell)
        m.d.comb += [data_wp.addr.eq(Cat(bic, cell)), data_wp.data.eq(s.payload.data), data_wp.en.eq(store)]
        link_in = alloc & (ncells != 0)

        # reclaim requests: the oversize beat, or a bad frame at its last beat
        rc_req = Signal()
        rc_first = Signal(cell_shape)
        rc_n = Signal.like(in_ncells)
        commit = Signal()
        drop_reason = Signal(range(len(DROP_REASONS) + 1))   # counted at tlast
        bad_kind = Signal(3)    # 1 tuser, 2 oversize, 3 runt, 4 unpacked
        last = beat & s.payload.last
        with m.If(over_now & (ncells != 0)):
            m.d.comb += [rc_req.eq(1), rc_first.eq(in_first), rc_n.eq(ncells)]
        with m.If(last):
            with m.If(reason != 0):
                m.d.comb += drop_reason.eq(reason)
            with m.Elif(over_prev | over_now):
                m.d.comb += [drop_reason.eq(4), bad_kind.eq(Mux(unp_kind, 4, 2))]
            with m.Elif(s.payload.user[0] | (nbytes < MIN_PKT)):
                m.d.comb += [drop_reason.eq(4), bad_kind.eq(Mux(s.payload.user[0], 1, 3)),
                             rc_req.eq(1), rc_first.eq(Mux(ncells == 0, cell, in_first)), rc_n.eq(ncells + alloc)]
            with m.Else():
                m.d.comb += commit.eq(1)
        with m.If(beat):
            m.d.sync += [in_busy.eq(~s.payload.last), in_flow.eq(f_in), in_ok.eq(f_ok), in_reason.eq(reason),
                         in_nbytes.eq(nbytes), in_over.eq(over_prev | over_now), in_unp.eq(unp_kind)]
            with m.If(store):
                m.d.sync += [in_bic.eq(bic + 1), in_cell.eq(cell)]
                with m.If(alloc):
                    m.d.sync += in_ncells.eq(ncells + 1)
                    with m.If(ncells == 0):
                        m.d.sync += in_first.eq(cell)
            with m.Elif(first):
                m.d.sync += [in_bic.eq(0), in_ncells.eq(0)]
        # descriptor at the first cell when the packet commits
        m.d.comb += [desc_wp.addr.eq(Mux(ncells == 0, cell, in_first)), desc_wp.data.last.eq(cell),
                     desc_wp.data.length.eq(nbytes), desc_wp.en.eq(commit)]

        # counters of the ingress
        drops = self.drops
        dbytes = self.drop_bytes
        for i in range(len(DROP_REASONS)):
            with m.If(drop_reason == i + 1):
                m.d.sync += [drops[i].eq(drops[i] + 1), dbytes[i].eq(dbytes[i] + nbytes)]
        for kind, ctr in ((1, self.bad_tuser), (2, self.bad_oversize), (3, self.bad_runt), (4, self.bad_unpacked)):
            with m.If(drop_reason.any() & (bad_kind == kind)):
                m.d.sync += ctr.eq(ctr + 1)
        with m.If(commit):
            m.d.sync += [self.enq_pkts.eq(self.enq_pkts + 1), self.enq_bytes.eq(self.enq_bytes + nbytes)]
        cap_ev = beat & first & (reason_new == 0) & dest_at_cap
        with m.If(cap_ev):
            m.d.sync += self.cap_exceeded.eq(self.cap_exceeded + 1)

        # ---- reclaim queue and walker (one cell per cycle when the egress frees none) --------------------------
        # The walker works on one chain {cell, cells left}; its source is the chain in progress, else the queue
        # head, else the chain dropped in this very cycle (bypass), so a dropped cell can return in its drop cycle
        # like the golden model's reclaim queue. A pushed cell's successor is read from ``next`` in the same cycle
        # and used in the next one (``w_rd``).
        rc_wr, rc_rd = Signal(exact_log2(C) + 1), Signal(exact_log2(C) + 1)
        rc_pop = Signal()
        rc_write = Signal()
        m.d.comb += [rc_wp.addr.eq(rc_wr[:-1]), rc_wp.data.first.eq(rc_first), rc_wp.data.n.eq(rc_n),
                     rc_wp.en.eq(rc_write),
                     rc_rp.addr.eq((rc_rd + rc_pop)[:-1])]
        m.d.sync += [rc_wr.eq(rc_wr + rc_write), rc_rd.eq(rc_rd + rc_pop)]
        w_cell = Signal(cell_shape)
        w_rd = Signal()
        w_left = Signal.like(in_ncells)
        w_push = Signal()
        e_free = Signal()                  # the egress frees a cell this cycle (push port taken)
        e_free_cell = Signal(cell_shape)
        src_v = Signal()
        src_cell = Signal(cell_shape)
        src_n = Signal.like(in_ncells)
        rc_empty = rc_rd == rc_wr
        with m.If(w_left != 0):
            m.d.comb += [src_v.eq(1), src_cell.eq(Mux(w_rd, next_rp_w.data, w_cell)), src_n.eq(w_left)]
            m.d.comb += rc_write.eq(rc_req)
        with m.Elif(~rc_empty):
            m.d.comb += [src_v.eq(1), src_cell.eq(rc_rp.data.first), src_n.eq(rc_rp.data.n), rc_pop.eq(1)]
            m.d.comb += rc_write.eq(rc_req)
        with m.Elif(rc_req):
            m.d.comb += [src_v.eq(1), src_cell.eq(rc_first), src_n.eq(rc_n)]
        m.d.comb += [w_push.eq(src_v & ~e_free & init_done), next_rp_w.addr.eq(src_cell)]
        with m.If(w_push):
            m.d.sync += [w_rd.eq(1), w_left.eq(src_n - 1)]
        with m.Elif(src_v):
            m.d.sync += [w_rd.eq(0), w_cell.eq(src_cell), w_left.eq(src_n)]
        with m.If(init_done):
            with m.If(e_free):
                m.d.comb += [fl_push.eq(1), fl_push_cell.eq(e_free_cell)]
            with m.Elif(w_push):
                m.d.comb += [fl_push.eq(1), fl_push_cell.eq(src_cell)]

        # ---- commit into the flow queue (one cycle after tlast) -------------------------------------------------
        c_valid = Signal()
        c_flow = Signal(fb)
        c_first, c_last = Signal(cell_shape), Signal(cell_shape)
        c_len = Signal(len_shape)
        m.d.sync += [c_valid.eq(commit), c_flow.eq(f_in), c_first.eq(Mux(ncells == 0, cell, in_first)),
                     c_last.eq(cell), c_len.eq(nbytes)]

        # ---- DRR (spec §7) --------------------------------------------------------------------------------------
        # The FIFO of active flows is read two deep (head and second), so that "rotate the head, whose deficit is
        # short, then select the fresh second flow" is one cycle like the background's loop; a rotation and a commit
        # may both push in that cycle (the rotation first: it belongs to this cycle's decision, the commit to the
        # next cycle's), hence two write ports.
        act_wr, act_rd = Signal(fb + 1), Signal(fb + 1)
        # pushes of one cycle, in FIFO order: the scanner's resume (background loop order: before the decision),
        # the rotation of this cycle's decision, the commit (which belongs to the next cycle's decision)
        res_push, rot_push, com_push = Signal(), Signal(), Signal()
        res_flow, rot_flow, com_flow = Signal(fb), Signal(fb), Signal(fb)
        act_pop = Signal(2)
        act_flush = Signal()               # every listed flow is parked at once (all flows share one PFC class)
        act_wps = [act_wp, act_ram.write_port(), act_ram.write_port()]
        act_rp1 = act_ram.read_port(transparent_for=tuple(act_wps))
        pushes = [(res_push, res_flow), (rot_push, rot_flow), (com_push, com_flow)]
        for k, wp in enumerate(act_wps):           # write port k carries the k-th push of this cycle
            m.d.comb += wp.addr.eq((act_wr + k)[:-1])
        m.d.comb += [act_wps[0].en.eq(res_push | rot_push | com_push),
                     act_wps[0].data.eq(Mux(res_push, res_flow, Mux(rot_push, rot_flow, com_flow))),
                     act_wps[1].en.eq((res_push & (rot_push | com_push)) | (rot_push & com_push)),
                     act_wps[1].data.eq(Mux(res_push & rot_push, rot_flow, com_flow)),
                     act_wps[2].en.eq(res_push & rot_push & com_push), act_wps[2].data.eq(com_flow)]
        n_push = Signal(2)
        m.d.comb += n_push.eq(res_push + rot_push + com_push)
        rd_next = Signal(fb + 1)
        m.d.comb += [rd_next.eq(Mux(act_flush, act_wr, act_rd + act_pop)),
                     act_rp.addr.eq(rd_next[:-1]), act_rp1.addr.eq((rd_next + 1)[:-1])]
        m.d.sync += [act_wr.eq(act_wr + n_push), act_rd.eq(rd_next)]
        act_count = Signal(fb + 1)
        m.d.comb += act_count.eq(act_wr - act_rd + res_push)
        fresh = Signal(init=1)
        want = Signal()                    # a decision is wanted this cycle
        hu_busy = Signal(2)                # head-update pipeline after a dequeue
        sel_valid = Signal()
        sel_wait = Signal()
        sel_flow = Signal(fb)
        sel_first = Signal(cell_shape)
        sel_len = Signal(len_shape)
        dq = Signal()                      # dequeue (selection) this cycle
        dq_pop = Signal()                  # ... that empties the flow
        sf = Signal(fb)                    # the selected flow
        d_sel = Signal(17)                 # its deficit including this round's quantum
        # eligibility (the golden model's paused_by_next_hop): the flow's lease (unless the watchdog ignores it),
        # tenant 0 (every flow belongs to it in this RTL), the global pause, pfc_paused[prio]. When everything is
        # blocked at once (tenant, global, or PFC on every priority in use) the active list is flushed in one cycle
        m.submodules.mfc_rx = rx = MfcRx(flows=F)
        all_blocked = ((self.pfc_paused | ~prio_used) == 0xFF) | rx.tenant_paused | rx.global_paused
        hop = rx.hop_paused

        def elig(fl, w):
            return ~self.pfc_paused.bit_select(w.prio, 1) & ~hop.bit_select(fl, 1)
        # expiry / resume scanner: flow (t mod flows) each cycle; a parked flow that may send again is re-inserted,
        # visible to this cycle's decision through the bypass below
        scan = Signal(fb)
        with m.If(init_done):
            m.d.sync += scan.eq(scan + 1)
        res = Signal()
        w_scan = word_sync(Mux(init_done, scan + 1, scan), "scan")      # the word of ``scan`` (registered read)
        m.d.comb += [res.eq(init_done & parked[scan] & elig(scan, w_scan)),
                     res_push.eq(res & (pkts[scan] != 0)),
                     res_flow.eq(scan)]
        with m.If(res):
            put(m, parked, scan, 0)
            with m.If(res_push):
                put(m, in_list, scan, 1)
        raw = act_wr - act_rd
        f0 = Mux(res_push & (raw == 0), scan, act_rp.data)
        f1 = Mux(res_push & (raw == 1), scan, act_rp1.data)
        w_f0, w_f1 = word_of(f0, "f0"), word_of(f1, "f1")
        quantum0, quantum1 = thresholds(w_f0, "f0")[3], thresholds(w_f1, "f1")[3]
        d0 = Signal(17)
        m.d.comb += d0.eq(deficit[f0] + Mux(fresh, quantum0, 0))
        rot = Signal()                     # the head is rotated (pushed back to the tail with its deficit)
        want_more = Signal()               # a decision cycle that only parked / rotated: decide again next cycle
        with m.If(want & (act_count != 0) & (hu_busy == 0)):
            with m.If(all_blocked):
                m.d.comb += act_flush.eq(1)
                m.d.sync += fresh.eq(1)
                for i in range(F):
                    with m.If(in_list[i]):
                        m.d.sync += [in_list[i].eq(0), parked[i].eq(1)]
            with m.Elif(~elig(f0, w_f0)):
                # a flow paused by its own lease: parked, one per cycle (the golden model's loop parks any number
                # in its decision cycle: docs/flowctl.md "RTL", the m_axis timing differs here)
                m.d.comb += [act_pop.eq(1), want_more.eq(1)]
                m.d.sync += fresh.eq(1)
                put(m, in_list, f0, 0)
                put(m, parked, f0, 1)
            with m.Elif(hlen[f0] <= d0):
                m.d.comb += [dq.eq(1), sf.eq(f0), d_sel.eq(d0)]
            with m.Elif(act_count == 1):
                # the only active flow is short: the loop rotates it onto itself and gives it a new quantum
                m.d.comb += [dq.eq(1), sf.eq(f0), d_sel.eq(d0 + quantum0)]
            with m.Elif(~elig(f1, w_f1)):
                # rotate only; the paused second flow is parked in the next cycle
                m.d.comb += [rot.eq(1), act_pop.eq(1), want_more.eq(1)]
                m.d.sync += fresh.eq(1)
            with m.Else():
                # rotate the head and select the second flow, fresh (quantum >= MAX_PKT: it always fits)
                m.d.comb += [rot.eq(1), act_pop.eq(1), dq.eq(1), sf.eq(f1), d_sel.eq(deficit[f1] + quantum1)]
        d_left = Signal(16)                # the selected flow's deficit after its packet
        m.d.comb += d_left.eq(d_sel - hlen[sf])
        with m.If(dq):
            m.d.sync += [sel_valid.eq(1), sel_wait.eq(1), sel_flow.eq(sf), sel_first.eq(head[sf]),
                         sel_len.eq(hlen[sf])]
            with m.If(pkts[sf] == 1):
                m.d.comb += [act_pop.eq(rot + 1), dq_pop.eq(1)]
                m.d.sync += fresh.eq(1)
                put(m, in_list, sf, 0)
                put(m, deficit, sf, 0)
            with m.Else():
                m.d.sync += [fresh.eq(0), hu_busy.eq(1)]
                put(m, deficit, sf, d_left)

        # head update after a dequeue that leaves packets: t reads next[last cell] (the new head), t+1 its descriptor,
        # t+2 writes head / length / last cell; no decision is taken meanwhile (the next one is due at t+3 at the
        # earliest anyway, when the selected packet's first beat leaves)
        hu_flow = Signal(fb)
        hu_head = Signal(cell_shape)
        m.d.comb += [next_rp_h.addr.eq(hlast[sf]), desc_rp.addr.eq(next_rp_h.data)]
        with m.If(dq & (pkts[sf] != 1)):
            m.d.sync += hu_flow.eq(sf)
        with m.If(hu_busy == 1):
            m.d.sync += [hu_busy.eq(2), hu_head.eq(next_rp_h.data)]
        with m.Elif(hu_busy == 2):
            m.d.sync += hu_busy.eq(0)
            put(m, head, hu_flow, hu_head)
            put(m, hlen, hu_flow, desc_rp.data.length)
            put(m, hlast, hu_flow, desc_rp.data.last)

        # commit: pkts / head / tail / DRR activation, merged with a dequeue of the same flow
        for i in range(F):
            inc = c_valid & (c_flow == i)
            dec = dq & (sf == i)
            with m.If(inc | dec):
                m.d.sync += pkts[i].eq(pkts[i] + inc - dec)
        c_empty = Signal()
        m.d.comb += c_empty.eq((pkts[c_flow] - (dq & (sf == c_flow))) == 0)
        link_c = Signal()
        with m.If(c_valid):
            put(m, tail, c_flow, c_last)
            with m.If(c_empty):
                put(m, head, c_flow, c_first)
                put(m, hlen, c_flow, c_len)
                put(m, hlast, c_flow, c_last)
                listed = (in_list[c_flow] & ~(dq_pop & (sf == c_flow))) | (res_push & (scan == c_flow))
                parked_now = parked[c_flow] & ~(res & (scan == c_flow))
                with m.If(~listed & ~parked_now):
                    m.d.comb += [com_push.eq(1), com_flow.eq(c_flow)]
                    put(m, in_list, c_flow, 1)
            with m.Else():
                m.d.comb += link_c.eq(1)
        # resume of parked flows (PFC released): re-insert the lowest parked flow, one per cycle (background §5.9)
        m.d.comb += [rot_push.eq(rot), rot_flow.eq(f0)]
        # the next RAM's one write port: the commit link, or the ingress link (never in the same cycle: the cycle
        # after tlast carries at most the first beat of the next frame, which links nothing)
        with m.If(link_c):
            m.d.comb += [next_wp.addr.eq(tail[c_flow]), next_wp.data.eq(c_first), next_wp.en.eq(1)]
        with m.Elif(link_in):
            m.d.comb += [next_wp.addr.eq(in_cell), next_wp.data.eq(cell), next_wp.en.eq(1)]

        # ---- egress ------------------------------------------------------------------------------------------------
        is_active = Signal()
        is_flow = Signal(fb)
        is_cell = Signal(cell_shape)
        is_bic = Signal(cb_bits)
        is_left = Signal(len_shape)
        o_valid, o_last, o_free, o_first = Signal(), Signal(), Signal(), Signal()
        o_keep = Signal(8)
        o_flow = Signal(fb)
        o_cell = Signal(cell_shape)
        o_len = Signal(len_shape)
        advance = ~o_valid | o.ready
        take = advance & ~is_active & sel_valid & ~sel_wait
        with m.If(sel_wait):
            m.d.sync += sel_wait.eq(0)
        src_cell = Mux(take, sel_first, is_cell)
        src_bic = Mux(take, 0, is_bic)
        src_left = Mux(take, sel_len, is_left)
        src_flow = Mux(take, sel_flow, is_flow)
        issue = advance & (is_active | take)
        m.d.comb += [data_rp.addr.eq(Cat(src_bic, src_cell)), data_rp.en.eq(advance),
                     next_rp_e.addr.eq(src_cell)]
        keep_tab = Array(Const((1 << k) - 1, 8) for k in range(9))
        b_last = src_left <= BYTES_PER_BEAT
        with m.If(advance):
            m.d.sync += o_valid.eq(issue)
        with m.If(issue):
            m.d.sync += [o_last.eq(b_last), o_free.eq(b_last | (src_bic == CB - 1)), o_first.eq(take),
                         o_keep.eq(Mux(b_last, keep_tab[src_left[:4]], 0xFF)), o_flow.eq(src_flow),
                         o_cell.eq(src_cell),
                         is_active.eq(~b_last), is_flow.eq(src_flow), is_bic.eq(src_bic + 1),
                         is_left.eq(src_left - BYTES_PER_BEAT),
                         is_cell.eq(Mux(src_bic == CB - 1, next_rp_e.data, src_cell))]
        with m.If(take):
            m.d.sync += [sel_valid.eq(0), o_len.eq(sel_len)]
        m.d.comb += [o.valid.eq(o_valid), o.payload.data.eq(data_rp.data), o.payload.keep.eq(o_keep),
                     o.payload.last.eq(o_last), o.payload.user.eq(0), o.payload.dest.eq(o_flow)]
        xfer = o_valid & o.ready
        m.d.comb += [e_free.eq(xfer & o_free), e_free_cell.eq(o_cell)]
        with m.If(xfer & o_last):
            m.d.sync += [self.deq_pkts.eq(self.deq_pkts + 1)]
        with m.If(xfer & o_first):
            m.d.sync += [self.deq_bytes.eq(self.deq_bytes + o_len)]
        # decision trigger: the first beat of the current packet leaves, or the egress is idle
        idle = ~is_active & (~o_valid | (xfer & o_last))
        want_again = Signal()
        m.d.sync += want_again.eq(want_more)
        m.d.comb += want.eq(~sel_valid & ((xfer & o_first) | idle | want_again) & init_done)

        # ---- occupancy per flow: committed / freed counter RAMs, no per-flow registers or adders ----------------
        # occupancy(f) = committed(f) - freed(f) + the cells of f's frame in progress, mod 2^w. The ingress writes
        # ``committed`` at tlast, the egress ``freed`` at every free. Each reader has its own read ports, addressed a
        # cycle before it needs the value (its flow is known then) and transparent for the write port, so their data is
        # the state at the start of the cycle; the cycle's own changes of that flow are added here. After ``rst`` the
        # initialisation clears the first ``flows`` words of both (flows <= cells).
        m.submodules.ctd_ram = ctd_ram = Memory(shape=cnt_shape, depth=F, init=[])
        m.submodules.frd_ram = frd_ram = Memory(shape=cnt_shape, depth=F, init=[])
        ctd_wp, frd_wp = ctd_ram.write_port(), frd_ram.write_port()
        in_pend = in_busy & (in_reason == 0) & ~in_over     # the frame in progress holds ``in_ncells`` cells

        def occ_reader(name, addr):
            """(flow, committed, freed, occupancy at the start of this cycle, after this cycle's changes) of ``addr``
            as it was in the previous cycle."""
            cp = ctd_ram.read_port(transparent_for=(ctd_wp,))
            fp = frd_ram.read_port(transparent_for=(frd_wp,))
            fq = Signal(fb, name=f"occ_{name}_flow")
            m.d.comb += [cp.addr.eq(addr), fp.addr.eq(addr)]
            m.d.sync += fq.eq(addr)
            start, after = Signal(cnt_shape, name=f"occ_{name}"), Signal(cnt_shape, name=f"occ_{name}_nx")
            m.d.comb += [
                start.eq(cp.data - fp.data + Mux(in_pend & (in_flow == fq), in_ncells, 0)),
                after.eq(start + (alloc & (f_in == fq)) - Mux(rc_req & (f_in == fq), rc_n, 0)
                         - (e_free & (o_flow == fq))),
            ]
            return fq, cp.data, fp.data, start, after

        # the ingress's flow (its commit, the high-water mark, at_cap), the egress's (its frees, at_cap), the two FC
        # evaluations, the statistics window and the configuration checker (at_cap after a CAP change)
        in_fq, in_ctd, _, in_occ, in_occ_nx = occ_reader("in", f_in)
        eg_fq, _, eg_frd, _, eg_occ_nx = occ_reader("eg", Mux(advance, src_flow, o_flow))
        _, _, _, _, chk_occ_nx = occ_reader("chk", chk + 1)            # its flow is ``chk``
        with m.If(~init_done):
            m.d.comb += [ctd_wp.addr.eq(init_ctr), ctd_wp.data.eq(0), ctd_wp.en.eq(init_ctr < F),
                         frd_wp.addr.eq(init_ctr), frd_wp.data.eq(0), frd_wp.en.eq(init_ctr < F)]
        with m.Else():
            # a committed frame has at least 8 beats, so ``in_fq`` is its flow at tlast; ``eg_fq`` is ``o_flow``
            # whenever a beat is transferred
            m.d.comb += [ctd_wp.addr.eq(f_in), ctd_wp.data.eq(in_ctd + ncells + alloc), ctd_wp.en.eq(commit),
                         frd_wp.addr.eq(o_flow), frd_wp.data.eq(eg_frd + 1), frd_wp.en.eq(e_free)]
        # FC notification pipes (L_NOTIFY = 2): the ingress's and the egress's flow of two cycles ago
        ni = [Signal(name=f"ni_v{k}") for k in range(2)]
        nif = [Signal(fb, name=f"ni_f{k}") for k in range(2)]
        ne = [Signal(name=f"ne_v{k}") for k in range(2)]
        nef = [Signal(fb, name=f"ne_f{k}") for k in range(2)]
        m.d.sync += [ni[0].eq(alloc | rc_req), nif[0].eq(f_in), ni[1].eq(ni[0]), nif[1].eq(nif[0]),
                     ne[0].eq(e_free), nef[0].eq(o_flow), ne[1].eq(ne[0]), nef[1].eq(nef[0])]
        # the thresholds of the notified flows (FC evaluations below) are those of f_in / o_flow two cycles ago: the
        # ingress and egress writers use their CAP when their flow has not changed since (a flow's occupancy only
        # changes two or more cycles after its ingress frame or egress packet began: the first beat's allocation
        # counts a cycle later, see above, and a packet's first free comes at its 4th beat at the earliest)
        ev_thr = [thresholds_q(f_in, "ev0"), thresholds_q(o_flow, "ev1")]
        # at_cap: each of these readers rewrites its flow's bit with the exact value (equal when two readers have the
        # same flow); during the initialisation every occupancy is 0 and the checker visits every flow (cells >=
        # flows cycles)
        writers = [(init_done & (in_fq == nif[1]), in_fq, in_occ_nx >= ev_thr[0][2]),
                   (init_done & (eg_fq == nef[1]), eg_fq, eg_occ_nx >= ev_thr[1][2]),
                   (Const(1), chk, Mux(init_done, chk_occ_nx, 0) >= chk_cap)]
        for i in range(F):
            for en, fl, val in reversed(writers):
                with m.If(en & (fl == i)):
                    m.d.sync += at_cap[i].eq(val)
        rc_flow_n = Signal.like(in_ncells)
        m.d.comb += rc_flow_n.eq(Mux(rc_req, rc_n, 0))
        used_next = Signal(cnt_shape)
        m.d.comb += used_next.eq(used + alloc - rc_flow_n - e_free)
        m.d.sync += used.eq(used_next)
        used_alloc = Signal(cnt_shape)     # the total right after an allocation (the golden model's sample point)
        m.d.comb += used_alloc.eq(used - e_free + 1)
        with m.If(alloc & (used_alloc > self.max_used_cells)):
            m.d.sync += self.max_used_cells.eq(used_alloc)
        min_free = Signal(cnt_shape, init=C)
        m.d.comb += self.min_free_cells.eq(min_free)
        with m.If(alloc & (free_cnt - 1 < min_free)):
            m.d.sync += min_free.eq(free_cnt - 1)

        # ---- FC controller: notifications L_NOTIFY = 2 cycles after the change (spec §4) ------------------------
        n_xoff, n_xon = Signal(2), Signal(2)
        ev_occ = [occ_reader(f"ev{k}", a)[4] for k, a in enumerate((nif[0], nef[0]))]   # flows nif[1] / nef[1]
        for k, (v, fl) in enumerate(((ni[1], nif[1]), (ne[1], nef[1]))):
            other_same = (k == 1) & ni[1] & (nif[1] == fl)    # the same flow twice in a cycle: evaluate once
            xoff, xon = ev_thr[k][:2]
            with m.If(v & ~other_same):
                with m.If(~fc_paused[fl] & (ev_occ[k] >= xoff)):
                    put(m, fc_paused, fl, 1)
                    m.d.comb += n_xoff[k].eq(1)
                # XOFF = 0: paused at the first notification, never resumed (flagged by cfg_err; golden admission.py)
                with m.Elif(fc_paused[fl] & (ev_occ[k] <= xon) & (xoff != 0)):
                    put(m, fc_paused, fl, 0)
                    m.d.comb += n_xon[k].eq(1)
        m.d.sync += [self.xoff_tx.eq(self.xoff_tx + n_xoff[0] + n_xoff[1]),
                     self.xon_tx.eq(self.xon_tx + n_xon[0] + n_xon[1])]
        gp = self.global_paused
        g_set, g_clr = Signal(), Signal()
        with m.If((ni[1] | ne[1]) & self.cfg_guard_en):
            with m.If(~gp & (used_next >= self.cfg_g_xoff)):
                m.d.comb += g_set.eq(1)
                m.d.sync += [gp.eq(1), self.global_xoff_tx.eq(self.global_xoff_tx + 1)]
            with m.Elif(gp & (used_next <= g_xon) & (self.cfg_g_xoff != 0)):    # G_XOFF = 0: never released
                m.d.comb += g_clr.eq(1)
                m.d.sync += gp.eq(0)
        m.d.comb += self.pfc_req.eq(Mux(self.cfg_pfc_mirror_en & gp, 0xFF, 0))

        # ---- MFC generator (m_fc): the FC controller's decisions of this cycle ---------------------------------
        m.submodules.mfc_tx = tx = MfcTx(flows=F)
        post_v = [n_xoff[k] | n_xon[k] for k in range(2)]
        m.d.comb += [
            tx.init_done.eq(init_done),
            tx.post_v.eq(Cat(*post_v)), tx.post_x.eq(n_xoff), tx.post_f0.eq(nif[1]), tx.post_f1.eq(nef[1]),
            tx.gpost_v.eq(g_set | g_clr), tx.gpost_x.eq(g_set), tx.gp_next.eq((gp | g_set) & ~g_clr),
            tx.paused_next.eq(Cat(*[fc_paused[i] ^ ((post_v[0] & (nif[1] == i)) | (post_v[1] & (nef[1] == i)))
                                    for i in range(F)])),
            tx.cfg_en.eq(self.cfg_fc_tx_en), tx.cfg_snap_en.eq(self.cfg_snap_en),
            tx.cfg_snap_idle.eq(self.cfg_snap_idle), tx.cfg_snap_trail.eq(self.cfg_snap_trail),
            tx.cfg_t_snap.eq(self.cfg_t_snap), tx.cfg_lease.eq(self.cfg_pause_time),
            tx.cfg_time_exp.eq(self.cfg_time_exp), tx.cfg_coal_xoff.eq(self.cfg_coal_xoff),
            tx.cfg_coal_xon.eq(self.cfg_coal_xon), tx.cfg_da.eq(self.cfg_fc_da), tx.cfg_sa.eq(self.cfg_fc_sa),
            tx.cfg_etype.eq(self.cfg_fc_etype),
            self.mfc_tx_delta.eq(tx.frames_delta), self.mfc_tx_snapshot.eq(tx.frames_snapshot),
            self.mfc_tx_entries.eq(tx.entries), self.mfc_tx_xoff_entries.eq(tx.xoff_entries),
            self.mfc_tx_xon_entries.eq(tx.xon_entries),
        ]
        wiring.connect(m, tx.m_fc, wiring.flipped(self.m_fc))

        # ---- MFC parser / reaction (s_fc) -----------------------------------------------------------------------
        wiring.connect(m, wiring.flipped(self.s_fc), rx.s_fc)
        m.d.comb += [
            rx.init_done.eq(init_done), rx.scan.eq(scan),
            rx.cfg_en.eq(self.cfg_fc_rx_en), rx.cfg_etype.eq(self.cfg_fc_etype),
            rx.cfg_default_lease.eq(self.cfg_pause_time), rx.cfg_wd_cycles.eq(self.cfg_wd_cycles),
            rx.cfg_wd_action.eq(self.cfg_wd_action), rx.cfg_wd_restore.eq(self.cfg_wd_restore),
            self.fc_rx_seq_gap.eq(rx.seq_gap), self.fc_rx_stale.eq(rx.stale), self.fc_rx_dup.eq(rx.dup),
            self.fc_rx_range.eq(rx.rx_range), self.xoff_rx.eq(rx.xoff_rx), self.xon_rx.eq(rx.xon_rx),
            self.wd_events.eq(rx.wd_events), self.wd_flag.eq(rx.wd_flag), self.fc_rx_overrun.eq(rx.ring_overrun),
            self.hop_paused.eq(rx.hop_paused), self.rx_global_paused.eq(rx.global_paused),
            self.rx_flow_lease.eq(rx.flow_lease), self.rx_tenant_paused.eq(rx.tenant_paused),
        ]
        for k, kind in enumerate(RX_FRAME_KINDS):
            m.d.comb += self.mfc_rx_frames[k].eq(rx.frame_count(kind))
        for k, reason in enumerate(RX_ERR_REASONS):
            m.d.comb += self.fc_rx_err[k].eq(rx.err_count(reason))

        # ---- per-flow statistics (spec §8): RAM counters with read-modify-write, a snapshot window ---------------
        cw = COUNTER_W
        pair = {"pkts": cw, "bytes": cw}
        rams = {"enq": StatRam(depth=F, fields=pair), "deq": StatRam(depth=F, fields=pair),
                "drop": StatRam(depth=F, fields=pair),
                # one per FC evaluation port (ingress, egress notifications): two decisions in one cycle
                "fc0": StatRam(depth=F, fields={"xoff": cw, "xon": cw}),
                "fc1": StatRam(depth=F, fields={"xoff": cw, "xon": cw}),
                "hwm": StatRam(depth=F, fields={"occ": cnt_shape.width}, op="max"),
                "rx": StatRam(depth=F, fields={"xoff": cw, "xon": cw}),
                "wd": StatRam(depth=F, fields={"events": cw}),
                "cap": StatRam(depth=F, fields={"exceeded": cw})}
        for name, ram in rams.items():
            m.submodules[f"st_{name}"] = ram
        hwm_v, hwm_rc = Signal(), Signal.like(rc_n)
        m.d.sync += [hwm_v.eq(alloc), hwm_rc.eq(Mux(rc_req, rc_n, 0))]
        events = {
            "enq": (commit, f_in, {"pkts": 1, "bytes": nbytes}),
            "deq": (xfer & o_last, o_flow, {"pkts": 1, "bytes": o_len}),
            "drop": ((drop_reason != 0) & f_ok, f_in, {"pkts": 1, "bytes": nbytes}),
            "fc0": (n_xoff[0] | n_xon[0], nif[1], {"xoff": n_xoff[0], "xon": n_xon[0]}),
            "fc1": (n_xoff[1] | n_xon[1], nef[1], {"xoff": n_xoff[1], "xon": n_xon[1]}),
            # the occupancy right after an allocation of cycle t (an egress free of the flow in t counts first, a
            # reclaim of the same frame later: the golden model's order), recorded in t+1 from the start of t+1
            "hwm": (hwm_v, in_fq, {"occ": in_occ + hwm_rc}),
            "rx": (rx.ev_entry, rx.ev_entry_flow, {"xoff": rx.ev_entry_xoff, "xon": ~rx.ev_entry_xoff}),
            "wd": (rx.ev_wd, scan, {"events": 1}),
            "cap": (cap_ev, dest[:fb], {"exceeded": 1}),
        }
        for name, (valid, flow, args) in events.items():
            ram = rams[name]
            m.d.comb += [ram.ev_valid.eq(valid & init_done), ram.ev_addr.eq(flow)]
            m.d.comb += [getattr(ram.ev_arg, k).eq(v) for k, v in args.items()]
        st_flow = self.st_flow             # the flow of the last request (FLOW_STAT_STATUS.FLOW)
        st_pend = Signal()
        got = Signal(len(rams))
        st_occ = occ_reader("st", st_flow)[3]
        # each StatRam holds its last read word in ``rd_data`` until the next read: no copy here
        held = {name: ram.rd_data for name, ram in rams.items()}
        for k, ram in enumerate(rams.values()):
            m.d.comb += [ram.rd_req.eq(st_pend & ~got[k]), ram.rd_addr.eq(st_flow)]
            with m.If(ram.rd_ack):
                m.d.sync += got[k].eq(1)
        d = self.st_data
        live = Signal(d.shape())           # only its live fields are used
        with m.If(self.st_req):
            m.d.sync += [st_flow.eq(self.st_sel), st_pend.eq(1), got.eq(0), self.st_valid.eq(0)]
        with m.Elif(st_pend & got.all()):
            m.d.sync += [st_pend.eq(0), self.st_valid.eq(1),
                         live.occ.eq(st_occ), live.paused_tx.eq(fc_paused[st_flow]),
                         live.paused_rx.eq(rx.flow_lease.bit_select(st_flow, 1)), live.parked.eq(parked[st_flow]),
                         live.in_list.eq(in_list[st_flow]), live.backlog.eq(pkts[st_flow])]
        m.d.comb += [d.occ.eq(live.occ), d.paused_tx.eq(live.paused_tx), d.paused_rx.eq(live.paused_rx),
                     d.parked.eq(live.parked), d.in_list.eq(live.in_list), d.backlog.eq(live.backlog),
                     d.hwm.eq(held["hwm"].occ), d.enq_pkts.eq(held["enq"].pkts), d.enq_bytes.eq(held["enq"].bytes),
                     d.deq_pkts.eq(held["deq"].pkts), d.deq_bytes.eq(held["deq"].bytes),
                     d.drop_pkts.eq(held["drop"].pkts), d.drop_bytes.eq(held["drop"].bytes),
                     d.xoff_tx.eq(held["fc0"].xoff + held["fc1"].xoff),
                     d.xon_tx.eq(held["fc0"].xon + held["fc1"].xon),
                     d.xoff_rx.eq(held["rx"].xoff), d.xon_rx.eq(held["rx"].xon), d.wd_events.eq(held["wd"].events),
                     d.cap_exceeded.eq(held["cap"].exceeded)]
        return m
