"""Stimulus and reference runs shared by the flowctl RTL benches (Amaranth simulator and cocotb).

A *schedule* is one entry per cycle after initialisation: ``None`` (no beat offered) or a beat
``(data: bytes, last: bool, user: int, dest: int)``, the golden model's beat format (``len(data)`` = tkeep bytes).
Because the block never back-pressures after initialisation (spec §3), the same schedule drives the RTL and
:class:`din.golden.flowctl.model.FlowCtlModel` beat for beat; ``ready`` is one bool per cycle for ``m_axis``.

Everything expected comes from the golden model (written from the spec), never from the RTL.
"""

import struct

from din.golden.flowctl.config import FlowCfg, FlowCtlConfig, Profile
from din.golden.flowctl.model import FlowCtlModel
from din.rtl.flowctl.core import FLOW_WORD_RESET, PROFILES
from din.rtl.flowctl.mfc import RESET_REPEAT
from din.sim.flowctl.mfc_scapy import MfcEntry, mfc_frame, to_beats

__all__ = ["small_config", "rtl_cfg_values", "rtl_profiles", "rtl_flow_words", "make_frames", "schedule", "run_golden",
           "frames_by_flow", "COUNTER_KEYS", "ready_fn", "mfc_rx_schedule", "unpack_some"]

#: counters compared between the RTL and the golden model at the end of a run (golden ``counters()`` keys)
COUNTER_KEYS = ("enq_pkts", "deq_pkts", "used_cells", "free_cells", "cap_exceeded", "xoff_tx", "xon_tx",
                "global_xoff_tx")


def small_config(*, flows=16, cells=256, xoff=40, xon=24, cap=1 << 16, quantum=1518, lossless=True,
                 g_xoff=None, g_xon=None, guard_en=True, pfc_mirror_en=False, fc_tx_en=False, fc_rx_en=False,
                 snap_en=False, **mfc):
    """A small configuration: one profile for every flow, all flows enabled, tenant 0, priority 0. MFC generation
    and reception are off unless asked for (``fc_tx_en``, ``fc_rx_en``, ``snap_en``; ``mfc``: further
    :class:`FlowCtlConfig` fields of the MFC side such as ``t_snap``, ``coal_xoff``, ``pause_time``, ``wd_cycles``)."""
    mfc.setdefault("t_snap", 256)
    cfg = FlowCtlConfig(flows=flows, tenants=1, cells=cells, max_pkt=1518,
                        profiles=(Profile(xoff=xoff, xon=xon, cap=cap, quantum=quantum),),
                        flow_cfg=tuple(FlowCfg(lossless=lossless) for _ in range(flows)),
                        d_link=16, fc_tx_en=fc_tx_en, fc_rx_en=fc_rx_en, snap_en=snap_en,
                        guard_en=guard_en, pfc_mirror_en=pfc_mirror_en, **mfc)
    if g_xoff is None:
        g_xoff = max(cfg.safe_g_xoff, 1)
    return cfg.with_(g_xoff=g_xoff, g_xon=g_xon)


def rtl_cfg_values(cfg):
    """The scalar ``cfg_*`` inputs of :class:`din.rtl.flowctl.core.FlowCtlCore` for a golden configuration (raw
    values: the RTL applies the clamps itself); the profiles and per-flow words: :func:`rtl_profiles`,
    :func:`rtl_flow_words`."""
    # what this RTL fixes at elaboration (rtl/flowctl/mfc.py) or does not implement
    assert cfg.fc_max_entries == 9 and cfg.snap_chunk == 64 and not cfg.tenant_fc_active
    assert cfg.reset_repeat == RESET_REPEAT
    assert all(cfg.flow(f).tenant == 0 for f in range(cfg.flows)), "tenants are not in this RTL"
    assert not cfg.dt_en
    return {"cfg_g_xoff": cfg.g_xoff_eff, "cfg_g_xon": cfg.g_xon_raw, "cfg_h": cfg.h_cfg_eff,
            "cfg_guard_en": int(cfg.guard_en), "cfg_pfc_mirror_en": int(cfg.pfc_mirror_en),
            "cfg_fc_tx_en": int(cfg.fc_tx_en), "cfg_fc_rx_en": int(cfg.fc_rx_en), "cfg_snap_en": int(cfg.snap_en),
            "cfg_snap_idle": int(cfg.snap_idle), "cfg_snap_trail": cfg.snap_trail, "cfg_t_snap": cfg.t_snap,
            "cfg_pause_time": cfg.pause_time_eff, "cfg_time_exp": cfg.time_exp, "cfg_coal_xoff": cfg.coal_xoff,
            "cfg_coal_xon": cfg.coal_xon, "cfg_fc_da": int.from_bytes(cfg.fc_da, "big"),
            "cfg_fc_sa": int.from_bytes(cfg.fc_sa, "big"), "cfg_fc_etype": cfg.fc_etype,
            "cfg_wd_cycles": cfg.wd_cycles, "cfg_wd_action": cfg.wd_action, "cfg_wd_restore": cfg.wd_restore}


