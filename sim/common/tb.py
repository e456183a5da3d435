"""Helpers for cocotb testbenches (they run inside the simulator, started by :mod:`din.sim.runner`)."""

import json
import os
import random
import warnings

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

from .scoreboard import Scoreboard
from .stall import PATTERNS, stall_pattern

__all__ = ["params", "seed", "rng", "sim_name", "full_regression", "regression_count", "quiet_thirdparty_warnings", "start_clock", "reset",
           "AxisEnds", "XZMonitor", "frame_bytes", "frame_user", "PATTERNS", "stall_pattern", "Scoreboard"]


def quiet_thirdparty_warnings():
    """cocotbext-axi / -eth 0.1.28 call APIs cocotb 2.1 deprecates; silence exactly those (toolchain trap 10)."""
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"cocotbext\.")
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"cocotbext\.")


def params():
    """Hardware parameters of the top under test (``DIN_PARAMS``, written by the runner from the export JSON)."""
    return json.loads(os.environ.get("DIN_PARAMS", "{}"))


def seed():
    return int(os.environ.get("DIN_SEED", "1"))


def rng(salt=""):
    """A ``random.Random`` derived from the run's seed and ``salt`` (one per test / per stream, all replayable)."""
    return random.Random(f"{seed()}:{salt}")


def sim_name():
    return os.environ.get("DIN_SIM", "")


def full_regression():
    """True under ``make regress`` (``DIN_REGRESSION=full``): run the full sweeps instead of the CI sample."""
    return os.environ.get("DIN_REGRESSION", "sample") == "full"


def regression_count(sample, full):
    """How many items a sweep runs: ``sample`` on every ``make test`` / CI run, ``full`` under ``make regress``."""
    return full if full_regression() else sample


def start_clock(signal, mhz):
    """Start a clock of ``mhz`` on ``signal`` (period rounded to the picosecond)."""
    period_ps = round(1e6 / mhz)
    Clock(signal, period_ps, unit="ps").start()
    return period_ps


async def reset(clk, rst, cycles=4):
    """Hold synchronous active-high ``rst`` for ``cycles`` rising edges of ``clk``."""
    rst.value = 1
    await ClockCycles(clk, cycles)
    rst.value = 0
    await RisingEdge(clk)


class AxilRegs:
    """cocotbext-axi ``AxiLiteMaster`` on ``<prefix>_*`` (logs quiet) with 32-bit ``write`` / ``read`` that fail on a
    response other than OKAY or when no response comes within ``timeout_us``."""

    def __init__(self, dut, *, prefix="s_axil", clk=None, rst=None, timeout_us=50):
        import logging
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, prefix), clk if clk is not None else dut.clk,
                                  rst if rst is not None else dut.rst)
        for side in (self.axil.write_if, self.axil.read_if):
            side.log.setLevel(logging.WARNING)
        self.timeout_us = timeout_us

    async def write(self, addr, value):
        from cocotb.triggers import with_timeout
        resp = await with_timeout(self.axil.write(addr, value.to_bytes(4, "little")), self.timeout_us, "us")
        assert int(resp.resp) == 0, f"write {addr:#x}: response {int(resp.resp)}"

    async def read(self, addr):
        from cocotb.triggers import with_timeout
        resp = await with_timeout(self.axil.read(addr, 4), self.timeout_us, "us")
        assert int(resp.resp) == 0, f"read {addr:#x}: response {int(resp.resp)}"
        return int.from_bytes(resp.data, "little")


class AxisEnds:
    """cocotbext-axi source on ``s_axis`` and sink on ``m_axis`` with the given idle / backpressure patterns."""

    def __init__(self, dut, *, clk=None, rst=None, source="s_axis", sink="m_axis", source_clk=None, sink_clk=None,
                 source_rst=None, sink_rst=None, pattern_in="none", pattern_out="none", salt=""):
        from cocotbext.axi import AxiStreamBus, AxiStreamSink, AxiStreamSource
        clk = clk if clk is not None else dut.clk
        rst = rst if rst is not None else dut.rst
        pick = lambda a, b: a if a is not None else b   # noqa: E731 (handles cannot be used as booleans)
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, source), pick(source_clk, clk),
                                      pick(source_rst, rst))
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, sink), pick(sink_clk, clk), pick(sink_rst, rst))
        self.set_patterns(pattern_in, pattern_out, salt)

    def set_patterns(self, pattern_in, pattern_out, salt=""):
        """New idle / backpressure patterns on the same source and sink (one pair of ends per test: a second
        ``AxisEnds`` on the same ports would leave the first one's coroutines driving them)."""
        r = rng(f"stall:{salt}")
        self.source.set_pause_generator(stall_pattern(pattern_in, seed=r.randrange(1 << 30)))
        self.sink.set_pause_generator(stall_pattern(pattern_out, seed=r.randrange(1 << 30)))


