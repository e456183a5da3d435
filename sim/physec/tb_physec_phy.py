"""cocotb testbench of ``din_physec_phy`` (rtl/physec/phy.py): real Ethernet through the whole PHYSec PHY.

A cocotbext-eth ``XgmiiSource`` sends scapy-built frames into ``xgmii_txd/txc``; the transmitter's line words go
through a simulated fibre (this file: a bit offset, slips and bit flips on demand) back into ``s_line``; a
cocotbext-eth ``XgmiiSink`` collects ``xgmii_rxd/rxc``. Every frame must come back exactly (payload and FCS).

Clocks: the client clock (``clk`` = TX client, and ``rx_client_clk``, the recovered client clock of this loopback:
the same oscillator) and the line clock (``line_clk`` and ``rx_line_clk``: the fibre's far end is this node) are
driven with exact rational periods at a chosen ppm offset each (edges rounded to 1 ps). The register block is
driven by cocotbext-axi's ``AxiLiteMaster``; the expected counter values come from what the test injected and from
the golden receiver (``din.golden.physec.receiver``) run on the very line words the RTL received: the RTL's client
words must equal the golden receiver's output word for word.
"""

from fractions import Fraction
import logging
import os
import random
import time

import cocotb
from cocotb.triggers import FallingEdge, RisingEdge, Timer
from cocotb.utils import get_sim_time
import numpy as np

from din.sim.common.stall import stall_pattern
from din.sim.common.tb import quiet_thirdparty_warnings, rng, sim_name, write_figures
from din.rtl.physec.phy_regs import CLIENT_COUNTERS, PHYSEC_REGMAP, RX_COUNTERS, TX_COUNTERS
from din.sim.physec import regs as R

quiet_thirdparty_warnings()

T_CLIENT = Fraction(6400)                        # ps, 156.25 MHz
T_LINE = Fraction(6400 * 64, 66)                 # ps, 161.1328125 MHz = 156.25 MHz × 66 / 64
FRAME_WORDS = 4112
LF = (0x0100009C0100009C, 0x11)
IDLE = (0x0707070707070707, 0xFF)


COUNTERS = TX_COUNTERS + RX_COUNTERS + CLIENT_COUNTERS
STATUS_FIELDS = [f.name for r in PHYSEC_REGMAP.registers if r.name == "STATUS" for f in r.fields]

#: the two clock corners of the loopback tests: (client ppm, line ppm) from nominal
CLOCKS = {"cfast": (100, -100), "cslow": (-100, 100)}


def period(nominal, ppm):
    return nominal / (1 + Fraction(ppm, 10**6))


async def drive_clock(signals, per, phase):
    """Drive every handle of ``signals`` with one clock of rational period ``per`` (ps), first rise at ``phase``."""
    now = int(get_sim_time("ps"))
    t = Fraction(now) + phase
    while True:
        rise = round(t)
        fall = round(t + per / 2)
        if rise > now:
            await Timer(rise - now, unit="ps")
        for s in signals:
            s.value = 1
        await Timer(fall - rise, unit="ps")
        for s in signals:
            s.value = 0
        now = fall
        t += per


class Fibre:
    """Line words m_line -> s_line, one ``line_clk`` cycle later, delayed by ``offset`` bits (0..63), with slips
    (``slip()``: one more bit of delay) and bit flips (``flip(word, mask)`` on the word about to be sent). Every word
    sent is recorded in ``sent`` (for the golden receiver)."""

    def __init__(self, dut, offset=0):
        self.dut, self.offset, self.prev = dut, offset, 0
        self.sent, self.flips, self.tx_words = [], {}, 0
        self.cut = False

    async def run(self):
        dut = self.dut
        mask = (1 << 64) - 1
        while True:
            await FallingEdge(dut.line_clk)
            if dut.m_line_tvalid.value != 1:
                dut.s_line_tvalid.value = 0
                continue
            cur = dut.m_line_tdata.value.to_unsigned()
            k = self.offset
            word = ((cur << k) | (self.prev >> (64 - k))) & mask if k else cur
            self.prev = cur
            word ^= self.flips.pop(len(self.sent), 0)
            if self.cut:
                word = 0
            self.sent.append(word)
            dut.s_line_tdata.value = word
            dut.s_line_tvalid.value = 1

    def slip(self):
        """Delay the stream by one more bit from the next word on (a bit inserted)."""
        self.offset = (self.offset + 1) % 64


