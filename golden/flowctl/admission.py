"""Admission at the first beat and the congestion-point FC controller (spec §3–§4, background §5.5–5.6).

Admission, in this order (spec §3): disabled or out-of-range flow -> ``invalid``; fewer than ``ceil(MAX_PKT / cell)``
free cells -> ``nobuf``; a non-lossless flow with ``occ ≥ CAP`` -> ``cap``; otherwise accepted. A lossless flow over
its CAP is accepted and counts ``cap_exceeded`` (monitor only). Frames that end with ``tuser[0]``, exceed MAX_PKT or are
shorter than 60 bytes are ``bad`` (decided in model.py at the end of the frame or when MAX_PKT is passed).

FC controller: the single writer of the per-flow / per-tenant / global RUN-PAUSED state. ``evaluate(f, t)`` runs when an
occupancy notification for flow f is due (``L_NOTIFY`` after the allocation or free) and compares the *current*
occupancies::

    flow:   RUN -> PAUSED when occ_f ≥ XOFF_eff (XOFF entry), PAUSED -> RUN when occ_f ≤ XON_eff (XON entry)
    tenant: the same with the tenant occupancy and the tenant thresholds (TENANT_DELTA entries)
    global: U ≥ G_XOFF -> GLOBAL_PAUSE flag, U ≤ G_XON -> cleared (only with the guard enabled)

``XOFF_eff = XOFF`` or, with dynamic thresholds, ``min(XOFF, max(XOFF_MIN, (G_XOFF − U) >> DT_SHIFT))`` (spec §4).
Decision (spec silent): ``XON_eff = min(XON, XOFF_eff − 1)`` so the hysteresis survives a lowered dynamic XOFF; with
XOFF = 0 the flow pauses at its first notification and never resumes ("always paused", flagged by cfg_err).
"""

__all__ = ["REASONS", "FcController", "admit"]

#: drop reasons of spec §3, in counter order
REASONS = ("invalid", "nobuf", "cap", "bad")


def admit(cfg, thr, buf, f):
    """Admission decision at the first beat: None (accept) or a reason of ``REASONS``."""
    if f < 0 or f >= cfg.flows or not cfg.flow(f).enable:
        return "invalid"
    if buf.free_cells < cfg.max_pkt_cells:
        return "nobuf"
    if not cfg.flow(f).lossless and buf.occ[f] >= thr[f][2]:
        return "cap"
    return None


class FcController:
    def __init__(self, cfg, buf, sender):
        self.cfg = cfg
        self.buf = buf
        self.sender = sender
        self.thr = [cfg.thresholds(f) for f in range(cfg.flows)]
        self.tenant_of = [cfg.flow(f).tenant for f in range(cfg.flows)]
        self.tthr = [cfg.tenant_thresholds(tn) for tn in range(cfg.tenants)]
        self.g_xoff = cfg.g_xoff_eff
        self.g_xon = cfg.g_xon_eff
        self.reset()

    def reset(self):
        n, nt = self.cfg.flows, self.cfg.tenants
        self.paused = [False] * n
        self.tenant_paused = [False] * nt
        self.global_paused = False
        self.xoff_tx = [0] * n
        self.xon_tx = [0] * n
        self.paused_since = [0] * n
        self.paused_cycles_tx = [0] * n
        self.tenant_xoff_tx = [0] * nt
        self.tenant_xon_tx = [0] * nt
        self.global_xoff_tx = 0
        self.global_since = 0
        self.global_paused_cycles = 0

    def xoff_eff(self, f):
        xoff = self.thr[f][0]
        if self.cfg.dt_en:
            dyn = (self.g_xoff - self.buf.used) >> self.cfg.dt_shift
            xoff = min(xoff, max(self.cfg.xoff_min, dyn))
        return xoff

    def evaluate(self, f, t):
        buf, snd = self.buf, self.sender
        occ = buf.occ[f]
        if not self.paused[f]:
            if occ >= self.xoff_eff(f):
                self.paused[f] = True
                self.xoff_tx[f] += 1
                self.paused_since[f] = t
                snd.post_flow(f, True, t)
        else:
            xon = min(self.thr[f][1], self.xoff_eff(f) - 1)
            if occ <= xon:
                self.paused[f] = False
                self.xon_tx[f] += 1
                self.paused_cycles_tx[f] += t - self.paused_since[f]
                snd.post_flow(f, False, t)
        tn = self.tenant_of[f]
        txoff, txon, _ = self.tthr[tn]
        tocc = buf.tenant_occ[tn]
        if not self.tenant_paused[tn]:
            if tocc >= txoff:
                self.tenant_paused[tn] = True
                self.tenant_xoff_tx[tn] += 1
                snd.post_tenant(tn, True, t)
        elif tocc <= txon:
            self.tenant_paused[tn] = False
            self.tenant_xon_tx[tn] += 1
            snd.post_tenant(tn, False, t)
        if self.cfg.guard_en:
            if not self.global_paused:
                if buf.used >= self.g_xoff:
                    self.global_paused = True
                    self.global_xoff_tx += 1
                    self.global_since = t
                    snd.post_global(True, t)
            elif buf.used <= self.g_xon:
                self.global_paused = False
                self.global_paused_cycles += t - self.global_since
                snd.post_global(False, t)
