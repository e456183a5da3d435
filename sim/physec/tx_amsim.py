"""The PHYSec TX framer (``PhysecTx``, with or without the security engine) run in the Amaranth simulator for whole
frames, against the golden transmitter aligned to the simulated clocks (:mod:`.tb_tx_model`). Used by the amsim
tests; expected values come from the golden model only."""

import numpy as np
from amaranth.sim import Simulator

from din.golden.physec.frame import Overhead
from din.rtl.physec.tx_top import PhysecTx

from .tb_tx_model import blocks_as_ints, frame_bodies, golden_clock, golden_tx, line_words, make_trace

__all__ = ["write_slot", "install_keys", "run_tx_amsim", "describe_mismatch"]


async def write_slot(ctx, dut, index, slot):
    """One key handshake: a golden :class:`KeySlot` into engine slot ``index`` (the ``line`` testbench)."""
    ctx.set(dut.key, int.from_bytes(slot.key, "big"))
    ctx.set(dut.key_slot, index)
    ctx.set(dut.key_an, slot.an)
    ctx.set(dut.key_salt, int.from_bytes(slot.salt, "big"))
    ctx.set(dut.key_ssci, slot.ssci)
    ctx.set(dut.key_valid, 1)
    await ctx.tick("line").until(dut.key_ready)
    ctx.set(dut.key_valid, 0)


def install_keys(ctx, dut, keys):
    """Write the key slots of a golden :class:`KeyConfig` into the engine (slot i = ``keys.slots[i]``) and wait until
    their H is ready (an async helper for the ``line`` testbench)."""
    async def run():
        for i, s in enumerate(keys.slots):
            await write_slot(ctx, dut, i, s)
        want = (1 << len(keys.slots)) - 1
        while ctx.get(dut.slot_valid) & want != want:
            await ctx.tick("line")
    return run()