class Phy:
    def __init__(self, dut, *, client_ppm=0, line_ppm=0, offset=None, seed_salt=""):
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster
        from cocotbext.eth import XgmiiSink, XgmiiSource
        self.dut = dut
        self.rng = rng(f"phy:{seed_salt}")
        self.t_client, self.t_line = period(T_CLIENT, client_ppm), period(T_LINE, line_ppm)
        off = self.rng.randrange(64) if offset is None else offset
        self.fibre = Fibre(dut, off)
        for name in ("rst", "line_rst", "rx_line_rst", "rx_client_rst"):
            getattr(dut, name).value = 1
        dut.xgmii_txd.value = IDLE[0]
        dut.xgmii_txc.value = IDLE[1]
        dut.s_line_tvalid.value = 0
        dut.s_line_tdata.value = 0
        dut.s_kcc_tvalid.value = 0
        dut.s_kcc_tdata.value = 0
        dut.m_kcc_tready.value = 1
        dut.m_line_tready.value = 1
        cocotb.start_soon(drive_clock([dut.clk, dut.rx_client_clk], self.t_client, Fraction(1001)))
        cocotb.start_soon(drive_clock([dut.line_clk, dut.rx_line_clk], self.t_line,
                                      Fraction(self.rng.randrange(2000, 8000))))
        cocotb.start_soon(self.fibre.run())
        self.source = XgmiiSource(dut.xgmii_txd, dut.xgmii_txc, dut.clk, dut.rst)
        self.sink = XgmiiSink(dut.xgmii_rxd, dut.xgmii_rxc, dut.rx_client_clk, dut.rx_client_rst)
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        for model in (self.axil.read_if, self.axil.write_if, self.sink):
            model.log.setLevel(logging.WARNING)      # one line per register access / frame otherwise
        self.source.log.setLevel(logging.ERROR)      # a reset mid-frame would print the whole flushed frame
        self.sent = []                            # frames the source finished sending, with their time stamps
        self.rx_words = []                        # (data, ctrl) every rx_client cycle, when recording
        self.recording = False
        cocotb.start_soon(self._record())

    async def _record(self):
        dut = self.dut
        while True:
            await FallingEdge(dut.rx_client_clk)
            if self.recording:
                self.rx_words.append((dut.xgmii_rxd.value.to_unsigned(), dut.xgmii_rxc.value.to_unsigned()))

    async def reset(self, cycles=8):
        dut = self.dut
        for name in ("rst", "line_rst", "rx_line_rst", "rx_client_rst"):
            getattr(dut, name).value = 1
        for _ in range(cycles):
            await RisingEdge(dut.clk)
        for name in ("rst", "line_rst", "rx_line_rst", "rx_client_rst"):
            getattr(dut, name).value = 0
        await RisingEdge(dut.clk)

    async def read(self, addr):
        return int.from_bytes((await self.axil.read(addr, 4)).data, "little")

    async def write(self, addr, value, words=1):
        await self.axil.write(addr, int(value).to_bytes(4 * words, "little"))

    async def counters(self):
        """Every counter register of the map (names from its declaration, addresses from sim/physec/regs.py)."""
        return {n: await self.read(getattr(R, f"{n}_ADDR")) for n, _src, _doc in COUNTERS}

    async def status(self):
        v = await self.read(R.STATUS_ADDR)
        return {f: (v & getattr(R, f"STATUS_{f}_MASK")) >> getattr(R, f"STATUS_{f}_SHIFT") for f in STATUS_FIELDS}

    async def wait_line_words(self, n):
        target = len(self.fibre.sent) + n
        while len(self.fibre.sent) < target:
            await FallingEdge(self.dut.line_clk)

    async def wait_sync(self, frames=6):
        for _ in range(frames * 4):
            await self.wait_line_words(FRAME_WORDS // 4)
            if (await self.status())["RX_RUNNING"]:
                return
        raise AssertionError(f"no SYNC + running RX client side within {frames} frames: {await self.status()}")


def make_frames(r, n, *, max_len=1514):
    """``n`` Ethernet frames without FCS (scapy: IPv6/UDP, IPv4/TCP, VLAN-tagged, raw), random sizes 60..max_len."""
    from scapy.layers.inet import IP, TCP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.inet import UDP
    from scapy.layers.l2 import Dot1Q, Ether
    out = []
    for i in range(n):
        size = r.choice((60, 64, 1514, r.randrange(60, max_len + 1), r.randrange(60, 200)))
        kind = i % 4
        eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        if kind == 0:
            pkt = eth / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=4791, dport=4791)
        elif kind == 1:
            pkt = eth / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1000 + i, dport=80)
        elif kind == 2:
            pkt = eth / Dot1Q(vlan=100 + i) / IPv6(src="2001:db8::3", dst="2001:db8::4") / UDP()
        else:
            pkt = eth / IP(src="10.1.0.1", dst="10.1.0.2") / UDP(sport=i, dport=9)
        raw = bytes(pkt)
        pad = max(0, size - len(raw))
        out.append(raw + bytes(r.randrange(256) for _ in range(pad)))
    return out


