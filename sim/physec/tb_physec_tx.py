"""cocotb testbench of ``din_physec_tx`` (rtl/physec/tx_top.py): client blocks in on ``clk``, line words out on
``line_clk``; the line words must equal the golden transmitter's bit for bit (``din.sim.physec.tb_tx_model``).

Clocks: the line clock is a cocotb ``Clock`` of 6206 ps (161.138 MHz, +9.8 ppm from nominal: 1 ps resolution)
started at 1 ps, so its rising edges fall on odd picoseconds. The client clock is driven by :func:`client_clock` with
an exact rational period (156.25 MHz at 0 / +100 / −100 ppm): its rising edge i is at 2·floor((φ + i·T)/2) ps, an even
picosecond (at most 2 ps of jitter), so the two clocks never rise together and the golden model's exact client timing
applies with a 1 ps correction (see ``golden_clock``). The client data change on the client clock's falling edge,
from the same coroutine (no extra scheduler work per cycle). Line words are read on the falling edge of ``line_clk``.

The tests check: line words equal the golden words, Cm decisions equal (through the words: JC is in them),
``overflow`` / ``underflow`` / ``gap`` stay 0, and ``blocks_carried`` equals the golden count (zero overhead:
every client block that went in is carried, after the FIFO's start-up fill).
"""

from fractions import Fraction
import os
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer
from cocotb.utils import get_sim_time
import numpy as np

from din.sim.common.tb import rng, sim_name, write_figures
from din.sim.physec.tb_tx_model import blocks_as_ints, golden_clock, golden_tx, line_words, make_trace

T_LINE = 6206                        # ps
LINE_START = 1                       # ps: odd rising edges
CLIENT_PHASE = Fraction(1234, 1)     # ps after the test's line clock start
I0 = 24                              # block k is written at client edge I0 + 4k


def client_period(ppm):
    return Fraction(6400) / (1 + Fraction(ppm) / 10**6)


