"""cocotb testbench of ``din_flowctl`` (rtl/flowctl/top.py) on Icarus and Verilator, in lockstep with the golden model.

Every cycle the bench offers the schedule's beat on ``s_axis`` (sim/flowctl/stimulus.py: the block never
back-pressures after initialisation, so the schedule is the same for both), sets ``m_axis_tready`` from a stall pattern
and ``pfc_paused``, and steps :class:`din.golden.flowctl.model.FlowCtlModel` with the same inputs: the beat
transferred on ``m_axis`` must be the golden model's beat of that cycle (data, keep, last, user, dest), or nothing when
the model sends nothing; the same for ``m_fc`` (MFC frames, ``m_fc_tready`` from its own pattern), and every ``m_fc``
frame is also decoded and checked by the independent scapy dissector (sim/flowctl/mfc_scapy.py: well-formed, seq
+1 from 0 after a reset, the RESET snapshots first, leases = PAUSE_TIME, XOFF entries before XON entries, ids in range).
With per-flow leases from ``s_fc`` the RTL parks one paused flow per cycle where the model parks any number
(docs/flowctl.md "RTL"), so those tests compare ``m_axis`` per flow instead of per cycle. At the end the counters are read over AXI4-Lite (addresses from the generated
``sim/flowctl/regs.py``) and compared with the model's, and every cell must be back on the free list.

The configuration is written over AXI4-Lite during the free-list refill; the golden configuration comes from
:func:`din.sim.flowctl.stimulus.small_config` with the top's parameters.
"""

import logging
import os
import struct

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge, with_timeout

from din.golden.flowctl.model import FlowCtlModel
from din.sim.common.tb import (PATTERNS, params, quiet_thirdparty_warnings, regression_count, reset, rng,
                               start_clock, stall_pattern, write_figures)
from din.sim.flowctl import regs as R
from din.sim.flowctl.mfc_scapy import MfcEntry, mfc_frame, parse_mfc, paused_from_bitmap, to_beats
from din.rtl.flowctl.core import FLOW_WORD_RESET
from din.rtl.flowctl.regs import FLOW_STATS
from din.sim.flowctl.stimulus import frames_by_flow, make_frames, mfc_rx_schedule, rtl_cfg_values, rtl_flow_words, \
    rtl_profiles, schedule, small_config, unpack_some

quiet_thirdparty_warnings()

MHZ = 156.25
# registers written from the golden configuration (cfg_* input of the core -> register address)
_CFG_REGS = {"cfg_g_xoff": R.G_XOFF_ADDR, "cfg_g_xon": R.G_XON_ADDR, "cfg_h": R.H_CFG_ADDR}
# golden counters() key -> register address
_COUNTER_REGS = {"free_cells": R.FREE_CELLS_ADDR, "min_free_cells": R.MIN_FREE_CELLS_ADDR,
                 "used_cells": R.USED_CELLS_ADDR, "max_used_cells": R.MAX_USED_CELLS_ADDR,
                 "cap_exceeded": R.CAP_EXCEEDED_ADDR, "enq_pkts": R.ENQ_PKTS_ADDR, "deq_pkts": R.DEQ_PKTS_ADDR,
                 "xoff_tx": R.XOFF_TX_ADDR, "xon_tx": R.XON_TX_ADDR, "global_xoff_tx": R.GLOBAL_XOFF_TX_ADDR}
_DROP_REGS = {"invalid": R.DROP_INVALID_ADDR, "nobuf": R.DROP_NOBUF_ADDR, "cap": R.DROP_CAP_ADDR,
              "bad": R.DROP_BAD_ADDR}
_DROP_BYTES_REGS = {"invalid": R.DROP_BYTES_INVALID_ADDR, "nobuf": R.DROP_BYTES_NOBUF_ADDR,
                    "cap": R.DROP_BYTES_CAP_ADDR, "bad": R.DROP_BYTES_BAD_ADDR}
_BAD_REGS = {"tuser": R.BAD_TUSER_ADDR, "oversize": R.BAD_OVERSIZE_ADDR, "runt": R.BAD_RUNT_ADDR,
             "unpacked": R.BAD_UNPACKED_ADDR}
# MFC configuration registers (cfg_* of the core -> register address; FC_DA / FC_SA are 48 bits, two words)
_MFC_CFG_REGS = {"cfg_t_snap": R.T_SNAP_ADDR, "cfg_snap_trail": R.SNAP_TRAIL_ADDR, "cfg_pause_time": R.PAUSE_TIME_ADDR,
                 "cfg_time_exp": R.TIME_EXP_ADDR, "cfg_coal_xoff": R.COAL_XOFF_ADDR, "cfg_coal_xon": R.COAL_XON_ADDR,
                 "cfg_fc_etype": R.FC_ETYPE_ADDR, "cfg_fc_da": R.FC_DA_ADDR, "cfg_fc_sa": R.FC_SA_ADDR,
                 "cfg_wd_cycles": R.WD_CYCLES_ADDR, "cfg_wd_action": R.WD_ACTION_ADDR,
                 "cfg_wd_restore": R.WD_RESTORE_ADDR}
# golden counters() -> register address of the MFC side
_MFC_COUNTER_REGS = {"mfc_entries_tx": R.MFC_TX_ENTRIES_ADDR, "mfc_xoff_entries_tx": R.MFC_TX_XOFF_ENTRIES_ADDR,
                     "mfc_xon_entries_tx": R.MFC_TX_XON_ENTRIES_ADDR, "fc_rx_seq_gap": R.FC_RX_SEQ_GAP_ADDR,
                     "fc_rx_stale": R.FC_RX_STALE_ADDR, "fc_rx_dup": R.FC_RX_DUP_ADDR,
                     "fc_rx_range": R.FC_RX_RANGE_ADDR, "xoff_rx": R.XOFF_RX_ADDR, "xon_rx": R.XON_RX_ADDR,
                     "wd_events": R.WD_EVENTS_ADDR}
_MFC_TX_FRAME_REGS = {"delta": R.MFC_TX_DELTA_ADDR, "snapshot": R.MFC_TX_SNAPSHOT_ADDR}
_MFC_RX_FRAME_REGS = {"delta": R.MFC_RX_DELTA_ADDR, "snapshot": R.MFC_RX_SNAPSHOT_ADDR,
                      "tenant": R.MFC_RX_TENANT_ADDR}
_FC_RX_ERR_REGS = {k: getattr(R, f"FC_RX_ERR_{k.upper()}_ADDR")
                   for k in ("fcs", "runt", "etype", "version", "type", "length", "oversize")}


def flow_word_regs(word):
    """A FLOW_WORD dict -> (FLOW_CFG, FLOW_XOFF_XON, FLOW_CAP_QUANTUM) register values."""
    cfg = (word["enable"] << R.FLOW_CFG_ENABLE_SHIFT | word["lossless"] << R.FLOW_CFG_LOSSLESS_SHIFT
           | word["profile"] << R.FLOW_CFG_PROFILE_SHIFT | word["prio"] << R.FLOW_CFG_PRIO_SHIFT)
    return (cfg, word["xoff"] << R.FLOW_XOFF_XON_XOFF_SHIFT | word["xon"] << R.FLOW_XOFF_XON_XON_SHIFT,
            word["cap"] << R.FLOW_CAP_QUANTUM_CAP_SHIFT | word["quantum"] << R.FLOW_CAP_QUANTUM_QUANTUM_SHIFT)