class XZMonitor:
    """Check, at every rising edge where ``valid`` is 1, that ``signals`` carry no X or Z; report to a scoreboard."""

    def __init__(self, clk, valid, signals, scoreboard, *, name=""):
        self.clk, self.valid, self.signals, self.sb, self.name = clk, valid, signals, scoreboard, name
        self.samples = 0
        self._task = cocotb.start_soon(self._run())

    async def _run(self):
        while True:
            await RisingEdge(self.clk)
            await ReadOnly()
            v = self.valid.value
            if not v.is_resolvable:
                self.sb.error(f"{self.name}: X/Z on valid at {get_sim_time('ns')} ns")
                continue
            if int(v):
                self.samples += 1
                for sig in self.signals:
                    if not sig.value.is_resolvable:
                        self.sb.error(f"{self.name}: X/Z on {sig._name}={sig.value} while valid, "
                                      f"at {get_sim_time('ns')} ns")

    def stop(self):
        self._task.cancel()


def frame_bytes(frame):
    return bytes(frame.tdata)


def frame_user(frame):
    """``tuser`` of the frame's last beat (the bad-frame flag lives there)."""
    if frame.tuser is None:
        return 0
    if isinstance(frame.tuser, (int, bool)):
        return int(frame.tuser)
    return int(frame.tuser[-1]) if frame.tuser else 0


def write_figures(figures):
    """Record a benchmark's figures (``din bench`` prints them): JSON in the run's test directory."""
    path = os.path.join(os.environ.get("DIN_TEST_DIR", "."), "figures.json")
    existing = {}
    if os.path.exists(path):
        with open(path) as f:
            existing = json.load(f)
    existing.update(figures)
    with open(path, "w") as f:
        json.dump(existing, f, indent=2)


async def measure_stream(dut, frames, *, clk=None, rst=None, source="s_axis", sink="m_axis", source_clk=None,
                         sink_clk=None, timeout_us=1000):
    """Reset, send ``frames`` back to back with no stalls and measure the stream at the handshakes.

    The caller starts the clocks; for several reset signals, pass ``rst=None`` and reset them before calling.

    Returns figures: ``beats``, ``beats_per_cycle_in`` / ``_out`` (beats over the cycles from first to last beat on
    that side), ``latency_cycles`` (first input beat to first output beat, in sink clock cycles),
    ``cycles_per_wall_second`` (simulation speed). Frames must come out unchanged (checked).
    """
    import time
    from cocotbext.axi import AxiStreamFrame
    clk = clk if clk is not None else dut.clk
    s_clk = source_clk if source_clk is not None else clk
    m_clk = sink_clk if sink_clk is not None else clk
    ends = AxisEnds(dut, clk=clk, rst=rst, source=source, sink=sink, source_clk=s_clk, sink_clk=m_clk)
    for r, c in ((rst, clk),) if rst is not None else ((getattr(dut, "rst", None), clk),):
        if r is not None:
            await reset(c, r)
    s_valid, s_ready = getattr(dut, f"{source}_tvalid"), getattr(dut, f"{source}_tready")
    m_valid, m_ready = getattr(dut, f"{sink}_tvalid"), getattr(dut, f"{sink}_tready")
    ins, outs = [], []
    counters = {"s": 0, "m": 0}

    async def watch(clock, valid, ready, key, log):
        while True:
            await RisingEdge(clock)
            counters[key] += 1
            if valid.value.is_resolvable and ready.value.is_resolvable and int(valid.value) and int(ready.value):
                log.append(counters[key])

    t_in = cocotb.start_soon(watch(s_clk, s_valid, s_ready, "s", ins))
    t_out = cocotb.start_soon(watch(m_clk, m_valid, m_ready, "m", outs))
    wall0 = time.perf_counter()
    sim0 = get_sim_time("ns")
    for f in frames:
        await ends.source.send(AxiStreamFrame(f))
    got = []
    from cocotb.triggers import with_timeout
    for _ in frames:
        got.append(bytes((await with_timeout(ends.sink.recv(), timeout_us, "us")).tdata))
    wall = time.perf_counter() - wall0
    m_cycles = counters["m"]
    t_in.cancel()
    t_out.cancel()
    assert got == list(frames), "frames changed in the benchmark run"
    # first output beat, counted in sink-clock cycles since the first input beat
    sim_ns = get_sim_time("ns") - sim0
    m_period_ns = sim_ns / max(m_cycles, 1)
    first_in_ns = ins[0] * (sim_ns / max(counters["s"], 1))
    latency = outs[0] - first_in_ns / m_period_ns
    return {
        "beats": len(outs),
        "beats_per_cycle_in": round(len(ins) / (ins[-1] - ins[0] + 1), 4),
        "beats_per_cycle_out": round(len(outs) / (outs[-1] - outs[0] + 1), 4),
        "latency_cycles": round(latency, 2),
        "sim_cycles": m_cycles,
        "cycles_per_wall_second": round(m_cycles / wall) if wall > 0 else None,
    }
