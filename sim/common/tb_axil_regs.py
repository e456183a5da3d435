"""cocotb testbench of ``din_axil_regs`` (rtl/common/axil_regs.py, the example register map).

The bus is driven by cocotbext-axi's ``AxiLiteMaster`` bound with its default names (``s_axil_awaddr`` ...), which
also proves the export; the channel-order tests drive the raw signals instead (``RawManager``), because the
cocotbext-axi master always offers AW and W together. Expected values come from the declaration
(:data:`EXAMPLE_REGMAP`, through the generated constants ``din.sim.common.regs``) and from ARM IHI 0022 B.
"""

import logging

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout

from din.rtl.common.axil_regs import EXAMPLE_REGMAP as R
from din.rtl.common.regdecl import CONST, RO, RW
from din.sim.common import regs as C
from din.sim.common.tb import (PATTERNS, Scoreboard, XZMonitor, quiet_thirdparty_warnings, reset, rng, start_clock,
                               stall_pattern, write_figures)

quiet_thirdparty_warnings()

OKAY, SLVERR = 0b00, 0b10                        # IHI 0022 B: RRESP / BRESP encodings
INPUTS = ("status_set", "frames_inc", "drops_inc", "temp", "key_sel")
MANAGER_OUTPUTS = ("awaddr", "awprot", "awvalid", "wdata", "wstrb", "wvalid", "bready",
                   "araddr", "arprot", "arvalid", "rready")
UNMAPPED = (0x028, 0x02C, 0x050, 0x100, 0xFFC)


def word_of(value, index):
    return (value >> (32 * index)) & 0xFFFF_FFFF


def reset_word(reg, index, temp):
    """A read of word ``index`` of ``reg`` after reset, from the declaration (RO: the value the test drives)."""
    if reg.kind in (CONST, RW):
        return word_of(reg.reset_value, index)
    if reg.kind is RO:
        return word_of(temp, index)
    return 0                                     # W1C and COUNTER reset to 0, WO reads 0


async def _setup(dut, *, pattern_in="none", pattern_out="none", salt="", master=True):
    """Clock, idle inputs, reset; returns ``(master or None, xz_scoreboard)``."""
    start_clock(dut.clk, 156.25)
    for name in INPUTS:
        getattr(dut, name).value = 0
    axil = None
    if master:
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster
        axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        for side in (axil.write_if, axil.read_if):
            side.log.setLevel(logging.WARNING)   # one INFO line per transfer otherwise
        r = rng(f"stall:{salt}")
        for ch in (axil.write_if.aw_channel, axil.write_if.w_channel, axil.read_if.ar_channel):
            ch.set_pause_generator(stall_pattern(pattern_in, seed=r.randrange(1 << 30)))
        for ch in (axil.write_if.b_channel, axil.read_if.r_channel):
            ch.set_pause_generator(stall_pattern(pattern_out, seed=r.randrange(1 << 30)))
    else:
        for name in MANAGER_OUTPUTS:
            getattr(dut, f"s_axil_{name}").value = 0
    sb = Scoreboard("axil X/Z", log=dut._log)
    XZMonitor(dut.clk, dut.s_axil_rvalid, [dut.s_axil_rdata, dut.s_axil_rresp], sb, name="R")
    XZMonitor(dut.clk, dut.s_axil_bvalid, [dut.s_axil_bresp], sb, name="B")
    await reset(dut.clk, dut.rst)
    return axil, sb


async def read32(axil, addr):
    resp = await with_timeout(axil.read(addr, 4), 20, "us")
    return int.from_bytes(resp.data, "little"), int(resp.resp)


async def write_bytes(axil, addr, data):
    resp = await with_timeout(axil.write(addr, data), 20, "us")
    return int(resp.resp)


async def write32(axil, addr, value):
    return await write_bytes(axil, addr, value.to_bytes(4, "little"))


def port_value(dut, name):
    return int(getattr(dut, name).value)


class PulseCounter:
    """Counts the cycles in which each ``<name>_wstb`` output is high."""

    def __init__(self, dut, names):
        self.dut, self.counts = dut, {n: 0 for n in names}
        cocotb.start_soon(self._run())

    async def _run(self):
        while True:
            await RisingEdge(self.dut.clk)
            for name in self.counts:
                self.counts[name] += int(getattr(self.dut, f"{name}_wstb").value)