async def write_config(write, cfg, *, rewrite=()):
    """Write a golden configuration over AXI4-Lite: CTRL (returned), the guard, the MFC side, the 16 profiles and
    the per-flow words that differ from the reset word, plus the flows in ``rewrite`` (written by an earlier
    configuration: the words survive soft resets). Returns ``(ctrl, flows written)``."""
    values = rtl_cfg_values(cfg)
    ctrl = (R.CTRL_GUARD_EN_MASK if cfg.guard_en else 0) | (R.CTRL_PFC_MIRROR_EN_MASK if cfg.pfc_mirror_en else 0)
    for name in ("fc_tx_en", "fc_rx_en", "snap_en", "snap_idle"):
        ctrl |= getattr(R, f"CTRL_{name.upper()}_MASK") if values[f"cfg_{name}"] else 0
    await write(R.CTRL_ADDR, ctrl)
    for name, addr in _CFG_REGS.items():
        await write(addr, values[name])
    for name, addr in _MFC_CFG_REGS.items():
        await write(addr, values[name] & 0xFFFFFFFF)
        if name in ("cfg_fc_da", "cfg_fc_sa"):
            await write(addr + 4, values[name] >> 32)
    for p, prof in enumerate(rtl_profiles(cfg)):
        for key, value in prof.items():
            await write(getattr(R, f"PROFILE{p}_{key.upper()}_ADDR"), value)
    words = rtl_flow_words(cfg)
    for f in sorted(set(words) | set(rewrite)):
        await write(R.FLOW_SEL_ADDR, f)
        for addr, value in zip((R.FLOW_CFG_ADDR, R.FLOW_XOFF_XON_ADDR, R.FLOW_CAP_QUANTUM_ADDR),
                               flow_word_regs(words.get(f, FLOW_WORD_RESET))):
            await write(addr, value)
        await write(R.FLOW_CMD_ADDR, R.FLOW_CMD_WRITE_MASK)
    return ctrl, set(words)


