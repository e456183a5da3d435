"""cocotb testbench of ``din_physec_tx_sec`` (the TX framer with the security engine, rtl/physec/tx_sec.py): the line
words must equal the golden transmitter's bit for bit in MODE 10 (GCM) and MODE 01 (GMAC), across a hitless key
switch, at FC_LIMIT and without a key (fail closed); independently, ``cryptography``'s AESGCM authenticates every
frame taken from the RTL's line output (and decrypts it in MODE 10) with the key of the AN the frame carries.

Clocks and client timing as in :mod:`.tb_physec_tx` (whose ``run_frames`` drives both tops); block 0 is written
after the key installation (client edge ``I0_SEC``).
"""

import cocotb
import numpy as np

from din.golden.physec.security import KeyConfig
from din.sim.common.tb import params, write_figures
from din.sim.physec.tb_physec_tx import T_LINE, block_latencies, check, frames_for_sim, run_frames
from din.sim.physec.tb_rx_golden import make_keys
from din.sim.physec.tb_tx_model import check_with_aesgcm

I0_SEC = 1024                      # client edges: two key installs (~110 line cycles each + 160 for GHASH's keys) first


def check_sec(dut, got, want, gtx, status, keys, fc_init, frames):
    dut._log.info("status %s", status)
    check(dut, got, want, gtx, status)
    for name in ("ks_underrun", "j0_missing", "tag_late", "cfg_err"):
        assert status[name] == 0, (name, status)
    lead = next((i for i, f in enumerate(gtx.log) if f.mode == 0), len(gtx.log))     # leading protected frames
    usable = min(lead + 1, frames)                  # frame n's tag is in frame n+1 (even a blocked one)
    if usable >= 2:
        checked = check_with_aesgcm(got[:4112 * usable], keys, fc_init, usable)
        dut._log.info("AESGCM authenticated %d frames of the RTL's line output", checked)


@cocotb.test()
@cocotb.parametrize(mode=("gcm", "gmac"), ppm=(0, 100))
async def frames_vs_golden(dut, mode, ppm):
    """MODE 10 / MODE 01 line words equal the golden transmitter's; AESGCM verifies the RTL's frames."""
    frames = frames_for_sim(3, 2)
    fc_init = 0x0123456789ABCDEF if ppm else 5
    keys = make_keys(mode, f"txsec:{mode}:{ppm}", ans=(2,), fc_init=fc_init)
    got, want, gtx, fig, _ = await run_frames(dut, frames=frames, ppm=ppm, fc_init=fc_init, an=0, keys=keys,
                                              seed_salt=f"txsec:{mode}:{ppm}", i0=I0_SEC)
    check_sec(dut, got, want, gtx, fig["status"], keys, fc_init, frames)
    dut._log.info("%s ppm %s: %d frames, modes %s, %d cycles/s", mode, ppm, frames, [f.mode for f in gtx.log],
                  fig["cycles_per_wall_second"])


@cocotb.test()
async def key_switch(dut):
    """Hitless rekey: slot 1 (AN 3) from frame 9, frames 1..8 carry NAN = 3 and KSP; every frame equals the golden
    transmitter's and authenticates under the key of its own AN (frame 9 carries frame 8's tag under the old key)."""
    frames = 11
    fc_init = 1000
    keys = make_keys("gcm", "txsec:switch", ans=(2, 3), switch={"frame": 9, "an": 3}, fc_init=fc_init)
    got, want, gtx, fig, _ = await run_frames(dut, frames=frames, ppm=0, fc_init=fc_init, an=0, keys=keys,
                                              seed_salt="txsec:switch", i0=I0_SEC)
    check_sec(dut, got, want, gtx, fig["status"], keys, fc_init, frames)
    assert [f.an for f in gtx.log] == [2] * 9 + [3] * 2
    assert fig["status"]["active_an"] == 3


@cocotb.test()
async def fail_closed(dut):
    """No key with REQUIRE_ENCRYPTION: MODE 00 frames of stuff only, no client block on the line; then FC_LIMIT:
    MODE 10 until FC_LIMIT, blocked from there (both equal to the golden transmitter)."""
    keys = KeyConfig(mode="gcm", slots=[])
    got, want, gtx, fig, _ = await run_frames(dut, frames=2, ppm=0, fc_init=0, an=0, keys=keys,
                                              seed_salt="txsec:nokey", i0=I0_SEC)
    assert np.array_equal(got, want), "no key: line words differ from the golden transmitter"
    assert fig["status"]["blocks_carried"] == 0 and fig["status"]["tx_blocked"] >= 2, fig["status"]
    dut._log.info("no key: %s", fig["status"])
    fc_init = 77
    keys = make_keys("gcm", "txsec:limit", ans=(2,), fc_init=fc_init)
    got, want, gtx, fig, _ = await run_frames(dut, frames=3, ppm=0, fc_init=fc_init, an=0, keys=keys,
                                              fc_limit=fc_init + 2, seed_salt="txsec:limit", i0=I0_SEC)
    assert np.array_equal(got, want), "FC_LIMIT: line words differ from the golden transmitter"
    assert [f.mode for f in gtx.log] == [2, 2, 0]
    st = fig["status"]
    assert st["rekey_required"] == 1 and st["tx_blocked"] >= 1 and st["ks_underrun"] == 0, st
    check_with_aesgcm(got, keys, fc_init, 3)


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench physec_tx_sec``: MODE 10, two frames: line words per cycle, client block → line latency
    (compare ``din bench physec_tx``: the security path adds the tap register and the TAG stages), keystream words
    missing (0: the AES supplies one half block per payload word), the word from which T(n) was ready and its margin
    to the TAG stage."""
    frames = 2
    keys = make_keys("gcm", "txsec:bench", ans=(2,), fc_init=0)
    got, want, gtx, fig, al = await run_frames(dut, frames=frames, ppm=0, fc_init=0, an=0, keys=keys,
                                              seed_salt="txsec:bench", i0=I0_SEC)
    check_sec(dut, got, want, gtx, fig["status"], keys, 0, frames)
    tag_word = int(dut.tag_ready_word.value)
    tag_delay = int(params()["tag_delay"])
    write_figures({"line_words_per_cycle": fig["line_words_per_cycle"], "frames": frames, "mode": "GCM (10)",
                   "latency_block_to_line_cycles": [round(x, 1) for x in block_latencies(gtx, al)],
                   # frame pipeline: the Cm sample edge to the edge that puts word 0 of frame 1 on m_axis
                   "sample_to_frame_start_cycles": round((al["first_time"] + 4112 * T_LINE - al["s0"]) / T_LINE, 1),
                   "keystream_words_missing": fig["status"]["ks_underrun"],
                   "tag_ready_at_tap_word": tag_word, "tag_needed_at_tap_word": 3 + tag_delay,
                   "tag_margin_cycles": 3 + tag_delay - tag_word,
                   "cycles_per_wall_second": fig["cycles_per_wall_second"]})