class RawManager:
    """AXI4-Lite manager on the raw ports: AW, W, B, AR and R each with its own delay (values sampled at the edge,
    like cocotbext-axi's own channel models)."""

    def __init__(self, dut, limit=200):
        self.dut, self.limit = dut, limit

    def _sig(self, name):
        return getattr(self.dut, f"s_axil_{name}")

    async def write(self, addr, data, strb=0xF, *, aw_delay=0, w_delay=0, b_delay=0):
        s = self._sig
        s("awaddr").value, s("wdata").value, s("wstrb").value = addr, data, strb
        aw_done = w_done = False
        cycle = 0
        while not (aw_done and w_done):
            s("awvalid").value = int(not aw_done and cycle >= aw_delay)
            s("wvalid").value = int(not w_done and cycle >= w_delay)
            await RisingEdge(self.dut.clk)
            aw_done |= bool(int(s("awvalid").value) and int(s("awready").value))
            w_done |= bool(int(s("wvalid").value) and int(s("wready").value))
            cycle += 1
            assert cycle < self.limit, f"write {addr:#x}: AW/W not accepted"
        s("awvalid").value = s("wvalid").value = 0
        for n in range(self.limit):
            s("bready").value = int(n >= b_delay)
            await RisingEdge(self.dut.clk)
            if int(s("bvalid").value) and int(s("bready").value):
                s("bready").value = 0
                return int(s("bresp").value)
        raise AssertionError(f"write {addr:#x}: no B response")

    async def read(self, addr, *, ar_delay=0, r_delay=0):
        s = self._sig
        s("araddr").value = addr
        if ar_delay:
            await ClockCycles(self.dut.clk, ar_delay)
        s("arvalid").value = 1
        for _ in range(self.limit):
            await RisingEdge(self.dut.clk)
            if int(s("arready").value):
                break
        else:
            raise AssertionError(f"read {addr:#x}: AR not accepted")
        s("arvalid").value = 0
        for n in range(self.limit):
            s("rready").value = int(n >= r_delay)
            await RisingEdge(self.dut.clk)
            if int(s("rvalid").value) and int(s("rready").value):
                s("rready").value = 0
                return int(s("rdata").value), int(s("rresp").value)
        raise AssertionError(f"read {addr:#x}: no R response")


def _finish_xz(sb):
    assert not sb.errors, sb.errors


@cocotb.test()
async def id_version_and_reset_values(dut):
    """Every word reads its reset value from the declaration; ID / VERSION are the declared constants."""
    axil, sb = await _setup(dut)
    temp = rng("temp").getrandbits(16)
    dut.temp.value = temp
    await RisingEdge(dut.clk)
    assert await read32(axil, C.ID_ADDR) == (C.ID, OKAY)
    assert C.ID.to_bytes(4, "little") == b"DINX"
    assert await read32(axil, C.VERSION_ADDR) == (C.VERSION, OKAY)
    for addr, reg, index in R.words():
        assert await read32(axil, addr) == (reset_word(reg, index, temp), OKAY), f"{reg.name}[{index}] at {addr:#x}"
    assert port_value(dut, "ctrl") == C.CTRL_RESET
    assert port_value(dut, "scratch") == C.SCRATCH_RESET
    assert port_value(dut, "mac") == C.MAC_RESET
    assert port_value(dut, "status") == 0 and port_value(dut, "frames") == 0 and port_value(dut, "drops") == 0
    _finish_xz(sb)


