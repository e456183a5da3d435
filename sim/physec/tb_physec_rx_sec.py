"""cocotb testbench of ``din_physec_rx_sec`` (the PHYSec RX with the security engine, rtl/physec/rx_sec.py) against
the golden receiver with ``predict_keystream=True`` (the hardware's keystream rule, docs/physec-security.md).

Stimulus: golden transmitter line dumps in MODE 10 / 01 (din.sim.physec.tb_rx_golden.secure_stimulus) behind random
bits, with attacks made on the line (bit flips, replayed, dropped frames) and receivers with wrong or missing keys.
Expected: the client words and every counter of the golden receiver on exactly the same bits; and, independently of
the golden receiver, properties of the spec: a MODE 10 round trip gives the transmitted client words back with zero
tag failures, each single flipped bit gives exactly one ``tag_fail``, replayed data is never delivered.
"""

import os

import cocotb

from din.golden.physec.gmp import slot_mask
from din.golden.physec.security import KeyConfig, KeySlot
from din.sim.common.tb import reset, rng, start_clock, write_figures
from din.sim.physec.tb_physec_tx import write_key_slots
from din.sim.physec.tb_rx_framer import check_vs_golden, drive_words, golden_counters
from din.sim.physec.tb_rx_golden import FRAME_BITS, make_keys, secure_stimulus

LINE_MHZ = 161.1328125
#: Icarus runs this design at a few hundred cycles per second: it runs the MODE 10 round trip; the longer scenarios
#: (key switch over 13 frames, attacks) run on Verilator, and on Icarus under ``make regress``
_LONG = {"skip": os.environ.get("DIN_SIM") == "icarus" and os.environ.get("DIN_REGRESSION", "sample") != "full"}
FRAME_WORDS = FRAME_BITS // 64
SEC_COUNTERS = ("tag_ok", "tag_fail", "unknown_an", "ks_miss", "ks_underrun")


def clock(dut):
    """Start the line clock (once per test)."""
    start_clock(dut.line_clk, LINE_MHZ)


async def setup(dut, rx_keys, *, require_encryption=1):
    """Reset, RX_REQUIRE_ENCRYPTION, then write ``rx_keys``' slots (a reset clears them)."""
    dut.line_tvalid.value = 0
    dut.line_tdata.value = 0
    dut.key_valid.value = 0
    dut.require_encryption.value = require_encryption
    await reset(dut.line_clk, dut.line_rst)
    if rx_keys.slots:
        await write_key_slots(dut, rx_keys.slots)


def expected_counters(stim):
    c = stim.counters
    exp = golden_counters(stim)
    exp["crypt_drop"] = c.unknown_an + c.ks_miss            # the security build counts MODE 01/10 not decrypted here
    exp.update({n: getattr(c, n) for n in SEC_COUNTERS if n != "ks_underrun"}, ks_underrun=0)
    return exp


async def run_case(dut, stim, name, rx_keys, *, require_encryption=1, min_checked=1000):
    """Reset, install ``rx_keys``, drive the stimulus; the client words and counters must be the golden receiver's."""
    await setup(dut, rx_keys, require_encryption=require_encryption)
    blocks, cycles, _ = await drive_words(dut, stim.words)
    got = check_vs_golden(dut, name, stim, blocks, expected_counters(stim), min_checked=min_checked)
    dut._log.info("%s: counters %s", name, got)
    assert int(dut.tag_late.value) == 0
    return got, blocks, cycles


@cocotb.test()
async def mode10_round_trip(dut):
    """MODE 10 from a random bit offset: every SYNC frame decrypted from the predicted keystream, frame n's tag
    verified in frame n+1, zero tag failures; the client words are the golden receiver's, and (independently) the
    golden transmitter's input."""
    clock(dut)
    r = rng("m10")
    keys = make_keys("gcm", "m10")
    stim, tx = secure_stimulus(keys, 3, lead_bits=r.randrange(64, 256), rng_seed=r.randrange(1 << 30))
    got, blocks, _ = await run_case(dut, stim, "mode 10", keys)
    assert got["tag_ok"] == got["frames_rx"] - 1 == 1 and got["tag_fail"] == got["e_blocks"] == 0


@cocotb.test(**_LONG)
async def mode01_and_policy(dut):
    """MODE 01 (GMAC): verified and delivered with RX_REQUIRE_ENCRYPTION = 0; with it set, the verified frames are
    /E/ and count ``policy_drop`` (the tags are still checked)."""
    clock(dut)
    r = rng("m01")
    keys = make_keys("gmac", "m01")
    stim, _ = secure_stimulus(keys, 3, lead_bits=r.randrange(64, 256), rng_seed=r.randrange(1 << 30))
    got, _, _ = await run_case(dut, stim, "mode 01", keys, require_encryption=0)
    assert got["tag_ok"] == 1 and got["e_blocks"] == 0
    strict = KeyConfig(mode="gcm", fc_init=keys.fc_init, switch=None, slots=keys.slots)
    stim, _ = secure_stimulus(keys, 3, lead_bits=100, rx_keys=strict)
    got, _, _ = await run_case(dut, stim, "mode 01 refused", strict, require_encryption=1, min_checked=0)
    assert got["policy_drop"] == 2 and got["tag_ok"] == 1 and got["blocks"] == 0


@cocotb.test(**_LONG)
async def key_switch(dut):
    """Hitless rekey during traffic: 8 KSP frames announce AN 2, frame 10 is the first under the new key (and carries
    frame 9's tag under the old one); no block lost or corrupted, zero tag failures, zero keystream misses."""
    clock(dut)
    keys = make_keys("gcm", "switch", switch={"frame": 10, "an": 2})
    stim, tx = secure_stimulus(keys, 13, lead_bits=77)
    assert [f.an for f in tx.log] == [1] * 10 + [2] * 3
    got, _, _ = await run_case(dut, stim, "key switch", keys)
    assert got["tag_fail"] == got["ks_miss"] == got["e_blocks"] == 0 and got["tag_ok"] == 11


