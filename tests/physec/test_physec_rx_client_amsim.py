"""RX client side (rtl/physec/rx_client.py) in the Amaranth simulator: 257b blocks (line domain) -> XGMII words (client
domain), against the golden 257b / 64b/66b decoders (golden/physec), with Local Fault, start fill, underflow and
overflow rules."""

import random

import numpy as np
import pytest

from din.golden.physec.pcs6466 import encode_words
from din.golden.physec.transcode257 import encode_groups
from din.rtl.physec.rx_client import IDLE_BLOCK257, IDLE_WORD, LOCAL_FAULT, RxClient
from din.sim.physec.tb_rx_golden import E_BLOCK_INT, blocks_as_ints, client_words

T_CLIENT = 6.4e-9
T_LINE = 6.4e-9 * 64 / 66


def random_blocks(rng, n):
    """``n`` 257b blocks of a random XGMII stream (idles, frames with start / terminate, errors), golden-encoded."""
    data, ctrl = [], []
    while len(data) < 4 * n:
        kind = rng.random()
        if kind < 0.3:
            data.append(0x0707070707070707), ctrl.append(0xFF)
        elif kind < 0.4:
            data.append(0x5555555555D555FB), ctrl.append(0x01)                       # start, preamble
        elif kind < 0.45:
            data.append(0x07070707070707FD), ctrl.append(0xFF)                       # terminate in lane 0
        else:
            data.append(rng.getrandbits(64)), ctrl.append(0)
    data = np.array(data[:4 * n], dtype=np.uint64)
    ctrl = np.array(ctrl[:4 * n], dtype=np.uint8)
    hdr, pay = encode_words(data, ctrl)
    return blocks_as_ints(encode_groups(hdr.reshape(-1, 4), pay.reshape(-1, 4)))


def expected_words(blocks):
    """Golden decode: per block (int, e) its four XGMII words."""
    return [w for words, _ in client_words(blocks) for w in words]


def run(blocks, *, schedule, link_schedule=None, client_cycles, start_level=12, depth=64, keep_level=None):
    """Feed ``blocks`` at the line cycles in ``schedule``; ``link_schedule(cycle)`` gives link_up per line cycle.
    Returns the client words (data, ctrl) and the status pulses counted."""
    # keep_level = depth - 1: no surplus ever, so no deletion (the exact-stream tests)
    dut = RxClient(depth=depth, start_level=start_level, keep_level=depth - 1 if keep_level is None else keep_level)
    out, counts = [], {"underflow": 0, "overflow": 0, "xcode_err": 0, "e_blocks": 0, "data_blocks": 0,
                       "idle_deleted": 0, "idle_inserted": 0}
    when = dict(zip(schedule, range(len(blocks))))

    async def line_tb(ctx):
        for cycle in range(max(schedule) + 200):
            ctx.set(dut.link_up, 1 if link_schedule is None else link_schedule(cycle))
            k = when.get(cycle)
            if k is not None:
                ctx.set(dut.blocks.valid, 1)
                ctx.set(dut.blocks.payload, {"block": blocks[k][0], "e": blocks[k][1]})
            else:
                ctx.set(dut.blocks.valid, 0)
            await ctx.tick("line")

    async def line_mon(ctx):
        async for _clk, _rst, ov in ctx.tick("line").sample(dut.overflow):
            counts["overflow"] += ov

    async def client_tb(ctx):
        for _ in range(client_cycles):
            _, _, word, u, x, e, d, dl, ins = await ctx.tick("sync").sample(
                dut.xgmii.payload, dut.underflow, dut.xcode_err, dut.e_blocks, dut.data_blocks, dut.idle_deleted,
                dut.idle_inserted)
            counts["idle_deleted"] += dl
            counts["idle_inserted"] += ins
            out.append((word.data, word.ctrl))
            if u and counts["underflow"] == 0:
                counts["first_underflow_after"] = counts["e_blocks"] + counts["data_blocks"]
            counts["underflow"] += u
            counts["xcode_err"] += x
            counts["e_blocks"] += e
            counts["data_blocks"] += d

    from amaranth.sim import Simulator
    sim = Simulator(dut)
    sim.add_clock(T_LINE, domain="line")
    sim.add_clock(T_CLIENT, domain="sync")
    sim.add_testbench(line_tb)
    sim.add_process(line_mon)
    sim.add_testbench(client_tb)
    sim.run()
    return out, counts


