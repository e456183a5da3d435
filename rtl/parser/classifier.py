"""Match-action classifier of the SRv6 / ARN parser (parser.md §7; background/srv6_arn.md §7.8).

One key per parsed frame in (``s_key``, :data:`KEY_LAYOUT`), one action out (``m_action``, :func:`action_layout`),
in order. Resolution order (parser.md §7): a fatal parse error → drop or punt (``CTRL.FATAL_PUNT``); NRP id (exact)
→ action; ARN key (ternary, lowest index wins) → action; outer IPv6 DA (ternary / prefix) → action; innermost
5-tuple (ternary) → action; else ``DEFAULT_ACTION``. A table is consulted only when the record has its key
(``*_valid``); a miss falls through. The four tables are :class:`~din.rtl.parser.tcam.RamTcam` instances (NRP with
the mask forced to all ones), programmed over AXI4-Lite (:data:`~din.rtl.parser.classifier_regs.CLASSIFIER_REGMAP`).

Pipeline (fixed latency, one key per cycle): key register → chunk address registers → chunk RAM reads →
registered words → partial ANDs → hit vectors →
two priority-encoder stages → resolution and action RAM reads → chosen action → output FIFO. ``s_key.ready`` is low only while a table write is in
progress (2**w + 7 cycles per entry, w the table's widest key chunk: 8 for NRP and ARN, 9 for prefix and 5-tuple) or when the output FIFO has no credit left (``m_action`` back-pressure).
A reset clears every table (all entries invalid), the registers and the counters.
"""

from amaranth import Module, Mux, Signal
from amaranth.lib import data, fifo, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from din.rtl.common.axil_regs import AXI4LiteRegisters
from .classifier_regs import (CLASSIFIER_REGMAP, KEY_WIDTHS, MAX_FLOW_BITS, MAX_SLICE_BITS, MAX_TABLE_SIZE,
                              OP_INVALIDATE, OP_WRITE, TABLE_CODES)
from .tcam import LATENCY as TCAM_LATENCY
from .tcam import FirstSet, RamTcam

__all__ = ["KEY_LAYOUT", "ACTION_LAYOUT", "action_layout", "Classifier", "LATENCY", "FIFO_DEPTH"]

#: one record of the parser for the classifier (golden/parser/classifier.py ``arn_key`` / ``tuple_key``)
KEY_LAYOUT = data.StructLayout({
    "fatal": 1,                             # the parse had a fatal error
    "nrp_valid": 1,
    "nrp_id": 32,
    "arn_valid": 1,
    "arn_key": KEY_WIDTHS["arn"],           # App-Group | App | User-Group | User
    "da_valid": 1,                          # outer L3 is IPv6 and its DA was captured
    "da": KEY_WIDTHS["prefix"],
    "tuple_valid": 1,                       # L3 reached and SA captured
    "tuple_key": KEY_WIDTHS["tuple"],       # innermost SA 128 | DA 128 | proto 8 | sport 16 | dport 16
})

#: pipeline stages: 8 resolution (RamTcam hits at stage 1 + tcam.LATENCY, two priority-encoder stages), 10 output
#: FIFO write
_RES = 1 + TCAM_LATENCY + 2
_OUT = _RES + 2
#: cycles from the ``s_key`` handshake to the ``m_action`` handshake with ``m_action.ready`` high (measured by the
#: bench test, ``din bench classifier``)
LATENCY = 12
assert LATENCY == _OUT + 2      # the output FIFO's write stage, then its output register
#: output FIFO depth = credits of the key input
FIFO_DEPTH = 16


def _action_word(flow_bits, slice_bits):
    return data.StructLayout({"flow_id": flow_bits, "slice_id": slice_bits, "priority": 2,
                              "drop": 1, "punt": 1, "ifit": 1})


def action_layout(flow_bits=8, slice_bits=8):
    """Payload of ``m_action``: the action, the table that decided (0 fatal, 1 NRP, 2 ARN, 3 prefix, 4 5-tuple,
    5 default) and the entry index in that table (0 for fatal, NRP and default, as the golden model's ``None``)."""
    return data.StructLayout({"flow_id": flow_bits, "slice_id": slice_bits, "priority": 2, "drop": 1, "punt": 1,
                              "ifit": 1, "table": 3, "entry": 8})