def run_tx_amsim(*, frames, ppm_client=0, fc_init=0x1122334455667700, an=2, seed=1, kcc=b"", keys=None,
                 fc_limit=(1 << 64) - 1, rekey_warn=1024, decoy_key=False):
    """Simulate PhysecTx in the Amaranth simulator for ``frames`` frames; return (got words, golden words, info).
    ``keys`` (a golden ``KeyConfig``): the security engine is built in and given those slots, MODE and switch;
    ``decoy_key``: first install another key into slot 0 and install the real one just as the decoy's expansion ends
    (its H request then in flight: that H must not count)."""
    fs = 10**15
    t_line = 6206062                       # fs, even (≈ 161.1328 MHz); line edges at odd fs
    t_client = 2 * round(6400000 / (1 + ppm_client / 1e6) / 2)   # fs, even; client edges at even fs
    ph_line, ph_client = 3001, 1000
    trace = make_trace(seed, 4 * 1100 * (frames + 1))
    from din.golden.physec.transmitter import Transmitter
    from din.golden.physec.security import KeyConfig
    n_blocks = 1100 * (frames + 1)
    blocks = blocks_as_ints(Transmitter(trace, KeyConfig(mode="clear")).client_blocks(0, n_blocks))
    dut = PhysecTx(security=keys is not None)
    i0 = 3                                   # block k is written at client edge c_go + i0 + 4k
    got, samples, status = [], [], {}
    total_words = 4112 * frames + 64
    done, go = [False], [None]

    async def client(ctx):
        c = 0
        while go[0] is None:
            await ctx.tick("sync")
            c += 1
        go[0] = c
        c = 0
        while not done[0]:
            k, r = divmod(c - i0, 4)
            if c >= i0 and r == 0 and k < n_blocks:
                ctx.set(dut.s_axis.payload, blocks[k])
                ctx.set(dut.s_axis.valid, 1)
            else:
                ctx.set(dut.s_axis.valid, 0)
            await ctx.tick("sync")
            c += 1

    async def line(ctx):
        if keys is not None:
            from din.golden.physec.security import MODE_OF
            if decoy_key:
                from dataclasses import replace
                await write_slot(ctx, dut, 0, replace(keys.slots[0], key=bytes(range(32))))
                await ctx.tick("line").until(dut._sec.slots.aes.slot_valid[0])       # decoy expanded, its H requested
            await install_keys(ctx, dut, keys)
            ctx.set(dut.mode, MODE_OF[keys.mode])
            ctx.set(dut.require_encryption, int(keys.require_encryption))
            ctx.set(dut.fc_limit, fc_limit)
            ctx.set(dut.rekey_warn, rekey_warn)
            if keys.switch:
                ctx.set(dut.sw_req, 1)
                ctx.set(dut.sw_slot, next(i for i, s in enumerate(keys.slots) if s.an == keys.switch["an"]))
                ctx.set(dut.sw_at, fc_init + keys.switch["frame"])
                await ctx.tick("line")
                ctx.set(dut.sw_req, 0)
        else:
            ctx.set(dut.an, an)
        ctx.set(dut.enable, 1)
        ctx.set(dut.fc_init, fc_init)
        go[0] = True
        ctx.set(dut.m_axis.ready, 1)
        queue = list(kcc)
        e = 0
        while len(got) < total_words:
            if queue and samples and e > samples[0] + 100:      # KCC octets during frame 0: they go into frame 1
                ctx.set(dut.kcc.payload, queue[0])
                ctx.set(dut.kcc.valid, 1)
            else:
                ctx.set(dut.kcc.valid, 0)
            _, _, valid, word, sample, kready = await ctx.tick("line").sample(
                dut.m_axis.valid, dut.m_axis.payload, dut.sample, dut.kcc.ready)
            if queue and kready and ctx.get(dut.kcc.valid):
                queue.pop(0)
            if sample:
                samples.append(e)
            if valid:
                got.append(word)
            e += 1
        names = ["overflow", "underflow", "gap", "blocks_carried", "frames"]
        if keys is not None:
            names += ["rekey_required", "cfg_err", "ks_underrun", "j0_missing", "tag_late", "active_an", "tx_blocked",
                      "dropped"]
        for name in names:
            status[name] = ctx.get(getattr(dut, name))
        done[0] = True

    sim = Simulator(dut)
    sim.add_clock(t_line / fs, phase=ph_line / fs, domain="line")
    sim.add_clock(t_client / fs, phase=ph_client / fs, domain="sync")
    sim.add_testbench(client, background=True)
    sim.add_testbench(line)
    sim.run()

    # times in fs: line edge e at ph_line + e·t_line, client edge i at ph_client + i·t_client
    s0 = ph_line + samples[0] * t_line
    c0 = ph_client + (go[0] + i0) * t_client
    assert all(b - a == 4112 for a, b in zip(samples, samples[1:]))
    ppm, start, latency = golden_clock(t_line=t_line, s0=s0, t_client=t_client, c0=c0)
    dump, gtx = golden_tx(trace, frames=frames, ppm=ppm, start=start, latency=latency, fc_init=fc_init, an=an,
                          kcc_at={1: kcc}, keys=keys, fc_limit=fc_limit, rekey_warn=rekey_warn)
    return np.array(got[:4112 * frames], dtype=np.uint64), line_words(dump), {"status": status, "golden": gtx,
                                                                             "ppm": ppm}


def describe_mismatch(got, want):
    """Name the first differing word with its frame, region and the overhead as parsed by the golden model."""
    diff = np.flatnonzero(got != want)
    if not len(diff):
        return ""
    w = int(diff[0])
    n, wi = divmod(w, 4112)
    region = "AM" if wi < 2 else ("overhead" if wi < 32 else f"payload slot ~{(64 * wi - 2056) // 257 + 1}")
    msg = [f"{len(diff)} words differ; first: word {w} (frame {n} word {wi}, {region}): "
           f"got {int(got[w]):#018x} want {int(want[w]):#018x}"]
    for name, words in (("got", got), ("want", want)):
        oh, ok = Overhead.parse(frame_bodies(words[4112 * n:4112 * (n + 1)])[0][:64])
        msg.append(f"{name}: {oh} crc_ok={ok}")
    return "\n".join(msg)
