"""Match-action classifier (rtl/parser/classifier.py) against the golden classifier (golden/parser/classifier.py,
parser.md §7) in the Amaranth simulator. Tables are programmed only through the AXI4-Lite register map; keys are
built from fake parse records through the golden helpers (sim/parser/tb_classifier.py)."""

import random

import pytest

from din.rtl.parser.classifier import KEY_LAYOUT, LATENCY, Classifier
from din.rtl.parser.tcam import LATENCY as TCAM_LATENCY
from din.rtl.parser.tcam import FirstSet, RamTcam, chunk_widths
from din.sim.common.amsim import simulate
from din.sim.common.stall import PATTERNS, stall_pattern
from din.sim.common.tb import full_regression, regression_count
from din.sim.parser import regs_classifier as R
from din.sim.parser.tb_classifier import (TABLES, AxilProgrammer, TableModel, expected_item, key_fields, make_record,
                                          mutate_program, random_action, random_program)

SMALL = {"nrp_size": 8, "arn_size": 5, "prefix_size": 5, "tuple_size": 5}
KEYS = regression_count(80, 600)       # keys per pattern and phase
MAX_CYCLES = 2000


class AmBus:
    """A minimal AXI4-Lite manager for the Amaranth simulator (AW and W together, B / R taken at once)."""

    def __init__(self, ctx, bus):
        self.ctx, self.bus = ctx, bus

    async def write32(self, addr, value):
        ctx, bus = self.ctx, self.bus
        ctx.set(bus.awaddr, addr)
        ctx.set(bus.wdata, value)
        ctx.set(bus.wstrb, 0xF)
        ctx.set(bus.awvalid, 1)
        ctx.set(bus.wvalid, 1)
        ctx.set(bus.bready, 1)
        aw = w = False
        for _ in range(MAX_CYCLES):
            *_, awr, wr, bv, resp = await ctx.tick().sample(bus.awready, bus.wready, bus.bvalid, bus.bresp)
            aw |= bool(awr)
            w |= bool(wr)
            ctx.set(bus.awvalid, not aw)
            ctx.set(bus.wvalid, not w)
            if bv:
                ctx.set(bus.bready, 0)
                return resp
        raise AssertionError(f"write {addr:#x}: no B response")

    async def read32(self, addr):
        ctx, bus = self.ctx, self.bus
        ctx.set(bus.araddr, addr)
        ctx.set(bus.arvalid, 1)
        ctx.set(bus.rready, 1)
        for _ in range(MAX_CYCLES):
            *_, arr, rv, data, resp = await ctx.tick().sample(bus.arready, bus.rvalid, bus.rdata, bus.rresp)
            if arr:
                ctx.set(bus.arvalid, 0)
            if rv:
                ctx.set(bus.rready, 0)
                return data, resp
        raise AssertionError(f"read {addr:#x}: no R response")


def _model(dut):
    return TableModel(sizes=dut.sizes, flow_bits=dut.flow_bits, slice_bits=dut.slice_bits)


async def run_keys(ctx, dut, golden, recs, *, pattern_in="none", pattern_out="none", seed=0):
    """Send the records' keys and collect the actions (both ends with stall patterns); return (got, expected)."""
    expected = [expected_item(golden.classify(rec)) for rec in recs]
    stall_in, stall_out = stall_pattern(pattern_in, seed=seed), stall_pattern(pattern_out, seed=seed + 1)
    got, i, cycles = [], 0, 0
    names = [n for n, _ in dut.m_action.payload.shape()]
    while len(got) < len(recs):
        send = i < len(recs) and not next(stall_in)
        ready = not next(stall_out)
        if send:
            ctx.set(dut.s_key.payload, key_fields(recs[i]))
        ctx.set(dut.s_key.valid, send)
        ctx.set(dut.m_action.ready, ready)
        *_, kr, av, payload = await ctx.tick().sample(dut.s_key.ready, dut.m_action.valid, dut.m_action.payload)
        if send and kr:
            i += 1
        if av and ready:
            got.append({n: int(getattr(payload, n)) for n in names})
        cycles += 1
        assert cycles < 30 * len(recs) + 500, f"stuck: {i} keys sent, {len(got)} actions"
    ctx.set(dut.s_key.valid, 0)
    ctx.set(dut.m_action.ready, 0)
    return got, expected