async def send_all(phy, frames, load):
    """Queue ``frames`` on the XGMII source: ``full`` back to back (12-byte IFG, DIC), ``periodic`` a 1 µs gap after
    every 4th frame, ``random`` a random gap (0..2 µs) after a random third of them."""
    from cocotbext.eth import XgmiiFrame
    r = phy.rng
    for i, f in enumerate(frames):
        # the source sends a copy: its time stamps come back through tx_complete
        await phy.source.send(XgmiiFrame.from_payload(f, tx_complete=phy.sent.append))
        gap = 0
        if load == "periodic" and i % 4 == 3:
            gap = 1_000_000
        elif load == "random" and r.random() < 1 / 3:
            gap = r.randrange(0, 2_000_000)
        if gap:
            await phy.source.wait()
            await Timer(gap, unit="ps")


async def receive(phy, n, timeout_line_words):
    """Collect ``n`` frames from the sink (raises if they do not all arrive within the given line words)."""
    got = []
    start = len(phy.fibre.sent)
    while len(got) < n:
        if not phy.sink.empty():
            got.append(phy.sink.recv_nowait())
            continue
        if len(phy.fibre.sent) - start > timeout_line_words:
            c = await phy.counters()
            bad = [i for i, g in enumerate(got) if not g.check_fcs()]
            raise AssertionError(f"only {len(got)} of {n} frames came back within {timeout_line_words} line words "
                                 f"(FCS errors in frames {bad[:8]}); counters {c}; status {await phy.status()}")
        await FallingEdge(phy.dut.rx_client_clk)
    return got


def check_frames(sent, got):
    assert len(got) == len(sent), (len(got), len(sent))
    for i, (s, g) in enumerate(zip(sent, got)):
        assert g.check_fcs(), f"frame {i}: FCS error"
        assert g.get_payload() == s, f"frame {i}: payload differs (len {len(g.get_payload())} vs {len(s)})"


def golden_receiver(phy):
    """The golden receiver, run on the words the RTL received."""
    from din.golden.physec.receiver import Receiver
    from din.sim.physec.tb_rx_golden import clear_keys
    dump = np.array(phy.fibre.sent, dtype="<u8").tobytes()
    rx = Receiver(clear_keys())
    rx.feed(dump)
    rx.finish()
    return rx


def golden_rx(phy):
    """Run the golden receiver on the words the RTL received; return (client data, ctrl, counters)."""
    rx = golden_receiver(phy)
    data, ctrl = rx.output()
    return data, ctrl, rx.counters


