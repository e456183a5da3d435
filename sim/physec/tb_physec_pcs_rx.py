"""cocotb testbench of ``din_physec_pcs_rx`` (rtl/physec/pcs.py ``PcsRx``): from serial words made by the golden
transmitter, the XGMII words equal the golden receiver's (golden/physec/blocklock.py ``Pcs10GBaseR.receive``), with
lock from a random bit offset, relock after slips, header bit errors counted and reset mid-stream."""

import cocotb
from cocotb.triggers import ClockCycles

from din.sim.common.tb import PATTERNS, Scoreboard, reset, rng, start_clock, write_figures
from din.sim.physec.tb_pcs_cocotb import StreamLoop
from din.sim.physec.tb_pcs_stimulus import bits_to_words, golden_rx, serial_stream, unpack_xgmii

CLOCK_MHZ = 161.1328125


async def _setup(dut):
    start_clock(dut.clk, CLOCK_MHZ)
    dut.s_line_tvalid.value = 0          # inputs driven before the first edge (no X into the registers)
    dut.m_xgmii_tready.value = 0
    await reset(dut.clk, dut.rst)


def _check(dut, name, got, expected):
    sb = Scoreboard(name, log=dut._log)
    for w in expected:
        sb.expect(w)
    for v in got:
        sb.observe(unpack_xgmii(v))
    sb.finish(min_checked=len(expected))


@cocotb.test()
@cocotb.parametrize(pattern_in=PATTERNS, pattern_out=PATTERNS)
async def rx_matches_golden(dut, pattern_in, pattern_out):
    """1500 words from a random bit offset: lock once, every block the golden receiver finds comes out the same."""
    await _setup(dut)
    r = rng(f"rx:{pattern_in}:{pattern_out}")
    _, bits = serial_stream(r, 1500, offset=r.randrange(66))
    words = bits_to_words(bits)
    expected, lock = golden_rx(words)
    loop = StreamLoop(dut, src="s_line", dst="m_xgmii", pattern_in=pattern_in, pattern_out=pattern_out, rng=r)
    await loop.run(words, len(expected))
    await ClockCycles(dut.clk, 8)
    assert not int(dut.m_xgmii_tvalid.value) or pattern_out != "none", "extra output"
    _check(dut, f"pcs_rx[{pattern_in}/{pattern_out}]", loop.got, expected)
    assert int(dut.block_lock.value) == 1 and int(dut.lock_count.value) == lock.locks == 1
    assert int(dut.slip_count.value) == lock.slips


@cocotb.test()
async def relock_and_bit_errors(dut):
    """Header bit errors while locked are counted one each; a one-bit slip loses lock after 16 bad headers and
    block lock finds the new boundary (lock_count 2); the output still equals the golden receiver's."""
    await _setup(dut)
    r = rng("relock")
    _, bits = serial_stream(r, 2400, offset=r.randrange(66))
    bits = bits.copy()
    base = int(len(bits) % 66)
    n_err = 5
    for k in range(n_err):                              # one header error every 100 blocks, from block 300
        bits[base + 66 * (300 + 100 * k) + r.randrange(2)] ^= 1
    cut = base + 66 * 1100 + r.randrange(66)
    import numpy as np
    bits = np.concatenate([bits[:cut], bits[cut + 1:]])
    words = bits_to_words(bits)
    expected, lock = golden_rx(words)
    assert lock.locks == 2
    loop = StreamLoop(dut, src="s_line", dst="m_xgmii", rng=r)
    await loop.run(words, len(expected))
    await ClockCycles(dut.clk, 8)
    _check(dut, "pcs_rx relock", loop.got, expected)
    assert int(dut.lock_count.value) == 2 and int(dut.block_lock.value) == 1
    assert int(dut.slip_count.value) == lock.slips
    assert int(dut.sh_err_count.value) == n_err + 16
    assert int(dut.dec_err_count.value) > 0


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def reset_mid_stream(dut, pattern):
    """A reset mid-stream: afterwards the receiver hunts again and matches a fresh golden receiver."""
    await _setup(dut)
    r = rng(f"rxreset:{pattern}")
    _, bits = serial_stream(r, 600, offset=r.randrange(66))
    words = bits_to_words(bits)
    expected, _ = golden_rx(words)
    loop = StreamLoop(dut, src="s_line", dst="m_xgmii", pattern_in=pattern, pattern_out=pattern, rng=r)
    await loop.run(words, r.randint(50, 200))
    assert [unpack_xgmii(v) for v in loop.got] == expected[:len(loop.got)]
    loop.idle()
    await reset(dut.clk, dut.rst, cycles=r.randint(1, 5))
    assert int(dut.block_lock.value) == 0 and int(dut.lock_count.value) == 0
    _, bits2 = serial_stream(r, 800, offset=r.randrange(66))
    words2 = bits_to_words(bits2)
    expected2, _ = golden_rx(words2)
    loop.got.clear()
    await loop.run(words2, len(expected2))
    _check(dut, f"pcs_rx after reset [{pattern}]", loop.got, expected2)


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench physec_pcs_rx``: serial words back to back; throughput counted once locked."""
    import time
    await _setup(dut)
    r = rng("bench")
    _, bits = serial_stream(r, 33 * 60, offset=17)
    words = bits_to_words(bits)
    expected, _ = golden_rx(words)
    loop = StreamLoop(dut, src="s_line", dst="m_xgmii")
    t0 = time.perf_counter()
    await loop.run(words, len(expected))
    wall = time.perf_counter() - t0
    assert [unpack_xgmii(v) for v in loop.got] == expected
    outs = loop.out_cycles
    ins = loop.in_cycles
    # latency: the word that completes the first delivered block's last bit -> that block out
    first_words = [k for k, c in enumerate(ins) if c <= outs[-1]]
    locked_in = [c for c in ins if c >= outs[0]]
    figures = {
        "cycles_to_lock": outs[0] - ins[0],
        "beats_per_cycle_in_locked": round(len(locked_in) / (locked_in[-1] - locked_in[0] + 1), 4),
        "beats_per_cycle_out_locked": round((len(outs) - 1) / (outs[-1] - outs[0]), 4),
        "latency_cycles": _latency(ins, outs, len(words), len(expected)),
        "words_in": len(first_words), "xgmii_out": len(outs),
        "cycles_per_wall_second": round(loop.cycle / wall) if wall > 0 else None,
    }
    write_figures(figures)


def _latency(ins, outs, n_words, n_blocks):
    """Cycles from the input word that completes the last block to that block's output."""
    return outs[-1] - ins[-1] if n_words and n_blocks else None
