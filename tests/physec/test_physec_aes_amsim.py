"""AES-256 core (rtl/physec/aes.py) in the Amaranth simulator: the derived tables against FIPS 197, NIST AES-256
known-answer vectors (cryptography-vectors) and ``cryptography`` on random keys, both ring sizes, key install into
one slot while the other slot's traffic runs (physec.md §7 "Rekey"), output backpressure patterns."""

import gc
import random

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from din.rtl.physec.aes import Aes256, gf256_mul, sbox_table, ttable
from din.sim.common.amsim import simulate
from din.sim.common.stall import stall_pattern
from din.sim.common.tb import regression_count
from din.sim.physec.tb_aes_vectors import aes_kat, sample


def ecb(key, block):
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def test_aes_tables_match_fips197():
    s = sbox_table()
    assert sorted(s) == list(range(256))                                  # a permutation
    assert all(s[a] != a and s[a] != a ^ 0xFF for a in range(256))       # no fixed or opposite fixed points
    # FIPS 197 Figure 7 entries and the §5.1.1 example S(0x53) = 0xED
    assert (s[0x00], s[0x01], s[0x53], s[0xFF], s[0x10], s[0xC9]) == (0x63, 0x7C, 0xED, 0x16, 0xCA, 0xDD)
    assert gf256_mul(0x57, 0x83) == 0xC1 and gf256_mul(0x57, 0x13) == 0xFE           # FIPS 197 §4.2 examples
    t = ttable()
    assert all(t[a] >> 8 & 0xFF == s[a] and t[a] & 0xFF == gf256_mul(s[a], 2) for a in range(256))


def run_core(dut, jobs, *, pattern="none", seed=1, traffic_slot_keys=None):
    """``jobs``: list of (key, blocks). Job k's key goes into slot k % 2 while job k-1's blocks (other slot) are
    still flowing; returns the (block, tag) results in order."""
    results, expected_n = [], sum(len(b) for _, b in jobs)

    async def driver(ctx):
        for k, (key, blocks) in enumerate(jobs):
            slot = k % 2
            ctx.set(dut.key, int.from_bytes(key, "big"))
            ctx.set(dut.key_slot, slot)
            ctx.set(dut.key_valid, 1)
            await ctx.tick().until(dut.key_ready)
            ctx.set(dut.key_valid, 0)
            assert not (ctx.get(dut.slot_valid) >> slot) & 1, "slot still valid while its key is expanded"
            await ctx.tick().until((dut.slot_valid >> slot)[0])
            for n, blk in enumerate(blocks):
                ctx.set(dut.req.payload, {"block": int.from_bytes(blk, "big"), "slot": slot, "tag": (k + n) % 4})
                ctx.set(dut.req.valid, 1)
                await ctx.tick().until(dut.req.ready)
            ctx.set(dut.req.valid, 0)

    async def sink(ctx):
        stall = stall_pattern(pattern, seed=seed)
        for _ in range(200 * expected_n + 2000):
            ready = not next(stall)
            ctx.set(dut.out.ready, ready)
            _, _, valid, payload = await ctx.tick().sample(dut.out.valid, dut.out.payload)
            if valid and ready:
                results.append((int(payload.block).to_bytes(16, "big"), int(payload.tag)))
                if len(results) == expected_n:
                    break

    simulate(dut, driver, sink)
    return results


def expected(jobs):
    return [(ecb(key, blk), (k + n) % 4) for k, (key, blocks) in enumerate(jobs) for n, blk in enumerate(blocks)]


@pytest.mark.parametrize("units,table,style,lookup_reg,pattern", [(7, "ttable", "ebr", False, "random"),
                                                                   (14, "sbox", "logic", False, "periodic"),
                                                                   (7, "sbox", "ebr", True, "periodic")])
def test_aes_nist_kat_and_rekey(units, table, style, lookup_reg, pattern, seed):
    """A sample of the NIST AES-256 KAT vectors (all four files), then random keys checked against ``cryptography``;
    each key is installed into the slot not in use while the previous job's blocks are still in the ring."""
    r = random.Random(f"{seed}:aes:{units}")
    kat = sample(aes_kat(), regression_count(6, 24), f"{seed}:kat")
    jobs = [(key, [pt]) for _, key, pt, _ in kat]
    jobs += [(r.randbytes(32), [r.randbytes(16) for _ in range(r.randint(5, 20))]) for _ in range(2)]
    got = run_core(Aes256(units=units, table=table, sbox_style=style, lookup_reg=lookup_reg), jobs, pattern=pattern,
                   seed=seed)
    for (_, _, _, ct), (res, _) in zip(kat, got):
        assert res == ct
    assert got == expected(jobs)


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")
def test_aes_parameters_validated():
    with pytest.raises(ValueError, match="units"):
        Aes256(units=5)
    with pytest.raises(ValueError, match="table"):
        Aes256(table="rom")
    gc.collect()                      # the half-built components warn when collected: here, under the filter
