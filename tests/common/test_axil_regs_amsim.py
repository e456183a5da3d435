"""AXI4-Lite register block: declaration checks and Amaranth-simulator unit tests (fast; run before the cocotb ones).

Expected values come from the declaration (:data:`EXAMPLE_REGMAP`) and from the AXI4-Lite rules (ARM IHI 0022 B),
never from the DUT. The bus is driven by the small coroutines below, which can hold AW, W, B and R in any order.
"""

import random

import pytest
from amaranth import ResetInserter, Signal
from amaranth.hdl import Fragment
from amaranth.lib import data

from din.rtl.common.axil import RESP_OKAY, RESP_SLVERR
from din.rtl.common.axil_regs import AXI4LiteRegisters, EXAMPLE_REGMAP, ExampleRegisters
from din.rtl.common.regdecl import COUNTER, CONST, RO, RW, W1C, WO, Field, Register, RegisterMap
from din.sim.common.amsim import simulate
from din.sim.common.stall import PATTERNS, stall_pattern

MAX_CYCLES = 200


# ---------------------------------------------------------------------------------------------------------------
# A tiny AXI4-Lite manager for the Amaranth simulator

async def axil_write(ctx, bus, addr, value, strb=0xF, *, aw_delay=0, w_delay=0, b_stall=0):
    """One write; AW is offered after ``aw_delay`` cycles, W after ``w_delay``, B taken after ``b_stall``.
    Returns BRESP."""
    aw_done = w_done = False
    ctx.set(bus.awaddr, addr)
    ctx.set(bus.wdata, value)
    ctx.set(bus.wstrb, strb)
    ctx.set(bus.bready, 0)
    cycle = 0
    while not (aw_done and w_done):
        ctx.set(bus.awvalid, not aw_done and cycle >= aw_delay)
        ctx.set(bus.wvalid, not w_done and cycle >= w_delay)
        *_, awv, awr, wv, wr = await ctx.tick().sample(bus.awvalid, bus.awready, bus.wvalid, bus.wready)
        aw_done |= bool(awv and awr)
        w_done |= bool(wv and wr)
        cycle += 1
        assert cycle < MAX_CYCLES, f"write {addr:#x}: AW/W not accepted (aw {aw_done}, w {w_done})"
    ctx.set(bus.awvalid, 0)
    ctx.set(bus.wvalid, 0)
    for n in range(MAX_CYCLES):
        ctx.set(bus.bready, n >= b_stall)
        *_, bv, br, resp = await ctx.tick().sample(bus.bvalid, bus.bready, bus.bresp)
        if bv and br:
            ctx.set(bus.bready, 0)
            return resp
    raise AssertionError(f"write {addr:#x}: no B response")


async def axil_read(ctx, bus, addr, *, ar_delay=0, r_stall=0):
    """One read; returns ``(RDATA, RRESP)``."""
    ctx.set(bus.araddr, addr)
    ctx.set(bus.rready, 0)
    if ar_delay:
        await ctx.tick().repeat(ar_delay)
    ctx.set(bus.arvalid, 1)
    for _ in range(MAX_CYCLES):
        *_, arr = await ctx.tick().sample(bus.arready)
        if arr:
            break
    else:
        raise AssertionError(f"read {addr:#x}: AR not accepted")
    ctx.set(bus.arvalid, 0)
    for n in range(MAX_CYCLES):
        ctx.set(bus.rready, n >= r_stall)
        *_, rv, rr, rdata, rresp = await ctx.tick().sample(bus.rvalid, bus.rready, bus.rdata, bus.rresp)
        if rv and rr:
            ctx.set(bus.rready, 0)
            return rdata, rresp
    raise AssertionError(f"read {addr:#x}: no R response")


def expected_word(reg, index, ro_value=0):
    """What a read of word ``index`` of ``reg`` returns right after reset (from the declaration)."""
    if reg.kind in (CONST, RW):
        return (reg.reset_value >> (32 * index)) & 0xFFFF_FFFF
    if reg.kind is RO:
        return (ro_value >> (32 * index)) & 0xFFFF_FFFF
    return 0                                                     # W1C, COUNTER reset to 0; WO reads 0


def strb_mask(strb):
    return sum(0xFF << (8 * i) for i in range(4) if strb >> i & 1)


R = EXAMPLE_REGMAP


# ---------------------------------------------------------------------------------------------------------------
# Declaration checks

