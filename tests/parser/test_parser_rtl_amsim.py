"""Parser RTL in the Amaranth simulator against the golden model, record for record (issue 4).

One simulation runs the whole sample (valid packets of every kind, the tcpdump captures, cuts of two packets, seeded
mutations) with random input stalls: a sample in ``make test`` (about a minute), the full counts under
``make regress``.
"""

from din.golden.parser import parse_frame
from din.rtl.parser.parser import Parser
from din.sim.common.amsim import send_frames, simulate
from din.sim.common.tb import regression_count
from din.sim.parser.corpus import CFG, capture_frames, config_cases, cut_frames, mutated_frames, valid_frames
from din.sim.parser.rtlrec import compare, config_values, decode_record, golden_view, rtl_json


def run(frames, cfg=CFG, pattern="none", seed=1):
    dut = Parser()
    vals = config_values(cfg)
    records = []
    frames = [(f, 0) if isinstance(f, (bytes, bytearray)) else f for f in frames]

    async def drive(ctx):
        for k, v in vals.items():
            ctx.set(getattr(dut, f"cfg_{k}"), v)
        await send_frames(ctx, dut.s_axis, frames, pattern=pattern, seed=seed)

    async def sink(ctx):
        ctx.set(dut.m_axis.ready, 1)
        cycles = 0
        while len(records) < len(frames):
            ctx.set(dut.m_meta.ready, 1)
            _, _, valid, payload, guard = await ctx.tick().sample(dut.m_meta.valid, dut.m_meta.payload,
                                                                  dut.walk_guard)
            assert not guard, "the walker's action guard ended a walk"
            if valid:
                records.append(decode_record(payload.as_value().value))
            cycles += 1
            assert cycles < 2 * sum(len(f) // 8 + 20 for f, _ in frames) + 1000, "records missing"

    simulate(dut, drive, sink)
    bad = []
    for (f, mac), r in zip(frames, records):
        g = golden_view(parse_frame(f, cfg, mac_error=bool(mac)), f)
        d = compare(rtl_json(r), g)
        if d:
            bad.append((f.hex(), mac, d))
    assert not bad, f"{len(bad)} of {len(frames)} records differ; first: {bad[:3]}"
    return records


def test_rtl_matches_golden_amsim():
    frames = (valid_frames() + capture_frames() + cut_frames(valid_frames()[:2], limit=regression_count(40, 600))
              + mutated_frames(regression_count(100, 3000), seed=1))
    run(frames, pattern="random")


def test_config_cases_amsim():
    """NEXT-C-SID (VPP's uSID vector), REPLACE-C-SID (32 / 16 bits), descriptor order, ARN in DOH with another
    carve-out: each case with its own configuration (``corpus.config_cases``)."""
    for _name, cfg, frames in config_cases():
        run(frames, cfg=cfg, pattern="random")