def rtl_profiles(cfg):
    """The 16 profiles as the RTL holds them (``xoff``, ``xon``, ``cap``, ``quantum``); profiles the configuration
    does not name keep the golden ``Profile()`` values, which are the registers' reset values."""
    out = []
    for p in range(PROFILES):
        prof = cfg.profiles[p] if p < len(cfg.profiles) else Profile()
        out.append({"xoff": prof.xoff, "xon": prof.xon, "cap": min(prof.cap, 0xFFFF), "quantum": prof.quantum})
    return out


def rtl_flow_words(cfg):
    """``{flow: FLOW_WORD dict}`` for every flow whose word differs from the RTL's reset word (FLOW_WORD_RESET)."""
    out = {}
    for f in range(cfg.flows):
        fc = cfg.flow(f)
        assert max(fc.xoff, fc.xon, fc.cap, fc.quantum) <= 0xFFFF, "overrides are 16-bit"
        word = {"enable": int(fc.enable), "lossless": int(fc.lossless), "profile": fc.profile, "prio": fc.prio,
                "xoff": fc.xoff, "xon": fc.xon, "cap": fc.cap, "quantum": fc.quantum}
        if word != FLOW_WORD_RESET:
            out[f] = word
    return out


def make_frames(rng, n, *, flows, sizes=(60, 64, 65, 72, 73, 127, 128, 129, 200, 1514, 1518), p_bad=0.0,
                p_invalid=0.0, p_oversize=0.0, p_runt=0.0, flow_weights=None, dest_limit=None):
    """``n`` frames ``(dest, data, user)``; the first 8 bytes name (flow, index, length) so mix-ups are visible."""
    frames = []
    population = list(range(flows))
    for i in range(n):
        f = rng.choices(population, weights=flow_weights)[0] if flow_weights else rng.randrange(flows)
        size = rng.choice(sizes)
        user = 0
        r = rng.random()
        if r < p_bad:
            user = 1
        elif r < p_bad + p_invalid:
            f = rng.randrange(flows, dest_limit or (1 << 16))
        elif r < p_bad + p_invalid + p_oversize:
            size = 1519 + rng.randrange(200)
        elif r < p_bad + p_invalid + p_oversize + p_runt:
            size = rng.randrange(1, 60)
        head = struct.pack(">HIH", f & 0xFFFF, i, size)
        frames.append((f, (head + rng.randbytes(max(0, size - 8)))[:size], user))
    return frames


def schedule(frames, rng, *, p_gap=0.0, max_gap=4):
    """Per-cycle beats for ``frames`` with random idle gaps between (and inside) frames."""
    out = []
    for dest, payload, user in frames:
        for off in range(0, len(payload), 8):
            while rng.random() < p_gap:
                out.extend([None] * rng.randint(1, max_gap))
            last = off + 8 >= len(payload)
            out.append((payload[off:off + 8], last, user if last else 0, dest))
    return out


def unpack_some(rng, sched, p):
    """Unpacked input (docs/flowctl.md decision 3): with probability ``p`` per beat, shorten a beat before ``tlast``
    to 1 to 7 bytes or empty a last beat."""
    out = []
    for b in sched:
        if b is not None and rng.random() < p:
            data, last, user, dest = b
            b = (b"" if last else data[:rng.randint(1, 7)], last, user, dest)
        out.append(b)
    return out


def run_golden(cfg, sched, ready, *, tail_cycles=3000, pfc=None, fc_sched=None, fc_ready=None, fc_out=None,
               on_cycle=None):
    """Drive the golden model: initialisation, the schedule, then ``tail_cycles`` of drain.

    ``ready(t)`` / ``pfc(t)`` / ``fc_ready(t)`` give m_axis ready / pfc_paused / m_fc ready at cycle t counted from the
    end of initialisation; ``fc_sched`` is a per-cycle list of ``s_fc`` beats ``(data, last, user)`` or None.
    ``fc_out``: a list that receives (cycle, (data, last)) of every m_fc transfer; ``on_cycle(t, model)`` is called
    after every step. Returns (model, list of (cycle, beat) transferred on m_axis).
    """
    model = FlowCtlModel(cfg)
    for _ in range(cfg.init_cycles_eff):
        model.step()
    out = []
    for t in range(len(sched) + tail_cycles):
        beat = sched[t] if t < len(sched) else None
        fc_in = fc_sched[t] if fc_sched is not None and t < len(fc_sched) else None
        m_beat, fc_beat = model.step(beat, m_ready=ready(t), pfc_paused=pfc(t) if pfc else 0, fc_in=fc_in,
                                     fc_ready=fc_ready(t) if fc_ready else True)
        if m_beat is not None:
            out.append((t, m_beat))
        if fc_beat is not None and fc_out is not None:
            fc_out.append((t, fc_beat))
        if on_cycle is not None:
            on_cycle(t, model)
    return model, out


