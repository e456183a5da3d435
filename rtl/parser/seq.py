"""Straight-line combinational logic written as imperative code.

The parser's per-word step (walker.py) is the golden algorithm's control flow applied to one 8-byte word: a
sequence of statements under nested conditions. :class:`Seq` turns such code into multiplexers: every
``set`` under the current condition creates a new signal ``Mux(cond, new, old)``, so later statements see the
updated value, exactly like a variable in software. The final values become the next state of the registers.

    s = Seq(m, "w", {"pos": pos_reg, "active": active_reg})
    with s.when(s["active"] & (s["pos"] < end)):
        s["pos"] = s["pos"] + 1
    m.d.sync += [pos_reg.eq(s["pos"]), active_reg.eq(s["active"])]
"""

from contextlib import contextmanager

from amaranth.hdl import Const, Mux, Shape, Signal, Value

__all__ = ["Seq"]


class Seq:
    def __init__(self, m, prefix, variables):
        self.m = m
        self.prefix = prefix
        self._v = {}
        self._shape = {}
        self._n = 0
        self._stack = [Const(1, 1)]
        for name, value in variables.items():
            self.declare(name, value)

    def declare(self, name, value, shape=None):
        value = Value.cast(value)
        self._shape[name] = Shape.cast(shape) if shape is not None else value.shape()
        self._v[name] = value

    def _sig(self, shape, name, value):
        self._n += 1
        sig = Signal(shape, name=f"{self.prefix}_{name}_{self._n}")
        self.m.d.comb += sig.eq(value)
        return sig

    def temp(self, value, name="t", shape=None):
        """Materialise ``value`` as a named signal (keeps the expression trees small)."""
        value = Value.cast(value)
        return self._sig(shape if shape is not None else value.shape(), name, value)

    @property
    def cond(self):
        return self._stack[-1]

    def __getitem__(self, name):
        return self._v[name]

    def __setitem__(self, name, value):
        old = self._v[name]
        cond = self.cond
        if isinstance(cond, Const) and cond.value == 1:
            new = value
        else:
            new = Mux(cond, value, old)
        self._v[name] = self._sig(self._shape[name], name, new)

    def __contains__(self, name):
        return name in self._v

    def names(self):
        return list(self._v)

    @contextmanager
    def when(self, cond):
        c = self._sig(1, "c", self.cond & Value.cast(cond).bool())
        self._stack.append(c)
        try:
            yield c
        finally:
            self._stack.pop()

    def values(self):
        return dict(self._v)

    def branches(self, arms):
        """Mutually exclusive alternatives, each written against the same starting values.

        ``arms``: a list of ``(select, function)``; at most one ``select`` is true in a cycle. Each function runs
        under its ``select`` from the values as they are now (not from the previous arm's results), and the
        results are merged with one multiplexer per arm for the variables an arm changed. The logic of the arms
        is therefore side by side (the depth of the deepest arm) instead of in series (the sum of their depths),
        which a sequence of ``when`` blocks gives even when the conditions exclude each other."""
        start = dict(self._v)
        results = []
        for select, fn in arms:
            self._v = dict(start)
            with self.when(select):
                fn()
            results.append((select, dict(self._v)))
        self._v = dict(start)
        for name in start:
            changed = [(sel, vals[name]) for sel, vals in results if vals[name] is not start[name]]
            if not changed:
                continue
            if len(changed) == 1:
                self._v[name] = changed[0][1]       # already Mux(select & ..., new, start)
                continue
            value = start[name]
            for sel, v in reversed(changed):
                value = Mux(sel, v, value)
            self._v[name] = self._sig(self._shape[name], name, value)