def frame_like_schedule(n, rng, *, start=40):
    """Line cycles of ``n`` block arrivals shaped like a PHYSec frame: one block per 257 bits (4.0156 words) during
    the payload, a gap of 9 block times (AM + overhead) every 1016 slots, a stuff slot about every 52."""
    cycles, t, slot = [], float(start), 0
    while len(cycles) < n:
        slot += 1
        if slot % 1016 == 0:
            t += 9 * 257 / 64
        if slot % 52 == 0:
            t += 257 / 64
            continue
        cycles.append(int(t))
        t += 257 / 64
    return cycles


def strip_lead(words):
    k = 0
    while k < len(words) and words[k] in (LOCAL_FAULT, IDLE_WORD):
        k += 1
    return words[k:], words[:k]


def test_blocks_decode_like_the_golden_model():
    rng = random.Random(11)
    blocks = [(b, False) for b in random_blocks(rng, 600)]
    blocks[100] = (E_BLOCK_INT, True)              # an /E/ block from the demapper
    schedule = frame_like_schedule(len(blocks), rng)
    out, counts = run(blocks, schedule=schedule, client_cycles=4 * len(blocks) + 400,
                      link_schedule=lambda c: 1 if c >= 20 else 0)
    body, lead = strip_lead(out)
    want = expected_words(blocks)
    # the first block may begin with idles (stripped with the lead-in): align on the first non-idle word
    k = next(i for i, w in enumerate(want) if w != IDLE_WORD)
    assert LOCAL_FAULT in lead, "no Local Fault before SYNC"
    assert body[:len(want) - k] == want[k:], "client words differ from the golden decoder"
    # the only underflow is the end of the stimulus, after every block went out
    assert counts["underflow"] <= 1 and counts.get("first_underflow_after", len(blocks)) == len(blocks), counts
    assert counts["overflow"] == 0
    assert counts["e_blocks"] == 1 and counts["data_blocks"] == len(blocks) - 1


def test_underflow_gives_error_words_then_idles_and_refills():
    rng = random.Random(12)
    blocks = [(b, False) for b in random_blocks(rng, 200)]
    schedule = frame_like_schedule(100, rng)
    schedule += [schedule[-1] + 400 + 4 * i for i in range(100)]      # a stall of ~100 line cycles
    out, counts = run(blocks, schedule=schedule, client_cycles=4 * 200 + 600)
    assert counts["underflow"] >= 1 and counts["first_underflow_after"] == 100, counts
    e_word = (0xFEFEFEFEFEFEFEFE, 0xFF)
    first_e = out.index(e_word)
    assert out[first_e:first_e + 4] == [e_word] * 4
    # after the /E/ group: idles while the FIFO refills, then the next blocks exactly
    rest, _ = strip_lead(out[first_e + 4:])
    want = expected_words(blocks[100:])
    k = next(i for i, w in enumerate(want) if w != IDLE_WORD)
    assert rest[:len(want) - k] == want[k:]


def test_overflow_drops_and_poisons_the_next_block():
    rng = random.Random(13)
    blocks = [(b, False) for b in random_blocks(rng, 200)]
    schedule = [40 + i for i in range(200)]                           # a block every line cycle: 4x too fast
    out, counts = run(blocks, schedule=schedule, client_cycles=4 * 200 + 400, depth=16, start_level=8)
    assert counts["overflow"] > 0
    assert counts["e_blocks"] >= 1                                      # poisoned blocks are flagged /E/


def test_link_down_flushes_and_sends_local_fault():
    rng = random.Random(14)
    blocks = [(b, False) for b in random_blocks(rng, 300)]
    schedule = frame_like_schedule(len(blocks), rng)
    down = (schedule[150], schedule[150] + 300)
    out, counts = run(blocks, schedule=schedule, client_cycles=4 * 300 + 400,
                      link_schedule=lambda c: 0 if down[0] <= c < down[1] else 1)
    i = out.index(LOCAL_FAULT, 100)
    j = i
    while out[j] == LOCAL_FAULT:
        j += 1
    assert j - i >= 250, "Local Fault for the whole outage"
    assert counts.get("first_underflow_after", len(blocks)) >= len(blocks) - 150