class Kcc:
    """The KCC channel end to end: a cocotbext-axi ``AxiStreamSource`` feeds ``s_kcc`` (line domain) with a random
    octet stream, an ``AxiStreamSink`` takes ``m_kcc`` (rx_line domain, 32-octet packets); both with the test's
    load pattern as pause pattern (``full``: none, ``periodic``: 1 in 4 cycles, ``random``: seeded, half the
    cycles)."""

    def __init__(self, phy, load, n_octets=32 * 400):
        from cocotbext.axi import AxiStreamBus, AxiStreamSink, AxiStreamSource
        dut = phy.dut
        self.sent = bytes(phy.rng.randrange(256) for _ in range(n_octets))
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_kcc"), dut.line_clk, dut.line_rst)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_kcc"), dut.rx_line_clk, dut.rx_line_rst)
        kind = {"full": "none", "periodic": "periodic", "random": "random"}[load]
        for model in (self.source, self.sink):
            model.log.setLevel(logging.WARNING)
            model.set_pause_generator(stall_pattern(kind, seed=phy.rng.randrange(1 << 30), period=(3, 1),
                                                    probability=0.5))
        self.source.send_nowait(self.sent)

    def received(self):
        got = []
        while not self.sink.empty():
            got.append(bytes(self.sink.recv_nowait().tdata))
        return got

    def check(self, got, rx, c):
        """``got``: the packets of m_kcc; ``rx``: the golden receiver on the same line words; ``c``: counters."""
        gold = [r.kcc for r in rx.reports]
        n = min(len(got), len(gold))
        assert all(len(p) == 32 for p in got), [len(p) for p in got]
        assert n >= max(1, len(gold) - 1), (len(got), len(gold))
        assert got[:n] == gold[:n], "m_kcc differs from the golden receiver's KCC octets"
        # independently of the golden model: the octets given to the transmitter, in order, none lost or repeated
        # from the first frame the receiver delivered on (the frames before its lock are not received)
        joined = b"".join(got)
        start = self.sent.find(got[0])
        assert start >= 0 and self.sent[start:start + len(joined)] == joined, "m_kcc is not the s_kcc stream"
        assert c["KCC_DROP"] == 0 and c["KCC_RX"] == c["FRAMES_RX"], c
        return len(got)


def check_client_words(phy, gdata, gctrl):
    """The RTL's client words equal the golden receiver's, word for word, apart from whole idle words (the RX client
    side deletes / inserts idle groups inside gaps to absorb the transmitter's start-up surplus, rtl/physec/
    rx_client.py; the golden receiver models no client clock), as far as both go (the RTL's tail is still in its
    FIFOs when the golden receiver has consumed every complete frame)."""
    rtl = [w for w in phy.rx_words if w != IDLE]
    k = 0
    while k < len(rtl) and rtl[k] == LF:
        k += 1
    rtl = rtl[k:]
    gold = [(int(d), int(c)) for d, c in zip(gdata, gctrl) if (int(d), int(c)) != IDLE]
    n = min(len(rtl), len(gold))
    assert n > 1000 or n == len(gold) > 0, f"too few client words to compare ({n})"
    for i in range(n):
        assert rtl[i] == gold[i], (f"non-idle client word {i} differs from the golden receiver: got "
                                   f"{rtl[i][0]:#018x}/{rtl[i][1]:#04x}, want {gold[i][0]:#018x}/{gold[i][1]:#04x}")
    return n


def n_frames(default_icarus, default_verilator):
    override = os.environ.get("DIN_PHY_FRAMES")
    if override:
        return int(override)
    return default_verilator if sim_name() == "verilator" else default_icarus