def _map(*regs, **kw):
    return RegisterMap("m", "TEST", 1, regs, **kw)


@pytest.mark.parametrize("make, error, match", [
    (lambda: Register("A", 0x0A, RW), ValueError, "not word aligned"),
    (lambda: Register("A", 0x08, "XX"), ValueError, "unknown kind"),
    (lambda: Register("1A", 0x08, RW), ValueError, "identifier"),
    (lambda: Register("A", 0x08, RW, width=8, reset=0x100), ValueError, "at most 0xff"),
    (lambda: Register("A", 0x08, RO, reset=1), ValueError, "no reset value"),
    (lambda: Register("A", 0x08, W1C, width=33), ValueError, "at most 32 bits"),
    (lambda: Register("A", 0x08, COUNTER, width=40), ValueError, "at most 32 bits"),
    (lambda: Register("A", 0x08, RW, inc_width=2), ValueError, "COUNTER registers only"),
    (lambda: Register("A", 0x08, RW, width=8, fields=[Field("F", 4, 5)]), ValueError, "outside"),
    (lambda: Register("A", 0x08, RW, fields=[Field("F", 0, 4), Field("G", 3, 2)]), ValueError, "overlap"),
    (lambda: Register("A", 0x08, RW, fields=[Field("F", 0, 4), Field("f", 8, 2)]), ValueError, "two fields"),
    (lambda: Register("A", 0x08, RW, reset=1, fields=[Field("F", 4, 4, reset=1)]), ValueError, "either"),
    (lambda: Register("A", 0x08, RW, fields=["F"]), TypeError, "Field objects"),
    (lambda: Field("F", 0, 2, reset=4), ValueError, "reset"),
    (lambda: Field("F", 0, 0), ValueError, "width"),
    (lambda: _map(Register("A", 0x00, RW)), ValueError, "reserved for ID"),
    (lambda: _map(Register("A", 0x04, RW)), ValueError, "reserved for VERSION"),
    (lambda: _map(Register("ID", 0x08, RW)), ValueError, "reserved"),
    (lambda: _map(Register("A", 0x08, RW), Register("a", 0x0C, RW)), ValueError, "two registers"),
    (lambda: _map(Register("A", 0x08, RW, width=64), Register("B", 0x0C, RW)), ValueError, "overlaps A"),
    (lambda: _map(Register("A", 0x08, RW), Register("A_WSTB", 0x0C, RO)), ValueError, "collides"),
    (lambda: _map(Register("A", 0xFFC, RW, width=64)), ValueError, "outside"),
    (lambda: RegisterMap("m", "TOOLONG", 1, []), ValueError, "4 printable ASCII"),
    (lambda: RegisterMap("m", "ab\x00c", 1, []), ValueError, "4 printable ASCII"),
    (lambda: RegisterMap("m", "ABCD", 1 << 32, []), ValueError, "version"),
    (lambda: AXI4LiteRegisters("not a map"), TypeError, "RegisterMap"),
])
def test_declaration_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_declaration_layout():
    assert R.ident_value == int.from_bytes(b"DINX", "little") == 0x584E4944
    assert R.ident_value & 0xFF == ord("D"), "first ID character must be bits 7:0"
    assert R["CTRL"].reset_value == (1 << 0) | (2 << 1) | (0x40 << 8)
    addrs = [a for a, _, _ in R.words()]
    assert addrs[:2] == [0x00, 0x04] and addrs == sorted(addrs) and len(set(addrs)) == len(addrs)
    assert [(a, i) for a, reg, i in R.words() if reg.name == "KEY"] == [(0x30 + 4 * i, i) for i in range(8)]
    assert {reg.kind for reg in R.registers} >= {RO, RW, W1C, COUNTER, WO}


def test_ports_and_field_views():
    dut = AXI4LiteRegisters(R)
    names = set(dut.signature.members)
    assert {"s_axil", "ctrl", "ctrl_wstb", "status", "status_set", "frames", "frames_inc", "drops_inc", "temp",
            "key", "key_wstb", "mac", "mac_wstb"} <= names
    assert isinstance(dut.ctrl, data.View) and len(dut.ctrl.threshold) == 8
    assert len(dut.key) == 256 and len(dut.mac) == 48 and len(dut.drops_inc) == 2
    top = ExampleRegisters()
    assert "key" not in top.signature.members and len(top.key_word) == 32 and len(top.key_sel) == 3
    assert top.params == {}
    Fragment.get(dut, None)
    Fragment.get(top, None)