# ---------------------------------------------------------------------------------------------- unit pieces

def test_chunking():
    assert chunk_widths(296) == [9] * 32 + [8]
    assert chunk_widths(128) == [9] * 8 + [8] * 7
    assert chunk_widths(64) == [8] * 8
    assert chunk_widths(32) == [8] * 4
    assert chunk_widths(20) == [7, 7, 6]


@pytest.mark.parametrize("width", [1, 5, 16, 40, 256])
def test_first_set(width):
    dut = FirstSet(width)
    rng = random.Random(width)
    vectors = [0, (1 << width) - 1, 1 << (width - 1)] + [rng.getrandbits(width) & rng.getrandbits(width)
                                                          for _ in range(60)]

    async def tb(ctx):
        outs = []
        for k, vec in enumerate(vectors + [0, 0]):
            ctx.set(dut.bits, vec)
            *_, hit, index = await ctx.tick().sample(dut.hit, dut.index)
            outs.append((hit, index))
        for vec, (hit, index) in zip(vectors, outs[2:]):
            low = (vec & -vec).bit_length() - 1
            assert hit == (vec != 0) and (not hit or index == low), f"{vec:#x}: {hit} {index}"

    simulate(dut, tb)


def test_tcam_standalone_masks_and_poison():
    """RamTcam alone: entries with masks of every width, a poisoned write stays invalid, an invalidate clears."""
    width, n = 20, 6
    dut = RamTcam(key_width=width, entries=n)
    rng = random.Random(3)
    table = {}

    async def write(ctx, i, value, mask, poison_at=None):
        ctx.set(dut.index, i)
        ctx.set(dut.value, value)
        ctx.set(dut.mask, mask)
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        for k in range(600):
            ctx.set(dut.poison, k == poison_at)
            *_, done = await ctx.tick().sample(dut.done)
            if done:
                break
        ctx.set(dut.poison, 0)
        table.pop(i, None)
        if poison_at is None:
            table[i] = (value, mask)

    async def check(ctx, keys):
        # one key per cycle; the hits of the key set before edge c are read after edge c + TCAM_LATENCY - 1
        got = []
        for cycle in range(len(keys) + TCAM_LATENCY):
            if cycle < len(keys):
                ctx.set(dut.key, keys[cycle])
            await ctx.tick()
            if cycle >= TCAM_LATENCY - 1:
                got.append(ctx.get(dut.hits))
        for key, hits in zip(keys, got):
            want = sum(1 << i for i, (v, m) in table.items() if (key ^ v) & m == 0)
            assert hits == want, f"key {key:#x}: hits {hits:#b}, expected {want:#b}"

    async def tb(ctx):
        for i in range(n):
            mask = ((1 << rng.randrange(width + 1)) - 1) << rng.randrange(3) & ((1 << width) - 1)
            await write(ctx, i, rng.getrandbits(width), mask)
        keys = [rng.getrandbits(width) for _ in range(40)] + [v ^ (rng.getrandbits(width) & ~m)
                                                              for v, m in table.values()]
        await check(ctx, keys)
        await write(ctx, 2, 0, 0, poison_at=100)          # would match everything, but poisoned: invalid
        await check(ctx, keys)
        ctx.set(dut.inval_index, 4)
        ctx.set(dut.inval, 1)
        await ctx.tick()
        ctx.set(dut.inval, 0)
        table.pop(4)
        await check(ctx, keys)

    simulate(dut, tb)


# ---------------------------------------------------------------------------------------------- whole core

