"""cocotb testbench of ``din_gcm`` (rtl/physec/gcm.py: AES-256 core + GHASH composed into GCM, SP 800-38D §7).

Stream payloads are packed and unpacked through the RTL layouts (:func:`~din.rtl.physec.gcm.cmd_layout`,
``DATA_LAYOUT``, ``TAG_LAYOUT``), never by hand. References: the NIST ``gcmEncryptExtIV256`` / ``gcmDecrypt256``
entries with 96-bit IVs (:mod:`din.sim.physec.tb_aes_vectors`; a sample on every run, all of them under
``make regress``) and ``cryptography``'s AESGCM on random messages. Keys go into alternating slots, each installed
while the previous message (other slot) may still be running.
"""

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from din.rtl.physec.gcm import DATA_LAYOUT, TAG_LAYOUT, cmd_layout
from din.sim.common.tb import PATTERNS, Scoreboard, params, regression_count, reset, rng, stall_pattern, start_clock
from din.sim.physec.tb_aes_vectors import gcm_decrypt, gcm_encrypt, sample

LINE_MHZ = 161.1328125


def blocks(octets):
    return [int.from_bytes(octets[i:i + 16].ljust(16, b"\0"), "big") for i in range(0, len(octets), 16)]


def pack(layout, **fields):
    return layout.const(fields).as_value().value


class Engine:
    """Drives key install, ``cmd`` and ``i`` (with an idle pattern on ``i``) and collects ``o`` and ``tag`` (with a
    backpressure pattern on both)."""

    def __init__(self, dut, pattern, seed):
        self.dut = dut
        self.cmd_layout = cmd_layout(params().get("len_width", 16))
        self.in_stall = stall_pattern(pattern, seed=seed)
        self.out_stall = stall_pattern(pattern, seed=seed + 1)
        self.outs, self.tags, self.xz = [], [], []
        self.o_cycles = []
        self.task = cocotb.start_soon(self._sink())

    async def _sink(self):
        dut = self.dut
        while True:
            ready = not next(self.out_stall)
            dut.o_tready.value = int(ready)
            dut.tag_tready.value = int(ready)
            await ReadOnly()
            if int(dut.rst.value) == 0:
                for valid, payload, store in ((dut.o_tvalid, dut.o_tdata, self.outs),
                                              (dut.tag_tvalid, dut.tag_tdata, self.tags)):
                    if not valid.value.is_resolvable:
                        self.xz.append(f"X/Z on {valid._name} at {get_sim_time('ns')} ns")
                    elif int(valid.value) and ready:
                        if not payload.value.is_resolvable:
                            self.xz.append(f"X/Z on {payload._name} at {get_sim_time('ns')} ns")
                        else:
                            store.append(int(payload.value))
                            if store is self.outs:
                                self.o_cycles.append(get_sim_time("ps"))
            await RisingEdge(dut.clk)

    async def _handshake(self, valid, ready, data=None, value=None, stall=None):
        dut = self.dut
        while True:
            idle = next(stall) if stall is not None else False
            valid.value = 0 if idle else 1
            if data is not None:
                data.value = value
            await ReadOnly()
            done = not idle and int(ready.value)
            await RisingEdge(dut.clk)
            if done:
                valid.value = 0
                return

    async def install(self, key, slot):
        dut = self.dut
        dut.key.value = int.from_bytes(key, "big")
        dut.key_slot.value = slot
        await self._handshake(dut.key_valid, dut.key_ready)

    async def send(self, case, slot):
        dut = self.dut
        cmd = pack(self.cmd_layout, slot=slot, iv=int.from_bytes(case["iv"], "big"), aad_len=len(case["aad"]),
                   text_len=len(case["text"]), decrypt=case["decrypt"],
                   tag=int.from_bytes(case["tag"].ljust(16, b"\0"), "big"), tag_octets=len(case["tag"]))
        await self._handshake(dut.cmd_tvalid, dut.cmd_tready, dut.cmd_tdata, cmd)
        for blk in blocks(case["aad"]) + blocks(case["text"]):
            await self._handshake(dut.i_tvalid, dut.i_tready, dut.i_tdata, pack(DATA_LAYOUT, data=blk),
                                  self.in_stall)

    async def run(self, cases, *, slot0=0):
        for n, case in enumerate(cases):
            slot = (slot0 + n) % 2
            await self.install(case["key"], slot)
            await self.send(case, slot)
        for _ in range(5000):
            if len(self.tags) >= len(cases):
                break
            await RisingEdge(self.dut.clk)
        await ClockCycles(self.dut.clk, 5)

    def check(self, cases, sb):
        """Split the collected blocks per message and compare with each case's ``want`` / ``ok``."""
        for msg in self.xz:
            sb.error(msg)
        outs = list(self.outs)
        for case, tag_raw in zip(cases, self.tags):
            k = len(blocks(case["text"]))
            got = b"".join(int(DATA_LAYOUT.from_bits(v).data).to_bytes(16, "big") for v in outs[:k])
            del outs[:k]
            t = TAG_LAYOUT.from_bits(tag_raw)
            tag = int(t.tag).to_bytes(16, "big")
            if case["ok"]:
                sb.observe((case["name"], got, tag[:len(case["tag"])], int(t.match)))
                sb.hit("accepted")
            else:
                sb.observe((case["name"], int(t.match)))
                sb.hit("rejected")
        for v in outs:
            sb.error(f"extra output block {v:#x}")
        if len(self.tags) > len(cases):
            sb.error(f"{len(self.tags) - len(cases)} extra tag(s)")

    def stop(self):
        self.task.cancel()


