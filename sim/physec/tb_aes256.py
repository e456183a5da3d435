"""cocotb testbench of ``din_aes256`` (rtl/physec/aes.py: AES-256, two key slots, FIPS 197).

Payloads are packed / unpacked through :func:`~din.rtl.physec.aes.request_layout` / ``result_layout``. References:
the NIST AES-256 ECB known-answer files (:mod:`din.sim.physec.tb_aes_vectors`; a sample on every run, every entry
under ``make regress``) and ``cryptography``'s AES on random keys and blocks. Each key goes into the slot not in
use while the other slot's blocks are still flowing (physec.md §7 "Rekey").
"""

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from din.rtl.physec.aes import request_layout, result_layout
from din.sim.common.tb import PATTERNS, Scoreboard, params, regression_count, reset, rng, stall_pattern, start_clock
from din.sim.physec.tb_aes_vectors import aes_kat, sample

LINE_MHZ = 161.1328125


def ecb(key, block):
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


class Core:
    def __init__(self, dut, pattern, seed, sb):
        self.dut, self.sb = dut, sb
        tw = params().get("tag_width", 2)
        self.tag_mask = (1 << max(tw, 1)) - 1
        self.req_layout, self.out_layout = request_layout(tw), result_layout(tw)
        self.in_stall = stall_pattern(pattern, seed=seed)
        self.out_stall = stall_pattern(pattern, seed=seed + 1)
        self.results, self.cycles = [], []
        self.task = cocotb.start_soon(self._sink())

    async def _sink(self):
        dut = self.dut
        while True:
            ready = not next(self.out_stall)
            dut.out_tready.value = int(ready)
            await ReadOnly()
            if int(dut.rst.value) == 0:
                v = dut.out_tvalid.value
                if not v.is_resolvable:
                    self.sb.error(f"X/Z on out_tvalid at {get_sim_time('ns')} ns")
                elif int(v) and ready:
                    if not dut.out_tdata.value.is_resolvable:
                        self.sb.error(f"X/Z on out_tdata at {get_sim_time('ns')} ns")
                    else:
                        res = self.out_layout.from_bits(int(dut.out_tdata.value))
                        self.results.append((int(res.block).to_bytes(16, "big"), int(res.tag)))
                        self.cycles.append(get_sim_time("ps"))
            await RisingEdge(dut.clk)

    async def install(self, key, slot):
        dut = self.dut
        dut.key.value = int.from_bytes(key, "big")
        dut.key_slot.value = slot
        dut.key_valid.value = 1
        while True:
            await ReadOnly()
            done = int(dut.key_ready.value)
            await RisingEdge(dut.clk)
            if done:
                break
        dut.key_valid.value = 0
        while True:                      # wait for the slot's round keys
            await ReadOnly()
            if (int(dut.slot_valid.value) >> slot) & 1:
                break
            await RisingEdge(dut.clk)
        await RisingEdge(dut.clk)

    async def send(self, blocks, slot, stall=True):
        dut = self.dut
        for blk, tag in blocks:
            while True:
                idle = next(self.in_stall) if stall else False
                dut.req_tvalid.value = 0 if idle else 1
                dut.req_tdata.value = self.req_layout.const(
                    {"block": int.from_bytes(blk, "big"), "slot": slot, "tag": tag & self.tag_mask}).as_value().value
                await ReadOnly()
                done = not idle and int(dut.req_tready.value)
                await RisingEdge(dut.clk)
                if done:
                    break
        dut.req_tvalid.value = 0

    async def wait_for(self, n, limit=20000):
        for _ in range(limit):
            if len(self.results) >= n:
                break
            await RisingEdge(self.dut.clk)
        await ClockCycles(self.dut.clk, 5)

    def stop(self):
        self.task.cancel()


