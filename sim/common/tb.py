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

__all__ = ["params", "seed", "rng", "sim_name", "quiet_thirdparty_warnings", "start_clock", "reset",
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


class AxisEnds:
    """cocotbext-axi source on ``s_axis`` and sink on ``m_axis`` with the given idle / backpressure patterns."""

    def __init__(self, dut, *, clk=None, rst=None, source="s_axis", sink="m_axis", source_clk=None, sink_clk=None,
                 source_rst=None, sink_rst=None, pattern_in="none", pattern_out="none", salt=""):
        from cocotbext.axi import AxiStreamBus, AxiStreamSink, AxiStreamSource
        clk = clk if clk is not None else dut.clk
        rst = rst if rst is not None else dut.rst
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, source), source_clk or clk, source_rst or rst)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, sink), sink_clk or clk, sink_rst or rst)
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