def test_classifier_against_golden():
    """Random tables with overlapping entries (every mask kind), keys built to hit them, both ends stalled with
    every pattern; then overwrites + invalidations + fatal/default changes and again (seeded random stalls; every
    pattern under ``make regress``); hit counters at the end."""
    dut = Classifier(**SMALL)
    r = random.Random(1)
    model = _model(dut)
    seen = set()

    async def tb(ctx):
        prog = AxilProgrammer(AmBus(ctx, dut.s_axil), model)
        ident, _ = await prog.bus.read32(R.ID_ADDR)
        assert ident == R.ID
        await prog.set_default(random_action(r, dut.flow_bits, dut.slice_bits))
        await prog.run(random_program(r, model, fill=0.8))
        counts = {}
        for phase in range(2):
            for k, pattern in enumerate(PATTERNS if phase == 0 or full_regression() else ("random",)):
                recs = [make_record(r, model) for _ in range(KEYS)]
                got, expected = await run_keys(ctx, dut, model.golden(), recs, pattern_in=pattern,
                                               pattern_out=pattern, seed=10 * phase + k)
                for n, (g, e) in enumerate(zip(got, expected)):
                    assert g == e, f"phase {phase} {pattern} key {n}: got {g}, expected {e}\nrecord {recs[n]}"
                for e in expected:
                    counts[e["table"]] = counts.get(e["table"], 0) + 1
                    seen.add((e["table"], e["entry"]))
            await prog.set_fatal_punt(phase == 0)
            await prog.set_default(random_action(r, dut.flow_bits, dut.slice_bits))
            await prog.run(mutate_program(r, model, 5))
        hits = await prog.hit_counters()
        names = ("fatal", "nrp", "arn", "prefix", "tuple", "default")
        assert [hits[n] for n in names] == [counts.get(k, 0) for k in range(6)], (hits, counts)

    simulate(dut, tb)
    assert {t for t, _ in seen} == set(range(6)), f"tables never deciding: {set(range(6)) - {t for t, _ in seen}}"
    for table in (2, 3, 4):
        assert len({e for t, e in seen if t == table}) >= 2, f"table {table}: fewer than 2 entries ever won"


def test_classifier_empty_tables_and_defaults():
    """After reset every table is empty: only fatal and default decide; the default sizes elaborate."""
    dut = Classifier()
    r = random.Random(5)
    model = _model(dut)

    async def tb(ctx):
        prog = AxilProgrammer(AmBus(ctx, dut.s_axil), model)
        last, _ = await prog.bus.read32(R.TABLE_LAST_ADDR)
        assert last == 255 | 63 << 8 | 63 << 16 | 63 << 24
        recs = [make_record(r, model) for _ in range(60)]
        got, expected = await run_keys(ctx, dut, model.golden(), recs)
        assert got == expected and {e["table"] for e in expected} == {0, 5}
        # the highest indices of the widest tables (the priority encoders' last groups)
        ops = [("write", "nrp", 255, 0xDEAD_BEEF, 0, random_action(r, 8, 8)),
               ("write", "nrp", 200, 0xDEAD_BEEF, 0, random_action(r, 8, 8)),     # lower index wins
               ("write", "arn", 63, 0x0001_0002_0000_0000, 0xFFFF_FFFF_0000_0000, random_action(r, 8, 8)),
               ("write", "tuple", 63, 0, 0, random_action(r, 8, 8))]               # matches every 5-tuple
        await prog.run(ops)
        recs = [make_record(r, model) for _ in range(120)]
        got, expected = await run_keys(ctx, dut, model.golden(), recs, pattern_in="random", pattern_out="random")
        assert got == expected
        assert {(e["table"], e["entry"]) for e in expected} >= {(1, 0), (2, 63), (4, 63)}

    simulate(dut, tb)