# ---------------------------------------------------------------------------------------------------------------
# Bus behaviour

def test_reset_values_id_version():
    dut = AXI4LiteRegisters(R)
    temp = 0xBEEF

    async def tb(ctx):
        ctx.set(dut.temp, temp)
        assert ctx.get(dut.ctrl.enable) == 1 and ctx.get(dut.ctrl.mode) == 2 and ctx.get(dut.ctrl.threshold) == 0x40
        assert ctx.get(dut.mac) == R["MAC"].reset_value and ctx.get(dut.key) == 0
        for addr, reg, index in R.words():
            got = await axil_read(ctx, dut.s_axil, addr)
            assert got == (expected_word(reg, index, temp), RESP_OKAY), f"{reg.name} word {index} at {addr:#x}"
    simulate(dut, tb)


@pytest.mark.parametrize("order", ["together", "aw_first", "w_first"])
def test_rw_wstrb_and_orders(order, seed):
    """Random writes with random byte enables to every RW word, in each AW/W order; readback and ports match."""
    rng = random.Random(f"{seed}:rw:{order}")
    dut = AXI4LiteRegisters(R)
    rw = [(a, reg, i) for a, reg, i in R.words() if reg.kind is RW]
    pulses = {reg.name: 0 for _, reg, _ in rw}

    async def count_wstb(ctx):
        async for _, _, *stb in ctx.tick().sample(*(getattr(dut, f"{n.lower()}_wstb") for n in pulses)):
            for name, value in zip(pulses, stb):
                pulses[name] += value

    async def tb(ctx):
        model = {reg.name: reg.reset_value for _, reg, _ in rw}
        writes = {name: 0 for name in pulses}
        for _ in range(60):
            addr, reg, index = rng.choice(rw)
            value, strb = rng.getrandbits(32), rng.randrange(16)
            delay = rng.randint(1, 4)
            delays = {"together": (0, 0), "aw_first": (0, delay), "w_first": (delay, 0)}[order]
            resp = await axil_write(ctx, dut.s_axil, addr | rng.randrange(4), value, strb,
                                    aw_delay=delays[0], w_delay=delays[1], b_stall=rng.randint(0, 3))
            assert resp == RESP_OKAY
            mask = strb_mask(strb) << (32 * index) & ((1 << reg.width) - 1)
            model[reg.name] = model[reg.name] & ~mask | (value << (32 * index)) & mask
            writes[reg.name] += 1
            got, rresp = await axil_read(ctx, dut.s_axil, addr, r_stall=rng.randint(0, 2))
            assert rresp == RESP_OKAY and got == (model[reg.name] >> (32 * index)) & 0xFFFF_FFFF
            assert ctx.get(getattr(dut, reg.port_name).as_value() if reg.fields
                           else getattr(dut, reg.port_name)) == model[reg.name]
        assert pulses == writes, "one _wstb pulse per write expected"
        assert all(writes.values())
    simulate(dut, tb, processes=[count_wstb])


def test_slverr_unmapped_and_read_only():
    dut = AXI4LiteRegisters(R)
    mapped = {a for a, _, _ in R.words()}
    unmapped = [0x28, 0x2C, 0x50, 0x100, 0xFFC]
    assert not mapped & set(unmapped)

    async def tb(ctx):
        ctx.set(dut.temp, 0x1234)
        for addr in unmapped:
            assert await axil_read(ctx, dut.s_axil, addr) == (0, RESP_SLVERR), hex(addr)
            assert await axil_write(ctx, dut.s_axil, addr, 0xFFFF_FFFF) == RESP_SLVERR, hex(addr)
        for name in ("ID", "VERSION", "TEMP"):
            assert await axil_write(ctx, dut.s_axil, R[name].offset, 0) == RESP_SLVERR, name
        assert await axil_read(ctx, dut.s_axil, 0x00) == (R.ident_value, RESP_OKAY)
        assert await axil_read(ctx, dut.s_axil, 0x04) == (R.version, RESP_OKAY)
        assert await axil_read(ctx, dut.s_axil, R["TEMP"].offset) == (0x1234, RESP_OKAY)
        # nothing else changed either
        for addr, reg, index in R.words():
            got = await axil_read(ctx, dut.s_axil, addr)
            assert got == (expected_word(reg, index, 0x1234), RESP_OKAY), reg.name
    simulate(dut, tb)


