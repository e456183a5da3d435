"""cocotb testbench of ``din_rx_framer`` (rtl/physec/rx_top.py, the PHYSec RX in MODE 00) against the golden receiver.

Stimulus: golden transmitter line dumps (key file mode "clear") shifted by a bit offset behind random words, with
slips and bit errors (din.sim.physec.tb_rx_golden). Expected: the 257b blocks and counters of the golden receiver on
exactly the same bits. The words are driven from a preloaded list in one loop that also collects the output blocks
(no per-cycle coroutines), and everything is compared at the end.
"""

import os

import cocotb
from cocotb.triggers import RisingEdge

from din.golden.physec.gmp import slot_mask
from din.sim.common.tb import Scoreboard, reset, rng, sim_name, start_clock, write_figures
from din.sim.physec.tb_rx_golden import FRAME_BITS, client_words, make_stimulus

LINE_MHZ = 161.1328125
#: Icarus runs this design at a few hundred cycles per second: it checks lock from bit offsets and the bench; the long
#: scenarios (slip / LOF / relock, AM, OH and JC errors: 6..9 frames each) run on Verilator
_LONG = {"skip": os.environ.get("DIN_SIM") == "icarus"}
FRAME_WORDS = FRAME_BITS // 64
BLOCK_MASK = (1 << 257) - 1


async def _setup(dut):
    start_clock(dut.line_clk, LINE_MHZ)
    dut.line_tvalid.value = 0
    dut.line_tdata.value = 0
    dut.require_encryption.value = 0
    await reset(dut.line_clk, dut.line_rst)


async def drive_words(dut, words, tail=16):
    """Drive ``words`` back to back; return (blocks [(int, e)], output cycle of each block, cycle sync first rose)."""
    clk = dut.line_clk
    tdata, bv, bd, sync = dut.line_tdata, dut.blocks_tvalid, dut.blocks_tdata, dut.sync
    blocks, cycles, sync_at = [], [], None
    dut.line_tvalid.value = 1
    n = 0
    for n, w in enumerate(words):
        tdata.value = w
        await RisingEdge(clk)
        if int(bv.value):
            v = int(bd.value)
            blocks.append((v & BLOCK_MASK, bool(v >> 257)))
            cycles.append(n)
        if sync_at is None and int(sync.value):
            sync_at = n
    dut.line_tvalid.value = 0
    for k in range(tail):
        await RisingEdge(clk)
        if int(bv.value):
            v = int(bd.value)
            blocks.append((v & BLOCK_MASK, bool(v >> 257)))
            cycles.append(n + 1 + k)
    return blocks, cycles, sync_at


def read_counters(dut, names=("frames_rx", "locks", "lof_count", "am_miss", "am_bit_err", "oh_crc_err", "jc_err",
                               "replay", "fc_jump", "bad_mode", "policy_drop", "crypt_drop", "blocks", "e_blocks")):
    return {n: getattr(dut, f"cnt_{n}").value.to_unsigned() for n in names}


def golden_counters(stim):
    c = stim.counters
    return {"frames_rx": c.frames_rx, "locks": c.locks, "lof_count": c.lof, "am_miss": c.am_miss,
            "am_bit_err": sum(r.am_diff for r in stim.reports if r.am_diff <= 3), "oh_crc_err": c.oh_crc_err,
            "jc_err": c.jc_err, "replay": c.replay, "fc_jump": c.fc_jump, "bad_mode": c.bad_mode,
            "policy_drop": c.policy_drop, "crypt_drop": 0, "blocks": c.blocks_delivered - c.e_blocks,
            "e_blocks": c.e_blocks}


def check_vs_golden(dut, name, stim, blocks, expected, *, min_checked=1000):
    """The client words of ``blocks`` and the RTL counters named in ``expected`` (golden values) are the golden
    receiver's; returns the RTL's counters."""
    sb = Scoreboard(name, log=dut._log)
    for b in stim.client:
        sb.expect(b)
    for b in client_words(blocks):
        sb.observe(b)
    got = read_counters(dut, names=tuple(expected))
    assert got == expected, f"{name}: counters {got} != golden {expected}"
    sb.finish(min_checked=min_checked)
    return got


