"""A scoreboard that cannot pass vacuously.

``finish()`` fails on: an item that did not match (with the first differing position for bytes), an extra item, an
item that arrived out of order (it matches a later expected item), items still expected (missing), X/Z seen on
valid data (reported through :meth:`Scoreboard.error`), fewer checked items than ``min_checked`` (default 1), and
coverage bins declared with :meth:`require_bin` that were never hit.
"""

from collections import deque

__all__ = ["Scoreboard", "ScoreboardError"]


class ScoreboardError(AssertionError):
    pass


def _describe(item, limit=64):
    if isinstance(item, (bytes, bytearray)):
        text = bytes(item[:limit]).hex()
        return f"{len(item)} bytes {text}{'…' if len(item) > limit else ''}"
    text = repr(item)
    return text if len(text) <= 200 else text[:200] + "…"


def _first_difference(a, b):
    if isinstance(a, (bytes, bytearray)) and isinstance(b, (bytes, bytearray)):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return f" (first difference at byte {i}: expected {y:#04x}, got {x:#04x})"
        return f" (lengths differ: expected {len(b)}, got {len(a)})"
    return ""


class Scoreboard:
    """In-order scoreboard for one stream. ``expect()`` what must arrive, ``observe()`` what arrived."""

    def __init__(self, name="scoreboard", *, log=None, max_errors=10):
        self.name = name
        self.expected = deque()
        self.checked = 0
        self.errors = []
        self.bins = {}
        self._log = log
        self._max_errors = max_errors

    def expect(self, item):
        self.expected.append(item)

    def error(self, message):
        """Record a failure found elsewhere (X/Z on valid data, a protocol violation)."""
        self.errors.append(message)
        if self._log is not None and len(self.errors) <= self._max_errors:
            self._log.error("%s: %s", self.name, message)

    def observe(self, item):
        index = self.checked + len([e for e in self.errors if e.startswith("extra")])
        if not self.expected:
            self.error(f"extra item #{index}: {_describe(item)}")
            return False
        head = self.expected[0]
        if item == head:
            self.expected.popleft()
            self.checked += 1
            return True
        later = next((i for i, e in enumerate(self.expected) if e == item), None)
        if later is not None:
            self.error(f"item #{index} out of order: it was expected {later} places later; {later} earlier "
                       f"item(s) missing or late; first missing: {_describe(head)}")
            for _ in range(later + 1):
                self.expected.popleft()
        else:
            self.expected.popleft()
            self.error(f"item #{index} mismatch: got {_describe(item)}, expected {_describe(head)}"
                       f"{_first_difference(item, head)}")
        self.checked += 1
        return False

    def require_bin(self, name):
        """Declare a coverage bin that must be hit before ``finish()``."""
        self.bins.setdefault(name, 0)

    def hit(self, name, count=1):
        self.bins[name] = self.bins.get(name, 0) + count

    @property
    def empty(self):
        return not self.expected

    def finish(self, *, min_checked=1):
        problems = list(self.errors)
        if self.expected:
            problems.append(f"{len(self.expected)} expected item(s) never arrived; first: {_describe(self.expected[0])}")
        if self.checked < min_checked:
            problems.append(f"only {self.checked} item(s) checked, at least {min_checked} required")
        missed = [b for b, n in self.bins.items() if n == 0]
        if missed:
            problems.append(f"coverage bins never hit: {', '.join(missed)}")
        if problems:
            raise ScoreboardError(f"{self.name}: " + "; ".join(problems[:self._max_errors])
                                  + (f"; … {len(problems) - self._max_errors} more" if len(problems) > self._max_errors else ""))
        return self.checked
