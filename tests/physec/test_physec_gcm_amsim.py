"""AES-256-GCM engine (rtl/physec/gcm.py) in the Amaranth simulator: NIST ``gcmEncryptExtIV256`` (96-bit IV) and
``gcmDecrypt256`` entries (FAIL ones must give ``match = 0``), and ``cryptography``'s AESGCM on random keys, IVs, AAD
and lengths, with keys installed into alternating slots (SP 800-38D §7; physec.md §7)."""

import random

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from din.rtl.physec.gcm import Gcm
from din.sim.common.amsim import simulate
from din.sim.common.tb import regression_count
from din.sim.physec.tb_aes_vectors import gcm_decrypt, gcm_encrypt, sample


def blocks(octets):
    return [int.from_bytes(octets[i:i + 16].ljust(16, b"\0"), "big") for i in range(0, len(octets), 16)]


def run_gcm(dut, cases):
    """``cases``: dicts with key, iv, aad, text, decrypt, tag. Returns [(output octets, tag octets, match)]."""
    outs, tags = [], []
    n_blocks = sum(len(blocks(c["text"])) for c in cases)

    async def driver(ctx):
        for n, c in enumerate(cases):
            slot = n % 2                 # installed while the previous message (other slot) may still run
            ctx.set(dut.key, int.from_bytes(c["key"], "big"))
            ctx.set(dut.key_slot, slot)
            ctx.set(dut.key_valid, 1)
            await ctx.tick().until(dut.key_ready)
            ctx.set(dut.key_valid, 0)
            ctx.set(dut.cmd.payload, {"slot": slot, "iv": int.from_bytes(c["iv"], "big"), "aad_len": len(c["aad"]),
                                      "text_len": len(c["text"]), "decrypt": c["decrypt"],
                                      "tag": int.from_bytes(c["tag"].ljust(16, b"\0"), "big"),
                                      "tag_octets": len(c["tag"])})
            ctx.set(dut.cmd.valid, 1)
            await ctx.tick().until(dut.cmd.ready)
            ctx.set(dut.cmd.valid, 0)
            for blk in blocks(c["aad"]) + blocks(c["text"]):
                ctx.set(dut.i.payload.data, blk)
                ctx.set(dut.i.valid, 1)
                await ctx.tick().until(dut.i.ready)
            ctx.set(dut.i.valid, 0)

    async def sink(ctx):
        ctx.set(dut.o.ready, 1)
        ctx.set(dut.tag.ready, 1)
        for _ in range(3000 * len(cases)):
            _, _, ov, od, tv, tp = await ctx.tick().sample(dut.o.valid, dut.o.payload.data, dut.tag.valid,
                                                            dut.tag.payload)
            if ov:
                outs.append(int(od).to_bytes(16, "big"))
            if tv:
                tags.append((int(tp.tag).to_bytes(16, "big"), int(tp.match)))
            if len(tags) == len(cases) and len(outs) == n_blocks:
                break

    simulate(dut, driver, sink)
    assert len(tags) == len(cases) and len(outs) == n_blocks, f"{len(tags)} tags, {len(outs)} blocks came out"
    results = []
    for c, (tag, match) in zip(cases, tags):
        k = len(blocks(c["text"]))
        text, outs[:k] = b"".join(outs[:k]), []
        assert text[len(c["text"]):] == bytes(len(text) - len(c["text"])), "octets past the end are not zero"
        results.append((text[:len(c["text"])], tag, match))
    return results


def nist_cases(seed, count):
    enc = sample(gcm_encrypt(), count, f"{seed}:enc")
    dec = sample(gcm_decrypt(), count, f"{seed}:dec")
    cases = [dict(v, text=v["pt"], decrypt=0, want=v["ct"], ok=True) for v in enc]
    cases += [dict(v, text=v["ct"], decrypt=1, want=v["pt"], ok=not v["fail"]) for v in dec]
    return cases


def test_gcm_nist_vectors(seed):
    """NIST encrypt entries give CT and the (possibly truncated) tag; decrypt entries give PT and ``match = 1``,
    except the FAIL entries, which give ``match = 0``."""
    cases = nist_cases(seed, regression_count(5, 40))
    assert any(not c["ok"] for c in cases), "the sample holds no FAIL entry"
    for c, (text, tag, match) in zip(cases, run_gcm(Gcm(), cases)):
        assert match == int(c["ok"]), c["name"]
        if c["ok"]:
            assert text == c["want"], c["name"]
            assert tag[:len(c["tag"])] == c["tag"], c["name"]


def test_gcm_random_against_aesgcm(seed):
    """Random keys, IVs, AAD and text lengths (0..80 octets) against ``cryptography``'s AESGCM."""
    r = random.Random(f"{seed}:gcm-random")
    cases = []
    for _ in range(regression_count(4, 30)):
        key, iv = r.randbytes(32), r.randbytes(12)
        aad, pt = r.randbytes(r.choice([0, 1, 15, 16, 17, 40])), r.randbytes(r.choice([0, 1, 16, 31, 48, 80]))
        ct_tag = AESGCM(key).encrypt(iv, pt, aad)
        cases.append({"key": key, "iv": iv, "aad": aad, "text": pt, "decrypt": 0, "tag": ct_tag[-16:],
                      "want": ct_tag[:-16]})
    for c, (text, tag, match) in zip(cases, run_gcm(Gcm(), cases)):
        assert (text, tag, match) == (c["want"], c["tag"], 1)