def frames_by_flow(beats):
    """Reassemble m_axis beats ``(data, last, user, dest)`` into {flow: [(bytes, user), ...]}."""
    flows, cur = {}, {}
    for data, last, user, dest in beats:
        buf = cur.setdefault(dest, bytearray())
        buf += data
        if last:
            flows.setdefault(dest, []).append((bytes(buf), user))
            del cur[dest]
    assert not cur, f"packets without tlast at the end: flows {sorted(cur)}"
    return flows


def ready_fn(kind, seed):
    """m_axis ready as a function of the cycle for a stall pattern of din.sim.common.stall."""
    from din.sim.common.stall import stall_pattern
    it = stall_pattern(kind, seed=seed)
    cache = []

    def ready(t):
        while len(cache) <= t:
            cache.append(not next(it))
        return cache[t]
    return ready


def mfc_rx_schedule(rng, flows, n):
    """s_fc traffic built with the scapy MFC class: valid deltas and snapshots, stale, duplicated, malformed and
    corrupted frames, RESET, GLOBAL_PAUSE, TENANT_DELTA, back-to-back frames (a snapshot walk pre-empted by
    deltas). Returns the per-cycle beat schedule."""
    seq = 500
    out = [None] * 40
    kinds = {}

    def emit(frame, user=0, gap=None):
        out.extend(to_beats(frame, user_last=user))
        out.extend([None] * (rng.randrange(0, 120) if gap is None else gap))

    def ents(k):
        return [MfcEntry(id=rng.randrange(flows + 2), lease=rng.choice((0, 0, 12, 25, 40))) for _ in range(k)]
    emit(mfc_frame(type=2, seq=seq, base=0, lease=30, flags="RESET+SNAP_LAST", bitmap=bytes(8)))
    for i in range(n):
        r = rng.random()
        gap = 0 if rng.random() < 0.2 else None
        kind = "valid"
        if r < 0.40:
            seq += rng.choice((1, 1, 1, 2, 3))
            emit(mfc_frame(type=1, seq=seq & 0xFFFF, time_exp=rng.choice((0, 0, 1)), entries=ents(rng.randrange(10)),
                           flags=rng.choice((0, 0, 0, 1))), gap=gap)
        elif r < 0.55:
            seq += 1
            bm = bytes(rng.choice((0, 0, 0xFF, rng.randrange(256))) for _ in range(8))
            emit(mfc_frame(type=2, seq=seq & 0xFFFF, base=rng.choice((0, 0, 0, 8, 64)), lease=rng.choice((20, 45)),
                           bitmap=bm, flags=rng.choice(("SNAP_LAST", "SNAP_LAST+GLOBAL_PAUSE"))), gap=gap)
        elif r < 0.60:
            seq += 1
            emit(mfc_frame(type=3, seq=seq & 0xFFFF, entries=[MfcEntry(id=rng.randrange(2), lease=rng.choice((0, 15)))]),
                 gap=gap)
        elif r < 0.66:
            kind = "dup"
            emit(mfc_frame(type=1, seq=seq & 0xFFFF, entries=ents(2)))
        elif r < 0.71:
            kind = "stale"
            emit(mfc_frame(type=1, seq=(seq - rng.randrange(1, 100)) & 0xFFFF, entries=ents(2)))
        elif r < 0.76:
            kind = "fcs"
            seq += 1
            emit(mfc_frame(type=1, seq=seq & 0xFFFF, entries=ents(3)), user=1)
        elif r < 0.80:
            kind = "reset"
            seq = rng.randrange(1 << 16)
            emit(mfc_frame(type=2, seq=seq, base=0, lease=30, flags="RESET+SNAP_LAST",
                           bitmap=bytes([rng.randrange(256), 0, 0, 0, 0, 0, 0, 0])))
        else:
            kind = rng.choice(("etype", "version", "type", "length", "runt", "oversize", "length2"))
            seq += 1
            good = mfc_frame(type=1, seq=seq & 0xFFFF, entries=ents(4))
            if kind == "etype":
                frame = mfc_frame(etype=0x88B6, type=1, seq=seq & 0xFFFF, entries=ents(1))
            elif kind == "version":
                frame = good[:14] + bytes([0x21]) + good[15:]
            elif kind == "type":
                frame = good[:14] + bytes([0x14]) + good[15:]
            elif kind == "length":
                frame = good + bytes(8)
            elif kind == "length2":
                frame = mfc_frame(type=2, seq=seq & 0xFFFF, base=0, lease=5, bitmap=bytes(8))
                frame = frame[:22] + b"\x00\x30" + frame[24:]
            elif kind == "runt":
                frame = good[:rng.randrange(8, 60)]
            else:
                frame = good + bytes(1520 - len(good))
            emit(frame)
        kinds[kind] = kinds.get(kind, 0) + 1
    return out, kinds
