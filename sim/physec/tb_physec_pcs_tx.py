"""cocotb testbench of ``din_physec_pcs_tx`` (rtl/physec/pcs.py ``PcsTx``): the serial words equal the golden
encoder + scrambler + gearbox (golden/physec/blocklock.py ``Pcs10GBaseR.transmit``) bit for bit."""

import cocotb
from cocotb.triggers import ClockCycles

from din.sim.common.tb import PATTERNS, Scoreboard, params, reset, rng, start_clock, write_figures
from din.sim.physec.tb_pcs_cocotb import StreamLoop
from din.sim.physec.tb_pcs_stimulus import golden_tx_words, pack_xgmii, serial_stream

CLOCK_MHZ = 161.1328125


async def _setup(dut):
    start_clock(dut.clk, CLOCK_MHZ)
    dut.s_xgmii_tvalid.value = 0          # inputs driven before the first edge (no X into the registers)
    dut.m_line_tready.value = 0
    assert params().get("gearbox", True), "this testbench checks the serial (gearbox) output"
    await reset(dut.clk, dut.rst)


@cocotb.test()
@cocotb.parametrize(pattern_in=PATTERNS, pattern_out=PATTERNS)
async def tx_matches_golden(dut, pattern_in, pattern_out):
    """2000 XGMII words (packets, idles, every block type, /E/ cases) → serial words equal to the golden model's."""
    await _setup(dut)
    r = rng(f"tx:{pattern_in}:{pattern_out}")
    words, _ = serial_stream(r, 2000, tx_state=0)
    expected = golden_tx_words(words)
    loop = StreamLoop(dut, src="s_xgmii", dst="m_line", pattern_in=pattern_in, pattern_out=pattern_out, rng=r)
    await loop.run([pack_xgmii(d, c) for d, c in words], len(expected))
    sb = Scoreboard(f"pcs_tx[{pattern_in}/{pattern_out}]", log=dut._log)
    for w in expected:
        sb.expect(w)
    for w in loop.got:
        sb.observe(w)
    await ClockCycles(dut.clk, 4)
    sb.finish(min_checked=len(expected))


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def reset_mid_stream(dut, pattern):
    """A reset mid-stream: before it, a clean prefix of the golden words; after it, the golden words of a fresh PCS."""
    await _setup(dut)
    r = rng(f"txreset:{pattern}")
    words, _ = serial_stream(r, 600, tx_state=0)
    before = golden_tx_words(words)
    loop = StreamLoop(dut, src="s_xgmii", dst="m_line", pattern_in=pattern, pattern_out=pattern, rng=r)
    cut = r.randint(100, 400)
    await loop.run([pack_xgmii(d, c) for d, c in words], cut)
    assert loop.got == before[:cut], "words before the reset are not a prefix of the golden stream"
    loop.idle()
    await reset(dut.clk, dut.rst, cycles=r.randint(1, 5))
    words2, _ = serial_stream(r, 800, tx_state=0)
    after = golden_tx_words(words2)
    loop.got.clear()
    await loop.run([pack_xgmii(d, c) for d, c in words2], len(after))
    assert loop.got == after, "words after the reset differ from the golden stream of a fresh PCS"


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench physec_pcs_tx``: back-to-back XGMII words, no stalls."""
    import time
    await _setup(dut)
    r = rng("bench")
    words, _ = serial_stream(r, 33 * 60, tx_state=0)
    expected = golden_tx_words(words)
    loop = StreamLoop(dut, src="s_xgmii", dst="m_line")
    t0 = time.perf_counter()
    await loop.run([pack_xgmii(d, c) for d, c in words], len(expected))
    wall = time.perf_counter() - t0
    assert loop.got == expected
    ins, outs = loop.in_cycles, loop.out_cycles
    figures = {
        "words_in": len(ins), "words_out": len(outs),
        "beats_per_cycle_in": round(len(ins) / (ins[-1] - ins[0] + 1), 4),
        "beats_per_cycle_out": round(len(outs) / (outs[-1] - outs[0] + 1), 4),
        "latency_cycles": outs[0] - ins[0],
        "serial_gbps_at_161.13MHz": round(64 * CLOCK_MHZ * len(outs) / (outs[-1] - outs[0] + 1) / 1000, 4),
        "cycles_per_wall_second": round(loop.cycle / wall) if wall > 0 else None,
    }
    assert figures["beats_per_cycle_out"] == 1.0, figures
    write_figures(figures)
