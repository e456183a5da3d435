"""cocotb testbench of ``din_physec_phy_sec`` (rtl/physec/phy.py with ``security=True``): real Ethernet through the
whole PHYSec PHY with the AES-256-GCM engines, configured over AXI4-Lite.

The loopback of :mod:`.tb_physec_phy` (cocotbext-eth XGMII source and sink, scapy frames, the simulated fibre,
rational clocks at ±100 ppm, cocotbext-axi for the registers) with the security register map
(``sim/physec/regs_physec_sec.py``): keys are written into both engines through KEY / KEY_SALT / KEY_SSCI /
KEY_CTRL. Expected: every Ethernet frame back exactly (payload and FCS) in MODE 10 and MODE 01 across a hitless key
switch made during traffic; the client words equal those of the golden receiver (``predict_keystream=True``) run on
the very line words the RTL received, with the same key file; the counters as the golden receiver counts them.
"""

import time

import cocotb
import numpy as np
from cocotb.utils import get_sim_time

from din.golden.physec.receiver import Receiver
from din.golden.physec.security import KeyConfig
from din.rtl.physec.phy_regs import (CLIENT_COUNTERS, PHYSEC_SEC_REGMAP, RX_COUNTERS, SEC_RX_COUNTERS,
                                     SEC_TX_COUNTERS, TX_COUNTERS)
from din.sim.common.tb import write_figures
from din.sim.physec import regs_physec_sec as R
from din.sim.physec.tb_physec_phy import (CLOCKS, FRAME_WORDS, Phy, check_client_words, check_frames, make_frames,
                                          n_frames, receive, send_all)
from din.sim.physec.tb_rx_golden import make_keys

COUNTERS = TX_COUNTERS + RX_COUNTERS + CLIENT_COUNTERS + SEC_RX_COUNTERS + SEC_TX_COUNTERS
STATUS_FIELDS = [f.name for r in PHYSEC_SEC_REGMAP.registers if r.name == "STATUS" for f in r.fields]
MODE = {"gcm": 0b10, "gmac": 0b01, "clear": 0b00}
#: client bytes per PHYSec frame: 1016 blocks of 32 octets
FRAME_CLIENT_BYTES = 1016 * 32


class PhySec(Phy):
    """:class:`~.tb_physec_phy.Phy` with the security register map."""

    async def counters(self):
        return {n: await self.read(getattr(R, f"{n}_ADDR")) for n, _src, _doc in COUNTERS}

    async def status(self):
        v = await self.read(R.STATUS_ADDR)
        return {f: (v & getattr(R, f"STATUS_{f}_MASK")) >> getattr(R, f"STATUS_{f}_SHIFT") for f in STATUS_FIELDS}

    async def install(self, index, slot, *, tx=True, rx=True):
        """Write a golden :class:`KeySlot` into slot ``index`` of the TX and / or RX engine; wait until installed."""
        await self.write(R.KEY_ADDR, int.from_bytes(slot.key, "big"), words=8)
        await self.write(R.KEY_SALT_ADDR, int.from_bytes(slot.salt, "big"), words=3)
        await self.write(R.KEY_SSCI_ADDR, slot.ssci)
        await self.write(R.KEY_CTRL_ADDR, (index << R.KEY_CTRL_SLOT_SHIFT) | (slot.an << R.KEY_CTRL_AN_SHIFT) |
                         (int(tx) << R.KEY_CTRL_TX_SHIFT) | (int(rx) << R.KEY_CTRL_RX_SHIFT))
        want_tx, want_rx = (1 << index) if tx else 0, (1 << index) if rx else 0
        for _ in range(400):
            ks = await self.read(R.KEY_STATUS_ADDR)
            txv = (ks & R.KEY_STATUS_TX_SLOT_VALID_MASK) >> R.KEY_STATUS_TX_SLOT_VALID_SHIFT
            rxv = (ks & R.KEY_STATUS_RX_SLOT_VALID_MASK) >> R.KEY_STATUS_RX_SLOT_VALID_SHIFT
            if not ks & R.KEY_STATUS_BUSY_MASK and txv & want_tx == want_tx and rxv & want_rx == want_rx:
                return
        raise AssertionError(f"key slot {index} not installed: KEY_STATUS {ks:#x}")

    async def start(self, keys, *, rx_require):
        """Keys into both engines (slot i = ``keys.slots[i]``), FC_INIT, RX_CTRL, then CTRL (ENABLE, MODE,
        REQUIRE_ENCRYPTION as the key file says)."""
        for i, s in enumerate(keys.slots):
            await self.install(i, s)
        await self.write(R.FC_INIT_ADDR, keys.fc_init, words=2)
        await self.write(R.RX_CTRL_ADDR, int(rx_require) << R.RX_CTRL_RX_REQUIRE_ENCRYPTION_SHIFT)
        await self.write(R.CTRL_ADDR, R.CTRL_ENABLE_MASK | (MODE[keys.mode] << R.CTRL_MODE_SHIFT) |
                         (int(keys.require_encryption) << R.CTRL_REQUIRE_ENCRYPTION_SHIFT))

    def golden(self, keys, rx_require):
        """The golden receiver (the hardware's keystream rule) on the words the RTL received."""
        rx = Receiver(keys, rx_require_encryption=rx_require, predict_keystream=True)
        rx.feed(np.array(self.fibre.sent, dtype="<u8").tobytes())
        rx.finish()
        return rx