ACTION_LAYOUT = action_layout()

_TABLES = ("nrp", "arn", "prefix", "tuple")
_KEY_FIELD = {"nrp": "nrp_id", "arn": "arn_key", "prefix": "da", "tuple": "tuple_key"}
_KEY_VALID = {"nrp": "nrp_valid", "arn": "arn_valid", "prefix": "da_valid", "tuple": "tuple_valid"}


def _check_int(name, value, lo, hi):
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in {lo}..{hi}, not {value!r}")
    return value


class Classifier(wiring.Component):
    """The classifier core; see the module docstring. Parameters are keyword-only."""

    def __init__(self, *, nrp_size=256, arn_size=64, prefix_size=64, tuple_size=64, flow_bits=8, slice_bits=8):
        self.sizes = {
            "nrp": _check_int("nrp_size", nrp_size, 1, MAX_TABLE_SIZE),
            "arn": _check_int("arn_size", arn_size, 1, MAX_TABLE_SIZE),
            "prefix": _check_int("prefix_size", prefix_size, 1, MAX_TABLE_SIZE),
            "tuple": _check_int("tuple_size", tuple_size, 1, MAX_TABLE_SIZE),
        }
        self.flow_bits = _check_int("flow_bits", flow_bits, 1, MAX_FLOW_BITS)
        self.slice_bits = _check_int("slice_bits", slice_bits, 1, MAX_SLICE_BITS)
        self.params = {"nrp_size": nrp_size, "arn_size": arn_size, "prefix_size": prefix_size,
                       "tuple_size": tuple_size, "flow_bits": flow_bits, "slice_bits": slice_bits,
                       "latency": LATENCY, "fifo_depth": FIFO_DEPTH}
        self._regs = AXI4LiteRegisters(CLASSIFIER_REGMAP)
        super().__init__({
            "s_key": In(stream.Signature(KEY_LAYOUT)),
            "m_action": Out(stream.Signature(action_layout(flow_bits, slice_bits))),
            "s_axil": self._regs.signature.members["s_axil"],
        })

    def _action_from_reg(self, reg):
        """An action word (internal layout) from an ``ENTRY_ACTION`` / ``DEFAULT_ACTION`` register view."""
        word = Signal(_action_word(self.flow_bits, self.slice_bits))
        return word, [word.flow_id.eq(reg.flow_id), word.slice_id.eq(reg.slice_id), word.priority.eq(reg.priority),
                      word.drop.eq(reg.drop), word.punt.eq(reg.punt), word.ifit.eq(reg.ifit)]

    def elaborate(self, platform):
        m = Module()
        m.submodules.regs = regs = self._regs
        wiring.connect(m, wiring.flipped(self.s_axil), regs.s_axil)
        word_layout = _action_word(self.flow_bits, self.slice_bits)

        # ---------------------------------------------------------------- commands (table programming)
        busy = Signal()                     # a write command owns the TCAM read ports: no key accepted
        drain = Signal(2)
        cmd_table = Signal(3)
        cmd_index = Signal(8)
        staging_wstb = (regs.entry_sel_wstb | regs.entry_value_wstb | regs.entry_mask_wstb
                        | regs.entry_action_wstb)
        err_set = Signal(4)                 # ERRORS bits: BAD_OP, BAD_TABLE, BAD_INDEX, BUSY
        m.d.comb += [regs.errors_set.eq(err_set), regs.cmd_errors_inc.eq(err_set.any()),
                     regs.status.busy.eq(busy)]
        m.d.comb += regs.table_last.eq(sum((self.sizes[t] - 1) << (8 * k) for k, t in enumerate(_TABLES)))

        op, table, index = regs.cmd.op, regs.entry_sel.table, regs.entry_sel.index
        table_ok = Signal()
        index_ok = Signal()
        m.d.comb += table_ok.eq((table >= 1) & (table <= 4))
        with m.Switch(table):
            for k, t in enumerate(_TABLES):
                with m.Case(TABLE_CODES[t]):
                    m.d.comb += index_ok.eq(index < self.sizes[t])
        op_ok = (op == OP_WRITE) | (op == OP_INVALIDATE)

        tcams, starts, invals = {}, {}, {}
        for t in _TABLES:
            tcams[t] = tc = RamTcam(key_width=KEY_WIDTHS[t], entries=self.sizes[t])
            m.submodules[f"tcam_{t}"] = tc
            starts[t], invals[t] = Signal(name=f"start_{t}"), Signal(name=f"inval_{t}")
            m.d.comb += [tc.start.eq(starts[t]), tc.inval.eq(invals[t]),
                         tc.index.eq(cmd_index), tc.inval_index.eq(index),
                         tc.value.eq(regs.entry_value[:KEY_WIDTHS[t]]),
                         tc.mask.eq(regs.entry_mask[:KEY_WIDTHS[t]] if t != "nrp"
                                    else (1 << KEY_WIDTHS[t]) - 1),
                         tc.poison.eq(staging_wstb | regs.cmd_wstb)]

        act_mems, act_wr = {}, {}
        entry_action, entry_action_stmts = self._action_from_reg(regs.entry_action)
        m.d.comb += entry_action_stmts
        for t in _TABLES:
            act_mems[t] = mem = memory.Memory(shape=word_layout, depth=self.sizes[t], init=[])
            m.submodules[f"action_{t}"] = mem
            act_wr[t] = wr = mem.write_port()
            m.d.comb += [wr.addr.eq(cmd_index), wr.data.eq(entry_action)]

        with m.If(regs.cmd_wstb):
            with m.If(busy):
                m.d.comb += err_set[3].eq(1)
            with m.Elif(~op_ok):
                m.d.comb += err_set[0].eq(1)
            with m.Elif(~table_ok):
                m.d.comb += err_set[1].eq(1)
            with m.Elif(~index_ok):
                m.d.comb += err_set[2].eq(1)
            with m.Elif(op == OP_INVALIDATE):
                with m.Switch(table):
                    for t in _TABLES:
                        with m.Case(TABLE_CODES[t]):
                            m.d.comb += invals[t].eq(1)
            with m.Else():
                m.d.sync += [busy.eq(1), drain.eq(3), cmd_table.eq(table), cmd_index.eq(index)]
        with m.Elif(busy & staging_wstb):
            m.d.comb += err_set[3].eq(1)

        with m.If(busy):
            with m.If(drain != 0):          # keys accepted before the command finish their RAM reads
                m.d.sync += drain.eq(drain - 1)
                with m.If(drain == 1):
                    with m.Switch(cmd_table):
                        for t in _TABLES:
                            with m.Case(TABLE_CODES[t]):
                                m.d.comb += starts[t].eq(1)
            for t in _TABLES:
                with m.If(tcams[t].done):
                    m.d.comb += act_wr[t].en.eq(1)
                    m.d.sync += busy.eq(0)

        # ---------------------------------------------------------------- lookup pipeline
        credits = Signal(range(FIFO_DEPTH + 1))
        out_fifo = fifo.SyncFIFOBuffered(width=len(self.m_action.payload.as_value()), depth=FIFO_DEPTH)
        m.submodules.out_fifo = out_fifo
        accept = self.s_key.valid & self.s_key.ready
        pop = self.m_action.valid & self.m_action.ready
        m.d.comb += [self.s_key.ready.eq(~busy & (credits < FIFO_DEPTH)),
                     self.m_action.valid.eq(out_fifo.r_rdy),
                     self.m_action.payload.eq(out_fifo.r_data),
                     out_fifo.r_en.eq(self.m_action.ready)]
        m.d.sync += credits.eq(credits + accept - pop)

        # stage 1: key register
        key1 = Signal(KEY_LAYOUT)
        v = [Signal(name=f"v{i}") for i in range(_OUT + 1)]      # v[i]: a key is in stage i
        m.d.sync += v[1].eq(accept)
        with m.If(accept):
            m.d.sync += key1.eq(self.s_key.payload)
        for t in _TABLES:
            m.d.comb += tcams[t].key.eq(key1[_KEY_FIELD[t]])
        # flags travel along: fatal + the four key-valid bits
        flags = [Signal(5, name=f"flags{i}") for i in range(_RES + 1)]
        m.d.comb += flags[1].eq(key1.fatal | key1.nrp_valid << 1 | key1.arn_valid << 2 | key1.da_valid << 3
                                | key1.tuple_valid << 4)
        for i in range(2, _OUT + 1):
            m.d.sync += v[i].eq(v[i - 1])
        for i in range(2, _RES + 1):
            m.d.sync += flags[i].eq(flags[i - 1])
        # stages 2-6: chunk addresses, RAM words, registered words, partial ANDs, hit vectors (RamTcam); 7-8:
        # priority encoders
        hit_r, idx_r = {}, {}
        for t in _TABLES:
            enc = FirstSet(self.sizes[t])
            m.submodules[f"first_{t}"] = enc
            m.d.comb += enc.bits.eq(tcams[t].hits)
            hit_r[t], idx_r[t] = enc.hit, enc.index
        # stage 6 (_RES): resolution; the action RAMs are read at the winning indices
        winner_r = Signal(3)
        with m.If(flags[_RES][0]):
            m.d.comb += winner_r.eq(TABLE_CODES["fatal"])
        for k, t in enumerate(_TABLES):
            with m.Elif(flags[_RES][k + 1] & hit_r[t]):
                m.d.comb += winner_r.eq(TABLE_CODES[t])
        with m.Else():
            m.d.comb += winner_r.eq(TABLE_CODES["default"])
        entry_r = Signal(8)
        with m.Switch(winner_r):
            for t in ("arn", "prefix", "tuple"):
                with m.Case(TABLE_CODES[t]):
                    m.d.comb += entry_r.eq(idx_r[t])
        winner_a, entry_a = Signal(3), Signal(8)
        m.d.sync += [winner_a.eq(winner_r), entry_a.eq(entry_r)]
        act_a = {}
        for t in _TABLES:
            rd = act_mems[t].read_port()
            m.d.comb += rd.addr.eq(idx_r[t])
            act_a[t] = rd.data
        default_action, default_stmts = self._action_from_reg(regs.default_action)
        m.d.comb += default_stmts
        fatal_action = Signal(word_layout)
        m.d.comb += [fatal_action.drop.eq(~regs.ctrl.fatal_punt), fatal_action.punt.eq(regs.ctrl.fatal_punt)]

        # stage 7: the action chosen (registered); stage 8 (_OUT): into the output FIFO, hit counters
        chosen = Signal(word_layout)
        with m.Switch(winner_a):
            with m.Case(TABLE_CODES["fatal"]):
                m.d.comb += chosen.eq(fatal_action)
            for t in _TABLES:
                with m.Case(TABLE_CODES[t]):
                    m.d.comb += chosen.eq(act_a[t])
            with m.Default():
                m.d.comb += chosen.eq(default_action)
        out = Signal(self.m_action.payload.shape())
        m.d.sync += [out.flow_id.eq(chosen.flow_id), out.slice_id.eq(chosen.slice_id),
                     out.priority.eq(chosen.priority), out.drop.eq(chosen.drop), out.punt.eq(chosen.punt),
                     out.ifit.eq(chosen.ifit), out.table.eq(winner_a), out.entry.eq(entry_a)]
        m.d.comb += [out_fifo.w_data.eq(out), out_fifo.w_en.eq(v[_OUT])]
        for name, reg in (("fatal", regs.hits_fatal_inc), ("nrp", regs.hits_nrp_inc), ("arn", regs.hits_arn_inc),
                          ("prefix", regs.hits_prefix_inc), ("tuple", regs.hits_tuple_inc),
                          ("default", regs.hits_default_inc)):
            m.d.comb += reg.eq(v[_OUT] & (out.table == TABLE_CODES[name]))
        return m