async def client_clock(dut, period, blocks, state, base, i0=I0):
    """Drive ``clk`` with rational ``period`` (edges on even ps) and write block k at rising edge i0 + 4k."""
    clk, valid, data = dut.clk, dut.s_axis_tvalid, dut.s_axis_tdata
    now = int(get_sim_time("ps"))
    i = 0
    nblocks = len(blocks)
    while not state["done"]:
        y = base + CLIENT_PHASE + i * period
        rise = 2 * (y // 2)                          # integer ps, even
        fall = 2 * ((y + period / 2) // 2)
        await Timer(int(rise - now), unit="ps")
        clk.value = 1
        await Timer(int(fall - rise), unit="ps")
        clk.value = 0
        now = fall
        # data for rising edge i + 1
        k, r = divmod(i + 1 - i0, 4)
        if i + 1 >= i0 and r == 0 and k < nblocks:
            data.value = blocks[k]
            valid.value = 1
        else:
            valid.value = 0
        i += 1


async def install_keys(dut, keys):
    """Security top: write the slots of a golden ``KeyConfig`` (slot i = ``keys.slots[i]``) on the line clock and wait
    for their H; then MODE, REQUIRE_ENCRYPTION and the key switch of the key file."""
    from din.golden.physec.security import MODE_OF
    await write_key_slots(dut, keys.slots)
    dut.mode.value = MODE_OF[keys.mode]
    dut.require_encryption.value = int(keys.require_encryption)


async def write_key_slots(dut, slots, clk=None):
    """Write golden :class:`KeySlot` s (slot i = ``slots[i]``) through the key port of a security top (TX or RX) on
    ``clk`` (default ``line_clk``) and wait until their H is ready."""
    clk = dut.line_clk if clk is None else clk
    await FallingEdge(clk)                   # key_ready is defined one edge after reset (X in Icarus before)
    for i, s in enumerate(slots):
        dut.key.value = int.from_bytes(s.key, "big")
        dut.key_slot.value = i
        dut.key_an.value = s.an
        dut.key_salt.value = int.from_bytes(s.salt, "big")
        dut.key_ssci.value = s.ssci
        dut.key_valid.value = 1
        while True:                          # key_valid is seen with key_ready at the rising edge before this one
            ready = dut.key_ready.value == 1
            await FallingEdge(clk)
            if ready:
                break
        dut.key_valid.value = 0
    want = (1 << len(slots)) - 1
    while int(dut.slot_valid.value) & want != want:
        await FallingEdge(clk)


async def run_frames(dut, *, frames, ppm, fc_init, an, seed_salt, keys=None, fc_limit=(1 << 64) - 1,
                     rekey_warn=1024, i0=I0):
    """Run ``frames`` frames; return (got words, golden words, golden transmitter, figures). ``keys`` (a golden
    ``KeyConfig``): the security top (``din_physec_tx_sec``), given those slots, MODE and switch before it is
    enabled; ``i0``: the client edge of block 0 (after the key installation)."""
    r = rng(seed_salt)
    trace = make_trace(r.randrange(1 << 30), 4 * 1000 * (frames + 1))
    from din.golden.physec.security import KeyConfig
    from din.golden.physec.transmitter import Transmitter
    n_blocks = 1000 * (frames + 1)
    blocks = blocks_as_ints(Transmitter(trace, KeyConfig(mode="clear")).client_blocks(0, n_blocks))
    period = client_period(ppm)

    dut.enable.value = 0
    dut.fc_init.value = fc_init
    if keys is None:
        dut.an.value = an
    else:
        for name in ("key_valid", "sw_req", "sw_slot", "sw_at", "tx_slot"):
            getattr(dut, name).value = 0
        dut.fc_limit.value = fc_limit
        dut.rekey_warn.value = rekey_warn
    dut.mode.value = 0
    dut.rdi.value = 0
    dut.rif.value = 0
    dut.kcc_tvalid.value = 0
    dut.kcc_tdata.value = 0
    dut.m_axis_tready.value = 1
    dut.s_axis_tvalid.value = 0
    dut.s_axis_tdata.value = 0
    dut.clk.value = 0
    dut.rst.value = 1
    dut.line_rst.value = 1
    # tests share one simulation: start the line clock on an odd picosecond, the client timeline from there
    await Timer(LINE_START if get_sim_time("ps") % 2 == 0 else 2, unit="ps")
    base = int(get_sim_time("ps")) + 1                   # even
    Clock(dut.line_clk, T_LINE, unit="ps").start()
    state = {"done": False}
    # reset both domains for a few line cycles; the client clock runs from the start
    cocotb.start_soon(client_clock(dut, period, blocks, state, base, i0))
    for _ in range(4):
        await FallingEdge(dut.line_clk)
    dut.rst.value = 0
    dut.line_rst.value = 0
    if keys is not None:
        await install_keys(dut, keys)
        if keys.switch:
            dut.sw_req.value = 1
            dut.sw_slot.value = next(i for i, s in enumerate(keys.slots) if s.an == keys.switch["an"])
            dut.sw_at.value = fc_init + keys.switch["frame"]
            await FallingEdge(dut.line_clk)
            dut.sw_req.value = 0
    dut.enable.value = 1
    assert get_sim_time("ps") < base + CLIENT_PHASE + i0 * period - 2 * T_LINE, "reset must end before block 0"

    total = 4112 * frames
    got = np.zeros(total, dtype=np.uint64)
    n = 0
    s0 = None
    half = T_LINE // 2
    m_valid, m_data, sample = dut.m_axis_tvalid, dut.m_axis_tdata, dut.sample
    wall0 = time.perf_counter()
    cycles = 0
    first_cycle = first_time = None
    while n < total:
        await FallingEdge(dut.line_clk)
        cycles += 1
        if s0 is None and sample.value == 1:
            s0 = get_sim_time("ps") - half + T_LINE        # the edge closing the sample cycle
        if m_valid.value == 1:
            if first_cycle is None:
                first_cycle, first_time = cycles, get_sim_time("ps") - half   # the edge that registered word 0
            got[n] = m_data.value.to_unsigned()
            n += 1
    wall = time.perf_counter() - wall0
    state["done"] = True
    assert s0 is not None and s0 % 2 == 1
    names = ["overflow", "underflow", "gap", "blocks_carried", "frames"]
    if keys is not None:
        names += ["rekey_required", "cfg_err", "ks_underrun", "j0_missing", "tag_late", "tx_blocked", "dropped",
                  "active_an"]
    status = {name: int(getattr(dut, name).value) for name in names}
    ppm_rel, start, latency = golden_clock(t_line=T_LINE, s0=s0, t_client=period,
                                           c0=base + CLIENT_PHASE + i0 * period,
                                           even_client_edges=True)
    sec = {} if keys is None else {"keys": keys, "fc_limit": fc_limit, "rekey_warn": rekey_warn}
    dump, gtx = golden_tx(trace, frames=frames, ppm=ppm_rel, start=start, latency=latency, fc_init=fc_init, an=an,
                          **sec)
    want = line_words(dump)
    figures = {"line_cycles": cycles, "line_words_per_cycle": round(n / (cycles - first_cycle + 1), 6), "cycles_per_wall_second": round(cycles / wall) if wall else None,
               "ppm_client_vs_line": float(ppm_rel), "status": status}
    return got, want, gtx, figures, {"s0": s0, "start": start, "latency": latency, "period": period,
                                     "first_time": first_time, "base": base, "i0": i0}


def check(dut, got, want, gtx, status):
    diff = np.flatnonzero(got != want)
    assert not len(diff), (f"{len(diff)} of {len(got)} line words differ from the golden transmitter; first at "
                           f"word {int(diff[0])} (frame {int(diff[0]) // 4112}, word {int(diff[0]) % 4112}): "
                           f"got {int(got[diff[0]]):#018x} want {int(want[diff[0]]):#018x}")
    assert status["overflow"] == 0, "client FIFO overflow"
    assert status["underflow"] == 0, "client FIFO underflow (a data slot found no block)"
    assert status["gap"] == 0, "gearbox gap"
    carried = sum(f.cm for f in gtx.log)
    # blocks_carried is read after the last word: the mapper may have started the next frame's slots
    assert carried <= status["blocks_carried"] <= carried + 16, (carried, status["blocks_carried"])
    assert gtx.controller.underflow == 0 and gtx.controller.overflow == 0


def block_latencies(gtx, al):
    """Latency (line cycles) of the first, middle and last client block of frame 1: from the client edge that writes
    it to the line edge after which the line word holding its first bit is on m_axis. Frame 1 carries blocks
    first..first+Cm−1; slot j holds the i-th of them."""
    from din.golden.physec.gmp import slot_mask
    info = gtx.log[1]
    slots = np.flatnonzero(slot_mask(info.cm)) + 1
    lat = []
    for i in (0, info.cm // 2, info.cm - 1):
        k = info.first_block + i
        c_write = al["base"] + CLIENT_PHASE + (al["i0"] + 4 * k) * al["period"]
        bit = 4112 * 64 + 257 * (slots[i] + 7)
        w = bit // 64
        t_word = al["first_time"] + w * T_LINE             # the edge after which word w is on m_axis
        lat.append(float((t_word - c_write) / T_LINE))
    return lat


def frames_for_sim(verilator, icarus):
    override = os.environ.get("DIN_TX_FRAMES")
    if override:
        return int(override)
    return verilator if sim_name() == "verilator" else icarus


@cocotb.test()
@cocotb.parametrize(ppm=(0, 100, -100))
async def frames_vs_golden(dut, ppm):
    """Line words equal the golden transmitter's, bit for bit, with the client clock at 0 / ±100 ppm."""
    frames = frames_for_sim(2, 1)     # DIN_TX_FRAMES=N for longer runs
    fc_init = {0: (1 << 64) - 3, 100: 0x0123456789ABCDEF, -100: 5}[ppm]     # ppm 0: FC saturates at 2^64 − 1
    got, want, gtx, fig, _ = await run_frames(dut, frames=frames, ppm=ppm, fc_init=fc_init, an=(ppm // 100) % 4,
                                              seed_salt=f"tx:{ppm}")
    check(dut, got, want, gtx, fig["status"])
    cms = [f.cm for f in gtx.log]
    dut._log.info("ppm %s (client vs line %.3f): %d frames, Cm %s, %d blocks carried, %d cycles/s", ppm,
                  fig["ppm_client_vs_line"], frames, cms, fig["status"]["blocks_carried"],
                  fig["cycles_per_wall_second"])


@cocotb.test()
async def steady_state(dut):
    """Past the start-up (frame 0 carries nothing, then Cm = 1016 until the FIFO is back at its target): Cm settles
    to 996 / 997, and the client blocks carried per frame equal the blocks that came in (zero overhead)."""
    frames = int(os.environ.get("DIN_TX_STEADY_FRAMES", "0"))       # not run by default yet (see the docstring)
    if frames == 0:
        dut._log.info("steady state: set DIN_TX_STEADY_FRAMES=64 (Verilator) to run it")
        return
    got, want, gtx, fig, al = await run_frames(dut, frames=frames, ppm=100, fc_init=7, an=1, seed_salt="tx:steady")
    check(dut, got, want, gtx, fig["status"])
    cms = [f.cm for f in gtx.log]
    tail = cms[-8:]
    assert set(tail) <= {996, 997, 998}, cms
    # zero overhead over the tail: blocks carried per line bit = blocks arriving per line bit
    rate_in = (1 + Fraction(fig["ppm_client_vs_line"]) / 10**6) / 264
    rate_out = Fraction(sum(tail), 8 * 263168)
    dut._log.info("steady state: Cm tail %s, carried %.6f blocks per line bit vs %.6f in (ratio %.6f)", tail,
                  float(rate_out), float(rate_in), float(rate_out / rate_in))
    assert abs(rate_out / rate_in - 1) < 2e-3


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench physec_tx``: line words per cycle, client block → line latency in line cycles."""
    frames = 2
    got, want, gtx, fig, al = await run_frames(dut, frames=frames, ppm=0, fc_init=0, an=0, seed_salt="tx:bench")
    check(dut, got, want, gtx, fig["status"])
    lat = block_latencies(gtx, al)
    write_figures({"line_words_per_cycle": fig["line_words_per_cycle"], "frames": frames, "words": len(got),
                   "latency_block_to_line_cycles": [round(x, 1) for x in lat],
                   # frame pipeline: the Cm sample edge to the edge that puts word 0 of frame 1 on m_axis
                   "sample_to_frame_start_cycles": round((al["first_time"] + 4112 * T_LINE - al["s0"]) / T_LINE, 1),
                   "cycles_per_wall_second": fig["cycles_per_wall_second"],
                   "blocks_carried": fig["status"]["blocks_carried"]})