@cocotb.test()
@cocotb.parametrize(pattern_in=PATTERNS, pattern_out=PATTERNS)
async def rw_readback_with_strobes(dut, pattern_in, pattern_out):
    """Random partial writes (contiguous byte lanes, the cocotbext-axi way) to every RW word, under idle and
    B / R backpressure patterns: readback, output ports and one ``_wstb`` pulse per write match the model."""
    salt = f"rw:{pattern_in}:{pattern_out}"
    axil, sb = await _setup(dut, pattern_in=pattern_in, pattern_out=pattern_out, salt=salt)
    r = rng(salt)
    words = [(a, reg, i) for a, reg, i in R.words() if reg.kind is RW]
    pulses = PulseCounter(dut, [reg.port_name for _, reg, _ in words])
    model = {reg.name: reg.reset_value for _, reg, _ in words}
    writes = {reg.port_name: 0 for _, reg, _ in words}
    for _ in range(40):
        addr, reg, index = r.choice(words)
        first = r.randrange(4)
        data = bytes(r.getrandbits(8) for _ in range(r.randint(1, 4 - first)))
        assert await write_bytes(axil, addr + first, data) == OKAY
        for k, byte in enumerate(data):
            bit = 32 * index + 8 * (first + k)
            if bit < reg.width:
                model[reg.name] = model[reg.name] & ~(0xFF << bit) | (byte << bit)
        model[reg.name] &= (1 << reg.width) - 1
        writes[reg.port_name] += 1
        assert await read32(axil, addr) == (word_of(model[reg.name], index), OKAY), reg.name
        assert port_value(dut, reg.port_name) == model[reg.name], f"{reg.port_name} port"
    await ClockCycles(dut.clk, 2)
    assert pulses.counts == writes, f"wstb pulses {pulses.counts}, writes {writes}"
    _finish_xz(sb)


@cocotb.test()
async def w1c_set_clear_race(dut):
    """Hardware sets, software clears with 1s (per byte lane); a set held through the clearing cycle wins."""
    axil, sb = await _setup(dut)
    dut.status_set.value = C.STATUS_RX_ERR_MASK | C.STATUS_TX_ERR_MASK | C.STATUS_EVENTS_MASK
    await RisingEdge(dut.clk)
    dut.status_set.value = 0
    full = C.STATUS_RX_ERR_MASK | C.STATUS_TX_ERR_MASK | C.STATUS_EVENTS_MASK
    assert await read32(axil, C.STATUS_ADDR) == (full, OKAY)
    assert await write_bytes(axil, C.STATUS_ADDR + 1, b"\xff") == OKAY          # lane 1 only: EVENTS
    assert await read32(axil, C.STATUS_ADDR) == (full & ~C.STATUS_EVENTS_MASK, OKAY)
    assert await write32(axil, C.STATUS_ADDR, 0) == OKAY                        # writing 0 clears nothing
    assert port_value(dut, "status") == full & ~C.STATUS_EVENTS_MASK
    # race: RX_ERR set in every cycle while software clears both error bits
    seen = []

    async def watch():
        while True:
            await RisingEdge(dut.clk)
            seen.append(port_value(dut, "status"))
    task = cocotb.start_soon(watch())
    dut.status_set.value = C.STATUS_RX_ERR_MASK
    await RisingEdge(dut.clk)
    assert await write32(axil, C.STATUS_ADDR, C.STATUS_RX_ERR_MASK | C.STATUS_TX_ERR_MASK) == OKAY
    await RisingEdge(dut.clk)
    task.cancel()
    assert seen and all(v & C.STATUS_RX_ERR_MASK for v in seen[1:]), "RX_ERR dropped while being set"
    assert port_value(dut, "status") == C.STATUS_RX_ERR_MASK, "TX_ERR should have been cleared"
    dut.status_set.value = 0
    assert await write32(axil, C.STATUS_ADDR, 0xFFFF_FFFF) == OKAY
    assert await read32(axil, C.STATUS_ADDR) == (0, OKAY)
    _finish_xz(sb)


@cocotb.test()
async def counter_increment_saturation_clear(dut):
    """FRAMES counts its 1-bit input; DROPS (4 bits, 2-bit increments) saturates at 15; any write clears."""
    axil, sb = await _setup(dut)
    r = rng("counter")
    frames = 0
    for _ in range(100):
        bit = r.randint(0, 1)
        dut.frames_inc.value = bit
        frames += bit
        await RisingEdge(dut.clk)
    dut.frames_inc.value = 0
    assert await read32(axil, C.FRAMES_ADDR) == (frames, OKAY)
    top = (1 << R["DROPS"].width) - 1
    drops, saturated = 0, False
    for _ in range(20):
        inc = r.randint(0, 3)
        dut.drops_inc.value = inc
        saturated |= drops + inc > top
        drops = min(drops + inc, top)
        await RisingEdge(dut.clk)
    dut.drops_inc.value = 0
    assert saturated, "the stimulus never reached saturation"
    assert await read32(axil, C.DROPS_ADDR) == (drops, OKAY) and drops == top
    assert await write_bytes(axil, C.DROPS_ADDR + 3, b"\x00") == OKAY          # any write, any lane, clears
    assert await read32(axil, C.DROPS_ADDR) == (0, OKAY)
    assert await write32(axil, C.FRAMES_ADDR, 0x1234) == OKAY
    assert await read32(axil, C.FRAMES_ADDR) == (0, OKAY)
    _finish_xz(sb)