def test_w1c_set_wins_and_byte_clear():
    dut = AXI4LiteRegisters(R)
    addr = R["STATUS"].offset
    seen = []

    async def watch(ctx):
        async for _, _, value in ctx.tick().sample(dut.status.as_value()):
            seen.append(value)

    async def tb(ctx):
        ctx.set(dut.status_set.as_value(), 0xFF03)
        await ctx.tick()
        ctx.set(dut.status_set.as_value(), 0)
        await ctx.tick()
        assert await axil_read(ctx, dut.s_axil, addr) == (0xFF03, RESP_OKAY)
        # clear with only byte lane 0 enabled: the upper byte stays
        assert await axil_write(ctx, dut.s_axil, addr, 0xFFFF, strb=0b0001) == RESP_OKAY
        assert await axil_read(ctx, dut.s_axil, addr) == (0xFF00, RESP_OKAY)
        # writing 0 clears nothing
        assert await axil_write(ctx, dut.s_axil, addr, 0) == RESP_OKAY
        assert ctx.get(dut.status.as_value()) == 0xFF00
        # set RX_ERR continuously while software clears it: the set wins in every cycle, the bit never drops
        ctx.set(dut.status_set.rx_err, 1)
        await ctx.tick()
        start = len(seen)
        assert await axil_write(ctx, dut.s_axil, addr, 0x0101) == RESP_OKAY
        await ctx.tick()
        assert all(v & 1 for v in seen[start:]), "RX_ERR cleared while its set pulse was high"
        assert ctx.get(dut.status.as_value()) == 0xFE01, "only EVENTS bit 0 should have been cleared"
        ctx.set(dut.status_set.rx_err, 0)
        assert await axil_write(ctx, dut.s_axil, addr, 0xFFFF) == RESP_OKAY
        assert await axil_read(ctx, dut.s_axil, addr) == (0, RESP_OKAY)
    simulate(dut, tb, processes=[watch])


def test_counter_increment_saturation_clear():
    dut = AXI4LiteRegisters(R)
    frames, drops = R["FRAMES"].offset, R["DROPS"].offset
    history = []

    async def watch(ctx):
        async for _, _, value in ctx.tick().sample(dut.frames):
            history.append(value)

    async def tb(ctx):
        rng = random.Random(7)
        pattern = [rng.randint(0, 1) for _ in range(50)]
        for bit in pattern:
            ctx.set(dut.frames_inc, bit)
            await ctx.tick()
        ctx.set(dut.frames_inc, 0)
        assert await axil_read(ctx, dut.s_axil, frames) == (sum(pattern), RESP_OKAY)
        # a 4-bit saturating counter with 2-bit increments stops at 15
        ctx.set(dut.drops_inc, 3)
        await ctx.tick().repeat(10)
        ctx.set(dut.drops_inc, 0)
        assert await axil_read(ctx, dut.s_axil, drops) == (15, RESP_OKAY)
        # any write clears, whatever the data and byte enables
        assert await axil_write(ctx, dut.s_axil, drops, 0x5, strb=0) == RESP_OKAY
        assert await axil_read(ctx, dut.s_axil, drops) == (0, RESP_OKAY)
        # clear while incrementing every cycle: the clearing cycle's event is counted, so the count restarts at 1
        ctx.set(dut.frames_inc, 1)
        start = len(history)
        assert await axil_write(ctx, dut.s_axil, frames, 0) == RESP_OKAY
        ctx.set(dut.frames_inc, 0)
        after = history[start:]
        drop = next(i for i in range(1, len(after)) if after[i] < after[i - 1])
        assert after[drop] == 1, f"counter restarted at {after[drop]}, expected 1"
    simulate(dut, tb, processes=[watch])


def test_wrapping_counter_and_multiword_ro():
    regmap = RegisterMap("wrap", "WRAP", 3, [
        Register("C", 0x08, COUNTER, width=3, saturate=False),
        Register("T", 0x0C, RO, width=40),
    ])
    dut = AXI4LiteRegisters(regmap)

    async def tb(ctx):
        ctx.set(dut.c_inc, 1)
        await ctx.tick().repeat(10)
        ctx.set(dut.c_inc, 0)
        assert await axil_read(ctx, dut.s_axil, 0x08) == (10 % 8, RESP_OKAY)
        ctx.set(dut.t, 0xAB_1234_5678)
        assert await axil_read(ctx, dut.s_axil, 0x0C) == (0x1234_5678, RESP_OKAY)
        assert await axil_read(ctx, dut.s_axil, 0x10) == (0xAB, RESP_OKAY)
        assert await axil_write(ctx, dut.s_axil, 0x10, 0) == RESP_SLVERR
        assert await axil_read(ctx, dut.s_axil, 0x00) == (int.from_bytes(b"WRAP", "little"), RESP_OKAY)
    simulate(dut, tb)


