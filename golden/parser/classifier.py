"""Golden model of the match-action classifier (parser.md §7; background/srv6_arn.md §7.8).

Resolution order (parser.md §7): a fatal parse error → drop or punt (register ``fatal_action``); NRP id (exact) →
action; ARN (ternary on {App-Group, App, User-Group, User}, priority = table order, first match wins) → action;
outer DA prefix (ternary, priority = table order) → action; innermost 5-tuple (ternary, table order) → action;
else the default action. A table is consulted only when its key exists (NRP present, ARN present, IPv6 DA, L3
reached); a miss falls through to the next table.

An action is {flow id, slice id, priority class, drop, punt, IFIT enable}; the flow id drives ``tdest`` of the
micro-flow queue manager. Table sizes are parameters (defaults 256 NRP, 64 ARN, 64 prefix, 64 5-tuple).
"""

from dataclasses import dataclass, field

__all__ = ["Action", "TernaryEntry", "Classifier", "Decision", "SLICE_CLASSES", "arn_key", "tuple_key"]

#: slice classes → priority class (parser.md §7: ULL strict priority, BW weighted, HR lossless, BE the rest)
SLICE_CLASSES = {"best_effort": 0, "high_reliability": 1, "bandwidth": 2, "ultra_low_latency": 3}


@dataclass(frozen=True)
class Action:
    flow_id: int = 0
    slice_id: int = 0
    priority: int = 0
    drop: bool = False
    punt: bool = False
    ifit: bool = False


@dataclass(frozen=True)
class TernaryEntry:
    value: int
    mask: int               # 1 bits are compared
    action: Action

    def hit(self, key):
        return (key ^ self.value) & self.mask == 0


@dataclass(frozen=True)
class Decision:
    action: Action
    table: str              # "fatal" | "nrp" | "arn" | "prefix" | "tuple" | "default"
    entry: int | None       # index in the table (None for fatal / default / nrp)


def arn_key(arn):
    """64-bit ARN key: App-Group | App | User-Group | User (absent carve-outs are 0)."""
    k = 0
    for part in (arn.app_group, arn.app, arn.user_group, arn.user):
        k = k << 16 | (part or 0)
    return k


def tuple_key(sa, da, proto, sport, dport):
    """296-bit 5-tuple key: SA 128 | DA 128 | protocol 8 | source port 16 | destination port 16."""
    return ((sa or 0) << 168) | ((da or 0) << 40) | ((proto or 0) << 32) | ((sport or 0) << 16) | (dport or 0)


def prefix_entry(prefix, length, action):
    """A DA ternary entry matching the first ``length`` bits of ``prefix`` (128-bit int)."""
    mask = ((1 << length) - 1) << (128 - length) if length else 0
    return TernaryEntry(prefix & mask, mask, action)


@dataclass
class Classifier:
    nrp_size: int = 256
    arn_size: int = 64
    prefix_size: int = 64
    tuple_size: int = 64
    fatal_action: str = "drop"                        # "drop" | "punt" (register)
    default: Action = field(default_factory=Action)
    nrp: dict = field(default_factory=dict)
    arn: list = field(default_factory=list)
    prefix: list = field(default_factory=list)
    tuple: list = field(default_factory=list)

    def __post_init__(self):
        if self.fatal_action not in ("drop", "punt"):
            raise ValueError(f"fatal_action must be 'drop' or 'punt', not {self.fatal_action!r}")

    def add_nrp(self, nrp_id, action):
        if nrp_id not in self.nrp and len(self.nrp) >= self.nrp_size:
            raise ValueError(f"the NRP table is full ({self.nrp_size} entries)")
        self.nrp[nrp_id] = action

    def _add(self, table, size, name, entry):
        if len(table) >= size:
            raise ValueError(f"the {name} table is full ({size} entries)")
        table.append(entry)

    def add_arn(self, value, mask, action):
        self._add(self.arn, self.arn_size, "ARN", TernaryEntry(value, mask, action))

    def add_prefix(self, prefix, length, action):
        self._add(self.prefix, self.prefix_size, "prefix", prefix_entry(prefix, length, action))

    def add_tuple(self, value, mask, action):
        self._add(self.tuple, self.tuple_size, "5-tuple", TernaryEntry(value, mask, action))

    def classify(self, rec):
        """Decision for one :class:`~din.golden.parser.record.ParseRecord`."""
        if not rec.parse_ok:
            act = Action(drop=self.fatal_action == "drop", punt=self.fatal_action == "punt")
            return Decision(act, "fatal", None)
        if rec.nrp is not None and rec.nrp.id in self.nrp:
            return Decision(self.nrp[rec.nrp.id], "nrp", None)
        if rec.arn is not None:
            hit = _first(self.arn, arn_key(rec.arn))
            if hit is not None:
                return Decision(self.arn[hit].action, "arn", hit)
        if rec.l3 == "ipv6" and rec.dst is not None:
            hit = _first(self.prefix, rec.dst)
            if hit is not None:
                return Decision(self.prefix[hit].action, "prefix", hit)
        if rec.l3 is not None and rec.src is not None:
            inner = rec.inner
            sa, da, proto = (inner.src, inner.dst, inner.ulp) if inner is not None else (rec.src, rec.dst, rec.ulp)
            l4 = rec.l4
            key = tuple_key(sa, da, proto, l4.sport if l4 else None, l4.dport if l4 else None)
            hit = _first(self.tuple, key)
            if hit is not None:
                return Decision(self.tuple[hit].action, "tuple", hit)
        return Decision(self.default, "default", None)


def _first(table, key):
    for i, entry in enumerate(table):
        if entry.hit(key):
            return i
    return None