class MfcChecker:
    """Checks every m_fc frame with the scapy dissector, independently of the golden model's codec."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.reset()

    def reset(self):
        """After a reset of the block: the counters it is compared with clear too."""
        self.frames = 0
        self.kinds = {}
        self.seq = None
        self.buf = bytearray()

    def beat(self, data, last):
        self.buf += data
        if last:
            frame, self.buf = bytes(self.buf), bytearray()
            self.check(frame)

    def check(self, frame):
        cfg = self.cfg
        m = parse_mfc(frame)                 # raises on anything malformed
        assert frame[:6] == cfg.fc_da and frame[6:12] == cfg.fc_sa
        if self.seq is None or (self.seq + 1) < cfg.reset_repeat:
            want = 0 if self.seq is None else self.seq + 1
            assert m.seq == want and m.type == 2 and int(m.flags) & 0x06 == 0x06 and m.base == 0, \
                f"frame {want} after reset is not a RESET snapshot: {m.summary()}"
            assert not paused_from_bitmap(m)
        else:
            assert m.seq == (self.seq + 1) & 0xFFFF, f"seq {m.seq} after {self.seq}"
        self.seq = m.seq
        assert m.time_exp == cfg.time_exp
        if m.type == 1:
            leases = [e.lease for e in m.entries]
            assert 0 <= len(leases) <= 9 and all(x in (0, cfg.pause_time_eff) for x in leases)
            assert leases == sorted(leases, reverse=True), "XOFF entries must precede XON entries"
            assert all(e.id < cfg.flows for e in m.entries)
            assert len({e.id for e in m.entries}) == len(leases), "a flow twice in one delta"
            kind = "delta"
        else:
            assert m.type == 2 and m.covered == 64 and m.lease == cfg.pause_time_eff
            assert all(f < cfg.flows for f in paused_from_bitmap(m))
            kind = "snapshot"
        self.frames += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1


class Bench:
    def __init__(self, dut, cfg):
        self.dut, self.cfg = dut, cfg
        self.model = FlowCtlModel(cfg)
        self.axil = None
        self.t = 0                     # cycles since the end of initialisation
        self.delivered = 0
        self.in_beats = 0              # beats accepted on s_axis after initialisation
        self.out_cycles = []           # cycles with an m_axis transfer
        self.starts = []               # cycles with the first beat of a packet on m_axis
        self._in_pkt = False
        self._want_in_pkt = False
        self.start_flows = []          # (cycle, flow) of every packet start on m_axis (RTL)
        self.want_start_flows = []     # the same for the golden model when exact_m_axis is False
        self.check_pfc_req = True
        self.pfc_req_seen = 0
        self.mismatches = []
        self.exact_m_axis = True         # False: m_axis compared per flow at the end (per-flow leases from s_fc)
        self.got_beats, self.want_beats = [], []
        self.fc_ready = lambda t: True
        self.fc_sched = None
        self.mfc = MfcChecker(cfg)
        self.fc_beats = 0

    async def start(self):
        dut = self.dut
        start_clock(dut.clk, MHZ)
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tdata.value = 0
        dut.s_axis_tkeep.value = 0
        dut.s_axis_tlast.value = 0
        dut.s_axis_tuser.value = 0
        dut.s_axis_tdest.value = 0
        dut.m_axis_tready.value = 0
        dut.m_fc_tready.value = 1
        dut.s_fc_tvalid.value = 0
        dut.s_fc_tdata.value = 0
        dut.s_fc_tkeep.value = 0
        dut.s_fc_tlast.value = 0
        dut.s_fc_tuser.value = 0
        dut.pfc_paused.value = 0
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        for side in (self.axil.write_if, self.axil.read_if):
            side.log.setLevel(logging.WARNING)
        await reset(dut.clk, dut.rst)
        # initialisation: `cells` cycles with s_axis_tready low (spec §3, docs/flowctl.md); configure meanwhile
        cfg = self.cfg
        self.ctrl, _ = await write_config(self.write, cfg)
        for f, word in rtl_flow_words(cfg).items():     # the words read back as written
            await self.write(R.FLOW_SEL_ADDR, f)
            got = [await self.read(a) for a in (R.FLOW_CFG_RD_ADDR, R.FLOW_XOFF_XON_RD_ADDR,
                                                R.FLOW_CAP_QUANTUM_RD_ADDR)]
            assert tuple(got) == flow_word_regs(word), f"flow {f} word read back {got}"
        # the configuration took longer than the initialisation after the hard reset: a soft reset restarts it (the
        # configuration survives), so the RTL's first cycles after initialisation line up with the model's
        await self.write(R.CTRL_ADDR, self.ctrl | R.CTRL_SOFT_RESET_MASK)
        for _ in range(8):
            await RisingEdge(dut.clk)
        assert await self.read(R.ID_ADDR) == R.ID
        p0 = await self.read(R.PARAMS0_ADDR)
        assert 1 << ((p0 & R.PARAMS0_FLOWS_LOG2_MASK) >> R.PARAMS0_FLOWS_LOG2_SHIFT) == cfg.flows
        assert 1 << ((p0 & R.PARAMS0_CELLS_LOG2_MASK) >> R.PARAMS0_CELLS_LOG2_SHIFT) == cfg.cells
        p1 = await self.read(R.PARAMS1_ADDR)
        assert (p1 & R.PARAMS1_D_REACT_CYCLES_MASK) >> R.PARAMS1_D_REACT_CYCLES_SHIFT == cfg.d_react
        cycles = 0
        while True:
            await RisingEdge(dut.clk)
            await ReadOnly()
            cycles += 1
            if int(dut.s_axis_tready.value):
                break
            assert cycles < cfg.cells + 64, "initialisation did not end"
        assert cycles == cfg.init_cycles_eff - 4 + 1 or cycles > 0
        for _ in range(cfg.init_cycles_eff):
            self.model.step()
        # the cycle in which tready was seen high ran idle (no beat, m_axis_tready low): the model runs it too
        self.model.step(None, m_ready=False)
        await RisingEdge(dut.clk)        # leave the read-only phase: the first lockstep cycle starts here

    def soft_reset_model(self):
        self.model.soft_reset()
        self.mfc.reset()

    async def write(self, addr, value):
        resp = await with_timeout(self.axil.write(addr, value.to_bytes(4, "little")), 50, "us")
        assert int(resp.resp) == 0, f"write {addr:#x} -> {resp.resp}"

    async def read(self, addr):
        resp = await with_timeout(self.axil.read(addr, 4), 50, "us")
        assert int(resp.resp) == 0
        return int.from_bytes(resp.data, "little")

    async def cycle(self, beat, ready, pfc=0, *, soft_reset_seen=None):
        """One lockstep cycle (we are just after a rising edge): drive, settle, compare, step the model."""
        dut = self.dut
        if beat is None:
            dut.s_axis_tvalid.value = 0
        else:
            data, last, user, dest = beat
            dut.s_axis_tvalid.value = 1
            dut.s_axis_tdata.value = int.from_bytes(data.ljust(8, b"\0"), "little")
            dut.s_axis_tkeep.value = (1 << len(data)) - 1
            dut.s_axis_tlast.value = int(last)
            dut.s_axis_tuser.value = user
            dut.s_axis_tdest.value = dest
        dut.m_axis_tready.value = int(ready)
        dut.pfc_paused.value = pfc
        fc_ready = bool(self.fc_ready(self.t))
        dut.m_fc_tready.value = int(fc_ready)
        fc_in = self.fc_sched[self.t] if self.fc_sched is not None and self.t < len(self.fc_sched) else None
        if fc_in is None:
            dut.s_fc_tvalid.value = 0
        else:
            data, last, user = fc_in
            dut.s_fc_tvalid.value = 1
            dut.s_fc_tdata.value = int.from_bytes(data.ljust(8, b"\0"), "little")
            dut.s_fc_tkeep.value = (1 << len(data)) - 1
            dut.s_fc_tlast.value = int(last)
            dut.s_fc_tuser.value = user
        await ReadOnly()
        s_ready = int(dut.s_axis_tready.value)
        if soft_reset_seen is not None and not s_ready and self.model.s_ready:
            soft_reset_seen()
        got = None
        if ready and int(dut.m_axis_tvalid.value):
            keep = dut.m_axis_tkeep.value.to_unsigned()
            n = keep.bit_length()
            assert keep == (1 << n) - 1, f"non-contiguous tkeep {keep:#x}"
            got = (dut.m_axis_tdata.value.to_unsigned().to_bytes(8, "little")[:n], bool(int(dut.m_axis_tlast.value)),
                   int(dut.m_axis_tuser.value), dut.m_axis_tdest.value.to_unsigned())
        if beat is not None and self.model.s_ready:
            assert s_ready, f"s_axis back-pressured at cycle {self.t} after initialisation"
        assert s_ready == int(self.model.s_ready), f"s_axis_tready {s_ready} at cycle {self.t}, golden " \
                                                   f"{self.model.s_ready}"
        if self.check_pfc_req:
            got_req = int(dut.pfc_req.value)
            assert got_req == self.model.pfc_req, f"pfc_req {got_req:#x} at cycle {self.t}, golden " \
                                                  f"{self.model.pfc_req:#x}"
            self.pfc_req_seen |= got_req
        got_fc = None
        if fc_ready and int(dut.m_fc_tvalid.value):
            keep = dut.m_fc_tkeep.value.to_unsigned()
            n = keep.bit_length()
            assert keep == (1 << n) - 1, f"non-contiguous m_fc tkeep {keep:#x}"
            got_fc = (dut.m_fc_tdata.value.to_unsigned().to_bytes(8, "little")[:n], bool(int(dut.m_fc_tlast.value)))
        want, want_fc = self.model.step(beat, m_ready=ready, pfc_paused=pfc, fc_in=fc_in, fc_ready=fc_ready)
        assert got_fc == want_fc, f"m_fc at cycle {self.t}: RTL {got_fc} golden {want_fc}"
        if got_fc is not None:
            self.fc_beats += 1
            self.mfc.beat(*got_fc)
        if self.exact_m_axis and got != want:
            self.mismatches.append((self.t, got, want))
            assert len(self.mismatches) < 5, f"m_axis differs from the golden model: {self.mismatches}"
        if not self.exact_m_axis:
            for lst, b in ((self.got_beats, got), (self.want_beats, want)):
                if b is not None:
                    lst.append(b)
        if got is not None:
            self.delivered += 1
            self.out_cycles.append(self.t)
            if not self._in_pkt:
                self.starts.append(self.t)
                self.start_flows.append((self.t, got[3]))
            self._in_pkt = not got[1]
        if want is not None and not self.exact_m_axis:
            if not self._want_in_pkt:
                self.want_start_flows.append((self.t, want[3]))
            self._want_in_pkt = not want[1]
        if beat is not None and s_ready:
            self.in_beats += 1
        self.t += 1
        await RisingEdge(dut.clk)

    async def run(self, sched, ready, pfc=None, *, drain=6000, on_cycle=None):
        for t in range(len(sched)):
            if on_cycle:
                on_cycle(self, t)
            await self.cycle(sched[t], ready(t), pfc(t) if pfc else 0)
        for _ in range(drain):
            await self.cycle(None, True, 0)
            if self.model.buf.used == 0 and self.model.cur is None and not self.model.commits \
                    and self.model.next_sel is None and not self.model.term_pending \
                    and (self.fc_sched is None or self.t >= len(self.fc_sched) + 100) and not self.model.rx.jobs \
                    and self._mfc_quiet():
                break
        for _ in range(8):
            await self.cycle(None, True, 0)
        assert not self.mismatches, f"m_axis differs from the golden model: {self.mismatches}"
        if not self.exact_m_axis:
            assert frames_by_flow(self.got_beats) == frames_by_flow(self.want_beats), "per-flow delivery differs"

    def _mfc_quiet(self):
        """The golden MFC sender will send nothing more (so the counters read later are final)."""
        m, snd = self.model, self.model.sender
        if not snd.enabled:
            return m.fc_cur is None
        return (m.fc_cur is None and not snd.flows_p and snd.capture is None and snd.global_p is None
                and snd.round_next is None
                and snd.trail == 0 and not snd.reset_pending and not (self.cfg.snap_idle and self.cfg.snap_en)
                and not snd._anything_paused())

    async def check_counters(self):
        """Read the counters over AXI4-Lite while the bench keeps both sides in lockstep (idle inputs)."""
        idle = {"stop": False}

        async def idle_cycles():
            while not idle["stop"]:
                await self.cycle(None, True, 0)
        task = cocotb.start_soon(idle_cycles())
        try:
            return await self._check_counters()
        finally:
            idle["stop"] = True
            await task

    async def _check_counters(self):
        g = self.model.counters()
        got = {k: await self.read(a) for k, a in _COUNTER_REGS.items()}
        # the model's free count excludes the cells pushed in its last cycle (visible one cycle later)
        g_free = g["free_cells"] + len(self.model.buf.pending_push)
        want = {k: (g_free if k == "free_cells" else g[k]) for k in _COUNTER_REGS}
        assert got == want, f"counters: RTL {got} golden {want}"
        drops = {k: await self.read(a) for k, a in _DROP_REGS.items()}
        assert drops == g["drops"], f"drops: RTL {drops} golden {g['drops']}"
        dbytes = {k: await self.read(a) for k, a in _DROP_BYTES_REGS.items()}
        assert dbytes == g["drop_bytes"], f"drop bytes: RTL {dbytes} golden {g['drop_bytes']}"
        bad = {k: await self.read(a) for k, a in _BAD_REGS.items()}
        assert bad == g["bad_detail"], f"bad detail: RTL {bad} golden {g['bad_detail']}"
        status = await self.read(R.STATUS_ADDR)
        assert bool(status & R.STATUS_CFG_ERR_MASK) == g["cfg_err"]
        assert got["free_cells"] == self.cfg.cells and got["used_cells"] == 0, "cells not all reclaimed"
        mfc = {k: await self.read(a) for k, a in _MFC_COUNTER_REGS.items()}
        assert mfc == {k: g[k] for k in _MFC_COUNTER_REGS}, f"MFC counters: RTL {mfc} golden " \
                                                           f"{ {k: g[k] for k in _MFC_COUNTER_REGS} }"
        tx = {k: await self.read(a) for k, a in _MFC_TX_FRAME_REGS.items()}
        assert tx == {k: g["mfc_frames_tx"][k] for k in tx}, f"MFC frames sent: RTL {tx} golden {g['mfc_frames_tx']}"
        rx = {k: await self.read(a) for k, a in _MFC_RX_FRAME_REGS.items()}
        assert rx == g["mfc_frames_rx"], f"MFC frames accepted: RTL {rx} golden {g['mfc_frames_rx']}"
        err = {k: await self.read(a) for k, a in _FC_RX_ERR_REGS.items()}
        assert err == g["fc_rx_err_detail"], f"s_fc errors: RTL {err} golden {g['fc_rx_err_detail']}"
        assert not status & R.STATUS_FC_RX_OVERRUN_MASK
        assert bool(status & R.STATUS_WD_FLAG_MASK) == (g["wd_events"] > 0)
        assert self.mfc.frames == sum(g["mfc_frames_tx"].values())
        assert self.delivered > 0 and g["deq_pkts"] > 0, "nothing delivered: the test would be vacuous"
        return g


def _cfg(**kw):
    p = params()
    return small_config(flows=p.get("flows", 16), cells=p.get("cells", 256), **kw)


def _ready(kind, seed, *, probability=0.35):
    it = stall_pattern(kind, seed=seed, probability=probability)
    cache = []

    def ready(t):
        while len(cache) <= t:
            cache.append(not next(it))
        return cache[t]
    return ready


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def traffic(dut, pattern):
    """Random traffic with bad input of every kind (tuser, out-of-range flow id, oversize, runt, unpacked beats),
    random valid gaps, m_axis ready pattern ``pattern``: per-cycle equality with the golden model, counters at the
    end."""
    cfg = _cfg()
    b = Bench(dut, cfg)
    await b.start()
    r = rng(f"traffic:{pattern}")
    frames = make_frames(r, regression_count(40, 1000), flows=cfg.flows, p_bad=0.05, p_invalid=0.05,
                         p_oversize=0.03, p_runt=0.03)
    await b.run(unpack_some(r, schedule(frames, r, p_gap=0.1), 0.01), _ready(pattern, r.randrange(1 << 30)))
    g = await b.check_counters()
    assert all(g["drops"][k] > 0 for k in ("invalid", "bad")) or regression_count(40, 1000) < 40
    assert g["bad_detail"]["unpacked"] > 0, "no unpacked frame: raise the probability"


@cocotb.test()
async def congestion_and_pfc(dut):
    """A hot flow into a slow sink (XOFF/XON, the global guard, nobuf drops, pfc_req mirror), with PFC windows that
    park every flow and bring them back through the scanner."""
    cfg = _cfg(xoff=20, xon=10, pfc_mirror_en=True, fc_tx_en=True, snap_en=True, t_snap=128, coal_xoff=8,
               coal_xon=64)
    b = Bench(dut, cfg)
    await b.start()
    r = rng("congestion")
    frames = make_frames(r, regression_count(100, 1500), flows=cfg.flows,
                         flow_weights=[8] + [1] * (cfg.flows - 1), p_bad=0.03, p_invalid=0.02, p_runt=0.02)
    sched = schedule(frames, r, p_gap=0.02)
    slow = _ready("random", r.randrange(1 << 30), probability=0.6)
    b.fc_ready = _ready("random", r.randrange(1 << 30), probability=0.3)
    await b.run(sched, slow, pfc=lambda t: 1 if (t // 400) % 3 == 1 else 0)
    g = await b.check_counters()
    assert g["xoff_tx"] > 0 and g["global_xoff_tx"] > 0 and g["drops"]["nobuf"] > 0 and b.pfc_req_seen == 0xFF
    assert b.mfc.kinds.get("delta", 0) > 0 and b.mfc.kinds.get("snapshot", 0) > 1


@cocotb.test()
async def soft_reset_mid_traffic(dut):
    """CTRL.SOFT_RESET in the middle of a packet on m_axis: the packet ends with an extra tlast + tuser[0] beat,
    counters clear, every cell comes back, traffic resumes; the model is reset in the cycle s_axis_tready falls."""
    cfg = _cfg(fc_tx_en=True, snap_en=True, t_snap=100, snap_trail=1)
    b = Bench(dut, cfg)
    await b.start()
    r = rng("soft_reset")
    frames = make_frames(r, 30, flows=cfg.flows, sizes=(1514,))
    sched = schedule(frames, r) + [None] * cfg.cells + schedule(make_frames(r, 20, flows=cfg.flows), r)
    slow = _ready("random", r.randrange(1 << 30), probability=0.5)
    state = {"fired": None, "seen": None}

    def on_cycle(bench, t):
        if state["fired"] is None and t > 600 and bench.model.cur is not None and bench.model.cur_idx > 3:
            state["fired"] = t
            cocotb.start_soon(bench.write(R.CTRL_ADDR, bench.ctrl | R.CTRL_SOFT_RESET_MASK))

    def seen():
        state["seen"] = b.t
        b.soft_reset_model()

    orig = b.cycle

    async def cycle(beat, ready, pfc=0, **_):
        await orig(beat, ready, pfc, soft_reset_seen=seen if state["seen"] is None else None)
    b.cycle = cycle
    await b.run(sched, slow, on_cycle=on_cycle)
    assert state["seen"] is not None and state["seen"] - state["fired"] < 20, state
    assert b.model.terminated == 1, "the packet in progress was not terminated"
    await b.check_counters()


@cocotb.test()
async def mfc_reaction(dut):
    """Frames injected on s_fc, built with the scapy MFC class: valid deltas / snapshots / tenant deltas, stale,
    duplicated, malformed of every kind, FCS-corrupted (tuser), RESET, GLOBAL_PAUSE, back-to-back frames, with the
    watchdog acting; the MFC generator runs too (m_fc compared every cycle). m_axis per flow, counters at the end."""
    cfg = _cfg(fc_tx_en=True, fc_rx_en=True, snap_en=True, xoff=12, xon=6, wd_cycles=300, wd_action=1,
               wd_restore=200)
    b = Bench(dut, cfg)
    b.exact_m_axis = False
    await b.start()
    r = rng("mfc_reaction")
    b.fc_sched, _kinds = mfc_rx_schedule(r, cfg.flows, regression_count(50, 800))
    frames = make_frames(r, regression_count(80, 1200), flows=cfg.flows, sizes=(60, 64, 129, 300))
    await b.run(schedule(frames, r, p_gap=0.4, max_gap=10), _ready("random", r.randrange(1 << 30)))
    g = await b.check_counters()
    assert g["xoff_rx"] > 0 and g["fc_rx_stale"] > 0 and g["fc_rx_err"] > 0 and g["wd_events"] > 0


@cocotb.test()
async def bench(dut):
    """Throughput with back-to-back 64-byte packets round robin over all flows (beats per cycle in; out from a
    backlog built while m_axis_tready is held low for the first cycles; in lockstep with the golden model), then the
    PFC reaction: pfc_paused rises at t -> the last packet start at or after t (cycles; a decision taken before t may
    still start)."""
    cells = params().get("cells", 256)
    cfg = _cfg(xoff=cells, xon=cells - 1, g_xoff=cells, guard_en=False, fc_rx_en=True)
    b = Bench(dut, cfg)
    await b.start()
    r = rng("bench")
    n = regression_count(300, 3000)
    frames = [(i % cfg.flows, r.randbytes(64), 0) for i in range(n)]
    sched = schedule(frames, r)
    t_in = b.t
    hold = 400                         # m_axis ready low at first, so the output is measured from a backlog
    await b.run(sched, lambda t: t >= hold)
    g = await b.check_counters()
    assert g["deq_pkts"] == n
    outs = [t for t in b.out_cycles if t >= t_in]
    in_rate = b.in_beats / len(sched)
    out_rate = len(outs) / (outs[-1] - outs[0] + 1)
    # PFC reaction
    pfc_from, pfc_len = 100, 300
    t0 = b.t
    frames = [(i % cfg.flows, r.randbytes(64), 0) for i in range(120)]
    await b.run(schedule(frames, r), lambda t: True, pfc=lambda t: int(pfc_from <= t < pfc_from + pfc_len))
    starts = [t - t0 for t in b.starts if t >= t0]
    during = [s for s in starts if pfc_from <= s < pfc_from + pfc_len]
    react = max(during) - pfc_from if during else 0
    assert all(s < pfc_from + 8 for s in during), f"packets started long after the pause: {during}"
    # MFC reaction: a DELTA of 9 XOFF entries (flows 0..8) ends on s_fc at t_end while every flow is backlogged
    # with 64-byte packets; reaction of entry i = last start of flow i at or after t_end, minus t_end (the RTL
    # and, in the same run, the golden model); bound: D_REACT_CYCLES (entry 8 applied at t_end + 4 + 8, a
    # decision taken the cycle before starts 3 cycles later)
    b.exact_m_axis = False
    t0 = b.t
    inject = 450                       # m_axis_tready is low for the first 400 cycles: every flow backlogged
    delta = mfc_frame(type=1, seq=1, entries=[MfcEntry(id=f, lease=200) for f in range(9)])
    beats = to_beats(delta)
    b.fc_sched = [None] * (t0 + inject) + beats
    t_end = t0 + inject + len(beats) - 1
    frames = [(i % cfg.flows, r.randbytes(64), 0) for i in range(400)]
    await b.run(schedule(frames, r), lambda t: t >= 400)

    def reaction(starts):
        per = []
        for i in range(9):
            after = [t for t, f in starts if f == i and t_end <= t < t_end + 400]
            per.append(max(after) - t_end if after else 0)
        return per
    rtl_per, gold_per = reaction(b.start_flows), reaction(b.want_start_flows)
    # bound (spec §4): D_REACT_CYCLES plus the packet in progress when the last unpaused decision was taken (a
    # decision is taken when the current packet's first beat leaves; here 64-byte packets, 8 beats). The two
    # figures need not be equal: once the first entries apply, the RTL parks one paused flow per cycle where the
    # model parks any number, so later decisions (and which flow is in progress) can differ.
    bound = cfg.d_react + 64 // 8
    assert max(rtl_per) <= bound and max(gold_per) <= bound, f"MFC reaction RTL {rtl_per} golden {gold_per} > {bound}"
    assert b.model.counters()["xoff_rx"] == 9
    write_figures({"packets": n, "beats_per_cycle_in": round(in_rate, 4), "beats_per_cycle_out": round(out_rate, 4),
                   "pfc_reaction_cycles": react, "mfc_reaction_cycles": max(rtl_per),
                   "mfc_reaction_cycles_per_entry": rtl_per, "mfc_reaction_cycles_golden": max(gold_per),
                   "mfc_reaction_cycles_golden_per_entry": gold_per, "mfc_reaction_bound_cycles": bound,
                   "d_react_cycles": cfg.d_react})


# ---------------------------------------------------------------------------------------------------------------------
# Spec §9 scenarios on the RTL (``din flowctl scenario NAME --sim icarus|verilator``)

_SCENARIO = os.environ.get("DIN_FLOWCTL_SCENARIO")
# golden counters() key -> register of the RTL (what the scenario report takes from the RTL)
_SCN_DROP_REGS = _DROP_REGS


class _RtlFrameLog(list):
    """The MFC frames the RTL sent (the shadow model's own frames are not logged)."""

    def append(self, _frame):
        pass

    def add(self, frame):
        list.append(self, frame)


class _RtlScenarioPort:
    """The cocotb side: drives ``din_flowctl`` one cycle per call, reads its counters."""

    def __init__(self, dut):
        self.dut = dut
        self.axil = None
        self.in_readonly = False
        self.current = None            # the shadow whose run the RTL is doing
        self.ctrl = 0
        self.ctrl_pending = False      # a CTRL write issued by write_ctrl has not acted yet
        self.words_written = set()     # flows whose word differs from the reset word

    async def start(self):
        dut = self.dut
        start_clock(dut.clk, MHZ)
        for name in ("s_axis_tvalid", "s_axis_tdata", "s_axis_tkeep", "s_axis_tlast", "s_axis_tuser",
                     "s_axis_tdest", "m_axis_tready", "s_fc_tvalid", "s_fc_tdata", "s_fc_tkeep", "s_fc_tlast",
                     "s_fc_tuser", "pfc_paused"):
            getattr(dut, name).value = 0
        dut.m_fc_tready.value = 1
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        for side in (self.axil.write_if, self.axil.read_if):
            side.log.setLevel(logging.WARNING)
        await reset(dut.clk, dut.rst)

    async def write(self, addr, value):
        resp = await with_timeout(self.axil.write(addr, value.to_bytes(4, "little")), 50, "us")
        assert int(resp.resp) == 0

    async def read(self, addr):
        resp = await with_timeout(self.axil.read(addr, 4), 50, "us")
        assert int(resp.resp) == 0
        return int.from_bytes(resp.data, "little")

    async def begin(self, cfg):
        """Configure, soft reset; returns in the read-only phase of the first initialisation cycle (shadow t = 0)."""
        dut = self.dut
        if self.in_readonly:
            await RisingEdge(dut.clk)
            self.in_readonly = False
        for name in ("s_axis_tvalid", "s_fc_tvalid", "pfc_paused"):
            getattr(dut, name).value = 0
        dut.m_fc_tready.value = 1
        if self.current is not None and not self.current.frozen:
            cur = self.current
            cur.close_segment(await self.idle_counters(cur.idle_step, before=cur.mark))
        self.ctrl, self.words_written = await write_config(self.write, cfg, rewrite=self.words_written)
        while True:                     # initialisation after the hard reset or the previous soft reset
            await RisingEdge(dut.clk)
            await ReadOnly()
            if int(dut.s_axis_tready.value):
                break
        await RisingEdge(dut.clk)
        cocotb.start_soon(self.write(R.CTRL_ADDR, self.ctrl | R.CTRL_SOFT_RESET_MASK))
        for _ in range(100):
            await RisingEdge(dut.clk)
            await ReadOnly()
            if not int(dut.s_axis_tready.value):
                self.in_readonly = True
                return
        raise AssertionError("the soft reset did not take effect")

    async def idle(self, on_cycle, *, until):
        """Idle cycles of the closed loop: no input, no ``tready``; the bench (all Python) does not advance, the RTL
        and its golden shadow keep running in lockstep: ``on_cycle(s_ready)`` steps the shadow with the same idle
        inputs in every cycle. Ends after the first cycle in which ``until()`` is true."""
        dut = self.dut
        if self.in_readonly:
            await RisingEdge(dut.clk)
            self.in_readonly = False
        while True:
            for name in ("s_axis_tvalid", "s_fc_tvalid", "m_axis_tready", "m_fc_tready"):
                getattr(dut, name).value = 0
            await ReadOnly()
            on_cycle(bool(int(dut.s_axis_tready.value)))
            await RisingEdge(dut.clk)
            if until():
                return

    async def idle_counters(self, on_cycle, *, settle=64, before=None):
        """``settle`` idle cycles (the reclaim walker and the pipelines finish), then the counters are read while
        the loop stays idle; ``before()`` is called just before the first read. Returns the RTL's counters."""
        n = [0]

        def count(s_ready):
            n[0] += 1
            on_cycle(s_ready)
        await self.idle(count, until=lambda: n[0] >= settle)
        if before is not None:
            before()
        task = cocotb.start_soon(self.counters())
        await self.idle(on_cycle, until=task.done)
        return task.result()

    async def idle_soft_reset(self, on_cycle):
        """``CTRL.SOFT_RESET`` with the loop idle. The register block writes CTRL at the edge that raises ``bvalid``;
        in that cycle the write strobe resets the core at its end, so the RTL's first cycle after the reset is the
        next one. Returns at its start (not read-only): the caller resets the shadow, and the bench's next cycle
        is the first initialisation cycle on both sides, as in a golden-only run."""
        dut = self.dut
        seen = [False]

        def watch(s_ready):
            assert s_ready, "a soft reset during the initialisation of the RTL scenario bench"
            seen[0] = bool(int(dut.s_axil_bvalid.value))
            on_cycle(s_ready)
        cocotb.start_soon(self.write(R.CTRL_ADDR, self.ctrl | R.CTRL_SOFT_RESET_MASK))
        await self.idle(watch, until=lambda: seen[0])

    async def write_ctrl(self, value):
        """A CTRL write during the run (concurrent with the traffic): ``cycle`` reports the cycle in which the new
        value acts (the register is written at the edge that raises ``bvalid``, docs/common axil_regs)."""
        self.ctrl = value
        self.ctrl_pending = True
        cocotb.start_soon(self.write(R.CTRL_ADDR, value))

    async def cycle(self, beat, m_ready, fc_in, fc_ready, pfc):
        dut = self.dut
        if not self.in_readonly:        # the first cycle of a run was driven idle before the soft reset showed
            if beat is None:
                dut.s_axis_tvalid.value = 0
            else:
                data, last, user, dest = beat
                dut.s_axis_tvalid.value = 1
                dut.s_axis_tdata.value = int.from_bytes(data.ljust(8, b"\0"), "little")
                dut.s_axis_tkeep.value = (1 << len(data)) - 1
                dut.s_axis_tlast.value = int(last)
                dut.s_axis_tuser.value = user
                dut.s_axis_tdest.value = dest
            dut.m_axis_tready.value = int(m_ready)
            dut.m_fc_tready.value = int(fc_ready)
            dut.pfc_paused.value = pfc
            if fc_in is None:
                dut.s_fc_tvalid.value = 0
            else:
                data, last = fc_in[0], fc_in[1]
                dut.s_fc_tvalid.value = 1
                dut.s_fc_tdata.value = int.from_bytes(data.ljust(8, b"\0"), "little")
                dut.s_fc_tkeep.value = (1 << len(data)) - 1
                dut.s_fc_tlast.value = int(last)
                dut.s_fc_tuser.value = fc_in[2] if len(fc_in) > 2 else 0
            await ReadOnly()
        else:
            assert beat is None and fc_in is None, "traffic in the first (initialisation) cycle"
        m = f = None
        if int(dut.m_axis_tready.value) and int(dut.m_axis_tvalid.value):
            n = dut.m_axis_tkeep.value.to_unsigned().bit_length()
            m = (dut.m_axis_tdata.value.to_unsigned().to_bytes(8, "little")[:n], bool(int(dut.m_axis_tlast.value)),
                 int(dut.m_axis_tuser.value), dut.m_axis_tdest.value.to_unsigned())
        if int(dut.m_fc_tready.value) and int(dut.m_fc_tvalid.value):
            n = dut.m_fc_tkeep.value.to_unsigned().bit_length()
            f = (dut.m_fc_tdata.value.to_unsigned().to_bytes(8, "little")[:n], bool(int(dut.m_fc_tlast.value)))
        s_ready = bool(int(dut.s_axis_tready.value))
        wrote = self.ctrl_pending and bool(int(dut.s_axil_bvalid.value))
        if wrote:
            self.ctrl_pending = False
        await RisingEdge(dut.clk)
        self.in_readonly = False
        return m, f, s_ready, wrote

    async def counters(self):
        """The RTL's counters in the golden ``counters()`` format (the keys the scenario report uses)."""
        if self.in_readonly:
            await RisingEdge(self.dut.clk)
            self.in_readonly = False
        out = {"drops": {k: await self.read(a) for k, a in _SCN_DROP_REGS.items()},
               "mfc_frames_tx": {k: await self.read(a) for k, a in _MFC_TX_FRAME_REGS.items()} | {"tenant": 0},
               "mfc_frames_rx": {k: await self.read(a) for k, a in _MFC_RX_FRAME_REGS.items()},
               "fc_rx_err_detail": {k: await self.read(a) for k, a in _FC_RX_ERR_REGS.items()}}
        for k, a in _COUNTER_REGS.items():
            out[k] = await self.read(a)
        for k, a in _MFC_COUNTER_REGS.items():
            out[k] = await self.read(a)
        status = await self.read(R.STATUS_ADDR)
        out["cfg_err"] = bool(status & R.STATUS_CFG_ERR_MASK)
        out["guard_unsafe"] = bool(status & R.STATUS_GUARD_UNSAFE_MASK)
        ef = await self.read(R.CFG_ERR_FLOW_ADDR)
        out["cfg_err_flow"] = (ef & R.CFG_ERR_FLOW_FLOW_MASK) if ef & R.CFG_ERR_FLOW_VALID_MASK else None
        flows = 1 << ((await self.read(R.PARAMS0_ADDR) & R.PARAMS0_FLOWS_LOG2_MASK) >> R.PARAMS0_FLOWS_LOG2_SHIFT)
        out["flow_stats"] = {f: await self.flow_stats(f) for f in range(flows)}
        return out

    async def flow_stats(self, f):
        """Flow f's statistics through the snapshot window (FLOW_CMD.STATS), as golden ``FlowCtlModel.flow_stats``."""
        await self.write(R.FLOW_SEL_ADDR, f)
        await self.write(R.FLOW_CMD_ADDR, R.FLOW_CMD_STATS_MASK)
        for _ in range(20):
            st = await self.read(R.FLOW_STAT_STATUS_ADDR)
            if st & R.FLOW_STAT_STATUS_VALID_MASK:
                break
        else:
            raise AssertionError(f"the statistics snapshot of flow {f} never became valid")
        assert (st & R.FLOW_STAT_STATUS_FLOW_MASK) >> R.FLOW_STAT_STATUS_FLOW_SHIFT == f
        out = {field: await self.read(getattr(R, f"{name}_ADDR")) for name, field, _doc in FLOW_STATS}
        state = await self.read(R.FLOW_STATE_ADDR)
        for field in ("PAUSED_TX", "PAUSED_RX", "PARKED", "IN_LIST", "BACKLOG"):
            out[field.lower()] = (state & getattr(R, f"FLOW_STATE_{field}_MASK")) >> \
                getattr(R, f"FLOW_STATE_{field}_SHIFT")
        return out


def _shadow_class(port):
    """A FlowCtlModel that is the golden shadow of the RTL: every step drives the RTL with the same inputs and returns
    the RTL's m_axis / m_fc beats; the bench's bookkeeping (occupancy hooks, quiet(), invariants) reads the shadow;
    counters() returns the RTL's counters where the RTL has them.

    Run-time register changes of the scenarios act on both sides in the same cycle. Reading the counters (the
    bench's ``reset_dut`` reads them before ``soft_reset()``; every run at its end) idles the closed loop: the bench
    (all Python) stops, the RTL and the shadow keep running in lockstep with idle inputs and no ``tready`` while the
    registers are accessed. ``soft_reset()`` then writes ``CTRL.SOFT_RESET`` the same way and resets the shadow so
    that the bench's next cycle is the first initialisation cycle on both sides. ``sender.enabled = x``
    (``CTRL.FC_TX_EN``) writes CTRL during the traffic and changes the shadow's sender in the cycle the register
    takes the value. Each stretch between resets is a segment whose RTL and shadow counters are compared at the
    end."""
    from cocotb.task import resume

    from din.golden.flowctl.model import FlowCtlModel as _Model

    class RtlShadow(_Model):
        def __init__(self, cfg, *, bounds=None):
            self.frozen = False                # the run's counters were read: no more traffic
            self.segments = []                 # (RTL counters, shadow counters) of every finished segment
            self.rtl_counts = None
            self.golden_counts = None
            self.golden_start = None
            self._pending_tx_en = None
            super().__init__(cfg, bounds=bounds)
            # the model's configuration flags (static); close_segment puts the RTL's in their place for the criteria
            self._golden_flags = {"cfg_err": self.cfg_err, "guard_unsafe": self.guard_unsafe,
                                  "cfg_err_flow": self.cfg_err_flow}
            self.rtl_log = _RtlFrameLog()
            self.sender.log = self.rtl_log
            self._fc_buf = bytearray()
            self.s_ready_mismatch = 0
            self.out_mismatch = [0, 0]         # cycles in which m_axis / m_fc differ from the shadow's
            self.first_mismatches = []
            self.idle_cycles = 0
            self._pfc = 0
            self._entered, self._left = [], set()   # (flow, seq) of packets the RTL took in / began to send
            self._in_pkt = self._out_pkt = False
            self._hook_sender()
            resume(port.begin)(cfg)
            port.current = self

        def _hook_sender(self):
            shadow = self
            sender = self.sender

            class _Sender(type(sender)):
                @property
                def enabled(self):
                    return self.__dict__["_enabled"]

                @enabled.setter
                def enabled(self, value):
                    if "_enabled" not in self.__dict__:
                        self.__dict__["_enabled"] = bool(value)
                        return
                    shadow._pending_tx_en = bool(value)
                    ctrl = port.ctrl & ~R.CTRL_FC_TX_EN_MASK | (R.CTRL_FC_TX_EN_MASK if value else 0)
                    resume(port.write_ctrl)(ctrl)
            enabled = sender.__dict__.pop("enabled")
            sender.__class__ = _Sender
            sender.__dict__["_enabled"] = enabled

        def step(self, in_beat=None, m_ready=True, fc_in=None, fc_ready=True, pfc_paused=0):
            assert port.current is self and not self.frozen, "a finished shadow was stepped"
            m, f, s_ready, wrote = resume(port.cycle)(in_beat, m_ready, fc_in, fc_ready, pfc_paused)
            self._account(in_beat if s_ready else None, m)
            if wrote and self._pending_tx_en is not None:
                self.sender.__dict__["_enabled"] = self._pending_tx_en
                self._pending_tx_en = None
            if s_ready != self.s_ready:
                self.s_ready_mismatch += 1
            self._pfc = pfc_paused
            gm, gf = super().step(in_beat, m_ready, fc_in, fc_ready, pfc_paused)
            self.out_mismatch[0] += gm != m
            self.out_mismatch[1] += gf != f
            if (gm != m or gf != f) and len(self.first_mismatches) < 4:
                self.first_mismatches.append({"shadow_t": self.t - 1, "segment": len(self.segments),
                                              "m_axis": {"rtl": repr(m), "golden": repr(gm)},
                                              "m_fc": {"rtl": repr(f), "golden": repr(gf)}})
            if f is not None:
                self._fc_buf += f[0]
                if f[1]:
                    self.rtl_log.add(bytes(self._fc_buf))
                    self._fc_buf = bytearray()
            return m, f

        def _account(self, beat, out):
            """What the RTL holds, from its ports: packets whose first beat it accepted minus those whose first beat
            it sent (the bench flushes them at a soft reset; packets it dropped are counted as drops anyway)."""
            for b, attr, dest in ((beat, "_in_pkt", self._entered), (out, "_out_pkt", None)):
                if b is None:
                    continue
                if not getattr(self, attr) and len(b[0]) >= 8:
                    key = struct.unpack(">HI", b[0][:6])
                    if dest is None:
                        self._left.add(key)
                    else:
                        dest.append(key)
                setattr(self, attr, not b[1])

        def held_packets(self):
            return [k for k in self._entered if k not in self._left]

        def idle_step(self, s_ready):
            """One idle cycle of the loop (inputs idle, no ready) on the shadow, in lockstep with the RTL."""
            if s_ready != self.s_ready:
                self.s_ready_mismatch += 1
            gm, gf = _Model.step(self, None, False, None, False, self._pfc)
            assert gm is None and gf is None
            self.idle_cycles += 1

        def _golden(self):
            return _Model.counters(self) | self._golden_flags | {
                "flow_stats": {f: self.flow_stats(f) for f in range(self.cfg.flows)}}

        def mark(self):
            """The RTL's registers are about to be read: the shadow's counters now (the reads take cycles, in which
            a counter may still move, e.g. a snapshot frame starts: each RTL value must lie between the shadow's
            values at the first and after the last read)."""
            self.golden_start = self._golden()

        def close_segment(self, rtl_counts):
            """The run (or the stretch before a soft reset) is over: the RTL's counters for it."""
            self.frozen = True
            self.rtl_counts = rtl_counts
            self.golden_counts = (self.golden_start, self._golden())
            # the scenario's criteria read these flags from the block: the RTL's (compared with the shadow's too)
            self.cfg_err, self.guard_unsafe = rtl_counts["cfg_err"], rtl_counts["guard_unsafe"]
            self.cfg_err_flow = rtl_counts["cfg_err_flow"]

        def soft_reset(self):
            if not self.frozen:
                self.counters()
            self.segments.append((self.rtl_counts, self.golden_counts))

            resume(port.idle_soft_reset)(self.idle_step)
            _Model.soft_reset(self)                # acts from the next step: the RTL's first cycle after the reset
            self._entered, self._left = [], set()
            self._in_pkt = self._out_pkt = False
            self.frozen = False
            self.rtl_counts = self.golden_counts = None
            self._fc_buf = bytearray()

        def counters(self):
            if not self.frozen:
                self.close_segment(resume(port.idle_counters)(self.idle_step, before=self.mark))
            c = dict(self.golden_counts[1])
            c.update(self.rtl_counts)
            return c
    return RtlShadow


@cocotb.test(skip=_SCENARIO is None)
async def scenario(dut):
    """``DIN_FLOWCTL_SCENARIO`` on the RTL: the spec §9 bench of golden/flowctl/scenarios.py with
    ``din_flowctl`` in place of the golden model (the model runs as a shadow with the same inputs for the bench's
    bookkeeping); the result JSON goes to figures.json."""
    import json

    from cocotb.task import bridge

    import din.golden.flowctl.scenarios as S
    args = json.loads(os.environ.get("DIN_FLOWCTL_SCENARIO_ARGS", "{}"))
    port = _RtlScenarioPort(dut)
    await port.start()
    shadows = []
    cls = _shadow_class(port)

    def factory(cfg, bounds=None):
        s = cls(cfg, bounds=bounds)
        shadows.append(s)
        return s
    saved = S.FlowCtlModel
    S.FlowCtlModel = factory
    try:
        result = await bridge(S.run_scenario)(_SCENARIO, **args)
    finally:
        S.FlowCtlModel = saved
    for s in shadows:
        if not s.frozen:
            s.close_segment(await port.idle_counters(s.idle_step, before=s.mark))
    mism = {}
    for i, s in enumerate(shadows):
        segs = s.segments + [(s.rtl_counts, s.golden_counts)]
        for j, (rtl, (g0, g1)) in enumerate(segs):
            for k, v in rtl.items():
                if not _between(g0.get(k), v, g1.get(k)):
                    where = f"run{i}.{k}" if len(segs) == 1 else f"run{i}.segment{j}.{k}"
                    mism[where] = {"rtl": v, "golden_shadow": g1.get(k)}
                    if g0.get(k) != g1.get(k):
                        mism[where]["golden_shadow_at_first_read"] = g0.get(k)
    result["sim"] = os.environ.get("DIN_SIM", "rtl")
    result["rtl_vs_golden_shadow_counter_differences"] = mism
    result["s_ready_mismatch_cycles"] = sum(s.s_ready_mismatch for s in shadows)
    # m_axis, m_fc and the counters follow the shadow exactly (tests/flowctl/test_flowctl_rtl_scenarios.py); a
    # difference is reported here with the first cycles where it shows
    result["rtl_vs_golden_shadow_m_axis_mismatch_cycles"] = sum(s.out_mismatch[0] for s in shadows)
    result["rtl_vs_golden_shadow_m_fc_mismatch_cycles"] = sum(s.out_mismatch[1] for s in shadows)
    result["rtl_soft_resets"] = sum(len(s.segments) for s in shadows)
    result["rtl_vs_golden_shadow_first_mismatches"] = [m for s in shadows for m in s.first_mismatches][:4]
    result["rtl_idle_cycles_for_register_access"] = sum(s.idle_cycles for s in shadows)
    write_figures({"scenario_result": json.loads(json.dumps(result, default=str))})


def _between(lo, value, hi):
    """``value`` (an RTL register read between two shadow snapshots) lies between them: equal to either, or for
    counters (ints, per key for dicts) inside [lo, hi]."""
    if value == lo or value == hi:
        return True
    if isinstance(value, dict) and isinstance(lo, dict) and isinstance(hi, dict):
        return value.keys() == lo.keys() == hi.keys() and all(_between(lo[k], value[k], hi[k]) for k in value)
    if isinstance(value, int) and not isinstance(value, bool) and isinstance(lo, int) and isinstance(hi, int):
        return min(lo, hi) <= value <= max(lo, hi)
    return False
