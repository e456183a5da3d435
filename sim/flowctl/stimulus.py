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

__all__ = ["small_config", "rtl_cfg_values", "make_frames", "schedule", "run_golden", "frames_by_flow",
           "COUNTER_KEYS", "ready_fn"]

#: counters compared between the RTL and the golden model at the end of a run (golden ``counters()`` keys)
COUNTER_KEYS = ("enq_pkts", "deq_pkts", "used_cells", "free_cells", "cap_exceeded", "xoff_tx", "xon_tx",
                "global_xoff_tx")


def small_config(*, flows=16, cells=256, xoff=40, xon=24, cap=1 << 16, quantum=1518, lossless=True,
                 g_xoff=None, g_xon=None, guard_en=True, pfc_mirror_en=False):
    """A small configuration without MFC generation or reception (the RTL does not implement them yet): one
    profile for every flow, all flows enabled, tenant 0, priority 0."""
    cfg = FlowCtlConfig(flows=flows, tenants=1, cells=cells, max_pkt=1518,
                        profiles=(Profile(xoff=xoff, xon=xon, cap=cap, quantum=quantum),),
                        flow_cfg=tuple(FlowCfg(lossless=lossless) for _ in range(flows)),
                        d_link=16, t_snap=256, fc_tx_en=False, fc_rx_en=False, snap_en=False,
                        guard_en=guard_en, pfc_mirror_en=pfc_mirror_en)
    if g_xoff is None:
        g_xoff = max(cfg.safe_g_xoff, 1)
    return cfg.with_(g_xoff=g_xoff, g_xon=g_xon)


def rtl_cfg_values(cfg):
    """The ``cfg_*`` inputs of :class:`din.rtl.flowctl.core.FlowCtlCore` for a golden configuration (raw values:
    the RTL applies the clamps itself)."""
    p = cfg.profiles[0]
    return {"cfg_xoff": p.xoff, "cfg_xon": p.xon, "cfg_cap": min(p.cap, 0xFFFF), "cfg_quantum": p.quantum,
            "cfg_lossless": int(cfg.flow(0).lossless), "cfg_g_xoff": cfg.g_xoff_eff, "cfg_g_xon": cfg.g_xon_raw,
            "cfg_guard_en": int(cfg.guard_en), "cfg_pfc_mirror_en": int(cfg.pfc_mirror_en)}


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


def run_golden(cfg, sched, ready, *, tail_cycles=3000, pfc=None):
    """Drive the golden model: initialisation, the schedule, then ``tail_cycles`` of drain.

    ``ready(t)`` / ``pfc(t)`` give m_axis ready / pfc_paused at cycle t counted from the end of initialisation.
    Returns (model, list of (cycle, beat) transferred on m_axis).
    """
    model = FlowCtlModel(cfg)
    for _ in range(cfg.init_cycles_eff):
        model.step()
    out = []
    for t in range(len(sched) + tail_cycles):
        beat = sched[t] if t < len(sched) else None
        m_beat, _ = model.step(beat, m_ready=ready(t), pfc_paused=pfc(t) if pfc else 0)
        if m_beat is not None:
            out.append((t, m_beat))
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

