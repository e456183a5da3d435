"""Amaranth-simulator helpers for fast unit tests (no Verilog, no cocotb): packet streams in and out with stalls."""

from amaranth.sim import Simulator

from .stall import stall_pattern

__all__ = ["simulate", "frame_to_beats", "beats_to_frames", "send_frames", "recv_frames"]


def simulate(dut, *testbenches, clocks=None, processes=(), vcd=None, deadline=None):
    """Run ``testbenches`` (``async def tb(ctx)``) on ``dut`` with ``clocks`` (domain -> period in seconds)."""
    sim = Simulator(dut)
    for domain, period in (clocks or {"sync": 1e-8}).items():
        sim.add_clock(period, domain=domain)
    for tb in testbenches:
        sim.add_testbench(tb)
    for proc in processes:
        sim.add_process(proc)
    if vcd:
        with sim.write_vcd(vcd):
            sim.run_until(deadline) if deadline else sim.run()
    else:
        sim.run_until(deadline) if deadline else sim.run()
    return sim


def frame_to_beats(data, *, bytes_per_beat=8, user=0):
    """Split ``data`` into beat dicts (``data``, ``keep``, ``last``, ``user`` on every beat); byte 0 in bits 7:0."""
    beats = []
    for off in range(0, len(data), bytes_per_beat):
        chunk = data[off:off + bytes_per_beat]
        beats.append({"data": int.from_bytes(chunk, "little"), "keep": (1 << len(chunk)) - 1,
                      "last": int(off + bytes_per_beat >= len(data)), "user": user})
    return beats


def beats_to_frames(beats, *, bytes_per_beat=8):
    """Join beat dicts back into ``(bytes, user_of_last_beat)`` frames (keep must be contiguous from bit 0)."""
    frames, cur = [], bytearray()
    for b in beats:
        keep = b["keep"]
        n = keep.bit_length()
        assert keep == (1 << n) - 1, f"non-contiguous tkeep {keep:#x}"
        cur += int(b["data"]).to_bytes(bytes_per_beat, "little")[:n]
        if b["last"]:
            frames.append((bytes(cur), b.get("user", 0)))
            cur = bytearray()
    return frames


async def send_frames(ctx, stream, frames, *, bytes_per_beat=8, pattern="none", seed=0, domain="sync"):
    """Drive ``frames`` (``bytes`` or ``(bytes, user)``) into ``stream`` with the idle pattern."""
    stall = stall_pattern(pattern, seed=seed)
    fields = {name for name, _ in stream.payload.shape()}
    for frame in frames:
        data, user = (frame, 0) if isinstance(frame, (bytes, bytearray)) else frame
        for beat in frame_to_beats(data, bytes_per_beat=bytes_per_beat, user=user):
            while next(stall):
                ctx.set(stream.valid, 0)
                await ctx.tick(domain)
            ctx.set(stream.payload, {k: v for k, v in beat.items() if k in fields})
            ctx.set(stream.valid, 1)
            await ctx.tick(domain).until(stream.ready)
    ctx.set(stream.valid, 0)


async def recv_frames(ctx, stream, count, *, bytes_per_beat=8, pattern="none", seed=0, domain="sync",
                      max_cycles=100_000, on_beat=None):
    """Collect ``count`` frames from ``stream`` with the backpressure pattern; return ``[(bytes, user)]``."""
    stall = stall_pattern(pattern, seed=seed)
    beats, frames, cycles = [], [], 0
    while len(frames) < count:
        ready = not next(stall)
        ctx.set(stream.ready, ready)
        _, _, valid, payload = await ctx.tick(domain).sample(stream.valid, stream.payload)
        cycles += 1
        if cycles > max_cycles:
            raise AssertionError(f"timeout: {len(frames)} of {count} frames after {max_cycles} cycles")
        if ready and valid:
            beat = {"data": payload.data, "keep": payload.keep, "last": payload.last,
                    "user": getattr(payload, "user", 0) if "user" in {n for n, _ in stream.payload.shape()} else 0}
            beats.append(beat)
            if on_beat:
                on_beat(cycles, beat)
            if beat["last"]:
                frames.extend(beats_to_frames(beats, bytes_per_beat=bytes_per_beat))
                beats = []
    ctx.set(stream.ready, 0)
    return frames
