"""The flowctl register reset values (rtl/flowctl/regs.py) are the golden configuration's values for the default
build (golden/flowctl/config.py, from spec §4's lossless rule and §5's lease rule), so a change of a latency in the
model (which moves H, the safe guard and the lease) cannot leave an unsafe reset value behind."""

from din.golden.flowctl.config import FlowCtlConfig
from din.rtl.flowctl.regs import FLOWCTL_REGMAP


def test_reset_values_are_the_golden_defaults_of_the_default_build():
    cfg = FlowCtlConfig(d_link=512)            # the default build: 256 flows, 2048 cells, a 512-cycle link
    r = {reg.name: reg.reset_value for reg in FLOWCTL_REGMAP.registers}
    assert r["G_XOFF"] == cfg.safe_g_xoff == cfg.cells - cfg.headroom - cfg.max_pkt_cells
    assert r["G_XON"] == cfg.g_xon_raw == r["G_XOFF"] - cfg.g_hysteresis
    assert r["PAUSE_TIME"] == cfg.pause_time_eff
    assert (r["T_SNAP"], r["SNAP_TRAIL"], r["COAL_XOFF"], r["COAL_XON"], r["FC_ETYPE"]) == \
        (cfg.t_snap, cfg.snap_trail, cfg.coal_xoff, cfg.coal_xon, cfg.fc_etype)