def test_classifier_misconfiguration():
    """Rejected commands: ERRORS flags, CMD_ERRORS, and the tables unchanged; staging writes while busy leave the
    entry invalid; keys are back-pressured while a write runs and flow during an invalidate."""
    dut = Classifier(**SMALL)
    r = random.Random(9)
    model = _model(dut)

    async def tb(ctx):
        bus = AmBus(ctx, dut.s_axil)
        prog = AxilProgrammer(bus, model)
        act = random_action(r, 8, 8)
        await prog.write_entry("arn", 3, 0, 0, act)
        cases = [(2, 5, 1, R.ERRORS_BAD_INDEX_MASK), (1, 8, 1, R.ERRORS_BAD_INDEX_MASK),
                 (0, 0, 1, R.ERRORS_BAD_TABLE_MASK), (5, 0, 2, R.ERRORS_BAD_TABLE_MASK),
                 (7, 0, 1, R.ERRORS_BAD_TABLE_MASK), (2, 3, 0, R.ERRORS_BAD_OP_MASK), (2, 3, 3, R.ERRORS_BAD_OP_MASK)]
        for table, index, op, flag in cases:
            await bus.write32(R.ENTRY_SEL_ADDR, table | index << R.ENTRY_SEL_INDEX_SHIFT)
            await bus.write32(R.CMD_ADDR, op)
            errors, _ = await bus.read32(R.ERRORS_ADDR)
            assert errors == flag, (table, index, op, errors)
            await bus.write32(R.ERRORS_ADDR, flag)
        assert (await bus.read32(R.CMD_ERRORS_ADDR))[0] == len(cases)
        # write while busy: ARN entry 1 gets poisoned, the invalidate of entry 3 issued meanwhile is ignored
        await prog.write_entry("arn", 1, 0, 0, act, wait=False)
        assert (await bus.read32(R.STATUS_ADDR))[0] == 1
        assert not ctx.get(dut.s_key.ready), "keys must be back-pressured during a table write"
        await bus.write32(R.ENTRY_MASK_ADDR, 1)
        await bus.write32(R.CMD_ADDR, 2)
        await prog.wait_idle()
        model.invalidate("arn", 1)
        assert (await bus.read32(R.ERRORS_ADDR))[0] == R.ERRORS_BUSY_MASK
        assert (await bus.read32(R.CMD_ERRORS_ADDR))[0] == len(cases) + 2
        recs = [make_record(r, model) for _ in range(80)]
        got, expected = await run_keys(ctx, dut, model.golden(), recs)
        assert got == expected
        assert any(e["table"] == 2 and e["entry"] == 3 for e in expected)
        # an invalidate never stalls the keys
        await prog.select("arn", 3)
        await bus.write32(R.CMD_ADDR, 2)
        assert ctx.get(dut.s_key.ready) and (await bus.read32(R.STATUS_ADDR))[0] == 0
        model.invalidate("arn", 3)
        got, expected = await run_keys(ctx, dut, model.golden(), recs)
        assert got == expected and not any(e["table"] == 2 for e in expected)

    simulate(dut, tb)


def test_key_layout_matches_interface():
    widths = {name: field.width for name, field in KEY_LAYOUT}
    assert widths == {"fatal": 1, "nrp_valid": 1, "nrp_id": 32, "arn_valid": 1, "arn_key": 64, "da_valid": 1,
                      "da": 128, "tuple_valid": 1, "tuple_key": 296}
    assert set(TABLES) == {"nrp", "arn", "prefix", "tuple"}


def test_latency_and_one_key_per_cycle():
    """With no stalls, a key is accepted every cycle and its action leaves exactly LATENCY cycles later."""
    dut = Classifier(**SMALL)
    r = random.Random(11)
    model = _model(dut)

    async def tb(ctx):
        prog = AxilProgrammer(AmBus(ctx, dut.s_axil), model)
        await prog.run(random_program(r, model, fill=0.25))
        recs = [make_record(r, model) for _ in range(64)]
        golden = model.golden()
        ins, outs, got = [], [], []
        ctx.set(dut.m_action.ready, 1)
        names = [n for n, _ in dut.m_action.payload.shape()]
        for cycle in range(len(recs) + LATENCY + 10):
            i = len(ins)
            ctx.set(dut.s_key.valid, i < len(recs))
            if i < len(recs):
                ctx.set(dut.s_key.payload, key_fields(recs[i]))
            *_, kv, kr, av, payload = await ctx.tick().sample(dut.s_key.valid, dut.s_key.ready, dut.m_action.valid,
                                                              dut.m_action.payload)
            if kv and kr:
                ins.append(cycle)
            if av:
                outs.append(cycle)
                got.append({n: int(getattr(payload, n)) for n in names})
        assert ins == list(range(len(recs))), "a key was refused with no backpressure"
        assert outs == [c + LATENCY for c in ins]
        assert got == [expected_item(golden.classify(rec)) for rec in recs]

    simulate(dut, tb)