@cocotb.test(**_LONG)
async def bit_flips_fail_exactly_one_tag(dut):
    """One flipped bit in the payload, in O0..O13 and in TAG of three MODE 10 frames: exactly one ``tag_fail`` each
    (an OHCRC16 error does not stop the AAD check), as the golden receiver."""
    clock(dut)
    r = rng("flips")
    keys = make_keys("gcm", "flips")
    oh = lambda frame, octet: frame * FRAME_BITS + 120 + 8 * octet + r.randrange(8)          # noqa: E731
    flips = [2 * FRAME_BITS + 2056 + r.randrange(32639 * 8),          # payload of frame 2: T(2) fails in frame 3
             oh(4, r.choice((0, 1, 5))),                              # O0 / O1 / O5 of frame 4 (MFAS, STAT, SEC)
             oh(6, 14 + r.randrange(16))]                             # TAG of frame 6 (T(5))
    stim, _ = secure_stimulus(keys, 8, flips=flips, lead_bits=64)
    assert stim.counters.tag_fail == 3
    got, _, _ = await run_case(dut, stim, "bit flips", keys)
    assert got["tag_fail"] == 3


@cocotb.test(**_LONG)
async def replay_splice_jump_unknown_an(dut):
    """Attacks on the line: a replayed frame (frame 3 again in frame 6's place) is counted and its data not
    delivered; a forward jump (frames 8, 9 dropped) misses its keystream (``ks_miss``, /E/) and is accepted as the
    reference once the next frame's tag verifies; a receiver lacking the AN in use decrypts nothing."""
    clock(dut)
    keys = make_keys("gcm", "attacks")
    order = [0, 1, 2, 3, 4, 5, 3, 7, 10, 11, 12, 13]
    stim, _ = secure_stimulus(keys, 14, order=order, lead_bits=13)
    c = stim.counters
    # frame 7 is a jump from the reference (5; the copy of 3 is not accepted), predicted and decrypted; its tag
    # fails in frame 10 (which carries T(9)), so frame 10 (missed) and 11 are jumps too, 11 verified by frame 12;
    # tag failures: frame 7's TAG (T(6) ≠ T(5)) and frame 10's
    assert c.replay == 1 and c.ks_miss == 1 and c.fc_jump == 3 and c.tag_fail == 2
    got, _, _ = await run_case(dut, stim, "replay / jump", keys)
    assert got["replay"] == 1 and got["ks_miss"] == 1
    other = KeyConfig(mode="gcm", fc_init=keys.fc_init, switch=None, slots=[keys.slots[1]])
    stim, _ = secure_stimulus(keys, 3, lead_bits=5, rx_keys=other)
    got, _, _ = await run_case(dut, stim, "unknown AN", other, min_checked=0)
    assert got["unknown_an"] == 2 and got["blocks"] == 0 and got["tag_ok"] == got["tag_fail"] == 0


@cocotb.test(**_LONG)
async def wrong_key_and_reset_mid_traffic(dut):
    """A receiver with the right AN but another key: every frame's data is garbage and every tag fails (cut-through:
    the garbage is delivered, the alarm is the tag); then a reset in the middle of a frame: the slots are cleared
    and, with the right key installed again, the next lock decrypts as before."""
    clock(dut)
    keys = make_keys("gcm", "wrong")
    wrong = KeyConfig(mode="gcm", fc_init=keys.fc_init, switch=None,
                      slots=[KeySlot(an=s.an, key=bytes(32), salt=s.salt, ssci=s.ssci) for s in keys.slots])
    stim, _ = secure_stimulus(keys, 3, lead_bits=200, rx_keys=wrong)
    got, _, _ = await run_case(dut, stim, "wrong key", wrong, min_checked=0)
    assert got["tag_fail"] == 1 and got["tag_ok"] == 0
    # traffic, then reset half way through a frame
    await setup(dut, keys)
    await drive_words(dut, stim.words[:FRAME_WORDS + 1500], tail=0)
    await reset(dut.line_clk, dut.line_rst)
    assert int(dut.slot_valid.value) == 0, "reset must clear the key slots"
    stim, _ = secure_stimulus(keys, 3, lead_bits=31, seed=2)
    await run_case(dut, stim, "after reset", keys)


@cocotb.test()
async def bench(dut):
    """Figures: line words per cycle, keystream blocks per cycle needed and supplied, decrypt-path latency."""
    clock(dut)
    keys = make_keys("gcm", "bench")
    stim, _ = secure_stimulus(keys, 3, lead_bits=37)
    got, blocks, cycles = await run_case(dut, stim, "bench", keys)
    first = stim.reports[0]                                  # the first processed frame (SYNC)
    j0 = int(slot_mask(first.cm).nonzero()[0][0]) + 1        # its first client slot
    latency = cycles[0] - (first.pos + 257 * (j0 + 8) - 1) // 64
    # the keystream need of the line: 2040 blocks per 4112-word MODE 10 frame (and one E_K(J0)); supplied: every
    # payload word of every decrypted frame had its keystream (no underrun, no miss)
    write_figures({"line_words_per_cycle": 1.0, "latency_cycles": latency,
                   "latency_ns": round(latency * 1e3 / LINE_MHZ, 1),
                   "keystream_blocks_per_cycle_needed": round(2041 / FRAME_WORDS, 4),
                   "keystream_words_missing": got["ks_underrun"], "ks_miss": got["ks_miss"],
                   "frames_decrypted": got["frames_rx"], "tag_ok": got["tag_ok"], "tag_fail": got["tag_fail"]})
