"""``din_flowctl``: the queue manager core (core.py) behind its AXI4-Lite register block (regs.py).

Ports (spec §1): ``s_axis`` / ``m_axis`` (64-bit, ``tdest`` = flow id), ``m_fc`` / ``s_fc`` (MFC frames), ``pfc_paused``
/ ``pfc_req``, ``s_axil``. ``m_fc`` carries the MFC generator's frames, ``s_fc`` feeds the reaction point
(rtl/flowctl/mfc.py); both are reset by a soft reset like the rest of the core (a frame in progress on ``m_fc`` is
abandoned, as in the golden model).

Soft reset (``CTRL.SOFT_RESET``, docs/flowctl.md decision 13): the core is reset in the cycle after the write (the
register's write strobe), counters clear, the configuration in the register block survives; if a packet was in
progress on ``m_axis`` it ends with one extra beat (8 zero bytes, ``tkeep`` 0xFF, ``tlast``, ``tuser[0]``) while the
free list refills. The domain reset ``rst`` resets everything, configuration included.
"""

from amaranth import Module, Mux, ResetInserter, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from din.rtl.common.axil import AXI4LiteSignature
from din.rtl.common.axil_regs import AXI4LiteRegisters
from din.rtl.common.layouts import BeatLayout

from .core import PROFILES, FlowCtlCore, validate_params
from .regs import COUNTERS, D_REACT_CYCLES, FLOW_STATS, FLOWCTL_REGMAP

__all__ = ["FlowCtl"]