@cocotb.test()
async def write_only_key(dut):
    """The key is written (OKAY), reads back as zeros (OKAY), and the key output holds every written word."""
    axil, sb = await _setup(dut)
    r = rng("key")
    key = bytes(r.getrandbits(8) for _ in range(32))
    pulses = PulseCounter(dut, ["key"])
    assert await write_bytes(axil, C.KEY_ADDR, key) == OKAY                      # 8 word writes
    resp = await with_timeout(axil.read(C.KEY_ADDR, 32), 20, "us")
    assert resp.data == bytes(32) and int(resp.resp) == OKAY, "the write-only key was readable"
    for i in range(C.KEY_WORDS):
        dut.key_sel.value = i
        await RisingEdge(dut.clk)
        assert port_value(dut, "key_word") == int.from_bytes(key[4 * i:4 * i + 4], "little"), f"key word {i}"
    assert pulses.counts["key"] == C.KEY_WORDS
    # two bytes in the middle of word 6
    assert await write_bytes(axil, C.KEY_ADDR + 4 * 6 + 1, b"\xa5\x5a") == OKAY
    dut.key_sel.value = 6
    await RisingEdge(dut.clk)
    expect = bytearray(key[24:28])
    expect[1:3] = b"\xa5\x5a"
    assert port_value(dut, "key_word") == int.from_bytes(expect, "little")
    _finish_xz(sb)


@cocotb.test()
async def slverr_unmapped_and_read_only(dut):
    """SLVERR for unmapped words (reads return 0) and for writes to ID, VERSION and RO; nothing changes."""
    axil, sb = await _setup(dut)
    mapped = {a for a, _, _ in R.words()}
    assert not mapped & set(UNMAPPED)
    dut.temp.value = 0x7E57
    for addr in UNMAPPED:
        assert await read32(axil, addr) == (0, SLVERR), hex(addr)
        assert await write32(axil, addr, 0xFFFF_FFFF) == SLVERR, hex(addr)
    for addr in (C.ID_ADDR, C.VERSION_ADDR, C.TEMP_ADDR):
        assert await write32(axil, addr, 0) == SLVERR, hex(addr)
    for addr, reg, index in R.words():
        assert await read32(axil, addr) == (reset_word(reg, index, 0x7E57), OKAY), reg.name
    _finish_xz(sb)