def test_write_only_key():
    dut = ExampleRegisters()
    key = random.Random(3).getrandbits(256)
    base = R["KEY"].offset

    async def tb(ctx):
        for i in range(8):
            assert await axil_write(ctx, dut.s_axil, base + 4 * i, key >> (32 * i) & 0xFFFF_FFFF) == RESP_OKAY
        for i in range(8):
            assert await axil_read(ctx, dut.s_axil, base + 4 * i) == (0, RESP_OKAY), "a key word was readable"
            ctx.set(dut.key_sel, i)
            assert ctx.get(dut.key_word) == key >> (32 * i) & 0xFFFF_FFFF, f"key word {i}"
        # byte lanes: rewrite byte 2 of word 5 only
        assert await axil_write(ctx, dut.s_axil, base + 20, 0x00AA_0000, strb=0b0100) == RESP_OKAY
        ctx.set(dut.key_sel, 5)
        expect = (key >> 160 & 0xFF00_FFFF) | 0x00AA_0000
        assert ctx.get(dut.key_word) == expect
    simulate(dut, tb)


def test_valid_holds_until_ready():
    """bvalid / rvalid and their payloads stay put while the manager holds ready low (IHI 0022 A3.2.1), and a
    second AR is not accepted while a read response is pending (one outstanding read)."""
    dut = AXI4LiteRegisters(R)
    bus = dut.s_axil

    async def tb(ctx):
        ctx.set(bus.awaddr, 0x28)                 # unmapped: SLVERR
        ctx.set(bus.awvalid, 1)
        ctx.set(bus.wvalid, 1)
        await ctx.tick()
        ctx.set(bus.awvalid, 0)
        ctx.set(bus.wvalid, 0)
        await ctx.tick().repeat(2)
        for _ in range(10):
            assert ctx.get(bus.bvalid) == 1 and ctx.get(bus.bresp) == RESP_SLVERR
            await ctx.tick()
        ctx.set(bus.bready, 1)
        await ctx.tick()
        ctx.set(bus.bready, 0)
        assert ctx.get(bus.bvalid) == 0
        ctx.set(bus.araddr, 0x00)
        ctx.set(bus.arvalid, 1)
        await ctx.tick()
        ctx.set(bus.araddr, 0x04)                 # a second request waits
        assert ctx.get(bus.rvalid) == 0 and ctx.get(bus.arready) == 0      # the word address is registered first
        await ctx.tick()
        for _ in range(10):
            assert ctx.get(bus.rvalid) == 1 and ctx.get(bus.rdata) == R.ident_value
            assert ctx.get(bus.arready) == 0
            await ctx.tick()
        ctx.set(bus.rready, 1)
        *_, rv, rd = await ctx.tick().sample(bus.rvalid, bus.rdata)
        assert rv and rd == R.ident_value
        *_, arv, arr = await ctx.tick().sample(bus.arvalid, bus.arready)
        assert arv and arr, "the second AR was not accepted once the first response was taken"
        await ctx.tick()
        *_, rv, rd = await ctx.tick().sample(bus.rvalid, bus.rdata)
        assert rv and rd == R.version, "the second read was not served after the first completed"
    simulate(dut, tb)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_random_channel_timing(pattern, seed):
    """Random AW/W/B/R timing (the stall pattern picks each delay) against a model of the SCRATCH register."""
    rng = random.Random(f"{seed}:timing:{pattern}")
    stall = stall_pattern(pattern, seed=rng.randrange(1 << 20))
    dut = AXI4LiteRegisters(R)
    addr = R["SCRATCH"].offset

    def delay():
        n = 0
        while next(stall) and n < 6:
            n += 1
        return n

    async def tb(ctx):
        model = R["SCRATCH"].reset_value
        for _ in range(40):
            value, strb = rng.getrandbits(32), rng.randrange(16)
            assert await axil_write(ctx, dut.s_axil, addr, value, strb, aw_delay=delay(), w_delay=delay(),
                                    b_stall=delay()) == RESP_OKAY
            model = model & ~strb_mask(strb) | value & strb_mask(strb)
            assert await axil_read(ctx, dut.s_axil, addr, ar_delay=delay(), r_stall=delay()) == (model, RESP_OKAY)
    simulate(dut, tb)


