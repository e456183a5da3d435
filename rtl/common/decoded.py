"""Writes into a register file by a dynamic index with one decoded enable per register."""

__all__ = ["put"]


def put(m, regs, idx, value, domain="sync"):
    """``regs[idx] <= value`` with one decoded enable per register. Amaranth's ``Array`` on the left-hand side gives
    every register a process that switches over every index, so the RTLIL grows with the square of the flow count
    (38 MB of it for 256 flows, which Yosys ``proc`` did not finish in 43 minutes); here each register compares the
    index once. ``value`` should be a signal or a constant (it is referenced once per register)."""
    for i, r in enumerate(regs):
        with m.If(idx == i):
            m.d[domain] += r.eq(value)