@cocotb.test()
@cocotb.parametrize(order=["aw_first", "w_first", "together"])   # names of at most 10 characters show in reports
async def channel_orders(dut, order):
    """AW before W, W before AW and both together, with random gaps and B / R delays, against a model."""
    _, sb = await _setup(dut, master=False)
    bus = RawManager(dut)
    r = rng(f"order:{order}")
    model = C.SCRATCH_RESET
    for _ in range(30):
        gap = r.randint(1, 5)
        aw_delay, w_delay = {"aw_first": (0, gap), "w_first": (gap, 0), "together": (0, 0)}[order]
        value, strb = r.getrandbits(32), r.randrange(16)
        resp = await bus.write(C.SCRATCH_ADDR, value, strb, aw_delay=aw_delay, w_delay=w_delay,
                               b_delay=r.randint(0, 4))
        assert resp == OKAY
        mask = sum(0xFF << (8 * i) for i in range(4) if strb >> i & 1)
        model = model & ~mask | value & mask
        assert await bus.read(C.SCRATCH_ADDR, ar_delay=r.randint(0, 2), r_delay=r.randint(0, 4)) == (model, OKAY)
    # unmapped and read-only in the same orders still answer, with SLVERR
    assert await bus.write(UNMAPPED[0], 0, aw_delay=aw_delay, w_delay=w_delay) == SLVERR
    assert await bus.write(C.ID_ADDR, 0, aw_delay=aw_delay, w_delay=w_delay) == SLVERR
    assert await bus.read(C.ID_ADDR) == (C.ID, OKAY)
    _finish_xz(sb)


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def reset_mid_transaction(dut, pattern):
    """Reset while writes and a read are in flight: no hang, every register back at reset, the bus works after."""
    salt = f"reset:{pattern}"
    axil, sb = await _setup(dut, pattern_in=pattern, pattern_out=pattern, salt=salt)
    r = rng(salt)
    dut.frames_inc.value = 1
    tasks = [cocotb.start_soon(axil.write(C.SCRATCH_ADDR, r.getrandbits(32).to_bytes(4, "little"))),
             cocotb.start_soon(axil.write(C.CTRL_ADDR, b"\x00\x00")),
             cocotb.start_soon(axil.read(C.MAC_ADDR, 8))]
    await ClockCycles(dut.clk, r.randint(1, 3))     # a write takes at least 3 cycles: reset lands mid-flight
    dut.rst.value = 1
    await ClockCycles(dut.clk, r.randint(1, 4))
    dut.frames_inc.value = 0                     # FRAMES must come out of reset at 0 (no increment meanwhile)
    dut.rst.value = 0
    results = []
    for t in tasks:
        results.append(await with_timeout(t, 20, "us"))
    assert any(res is None for res in results), f"the reset came too late to interrupt anything: {results}"
    for addr, reg, index in R.words():
        assert await read32(axil, addr) == (reset_word(reg, index, 0), OKAY), f"{reg.name} after reset"
    assert await write32(axil, C.SCRATCH_ADDR, 0xC0FF_EE00) == OKAY
    assert await read32(axil, C.SCRATCH_ADDR) == (0xC0FF_EE00, OKAY)
    _finish_xz(sb)


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench axil_regs``: back-to-back writes and reads with every valid and ready held high."""
    _, sb = await _setup(dut, master=False)
    s = lambda name: getattr(dut, f"s_axil_{name}")          # noqa: E731
    n = 64
    figures = {}
    # writes: AW and W always valid, B always ready; count B handshakes
    s("awaddr").value, s("wdata").value, s("wstrb").value = C.SCRATCH_ADDR, 0x1234_5678, 0xF
    s("awvalid").value = s("wvalid").value = s("bready").value = 1
    b_cycles, cycle = [], 0
    first_aw = None
    while len(b_cycles) < n:
        await RisingEdge(dut.clk)
        cycle += 1
        if first_aw is None and int(s("awready").value):
            first_aw = cycle
        if int(s("bvalid").value):
            assert int(s("bresp").value) == OKAY
            b_cycles.append(cycle)
        assert cycle < 100 * n, "writes stalled"
    s("awvalid").value = s("wvalid").value = s("bready").value = 0
    figures["cycles_per_write"] = round((b_cycles[-1] - b_cycles[0]) / (n - 1), 3)
    figures["write_latency_cycles"] = b_cycles[0] - first_aw            # AW/W handshake edge to B handshake edge
    await ClockCycles(dut.clk, 4)
    # reads: AR always valid, R always ready
    s("araddr").value, s("arvalid").value, s("rready").value = C.ID_ADDR, 1, 1
    r_cycles, cycle, first_ar = [], 0, None
    while len(r_cycles) < n:
        await RisingEdge(dut.clk)
        cycle += 1
        if first_ar is None and int(s("arready").value):
            first_ar = cycle
        if int(s("rvalid").value):
            assert (int(s("rdata").value), int(s("rresp").value)) == (C.ID, OKAY)
            r_cycles.append(cycle)
        assert cycle < 100 * n, "reads stalled"
    s("arvalid").value = s("rready").value = 0
    figures["cycles_per_read"] = round((r_cycles[-1] - r_cycles[0]) / (n - 1), 3)
    figures["read_latency_cycles"] = r_cycles[0] - first_ar
    # the design promises one write every two cycles and one read every three (module docstring)
    assert figures["cycles_per_write"] == 2.0 and figures["cycles_per_read"] == 3.0, figures
    _finish_xz(sb)
    write_figures(figures)