def frames_for(rng_, phy_frames, *, max_len=1514):
    """Ethernet frames filling about ``phy_frames`` PHYSec frames at full load."""
    out, total = [], 0
    while total < phy_frames * FRAME_CLIENT_BYTES:
        batch = make_frames(rng_, 16, max_len=max_len)
        out += batch
        total += sum(len(f) + 24 for f in batch)        # preamble, FCS and the minimum gap
    return out


@cocotb.test()
@cocotb.parametrize(mode=("gcm", "gmac"), clocks=tuple(CLOCKS))
async def ethernet_key_switch(dut, mode, clocks):
    """MODE 10 / 01 with clocks at ±100 ppm: keys over AXI4-Lite (they read back as zero), real frames through TX →
    fibre → RX, a key switch requested during traffic (8 KSP frames, then AN 2): every frame back exactly, zero tag
    failures, zero keystream misses, the client words equal the golden receiver's on the same line words."""
    client_ppm, line_ppm = CLOCKS[clocks]
    phy = PhySec(dut, client_ppm=client_ppm, line_ppm=line_ppm, seed_salt=f"sec:{mode}:{clocks}")
    await phy.reset()
    assert await phy.read(R.ID_ADDR) == R.ID and await phy.read(R.VERSION_ADDR) == R.VERSION
    keys = make_keys(mode, f"sec:{mode}:{clocks}", fc_init=phy.rng.randrange(1 << 48))
    rx_require = mode == "gcm"
    await phy.start(keys, rx_require=rx_require)
    for addr in [R.KEY_ADDR + 4 * k for k in range(8)] + [R.KEY_SALT_ADDR + 4 * k for k in range(3)] + \
            [R.KEY_SSCI_ADDR]:
        assert await phy.read(addr) == 0, f"key register {addr:#x} reads back non-zero"
    phy.recording = True
    await phy.wait_sync()
    # the switch: requested now for the frame 2 ahead (a late request gets its 8 KSP frames from the next frame on)
    fc_now = keys.fc_init + await phy.read(R.FRAMES_TX_ADDR)
    await phy.write(R.SW_AT_ADDR, fc_now + 2, words=2)
    await phy.write(R.SWITCH_ADDR, 1 << R.SWITCH_SLOT_SHIFT)
    # the planner works up to 4 frames ahead: the KSP run starts about 4 frames after the request and the switch
    # comes 8 frames later; traffic from the middle of the run to a few frames after the switch
    await phy.wait_line_words(8 * FRAME_WORDS)
    frames = frames_for(phy.rng, n_frames(8, 8))
    wall = time.perf_counter()
    cocotb.start_soon(send_all(phy, frames, "full"))
    got = await receive(phy, len(frames), 16 * FRAME_WORDS)
    check_frames(frames, got)
    await phy.wait_line_words((len(phy.fibre.sent) // FRAME_WORDS + 1) * FRAME_WORDS + 64 - len(phy.fibre.sent))
    c = await phy.counters()
    st = await phy.status()
    wall = time.perf_counter() - wall
    grx = phy.golden(keys, rx_require)
    gdata, gctrl = grx.output()
    n = check_client_words(phy, gdata, gctrl)
    gc = grx.counters
    # the switch happened while client data flowed: delivered frames under both ANs
    ans = {r.an for r in grx.reports if r.blocks and not r.e_blocks and r.cm}
    assert ans == {1, 2}, f"client data under AN {ans}: the switch did not happen during traffic"
    assert st["ACTIVE_AN"] == 2 and st["SYNC"] == 1 and st["TX_BLOCKED"] == 0, st
    for name in ("TAG_FAIL", "KS_MISS", "UNKNOWN_AN", "KS_UNDERRUN", "TX_KS_UNDERRUN", "FRAMES_BLOCKED", "REPLAY",
                 "FC_JUMP", "CRYPT_DROP", "POLICY_DROP", "E_BLOCKS_RX", "RX_UNDERFLOW", "RX_OVERFLOW", "LOF"):
        assert c[name] == 0, f"{name} = {c[name]}; counters {c}"
    assert gc.tag_fail == gc.ks_miss == 0 and 0 <= c["TAG_OK"] - gc.tag_ok <= 1, (c, gc)
    assert c["TAG_OK"] >= c["FRAMES_RX"] - 2, c
    dut._log.info("%s, client %+d / line %+d ppm: %d frames back exactly across the key switch, %d client words = "
                  "golden receiver, counters %s, %.1f s", mode, client_ppm, line_ppm, len(frames), n, c, wall)


@cocotb.test()
async def fail_closed_attacks_and_fc_limit(dut):
    """No key with REQUIRE_ENCRYPTION: frames carry stuff only (the golden receiver finds no client block on the
    line), FRAMES_BLOCKED counts; keys installed during operation: MODE 10 and frames back; a flipped payload bit
    on the fibre: exactly one TAG_FAIL, and RIF comes back in the looped transmitted frames; FC_LIMIT: frames
    blocked again, REKEY_REQUIRED."""
    phy = PhySec(dut, seed_salt="sec:closed")
    await phy.reset()
    keys = make_keys("gcm", "sec:closed", fc_init=1 << 40)
    await phy.write(R.FC_INIT_ADDR, keys.fc_init, words=2)
    await phy.write(R.CTRL_ADDR, R.CTRL_ENABLE_MASK | (0b10 << R.CTRL_MODE_SHIFT) | R.CTRL_REQUIRE_ENCRYPTION_MASK)
    phy.recording = True
    await phy.wait_line_words(3 * FRAME_WORDS)
    frames = make_frames(phy.rng, 40)
    cocotb.start_soon(send_all(phy, frames, "full"))
    await phy.wait_line_words(3 * FRAME_WORDS)
    c = await phy.counters()
    st = await phy.status()
    assert c["BLOCKS_TX"] == 0 and c["FRAMES_BLOCKED"] >= 5 and st["TX_BLOCKED"] == 1, (c, st)
    assert phy.sink.empty(), "client data crossed while no key was installed"
    clear = phy.golden(KeyConfig(mode="clear", slots=[]), False)
    assert clear.counters.blocks_delivered == 0 and clear.counters.frames_rx >= 3, clear.counters
    # keys during operation: both engines, then frames flow in MODE 10
    for i, s in enumerate(keys.slots):
        await phy.install(i, s)
    # the planner is up to 4 frames ahead: the frames already planned stay blocked; the first MODE 10 frame is then
    # not predicted by the receiver (AN 0 of the blocked frames has no slot: KS_MISS, /E/)
    for _ in range(8):
        await phy.wait_line_words(FRAME_WORDS)
        if not (await phy.status())["TX_BLOCKED"]:
            break
    await phy.wait_line_words(2 * FRAME_WORDS)
    phy.sink.clear()
    frames = make_frames(phy.rng, 16)
    cocotb.start_soon(send_all(phy, frames, "random"))
    check_frames(frames, await receive(phy, len(frames), 6 * FRAME_WORDS))
    c0 = await phy.counters()
    assert c0["TAG_FAIL"] == 0 and c0["TAG_OK"] >= 1 and c0["TX_DROPPED"] > 0, c0
    # the first MODE 10 frame after the install had its keystream (the TX bug this test found: tx_sec.py, sequencer)
    assert c0["TX_KS_UNDERRUN"] == 0 and c0["KS_UNDERRUN"] == 0, c0
    # one flipped payload bit of a frame two frames ahead: its tag fails once, RIF returns in our own frames
    n = len(phy.fibre.sent) // FRAME_WORDS + 2
    pos = 64 * FRAME_WORDS * n + phy.fibre.offset + 2056 + phy.rng.randrange(32639 * 8)
    phy.fibre.flips[pos // 64] = 1 << (pos % 64)
    await phy.wait_line_words(4 * FRAME_WORDS)
    c1 = await phy.counters()
    ev = await phy.read(R.EVENTS_ADDR)
    assert c1["TAG_FAIL"] - c0["TAG_FAIL"] == 1, (c0, c1)
    assert ev & R.EVENTS_TAG_FAIL_MASK and ev & R.EVENTS_RIF_SEEN_MASK, f"events {ev:#x}"
    # FC_LIMIT two frames ahead: frames blocked from there, REKEY_REQUIRED
    fc_now = keys.fc_init + c1["FRAMES_TX"]
    await phy.write(R.FC_LIMIT_ADDR, fc_now + 2, words=2)
    await phy.wait_line_words(5 * FRAME_WORDS)
    c2 = await phy.counters()
    st = await phy.status()
    assert st["REKEY_REQUIRED"] == 1 and st["TX_BLOCKED"] == 1 and c2["FRAMES_BLOCKED"] > c1["FRAMES_BLOCKED"], \
        (st, c1, c2)
    dut._log.info("fail closed, keys in operation, one tag failure with RIF, FC_LIMIT: counters %s", c2)


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench physec_phy_sec``: TX -> RX latency in MODE 10 (XGMII SFD in -> SFD out, minus the
    fibre's one line cycle), steady state after 4 frames."""
    phy = PhySec(dut, client_ppm=100, line_ppm=-100, offset=0, seed_salt="sec:bench")
    await phy.reset()
    keys = make_keys("gcm", "sec:bench", fc_init=7)
    await phy.start(keys, rx_require=True)
    await phy.wait_sync()
    await phy.wait_line_words(4 * FRAME_WORDS)
    frames = make_frames(phy.rng, 48)
    first = len(phy.sent)
    cocotb.start_soon(send_all(phy, frames, "full"))
    got = await receive(phy, len(frames), 8 * FRAME_WORDS)
    check_frames(frames, got)
    c = await phy.counters()
    t_line = float(phy.t_line)
    lat_ns = [(g.sim_time_sfd - s.sim_time_sfd - t_line) / 1000 for s, g in zip(phy.sent[first:], got)]
    write_figures({"latency_tx_to_rx_ns": {"min": round(min(lat_ns), 1), "max": round(max(lat_ns), 1),
                                           "mean": round(sum(lat_ns) / len(lat_ns), 1)},
                   "tag_ok": c["TAG_OK"], "tag_fail": c["TAG_FAIL"], "keystream_words_missing":
                   c["KS_UNDERRUN"] + c["TX_KS_UNDERRUN"], "sim_time_us": round(get_sim_time("ps") / 1e6, 1)})