def test_reset_mid_transaction():
    """A reset with a write half accepted and a read response pending: afterwards every register is back at its
    reset value, no stale response appears and the bus works."""
    dut = AXI4LiteRegisters(R)
    bus = dut.s_axil
    rst = Signal()
    top = ResetInserter(rst)(dut)

    async def tb(ctx):
        assert await axil_write(ctx, bus, R["SCRATCH"].offset, 0x1111_2222) == RESP_OKAY
        ctx.set(dut.frames_inc, 1)
        ctx.set(bus.awaddr, R["CTRL"].offset)     # AW accepted, W never comes
        ctx.set(bus.awvalid, 1)
        ctx.set(bus.araddr, R["SCRATCH"].offset)  # read response left pending
        ctx.set(bus.arvalid, 1)
        await ctx.tick()
        ctx.set(bus.awvalid, 0)
        ctx.set(bus.arvalid, 0)
        ctx.set(dut.frames_inc, 0)
        await ctx.tick()
        assert ctx.get(bus.rvalid) == 1
        ctx.set(rst, 1)
        await ctx.tick().repeat(2)
        ctx.set(rst, 0)
        await ctx.tick()
        assert ctx.get(bus.rvalid) == 0 and ctx.get(bus.bvalid) == 0
        # the W that was missing arrives now: with the AW lost in the reset it must not complete a write alone
        ctx.set(bus.wdata, 0)
        ctx.set(bus.wvalid, 1)
        await ctx.tick()
        ctx.set(bus.wvalid, 0)
        await ctx.tick().repeat(3)
        assert ctx.get(bus.bvalid) == 0, "a write completed with no address after reset"
        # the held W pairs with the next AW (here an unmapped word: SLVERR, nothing changes)
        ctx.set(bus.awaddr, 0x28)
        ctx.set(bus.awvalid, 1)
        await ctx.tick()
        ctx.set(bus.awvalid, 0)
        ctx.set(bus.bready, 1)
        await ctx.tick()                          # the write is performed
        *_, bv, bresp = await ctx.tick().sample(bus.bvalid, bus.bresp)
        assert bv and bresp == RESP_SLVERR
        ctx.set(bus.bready, 0)
        for addr, reg, index in R.words():
            assert await axil_read(ctx, bus, addr) == (expected_word(reg, index), RESP_OKAY), reg.name
    simulate(top, tb)


def test_second_write_waits_for_first_response():
    """With a B response pending, a second write may be accepted into the holding registers but must not be
    performed: the first response keeps its BRESP, and each write gets its own response, in order."""
    dut = AXI4LiteRegisters(R)
    bus = dut.s_axil

    async def offer(ctx, addr, value):
        ctx.set(bus.awaddr, addr)
        ctx.set(bus.wdata, value)
        ctx.set(bus.wstrb, 0xF)
        ctx.set(bus.awvalid, 1)
        ctx.set(bus.wvalid, 1)
        for _ in range(MAX_CYCLES):
            *_, awr, wr = await ctx.tick().sample(bus.awready, bus.wready)
            if awr and wr:
                break
        ctx.set(bus.awvalid, 0)
        ctx.set(bus.wvalid, 0)

    async def tb(ctx):
        await offer(ctx, R["SCRATCH"].offset, 0x1111_1111)       # OKAY, response not taken
        await ctx.tick().repeat(2)
        await offer(ctx, 0x28, 0)                                 # unmapped: SLVERR once performed
        await ctx.tick().repeat(5)
        assert ctx.get(bus.bvalid) == 1 and ctx.get(bus.bresp) == RESP_OKAY, "first response overwritten"
        responses = []
        ctx.set(bus.bready, 1)
        for _ in range(10):
            *_, bv, resp = await ctx.tick().sample(bus.bvalid, bus.bresp)
            if bv:
                responses.append(resp)
        assert responses == [RESP_OKAY, RESP_SLVERR]
        assert await axil_read(ctx, bus, R["SCRATCH"].offset) == (0x1111_1111, RESP_OKAY)
    simulate(dut, tb)