def test_idle_group_is_the_spec_all_idle_block():
    spec_ones = {6, 7, 8, *range(66, 70), *range(130, 134), *range(194, 198)}       # physec.md §3
    assert IDLE_BLOCK257 == sum(1 << b for b in spec_ones)
    hdr, pay = encode_words(np.full(4, 0x0707070707070707, dtype=np.uint64), np.full(4, 0xFF, dtype=np.uint8))
    assert blocks_as_ints(encode_groups(hdr.reshape(1, 4), pay.reshape(1, 4)))[0] == IDLE_BLOCK257


def idle_heavy_blocks(rng, n):
    """Frames separated by long idle gaps (several all-idle groups each)."""
    data, ctrl = [], []
    while len(data) < 4 * n:
        data += [0x0707070707070707] * rng.randrange(8, 24)
        ctrl += [0xFF] * (len(data) - len(ctrl))
        data.append(0x5555555555D555FB), ctrl.append(0x01)
        for _ in range(rng.randrange(8, 40)):
            data.append(rng.getrandbits(64)), ctrl.append(0)
        data.append(0x07070707070707FD), ctrl.append(0xFF)
    data = np.array(data[:4 * n], dtype=np.uint64)
    ctrl = np.array(ctrl[:4 * n], dtype=np.uint8)
    hdr, pay = encode_words(data, ctrl)
    return blocks_as_ints(encode_groups(hdr.reshape(-1, 4), pay.reshape(-1, 4)))


def non_idle(words):
    return [w for w in words if w not in (IDLE_WORD, LOCAL_FAULT)]


def test_surplus_is_absorbed_by_deleting_idle_groups_only():
    """Blocks arrive 2 % faster than the client reads them (the transmitter's start-up, Cm = 1016): idle groups in gaps
    are deleted, no frame word is lost or changed."""
    rng = random.Random(15)
    blocks = [(b, False) for b in idle_heavy_blocks(rng, 5000)]      # several 4096-cycle windows
    step = 4 * (66 / 64) / 1.02                                         # client block time / 1.02, in line cycles
    schedule = [40 + int(i * step) for i in range(len(blocks))]
    # stop before the stimulus runs out (an empty FIFO outside a gap would be a real underflow)
    out, counts = run(blocks, schedule=schedule, client_cycles=int(3.6 * len(blocks)), depth=64, keep_level=6)
    want = expected_words(blocks)
    got = non_idle(out)
    assert got == non_idle(want)[:len(got)] and len(got) > 0.8 * len(non_idle(want))
    assert counts["idle_deleted"] > 10 and counts["overflow"] == 0 and counts["underflow"] == 0, counts


def test_deficit_is_absorbed_by_inserting_idle_groups_only():
    """Blocks arrive 1 % slower than the client reads them (a free-running client clock): idle groups are inserted
    in gaps, never an /E/ word, no frame word changed."""
    rng = random.Random(16)
    blocks = [(b, False) for b in idle_heavy_blocks(rng, 1500)]
    step = 4 * (66 / 64) * 1.01
    schedule = [40 + int(i * step) for i in range(len(blocks))]
    out, counts = run(blocks, schedule=schedule, client_cycles=int(3.8 * len(blocks)), depth=64)
    got = non_idle(out)
    want = non_idle(expected_words(blocks))
    assert got == want[:len(got)] and len(got) > 0.8 * len(want)
    assert counts["idle_inserted"] > 5 and counts["underflow"] == 0, counts
    assert (0xFEFEFEFEFEFEFEFE, 0xFF) not in out


@pytest.mark.parametrize("bad", [dict(depth=12), dict(start_level=0), dict(depth=64, start_level=60), dict(keep_level=3),
                                 dict(depth=64, keep_level=64)])
def test_parameters_are_checked(bad):
    with pytest.raises((ValueError, TypeError)):
        RxClient(**bad)