async def _check(dut, stim, name):
    await _setup(dut)
    blocks, _, _ = await drive_words(dut, stim.words)
    return check_vs_golden(dut, name, stim, blocks, golden_counters(stim))


def _offsets():
    """Bit offsets to try: 0, 63 and a seeded sample of the rest (more on Verilator, which is fast)."""
    r = rng("offsets")
    extra = 6 if sim_name() == "verilator" else 0
    return [0, 63] + r.sample(range(1, 63), extra)


@cocotb.test()
async def lock_from_bit_offsets(dut):
    """From each bit offset class (behind 1..3 random words) the RTL locks and delivers the golden blocks."""
    r = rng("lock")
    for off in _offsets():
        stim = make_stimulus(3, offset=off, pre_words=r.randrange(1, 4), rng_seed=r.randrange(1 << 30))
        got = await _check(dut, stim, f"offset {off}")
        assert got["locks"] == 1 and got["frames_rx"] == 2


@cocotb.test(**_LONG)
async def slip_loss_of_frame_and_relock(dut):
    """A slip after lock: 4 missed AMs → loss of frame, then HUNT / PRESYNC / SYNC again, as the golden receiver."""
    r = rng("slip")
    delta = r.choice((-7, -1, 2, 5))
    stim = make_stimulus(9, offset=r.randrange(64), pre_words=2, slips=[(2 * FRAME_BITS + 100_000, delta)],
                         rng_seed=r.randrange(1 << 30))
    assert stim.counters.lof == 1 and stim.counters.locks == 2, "the stimulus must relock in the golden model"
    await _check(dut, stim, f"slip {delta}")


@cocotb.test(**_LONG)
async def am_bit_errors(dut):
    """AM bit errors in SYNC: up to 3 accepted (counted in am_bit_err), 4 is a miss (the frame is still processed)."""
    r = rng("am")
    flips = []
    for frame, n in ((2, 3), (3, 4), (4, 1), (5, 2)):
        flips += [frame * FRAME_BITS + b for b in r.sample(range(120), n)]
    stim = make_stimulus(6, offset=r.randrange(64), pre_words=1, flips=flips, rng_seed=r.randrange(1 << 30))
    assert stim.counters.am_miss == 1 and stim.counters.lof == 0
    await _check(dut, stim, "am errors")


@cocotb.test(**_LONG)
async def overhead_and_jc_errors(dut):
    """OH bit errors → oh_crc_err (predicted FC, data still delivered); JC errors → jc_err and /E/ blocks."""
    r = rng("oh")
    oh = lambda frame, octet, bit: frame * FRAME_BITS + 120 + 8 * octet + bit          # noqa: E731
    flips = [oh(1, r.randrange(14), r.randrange(8)), oh(2, 2, 6), oh(3, r.choice((6, 13)), 0), oh(3, 3, 1),
             oh(4, 30, 2)]
    stim = make_stimulus(6, offset=r.randrange(64), pre_words=2, flips=flips, rng_seed=r.randrange(1 << 30))
    assert stim.counters.oh_crc_err >= 3 and stim.counters.jc_err == 2 and stim.counters.e_blocks
    await _check(dut, stim, "oh/jc errors")


@cocotb.test()
async def bench(dut):
    """Figures: line words per cycle, lock time in frames, latency from the line word with a slot's last bit to its
    257b block, in line cycles."""
    off, pre = 37, 3
    stim = make_stimulus(4, offset=off, pre_words=pre)
    await _setup(dut)
    blocks, cycles, sync_at = await drive_words(dut, stim.words)
    assert client_words(blocks) == stim.client
    first = stim.reports[0]                                  # the first processed frame (SYNC)
    j0 = int(slot_mask(first.cm).nonzero()[0][0]) + 1        # its first client slot
    last_bit = first.pos + 257 * (j0 + 8) - 1
    latency = cycles[0] - last_bit // 64
    write_figures({"line_words_per_cycle": 1.0, "blocks_per_frame": len(stim.blocks) // stim.counters.frames_rx,
                   "lock_time_frames": round((sync_at - 64 * 0) / FRAME_WORDS, 3),
                   "lock_after_first_am_frames": round((sync_at - (stim.first_frame_bit // 64)) / FRAME_WORDS, 3),
                   "latency_cycles": latency, "latency_ns": round(latency * 1e3 / LINE_MHZ, 1)})