def expect(cases, sb):
    for c in cases:
        if c["ok"]:
            padded = c["want"] + bytes(-len(c["want"]) % 16)
            sb.expect((c["name"], padded, c["tag"], 1))
        else:
            sb.expect((c["name"], 0))


def nist_cases(count, salt):
    enc = sample(gcm_encrypt(), count, f"{salt}:enc")
    dec = sample(gcm_decrypt(), count, f"{salt}:dec")
    return ([dict(v, text=v["pt"], decrypt=0, want=v["ct"], ok=True) for v in enc]
            + [dict(v, text=v["ct"], decrypt=1, want=v["pt"], ok=not v["fail"]) for v in dec])


def random_cases(r, count, max_len=96):
    cases = []
    for n in range(count):
        key, iv = r.randbytes(32), r.randbytes(12)
        aad, pt = r.randbytes(r.randint(0, max_len)), r.randbytes(r.randint(0, max_len))
        ct_tag = AESGCM(key).encrypt(iv, pt, aad)
        cases.append({"name": f"random{n}", "key": key, "iv": iv, "aad": aad, "text": pt, "decrypt": 0,
                      "tag": ct_tag[-16:], "want": ct_tag[:-16], "ok": True})
    return cases


async def _setup(dut):
    start_clock(dut.clk, LINE_MHZ)
    for name in ("key_valid", "cmd_tvalid", "i_tvalid", "o_tready", "tag_tready", "key_slot"):
        getattr(dut, name).value = 0
    dut.key.value = 0
    await reset(dut.clk, dut.rst)


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def nist_vectors(dut, pattern):
    """NIST entries (96-bit IV): encryptions give CT and the tag, decryptions give PT and ``match = 1``, FAIL
    entries give ``match = 0``; a sample of each file per pattern (under ``make regress`` every entry with the random
    pattern)."""
    await _setup(dut)
    r = rng(f"nist:{pattern}")
    # make regress: every entry under the random pattern, a larger sample under the others
    cases = nist_cases(regression_count(4, 100_000 if pattern == "random" else 40), f"{r.random()}")
    sb = Scoreboard(f"gcm NIST [{pattern}]", log=dut._log)
    sb.require_bin("accepted")
    sb.require_bin("rejected")
    expect(cases, sb)
    eng = Engine(dut, pattern, r.randrange(1 << 30))
    await eng.run(cases)
    eng.stop()
    eng.check(cases, sb)
    sb.finish(min_checked=len(cases))


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def random_against_aesgcm(dut, pattern):
    """Random keys, IVs, AAD and text (0..96 octets) against ``cryptography``'s AESGCM."""
    await _setup(dut)
    r = rng(f"random:{pattern}")
    cases = random_cases(r, regression_count(6, 200))
    sb = Scoreboard(f"gcm random [{pattern}]", log=dut._log)
    expect(cases, sb)
    eng = Engine(dut, pattern, r.randrange(1 << 30))
    await eng.run(cases)
    eng.stop()
    eng.check(cases, sb)
    sb.finish(min_checked=len(cases))


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def reset_mid_stream(dut, pattern):
    """Reset in the middle of a long message: afterwards both slots are cleared (physec.md §7: reset clears every
    slot), nothing comes out, and new keys and messages give the right results."""
    await _setup(dut)
    r = rng(f"reset:{pattern}")
    eng = Engine(dut, pattern, r.randrange(1 << 30))
    long = random_cases(r, 1, max_len=600)[0]
    long["text"], long["aad"] = r.randbytes(600), r.randbytes(16)
    task = cocotb.start_soon(eng.run([long]))
    for _ in range(2000):
        if len(eng.outs) >= 2:
            break
        await RisingEdge(dut.clk)
    await ClockCycles(dut.clk, r.randint(1, 30))
    assert eng.outs and not eng.tags, "the reset does not interrupt the message"
    task.cancel()
    for name in ("key_valid", "cmd_tvalid", "i_tvalid"):
        getattr(dut, name).value = 0
    await reset(dut.clk, dut.rst, cycles=r.randint(1, 5))
    await ReadOnly()
    assert int(dut.slot_ready.value) == 0, "a key slot survived the reset"
    await RisingEdge(dut.clk)
    eng.outs.clear()
    eng.tags.clear()
    await ClockCycles(dut.clk, 100)
    assert not eng.outs and not eng.tags, "output after reset without a message"
    cases = random_cases(r, 3)
    sb = Scoreboard(f"gcm after reset [{pattern}]", log=dut._log)
    expect(cases, sb)
    await eng.run(cases, slot0=1)
    eng.stop()
    eng.check(cases, sb)
    sb.finish(min_checked=len(cases))


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench gcm``: one 2040-block message (a PHYSec frame's payload, physec.md §7) and its 14-octet
    AAD, no stalls: text blocks per cycle at ``o``, cycles from the command to the first output block and from the
    last output block to the tag."""
    from din.sim.common.tb import write_figures
    await _setup(dut)
    r = rng("bench")
    key, iv, aad, pt = r.randbytes(32), r.randbytes(12), r.randbytes(14), r.randbytes(2040 * 16)
    ct_tag = AESGCM(key).encrypt(iv, pt, aad)
    case = {"name": "frame", "key": key, "iv": iv, "aad": aad, "text": pt, "decrypt": 0, "tag": ct_tag[-16:],
            "want": ct_tag[:-16], "ok": True}
    eng = Engine(dut, "none", 1)
    await eng.install(key, 0)
    while not int(dut.slot_ready.value) & 1:
        await RisingEdge(dut.clk)
    t_cmd = get_sim_time("ps")
    await eng.send(case, 0)
    for _ in range(20000):
        if eng.tags:
            break
        await RisingEdge(dut.clk)
    t_tag = get_sim_time("ps")
    eng.stop()
    sb = Scoreboard("gcm bench", log=dut._log)
    expect([case], sb)
    eng.check([case], sb)
    sb.finish()
    period = round(1e6 / LINE_MHZ)
    first, last = eng.o_cycles[0], eng.o_cycles[-1]
    figures = {
        "gcm_text_blocks_per_cycle": round((len(eng.o_cycles) - 1) / ((last - first) / period), 4),
        "gcm_cmd_to_first_block_cycles": round((first - t_cmd) / period),
        "gcm_last_block_to_tag_cycles": round((t_tag - last) / period),
        "gcm_gbps_at_line_clock": round((len(eng.o_cycles) - 1) * 128 / ((last - first) / 1e3), 3),
    }
    dut._log.info("figures: %s", figures)
    write_figures(figures)