class FlowCtl(wiring.Component):
    """Parameters (keyword-only, spec §2): ``flows``, ``cells`` (powers of two), ``cell_bytes``, ``max_pkt``,
    ``dest_width`` (``s_axis.tdest`` width; ids ≥ flows are dropped as invalid)."""

    def __init__(self, *, flows=256, cells=2048, cell_bytes=64, max_pkt=1518, dest_width=16):
        validate_params(flows=flows, cells=cells, cell_bytes=cell_bytes, max_pkt=max_pkt, dest_width=dest_width)
        self.params = {"flows": flows, "cells": cells, "cell_bytes": cell_bytes, "max_pkt": max_pkt,
                       "dest_width": dest_width, "d_react_cycles": D_REACT_CYCLES}
        self._core = FlowCtlCore(flows=flows, cells=cells, cell_bytes=cell_bytes, max_pkt=max_pkt,
                                 dest_width=dest_width)
        self._regs = AXI4LiteRegisters(FLOWCTL_REGMAP)
        fb = exact_log2(flows)
        super().__init__({
            "s_axis": In(stream.Signature(BeatLayout(data_width=64, user_width=1, dest_width=dest_width))),
            "m_axis": Out(stream.Signature(BeatLayout(data_width=64, user_width=1, dest_width=fb))),
            "m_fc": Out(stream.Signature(BeatLayout(data_width=64, user_width=1))),
            "s_fc": In(stream.Signature(BeatLayout(data_width=64, user_width=1))),
            "pfc_paused": In(8),
            "pfc_req": Out(8),
            "s_axil": In(AXI4LiteSignature(addr_width=FLOWCTL_REGMAP.addr_width, data_width=32)),
        })

    def elaborate(self, platform):
        m = Module()
        regs = self._regs
        m.submodules.regs = regs
        soft = Signal()
        m.d.comb += soft.eq(regs.ctrl_wstb & regs.ctrl.soft_reset)
        m.submodules.core = core = ResetInserter(soft)(self._core)
        wiring.connect(m, wiring.flipped(self.s_axil), regs.s_axil)
        wiring.connect(m, wiring.flipped(self.s_axis), core.s_axis)
        p = self.params

        # configuration and status
        m.d.comb += [
            core.cfg_g_xoff.eq(regs.g_xoff), core.cfg_g_xon.eq(regs.g_xon), core.cfg_h.eq(regs.h_cfg),
            core.cfg_guard_en.eq(regs.ctrl.guard_en), core.cfg_pfc_mirror_en.eq(regs.ctrl.pfc_mirror_en),
            regs.status.guard_unsafe.eq(core.guard_unsafe),
            regs.cfg_err_flow.flow.eq(core.cfg_err_flow), regs.cfg_err_flow.valid.eq(core.cfg_err_flow_valid),
            core.cfg_fc_tx_en.eq(regs.ctrl.fc_tx_en), core.cfg_fc_rx_en.eq(regs.ctrl.fc_rx_en),
            core.cfg_snap_en.eq(regs.ctrl.snap_en), core.cfg_snap_idle.eq(regs.ctrl.snap_idle),
            core.cfg_t_snap.eq(regs.t_snap), core.cfg_snap_trail.eq(regs.snap_trail),
            core.cfg_pause_time.eq(regs.pause_time), core.cfg_time_exp.eq(regs.time_exp),
            core.cfg_coal_xoff.eq(regs.coal_xoff), core.cfg_coal_xon.eq(regs.coal_xon),
            core.cfg_fc_etype.eq(regs.fc_etype), core.cfg_fc_da.eq(regs.fc_da), core.cfg_fc_sa.eq(regs.fc_sa),
            core.cfg_wd_cycles.eq(regs.wd_cycles), core.cfg_wd_action.eq(regs.wd_action),
            core.cfg_wd_restore.eq(regs.wd_restore),
            regs.status.wd_flag.eq(core.wd_flag), regs.status.fc_rx_overrun.eq(core.fc_rx_overrun),
            regs.status.rx_global_paused.eq(core.rx_global_paused),
            core.pfc_paused.eq(self.pfc_paused), self.pfc_req.eq(core.pfc_req),
            regs.params0.flows_log2.eq(exact_log2(p["flows"])), regs.params0.cells_log2.eq(exact_log2(p["cells"])),
            regs.params0.cell_bytes.eq(p["cell_bytes"]),
            regs.params1.max_pkt.eq(p["max_pkt"]), regs.params1.d_react_cycles.eq(D_REACT_CYCLES),
            regs.status.init_done.eq(core.init_done), regs.status.cfg_err.eq(core.cfg_err),
            regs.status.global_paused.eq(core.global_paused),
        ]
        # profiles and the per-flow words (indirect window: FLOW_CMD.WRITE commits the staged words to FLOW_SEL)
        for p_ in range(PROFILES):
            prof = core.cfg_profiles[p_]
            for field in ("xoff", "xon", "cap", "quantum"):
                m.d.comb += getattr(prof, field).eq(getattr(regs, f"profile{p_}_{field}"))
        fw, fr = core.flow_wdata, core.flow_rdata
        sel_ok = regs.flow_sel < p["flows"]
        m.d.comb += [
            core.flow_sel.eq(regs.flow_sel), core.flow_we.eq(regs.flow_cmd_wstb & regs.flow_cmd.write & sel_ok),
            fw.enable.eq(regs.flow_cfg.enable), fw.lossless.eq(regs.flow_cfg.lossless),
            fw.profile.eq(regs.flow_cfg.profile), fw.prio.eq(regs.flow_cfg.prio),
            fw.xoff.eq(regs.flow_xoff_xon.xoff), fw.xon.eq(regs.flow_xoff_xon.xon),
            fw.cap.eq(regs.flow_cap_quantum.cap), fw.quantum.eq(regs.flow_cap_quantum.quantum),
            regs.flow_cfg_rd.enable.eq(fr.enable), regs.flow_cfg_rd.lossless.eq(fr.lossless),
            regs.flow_cfg_rd.profile.eq(fr.profile), regs.flow_cfg_rd.prio.eq(fr.prio),
            regs.flow_xoff_xon_rd.xoff.eq(fr.xoff), regs.flow_xoff_xon_rd.xon.eq(fr.xon),
            regs.flow_cap_quantum_rd.cap.eq(fr.cap), regs.flow_cap_quantum_rd.quantum.eq(fr.quantum),
        ]
        # per-flow statistics window (FLOW_CMD.STATS snapshots flow FLOW_SEL)
        sd = core.st_data
        m.d.comb += [
            core.st_sel.eq(regs.flow_sel), core.st_req.eq(regs.flow_cmd_wstb & regs.flow_cmd.stats & sel_ok),
            regs.flow_stat_status.valid.eq(core.st_valid), regs.flow_stat_status.flow.eq(core.st_flow),
            regs.flow_state.paused_tx.eq(sd.paused_tx), regs.flow_state.paused_rx.eq(sd.paused_rx),
            regs.flow_state.parked.eq(sd.parked), regs.flow_state.in_list.eq(sd.in_list),
            regs.flow_state.backlog.eq(sd.backlog),
        ]
        for name, field, _doc in FLOW_STATS:
            m.d.comb += getattr(regs, name.lower()).eq(getattr(sd, field))
        for name, port, _doc in COUNTERS:
            if "[" in port:
                base, idx = port[:-1].split("[")
                value = getattr(core, base)[int(idx)]
            else:
                value = getattr(core, port)
            m.d.comb += getattr(regs, name.lower()).eq(value)

        # egress with the terminating beat after a soft reset in the middle of a packet
        o, co = self.m_axis, core.m_axis
        mid_pkt = Signal()                 # a packet's first beat has left and its last has not
        term = Signal()
        xfer = o.valid & o.ready
        with m.If(xfer):
            m.d.sync += mid_pkt.eq(~o.payload.last)
        with m.If(soft):
            m.d.sync += term.eq(Mux(xfer, ~o.payload.last, mid_pkt))
        with m.Elif(term & o.ready):
            m.d.sync += term.eq(0)
        with m.If(term):
            m.d.comb += [o.valid.eq(1), o.payload.keep.eq(0xFF), o.payload.last.eq(1), o.payload.user.eq(1)]
        with m.Else():
            m.d.comb += [o.valid.eq(co.valid), o.payload.eq(co.payload), co.ready.eq(o.ready)]

        # MFC ports
        wiring.connect(m, core.m_fc, wiring.flipped(self.m_fc))
        wiring.connect(m, wiring.flipped(self.s_fc), core.s_fc)
        return m