async def _setup(dut):
    start_clock(dut.clk, LINE_MHZ)
    for name in ("key_valid", "req_tvalid", "out_tready", "key_slot"):
        getattr(dut, name).value = 0
    dut.key.value = 0
    await reset(dut.clk, dut.rst)


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def nist_kat_and_rekey(dut, pattern):
    """NIST AES-256 ECB known answers (sample of the four files; all 405 under ``make regress`` with the random pattern), then random keys
    against ``cryptography``; keys alternate between the slots, each installed while the other slot's blocks flow."""
    await _setup(dut)
    r = rng(f"kat:{pattern}")
    sb = Scoreboard(f"aes256 [{pattern}]", log=dut._log)
    core = Core(dut, pattern, r.randrange(1 << 30), sb)
    jobs = [(key, [pt]) for _, key, pt, _ in sample(aes_kat(), regression_count(8, 1000 if pattern == "random" else 40),
                                                        f"{r.random()}")]
    jobs += [(r.randbytes(32), [r.randbytes(16) for _ in range(r.randint(10, 30))]) for _ in range(3)]
    n = 0
    sending = None
    for k, (key, blocks) in enumerate(jobs):
        for blk in blocks:
            sb.expect((ecb(key, blk), n & core.tag_mask))
            n += 1
        await core.install(key, k % 2)                 # the previous job (other slot) may still be sending
        if sending is not None:
            await sending
        first = n - len(blocks)
        sending = cocotb.start_soon(core.send([(b, first + j) for j, b in enumerate(blocks)], k % 2))
    await sending
    await core.wait_for(n)
    core.stop()
    for res in core.results:
        sb.observe(res)
    sb.finish(min_checked=n)


@cocotb.test()
@cocotb.parametrize(pattern=PATTERNS)
async def reset_mid_stream(dut, pattern):
    """A reset while blocks are in the ring: both slots are cleared, nothing comes out afterwards until new keys and
    blocks, which then come out right."""
    await _setup(dut)
    r = rng(f"reset:{pattern}")
    sb = Scoreboard(f"aes256 after reset [{pattern}]", log=dut._log)
    core = Core(dut, pattern, r.randrange(1 << 30), sb)
    await core.install(r.randbytes(32), 0)
    task = cocotb.start_soon(core.send([(r.randbytes(16), j) for j in range(200)], 0))
    await ClockCycles(dut.clk, r.randint(40, 120))
    task.cancel()
    dut.req_tvalid.value = 0
    await reset(dut.clk, dut.rst, cycles=r.randint(1, 4))
    await ReadOnly()
    assert int(dut.slot_valid.value) == 0, "a key slot survived the reset"
    await RisingEdge(dut.clk)
    core.results.clear()
    await ClockCycles(dut.clk, 60)
    assert not core.results, "blocks came out after the reset"
    key = r.randbytes(32)
    blocks = [r.randbytes(16) for _ in range(40)]
    for j, b in enumerate(blocks):
        sb.expect((ecb(key, b), j & core.tag_mask))
    await core.install(key, 1)
    await core.send([(b, j) for j, b in enumerate(blocks)], 1)
    await core.wait_for(len(blocks))
    core.stop()
    for res in core.results:
        sb.observe(res)
    sb.finish(min_checked=len(blocks))


@cocotb.test()
async def bench(dut):
    """Figures for ``din bench aes256``: 512 blocks offered back to back, sink always ready: keystream blocks per
    cycle, latency (request accepted -> result valid) in cycles, key install time in cycles."""
    from din.sim.common.tb import write_figures
    await _setup(dut)
    r = rng("bench")
    sb = Scoreboard("aes256 bench", log=dut._log)
    core = Core(dut, "none", 1, sb)
    key = r.randbytes(32)
    period = round(1e6 / LINE_MHZ)
    t0 = get_sim_time("ps")
    await core.install(key, 0)
    install_cycles = round((get_sim_time("ps") - t0) / period)
    blocks = [r.randbytes(16) for _ in range(512)]
    for j, b in enumerate(blocks):
        sb.expect((ecb(key, b), j & core.tag_mask))
    t_first = get_sim_time("ps")
    await core.send([(b, j) for j, b in enumerate(blocks)], 0, stall=False)
    await core.wait_for(len(blocks))
    core.stop()
    for res in core.results:
        sb.observe(res)
    sb.finish(min_checked=len(blocks))
    first, last = core.cycles[0], core.cycles[-1]
    figures = {
        "aes_blocks_per_cycle": round((len(blocks) - 1) / ((last - first) / period), 4),
        "aes_latency_cycles": round((first - t_first) / period),
        "aes_key_install_cycles": install_cycles,
        "aes_gbps_at_line_clock": round((len(blocks) - 1) * 128 / ((last - first) / 1e3), 3),
        "parameters": params(),
    }
    dut._log.info("figures: %s", figures)
    write_figures(figures)