@cocotb.test()
@cocotb.parametrize(clocks=tuple(CLOCKS), load=("full", "periodic", "random"))
async def ethernet_loopback(dut, clocks, load):
    """Real frames XGMII -> TX -> fibre (random bit offset) -> RX -> XGMII, client and line clocks at ±100 ppm: every
    frame back exactly; the client words equal the golden receiver's on the same line bits; no FIFO underflow or
    overflow; counters agree with the golden receiver."""
    client_ppm, line_ppm = CLOCKS[clocks]
    phy = Phy(dut, client_ppm=client_ppm, line_ppm=line_ppm, seed_salt=f"loop:{clocks}:{load}")
    await phy.reset()
    assert await phy.read(R.ID_ADDR) == R.ID and await phy.read(R.VERSION_ADDR) == R.VERSION
    kcc = Kcc(phy, load)
    phy.recording = True
    await phy.wait_sync()
    frames = make_frames(phy.rng, n_frames(24, 120))
    wall = time.perf_counter()
    cocotb.start_soon(send_all(phy, frames, load))
    got = await receive(phy, len(frames), 12 * FRAME_WORDS + 400 * len(frames))
    check_frames(frames, got)
    # let the frame that carried the last client data end, so that the golden receiver processes it too
    await phy.wait_line_words((len(phy.fibre.sent) // FRAME_WORDS + 1) * FRAME_WORDS + 64 - len(phy.fibre.sent))
    c = await phy.counters()
    ev = await phy.read(R.EVENTS_ADDR)
    st = await phy.status()
    wall = time.perf_counter() - wall
    grx = golden_receiver(phy)
    gdata, gctrl = grx.output()
    gc = grx.counters
    n = check_client_words(phy, gdata, gctrl)
    n_kcc = kcc.check(kcc.received(), grx, c)
    assert st["SYNC"] == 1 and st["RX_RUNNING"] == 1 and st["TX_RUNNING"] == 1 and st["TX_BLOCKED"] == 0, st
    for name in ("LOF", "AM_MISS", "OH_CRC_ERR", "JC_ERR", "REPLAY", "FC_JUMP", "BAD_MODE", "POLICY_DROP",
                 "CRYPT_DROP", "E_BLOCKS_RX", "XCODE_ERR", "RX_UNDERFLOW", "RX_OVERFLOW", "RX_IDLE_INSERTED"):
        if c[name]:
            lwm, hwm = await phy.read(R.RX_FIFO_LWM_ADDR), await phy.read(R.RX_FIFO_HWM_ADDR)
            raise AssertionError(f"{name} = {c[name]}, expected 0; counters {c}; RX FIFO low / high-water mark "
                                 f"{lwm} / {hwm} blocks")
    # TX_BLOCKED: only the client blocks that arrived before the client gate opened, 128 line words before frame 1
    # (rtl/physec/phy.py CLIENT_LEAD): about (4112 - 128) / 4112 of a frame's 997 blocks, less the reset and CDC time
    assert 940 <= c["TX_BLOCKED"] <= 997, c["TX_BLOCKED"]
    assert c["LOCKS"] == 1 and gc.locks == 1, (c, gc)
    assert ev & ~R.EVENTS_RDI_SEEN_MASK == 0, f"events {ev:#x}"      # RDI was seen while our RX hunted at start
    # the RTL counted at least what the golden receiver processed (it may be one frame further)
    assert 0 <= c["FRAMES_RX"] - gc.frames_rx <= 1, (c["FRAMES_RX"], gc.frames_rx)
    dut._log.info("ppm client %+d line %+d, %s load: %d frames back exactly, %d client words = golden receiver, "
                  "%d KCC packets = golden receiver = s_kcc stream, counters %s, %.1f s", client_ppm, line_ppm, load,
                  len(frames), n, n_kcc, c, wall)


@cocotb.test()
async def slips_and_bit_errors(dut):
    """A slip makes loss of frame after 4 missed AMs and the receiver relocks at the new offset (Local Fault
    meanwhile); bit errors in the AM, OH and JC fields are counted exactly; frames sent after relock come back."""
    phy = Phy(dut, seed_salt="slips")
    await phy.reset()
    phy.recording = True
    await phy.wait_sync()
    frames = make_frames(phy.rng, 8)
    cocotb.start_soon(send_all(phy, frames, "full"))
    check_frames(frames, await receive(phy, len(frames), 8 * FRAME_WORDS))
    # bit errors in the next frame's fields, at the RX: locate the next frame start on the received stream
    c0 = await phy.counters()
    # TX frame n starts at TX bit 64·4112·n; the fibre delays TX bit b to received bit b + offset
    n = len(phy.fibre.sent) // FRAME_WORDS + 2
    off = phy.fibre.offset

    def hit(f_bit):
        pos = 64 * FRAME_WORDS * n + off + f_bit
        phy.fibre.flips[pos // 64] = phy.fibre.flips.get(pos // 64, 0) ^ (1 << (pos % 64))
    hit(5)                                   # AM bit: accepted (≤ 3 differing), counted in AM_BIT_ERR
    hit(120 + 8 * 6 + 3)                      # O6 (FC): OHCRC16 error
    hit(FRAME_WORDS * 64 + 120 + 8 * 2 + 1)   # next frame, O2 (JC1): JC CRC-8 error and OHCRC16 error
    await phy.wait_line_words(5 * FRAME_WORDS)
    c1 = await phy.counters()
    _, _, gc = golden_rx(phy)                 # the golden receiver on the same received words
    delta = {k: c1[k] - c0[k] for k in ("AM_BIT_ERR", "OH_CRC_ERR", "JC_ERR")}
    dut._log.info("injected errors: RTL counted %s; golden receiver %s", delta, gc)
    assert delta == {"AM_BIT_ERR": 1, "OH_CRC_ERR": 2, "JC_ERR": 1}, delta   # O6 and O2: both under OHCRC16
    assert (c1["OH_CRC_ERR"], c1["JC_ERR"]) == (gc.oh_crc_err, gc.jc_err), (c1, gc)
    assert c1["LOF"] == 0
    # slip: one inserted bit -> four missed AMs -> LOF -> HUNT -> relock
    phy.fibre.slip()
    await phy.wait_line_words(5 * FRAME_WORDS)
    st = await phy.status()
    c2 = await phy.counters()
    assert c2["LOF"] == 1 and c2["AM_MISS"] - c1["AM_MISS"] == 4, c2
    ev = await phy.read(R.EVENTS_ADDR)
    assert ev & R.EVENTS_LOF_MASK
    seen_lf = LF in phy.rx_words
    assert seen_lf, "no Local Fault on the client side during the loss of frame"
    await phy.wait_sync(frames=6)
    c3 = await phy.counters()
    assert c3["LOCKS"] == 2, c3
    frames2 = make_frames(phy.rng, 8)
    phy.sink.clear()
    cocotb.start_soon(send_all(phy, frames2, "full"))
    check_frames(frames2, await receive(phy, len(frames2), 8 * FRAME_WORDS))
    await phy.write(R.EVENTS_ADDR, R.EVENTS_LOF_MASK)
    assert (await phy.read(R.EVENTS_ADDR)) & R.EVENTS_LOF_MASK == 0
    dut._log.info("slip: LOF %d, relock, state %s; AM/OH/JC errors counted; frames back after relock", c2["LOF"], st)


@cocotb.test()
async def fail_closed_and_reset(dut):
    """MODE 10 without the security engine: CFG_ERR, TX_BLOCKED, no client data crosses (fail closed) while the
    link stays up; a reset mid-traffic then brings everything back and frames pass again."""
    phy = Phy(dut, seed_salt="cfg")
    await phy.reset()
    phy.recording = True
    await phy.wait_sync()
    blocked0 = await phy.read(R.TX_BLOCKED_ADDR)            # the blocks before the client gate opened
    await phy.write(R.CTRL_ADDR, R.CTRL_ENABLE_MASK | (2 << R.CTRL_MODE_SHIFT))
    await phy.wait_line_words(2 * FRAME_WORDS)
    frames = make_frames(phy.rng, 6)
    cocotb.start_soon(send_all(phy, frames, "full"))
    await phy.wait_line_words(3 * FRAME_WORDS)
    st = await phy.status()
    c = await phy.counters()
    ev = await phy.read(R.EVENTS_ADDR)
    assert st["TX_BLOCKED"] == 1 and st["SYNC"] == 1, st
    assert ev & R.EVENTS_CFG_ERR_MASK, f"{ev:#x}"
    # every client block since the write is discarded: about 997 per frame over the 5 frames waited
    assert c["TX_BLOCKED"] - blocked0 > 4 * 990, (blocked0, c["TX_BLOCKED"])
    assert phy.sink.empty(), "client data crossed while the transmitter was blocked"
    # reset mid-traffic (all domains), default configuration again
    cocotb.start_soon(send_all(phy, make_frames(phy.rng, 6), "full"))
    await phy.wait_line_words(300)
    await phy.reset()
    phy.source.clear()
    assert (await phy.status())["TX_BLOCKED"] == 0
    await phy.wait_sync()
    phy.sink.clear()
    frames = make_frames(phy.rng, 8)
    cocotb.start_soon(send_all(phy, frames, "random"))
    check_frames(frames, await receive(phy, len(frames), 10 * FRAME_WORDS))
    c = await phy.counters()
    assert c["LOCKS"] == 1 and c["RX_UNDERFLOW"] == 0 and c["RX_OVERFLOW"] == 0, c


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench physec_phy``: TX -> RX added latency (XGMII SFD in -> SFD out, minus the simulated
    fibre's one line cycle) in steady state, and zero overhead (client blocks carried per client block in).
    ``DIN_PHY_SETTLE_FRAMES`` (default 4) idle frames come first."""
    settle = int(os.environ.get("DIN_PHY_SETTLE_FRAMES", "4"))
    phy = Phy(dut, client_ppm=100, line_ppm=-100, offset=0, seed_salt="bench")
    await phy.reset()
    await phy.wait_sync()
    wall = time.perf_counter()
    w0 = len(phy.fibre.sent)
    # idle traffic until the Cm controller is at its target (two frames after the client gate opens, docs/physec.md)
    await phy.wait_line_words(settle * FRAME_WORDS)
    wall = time.perf_counter() - wall
    speed = (len(phy.fibre.sent) - w0) / wall
    c0, t0 = await phy.counters(), get_sim_time("ps")
    frames = make_frames(random.Random(7), 48)
    first = len(phy.sent)
    cocotb.start_soon(send_all(phy, frames, "full"))
    got = await receive(phy, len(frames), 8 * FRAME_WORDS)
    check_frames(frames, got)
    await phy.wait_line_words(2 * FRAME_WORDS)
    c1, t1 = await phy.counters(), get_sim_time("ps")
    # zero overhead, exactly: BLOCKS_TX read just after a frame boundary (the first 32 words of a frame are AM and
    # overhead, so the count is the sum of Cm of the finished frames), over whole frames, against the client blocks
    # that arrived meanwhile at the client clock's rate
    span = 8
    await phy.wait_line_words(FRAME_WORDS - len(phy.fibre.sent) % FRAME_WORDS)
    b0 = await phy.read(R.BLOCKS_TX_ADDR)
    d0 = (await phy.counters())
    await phy.wait_line_words(span * FRAME_WORDS - len(phy.fibre.sent) % FRAME_WORDS)
    b1 = await phy.read(R.BLOCKS_TX_ADDR)
    d1 = (await phy.counters())
    arrived = span * FRAME_WORDS * float(phy.t_line) / (4 * float(phy.t_client))
    t_line = float(phy.t_line)
    sent = phy.sent[first:]
    assert len(sent) == len(got)          # in order (check_frames compared every payload with what was sent)
    lat_ns = [(g.sim_time_sfd - s.sim_time_sfd - t_line) / 1000 for s, g in zip(sent, got)]
    client_blocks_in = (t1 - t0) / (4 * float(phy.t_client))
    figures = {
        "latency_tx_to_rx_ns": {"min": round(min(lat_ns), 1), "max": round(max(lat_ns), 1),
                                "mean": round(sum(lat_ns) / len(lat_ns), 1)},
        "latency_tx_to_rx_client_cycles_max": round(max(lat_ns) * 1000 / float(phy.t_client), 1),
        "blocks_carried_per_client_block_in": round((b1 - b0) / arrived, 6),
        "frames_measured": span,
        "rx_idle_deleted_inserted_in_window": [d1["RX_IDLE_DELETED"] - d0["RX_IDLE_DELETED"],
                                               d1["RX_IDLE_INSERTED"] - d0["RX_IDLE_INSERTED"]],
        "blocks_tx_per_client_block_in_traffic_window": round((c1["BLOCKS_TX"] - c0["BLOCKS_TX"]) / client_blocks_in,
                                                              5),
        "tx_fifo_hwm_blocks": await phy.read(R.TX_FIFO_HWM_ADDR),
        "rx_fifo_hwm_blocks": await phy.read(R.RX_FIFO_HWM_ADDR),
        "rx_fifo_lwm_blocks": await phy.read(R.RX_FIFO_LWM_ADDR),
        "settle_frames": settle, "ppm_client": 100, "ppm_line": -100,
        "line_cycles_per_wall_second": round(speed),
    }
    assert d1["RX_UNDERFLOW"] == 0 and d1["RX_OVERFLOW"] == 0 and d1["E_BLOCKS_RX"] == 0, d1
    write_figures(figures)
    dut._log.info("bench: %s", figures)
