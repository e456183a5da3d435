"""The L3 walker: the realigned L3 stream, one 8-byte word at a time (parser.md §2, §5, §6, §8).

The words come from the realigner (``parser.py``): word k holds L3 bytes [8k, 8k + 8); the walker also sees the
next word (lookahead) so a field that straddles two words is complete. The walk of a word is a sequence of
**actions**, one per cycle, chosen in walk order:

1. the commit of an option whose end lies in this word (its decode was prepared when it started);
2. one step of the option / TLV scanner (one option, Pad1 or TLV start in this word);
3. one chain step (header complete, next header start, header head, header end, upper layer, L4), acting only
   when the bytes it needs are in this word or the frame has ended.

A word is consumed (``adv``) in the cycle of its last action, when the state that action leaves enables none
(or at once when it has no action): the header-byte and Segment List captures follow the stream, and at the
frame's last word the checks that need the frame end (the outer Payload / Total Length, MAC error) run and the
record is complete (``done``). A word with n actions takes max(n, 1) cycles; the parser buffers the words in front
of the walker and back-pressures its input when the walker is behind (docs/parser.md).

Every action is the golden model's control flow (``golden/parser/model.py``, ``options.py``, ``srh.py``) written
with :class:`~din.rtl.parser.seq.Seq`, in the model's order, so the walk does what the software does for those
bytes; positions are byte offsets from the outer L3 start. (The first version ran all the actions of a word, up to
14 scanner steps and 6 chain steps, as one combinational step per word; one action per cycle is about a seventh of
that logic per cycle.)

A word never needs more than :data:`MAX_ACTIONS` actions (8 bytes hold at most 8 option starts, a pending commit
and a few chain steps; every action moves the walk forward or ends it). A guard counts them anyway: should a walker
fault ever exceed the bound, the walk of the frame stops there and ``overrun`` pulses (the parser's ``WALK_GUARD``
counter), so nothing can hang.
"""

from amaranth.hdl import Array, Cat, Const, Elaboratable, Module, Mux, Signal

from .consts import AH, DOH, ERR, EXT_HEADERS, FRAGMENT, HBH, INNER_KEEPS, IPV4_IN, IPV6_IN, L4_MIN, PORTS, ROUTING
from .seq import Seq

__all__ = ["Walker", "PH", "CONFIG_FIELDS", "MAX_ACTIONS"]

# walker phases
PH = dict(IDLE=0, IP6=1, IP4=2, IP4OPT=3, XSTART=4, XHEAD=5, XBODY=6, L4=7, DONE=8)

# option classes decided at an option's start
C_ARN, C_APN6, C_NRP, C_ALT, C_IOAM, C_JUMBO, C_RA, C_UNK = range(8)
IOAM_MIN_BODY = {0: 8, 1: 8, 2: 20, 3: 4, 4: 8}
HMAC_LENGTHS = tuple(6 + 8 * k for k in range(5))

#: configuration inputs (register values; parser.md §4, §8) and their widths
CONFIG_FIELDS = {
    "arn_type": 8, "apn6_type": 8, "apn6_en": 1, "arn_hbh": 1, "arn_doh": 1, "nrp_type": 8, "nrp_en": 1,
    "alt_type": 8, "alt_en": 1, "ioam_hbh_type": 8, "ioam_hbh_en": 1, "ioam_doh_type": 8, "ioam_doh_en": 1,
    "max_ext": 5, "max_opts": 5, "max_opt_hdr": 12, "max_pad": 4, "window": 16, "sl0_allowed": 256,
}

#: actions one word may take before the guard ends the walk (never reached by a correct walk)
MAX_ACTIONS = 31

W = 16          # header position width (bytes from the outer L3 start; every header lies in the first 8 KB)
PW = 24         # word position / frame length width (frames up to 16 MB, BIG TCP included)


class Walker(Elaboratable):
    """L3 walk, one action per cycle. Inputs are plain signals driven by the parser top: ``i_valid`` presents a
    word (with its lookahead unless it is the frame's last), ``adv`` says it is consumed this cycle. The record is
    ``rec`` (a dict of signals, valid while ``done`` is 1: the cycle the frame's last word is consumed); the state
    registers then return to their initial values, so a frame starts without a multiplexer in front of them."""

    def __init__(self):
        self.i_valid = Signal()
        self.i_first = Signal()
        self.i_pos = Signal(PW)
        self.i_data = Signal(64)
        self.i_pos8 = Signal(PW + 1)        # i_pos + 8 (registered by the parser: no adder in front of the walk)
        self.i_end = Signal(PW + 1)         # i_pos + the word's byte count
        self.la_end = Signal(PW + 1)        # the lookahead's pos + nb (valid unless i_last)
        self.i_last = Signal()
        self.la_data = Signal(64)
        self.la_last = Signal()
        self.f_l3kind = Signal(2)           # at i_first: 0 none, 1 IPv6, 2 IPv4
        self.f_l3off = Signal(5)            # frame offset of the L3 start (14, 18, 22)
        self.f_errs = Signal(32)            # errors known before L3 (L2, MAC error at i_last)
        self.cfg = {k: Signal(w, name=f"cfg_{k}") for k, w in CONFIG_FIELDS.items()}
        self.adv = Signal()                 # the presented word is consumed this cycle
        self.done = Signal()
        self.overrun = Signal()             # the action guard ended a walk (a walker fault; never expected)
        self._spec = self._state_spec()
        #: the walk state (registers); back at their initial values after each frame's last word
        self.state = {name: Signal(width, name=f"r_{name}") for name, (width, _init) in self._spec.items()}
        #: the record: the walk's final values in the cycle ``done`` pulses (combinational)
        self.rec = {name: Signal(width, name=f"rec_{name}") for name, (width, _init) in self._spec.items()}

    @staticmethod
    def _state_spec():
        s = {}

        def add(name, width, init=0):
            s[name] = (width, init)
        # control
        add("phase", 4)
        for n in ("hs", "he", "pos", "nhf", "ip6s", "pos4", "plen_off"):
            add(n, W)
        for n in ("l3e", "enc", "plen_val"):            # IP payload ends: up to 40 + a 32-bit Jumbo length
            add(n, 34)
        for n in ("l3e_v", "enc_v", "inner", "first", "first_frag", "jp", "jcur_v", "l4ff", "plen_chk",
                  "plen_first", "srh_sl_v"):
            add(n, 1)
        add("count", 5)
        add("nh", 8)
        add("xtype", 8)
        add("jcur", 32)
        add("l4size", 5)
        add("ip4proto", 8)
        add("ip4frag", 16)
        add("srh_sl0", 8)
        add("l3off", 5)
        # scanner
        add("sc_act", 1)
        add("sc_tlv", 1)
        add("sc_hbh", 1)
        add("sc_pos", W)
        add("sc_end", W)
        add("sc_pad", 9)
        add("sc_n", 5)
        add("pend", 1)
        add("pend_end", W)
        add("pend_pos", W)
        add("pend_base", W)
        add("pend_cls", 3)
        add("pend_ok", 1)
        add("pend_disc", 1)
        add("pend_len", 8)
        add("pend_val", 32)
        add("pend_o", 3)
        add("pend_otype", 8)
        for i in range(5):
            add(f"praw{i}", 64)
        # record: errors
        add("errs", 32)
        add("eoff", W)
        add("eoff_v", 1)
        # L3 outer
        add("l3_v", 1)
        add("ver", 4)
        add("tc", 8)
        add("fl", 20)
        add("hlim", 8)
        add("plen", 16)
        add("src", 128)
        add("dst", 128)
        # chain
        for i in range(8):
            add(f"ext{i}", 8)
            add(f"iext{i}", 8)
        add("next", 4)
        add("inext", 4)
        add("ulp", 8)
        add("ulp_v", 1)
        add("ulp_off", W)
        add("frag_first", 1)
        add("frag_nonfirst", 1)
        add("rt_v", 1)
        add("rt_type", 8)
        add("rt_sl", 8)
        # SRH
        add("srh_v", 1)
        add("srh_off", W)
        add("srh_hel", 8)
        add("srh_sl", 8)
        add("srh_le", 8)
        add("srh_flags", 8)
        add("srh_tag", 16)
        add("segc", 128)
        add("segc_v", 1)
        add("segc_arm", 1)
        add("segc_pos", W)
        add("segn", 128)
        add("segn_v", 1)
        add("segn_arm", 1)
        add("segn_pos", W)
        add("hmac", 1)
        add("hmac_d", 1)
        add("hmac_key", 32)
        # inner
        add("in_v", 1)
        add("in_ver6", 1)
        add("in_off", W)
        add("in_src", 128)
        add("in_dst", 128)
        add("in_ulp", 8)
        add("in_ulp_v", 1)
        # L4
        add("l4_v", 1)
        add("l4_proto", 8)
        add("l4_ports_v", 1)
        add("l4_sport", 16)
        add("l4_dport", 16)
        add("l4_flags_v", 1)
        add("l4_flags", 8)
        add("l4_off", W)
        # options
        add("jumbo_v", 1)
        add("jumbo", 32)
        add("ra_v", 1)
        add("ra", 16)
        add("arn_cnt", 2)
        add("arn_v", 1)
        add("arn_apn6", 1)
        add("arn_src", 2)
        add("arn_o", 3)
        add("arn_len", 8)
        add("arn_otype", 8)
        for i in range(5):
            add(f"arn_raw{i}", 64)
        add("nrp_v", 1)
        add("nrp_src", 2)
        add("nrp_o", 3)
        for i in range(3):
            add(f"nrp_raw{i}", 64)
        add("alt_v", 1)
        add("alt_src", 2)
        add("alt_word", 32)
        add("ioam_v", 1)
        add("ioam_src", 2)
        add("ioam_o", 3)
        add("ioam_len", 8)
        for i in range(4):
            add(f"ioam_raw{i}", 64)
        # header bytes of the current header from earlier words
        for i in range(40):
            add(f"hb{i}", 8)
        return s

    def elaborate(self, platform):
        m = Module()
        regs = self.state
        cfg = self.cfg
        P = self.i_pos
        bytes16 = [self.i_data[8 * i:8 * i + 8] for i in range(8)] + [self.la_data[8 * i:8 * i + 8] for i in range(8)]
        wb = Array(bytes16)
        last = self.i_last
        # bytes of the frame present from P: [P, avail)
        avail = Signal(PW + 1)
        m.d.comb += avail.eq(Mux(last, self.i_end, self.la_end))
        fe_known = Signal()
        m.d.comb += fe_known.eq(last | self.la_last)

        # the starting state: registers, or a fresh frame at the first cycle of the frame's first word
        busy = Signal()                     # an action was taken on the presented word in an earlier cycle
        n_act = Signal(range(MAX_ACTIONS + 1))
        new_frame = Signal()
        m.d.comb += new_frame.eq(self.i_first & ~busy)
        l3k = self.f_l3kind
        s = Seq(m, "w", {})
        # the registers hold the initial state at a frame's first word (reset, or the previous frame's end)
        for name, (width, _iv) in self._spec.items():
            s.declare(name, regs[name], width)
        with s.when(new_frame):
            s["l3off"] = self.f_l3off
            s["phase"] = Mux(l3k == 1, PH["IP6"], Mux(l3k == 2, PH["IP4"], PH["IDLE"]))
            s["hs"] = 0
            s["first"] = 1

        ctx = _Ctx(m, s, cfg, P, self.i_pos8, self.i_end, wb, avail, last, fe_known, bytes16)

        # the action of this cycle: the first enabled one in walk order
        en_commit = ctx.t(ctx.commit_enabled(), "en_commit")
        en_slot = ctx.t(ctx.slot_enabled(), "en_slot")
        conds = ctx.chain_conds()
        en_chain = ctx.t(Cat(*[c for _k, c in conds]).any(), "en_chain")
        guard = Signal()
        m.d.comb += guard.eq(n_act == MAX_ACTIONS)

        ctx.capture_pending()

        def halt():
            ctx.stop()
            s["sc_act"] = 0
            s["pend"] = 0
        # the actions exclude each other: side by side, each from the cycle's starting state
        s.branches([
            (ctx.t(en_commit & ~guard, "sel_commit"), ctx.branch(ctx.commit)),
            (ctx.t(~en_commit & en_slot & ~guard, "sel_slot"), ctx.branch(ctx.slot)),
            (ctx.t(~en_commit & ~en_slot & en_chain & ~guard, "sel_chain"), ctx.branch(lambda: ctx.chain_step(conds))),
            (guard, halt),
        ])
        # the word is consumed in the cycle of its last action (or at once when it has none): the enables again,
        # on the state this action leaves
        more = ctx.commit_enabled() | ctx.slot_enabled() | Cat(*[c for _k, c in ctx.chain_conds()]).any()
        adv = Signal()
        m.d.comb += adv.eq(~more | guard)
        ctx.resolve_errors()
        with s.when(adv):
            ctx.frame_end(self.f_errs)
        ctx.deferred()
        with s.when(adv):
            ctx.captures(self.i_data)

        end = Signal()
        m.d.comb += end.eq(adv & last)
        # the record leaves now (``rec``) and the next frame starts from the initial state: a synchronous reset
        # with priority over the enable (the flip-flops' own reset input, no multiplexer in front of them)
        with m.If(self.i_valid & end):
            m.d.sync += [regs[name].eq(iv) for name, (_w, iv) in self._spec.items()]
        with m.Elif(self.i_valid):
            m.d.sync += [regs[name].eq(s[name]) for name in self._spec]
        with m.If(self.i_valid):
            m.d.sync += [busy.eq(~adv), n_act.eq(Mux(adv, 0, n_act + 1))]
        m.d.comb += [self.rec[name].eq(s[name]) for name in self._spec]
        m.d.comb += [self.adv.eq(self.i_valid & adv), self.done.eq(self.i_valid & end)]
        m.d.sync += self.overrun.eq(self.i_valid & guard)
        return m


class _Ctx:
    """The walk written as imperative code over one word (see module docstring)."""

    def __init__(self, m, s, cfg, P, P8, fe, wb, avail, last, fe_known, bytes16):
        self.m, self.s, self.cfg, self.P, self.wb, self.avail, self.last = m, s, cfg, P, wb, avail, last
        self.P8 = P8                                # P + 8, the first position after this word
        self.bytes16 = bytes16
        self.fe_known = fe_known
        self.fe = fe                                # P + nb: the frame end when last
        self.events = []
        self.branch_start = 0
        self.eoff_v0 = s["eoff_v"]
        self.cap = {}
        self.ipcap = []
        self.hb0 = [s[f"hb{i}"] for i in range(40)]

    # ---- helpers -------------------------------------------------------------------------------------------
    def t(self, v, name="t"):
        return self.s.temp(v, name)

    def byte_at(self, pos):
        """Byte at L3 position ``pos`` (must lie in the current word or the lookahead)."""
        return self.wb[(pos - self.P)[0:4]]

    def ob(self, o, k):
        """Byte ``k`` after offset ``o`` (0..7) of the current word: an 8:1 choice."""
        return Array([self.bytes16[j + k] if j + k < 16 else Const(0, 8) for j in range(8)])[o]

    def byte4(self, base, i):
        """Byte ``base + i`` where ``base`` is a multiple of 4 (header starts are) and ``base + i`` lies in the
        current word or the lookahead: a 4:1 choice on the dword index."""
        dw = (base - self.P)[2:4]
        return Array([self.bytes16[4 * d + i] if 4 * d + i < 16 else Const(0, 8) for d in range(4)])[dw] \
            if i < 16 else Const(0, 8)

    def present(self, pos):
        """``pos`` < frame end, for ``pos`` inside the current word or the lookahead."""
        return pos < self.avail

    def beyond_frame(self, end):
        """``end`` > frame end, decidable when ``end`` lies within the current word + lookahead."""
        return end > self.avail

    def hview(self, i):
        """Byte ``hs + i`` of the current header: from this word / the lookahead, or from earlier words."""
        s = self.s
        return self._hv(s["hs"], i, s[f"hb{i}"])

    def _hv(self, hs, i, hb):
        # hs is a multiple of 4; for hs + i >= P the lane is (hs - P) + i with (hs - P) in -i..7, so the dword
        # (hs + i - P) >> 2 takes at most 4 values: a 4:1 choice, byte i % 4 of it
        pos = hs + i
        lane_dw = (pos - self.P)[2:4]
        pick = Array([self.bytes16[4 * d + (i % 4)] for d in range(4)])[lane_dw]
        return Mux(pos >= self.P, pick, hb)

    def hfield(self, i, n):
        """``n`` bytes at ``hs + i`` as a big-endian integer."""
        parts = [self.hview(i + k) for k in range(n)]
        return self.t(Cat(*reversed(parts)), f"hf{i}_{n}")

    def err(self, name, pos=None):
        """Report an error under the current condition (collected; resolved once per word in walk order)."""
        s = self.s
        cond = s.cond
        inner = s["inner"] if name not in INNER_KEEPS else None
        if pos is not None:
            pos = self.t(pos, "epos")
        self.events.append((ERR[name], cond, inner, pos))

    def branch(self, fn):
        """``fn`` as an arm of Seq.branches: errors reported by the other (exclusive) arms are not "earlier"."""
        def arm():
            self.branch_start = len(self.events)
            fn()
            self.branch_start = 0
        return arm

    def eoff_v_now(self):
        """``error_offset`` already set by an earlier error (before this point of the walk)."""
        conds = [cond for _bit, cond, _inner, pos in self.events[self.branch_start:] if pos is not None]
        return self.t(self.eoff_v0 | Cat(*conds).any(), "ev") if conds else self.eoff_v0

    def resolve_errors(self):
        s = self.s
        terms = [[] for _ in range(32)]
        for bit, cond, inner, _pos in self.events:
            if inner is None:
                terms[bit].append(cond)
            else:
                terms[bit].append(self.t(cond & ~inner, "eo"))
                terms[ERR["INNER_ERR"]].append(self.t(cond & inner, "ei"))
        bits = [Cat(*t).any() if t else Const(0, 1) for t in terms]
        s["errs"] = s["errs"] | Cat(*bits)
        eoff = s["eoff"]
        with_pos = [(cond, pos) for _bit, cond, _inner, pos in self.events if pos is not None]
        for cond, pos in reversed(with_pos):
            eoff = self.t(Mux(cond, pos, eoff), "eof")
        with self.s.when(~s["eoff_v"]):
            s["eoff"] = eoff
        if with_pos:
            s["eoff_v"] = s["eoff_v"] | Cat(*[c for c, _ in with_pos]).any()

    def stop(self):
        self.s["phase"] = PH["DONE"]

    # ---- option / TLV scanner ------------------------------------------------------------------------------
    def classify(self, t_, l_, o_bytes, hbh):
        """Option class, validity and small values of an option at its start (parser.md §4, options.py)."""
        s, cfg = self.s, self.cfg
        arn_here = Mux(hbh, cfg["arn_hbh"], cfg["arn_doh"])
        is_arn = arn_here & (t_ == cfg["arn_type"])
        is_apn6 = arn_here & cfg["apn6_en"] & (t_ == cfg["apn6_type"]) & ~is_arn
        is_nrp = cfg["nrp_en"] & (t_ == cfg["nrp_type"])
        is_alt = cfg["alt_en"] & (t_ == cfg["alt_type"])
        ioam_t = Mux(hbh, cfg["ioam_hbh_type"], cfg["ioam_doh_type"])
        ioam_en = Mux(hbh, cfg["ioam_hbh_en"], cfg["ioam_doh_en"])
        is_ioam = ioam_en & (t_ == ioam_t)
        is_jumbo = hbh & (t_ == 0xC2)
        is_ra = hbh & (t_ == 0x05)
        cls = self.t(Mux(is_arn, C_ARN, Mux(is_apn6, C_APN6, Mux(is_nrp, C_NRP, Mux(is_alt, C_ALT, Mux(
            is_ioam, C_IOAM, Mux(is_jumbo, C_JUMBO, Mux(is_ra, C_RA, C_UNK))))))), "cls")
        b = o_bytes          # b(k) = byte at option start + k
        id_type = b(2)
        para_lo = b(5)
        idb = Mux(id_type == 1, 4, Mux(id_type == 2, 8, 16))
        arn_ok = ((id_type >= 1) & (id_type <= 3) & (l_ >= 4) &
                  (l_ == 4 + idb + Mux(para_lo[0], 4, 0)))
        apn6_ok = l_ == 12
        # IOAM (options.py _decode_ioam): len >= 4 and len >= 2 + need
        otype = b(3)
        ext = b(7)
        need_dex = Mux(l_ >= 10, 8 + Mux(ext[7], 4, 0) + Mux(ext[6], 4, 0), 8)
        need = Mux(otype == 0, 8, Mux(otype == 1, 8, Mux(otype == 2, 20, Mux(otype == 3, 4, Mux(
            otype == 4, need_dex, 2)))))
        ioam_ok = (l_ >= 4) & (l_ >= 2 + need)
        ok = Mux(cls == C_ARN, arn_ok, Mux(cls == C_APN6, apn6_ok, Mux(cls == C_NRP, l_ == 8, Mux(
            cls == C_ALT, l_ == 4, Mux(cls == C_IOAM, ioam_ok, Mux(cls == C_JUMBO, l_ == 4, Mux(
                cls == C_RA, l_ == 2, 0)))))))
        val = Cat(b(5), b(4), b(3), b(2))       # bytes 2..5 big-endian (Jumbo, RA (top 16), Alt-Mark)
        disc = t_[6:8] != 0
        return cls, self.t(ok, "ok"), self.t(val, "val"), disc

    def request(self, kind, source):
        """Capture the raw words of the option being decoded, once, after the word's walk (``deferred``)."""
        self.cap.setdefault(kind, []).append((self.s.cond, source))

    def decode(self, cls, ok, val, disc, pos, l_, otype, o, raws):
        """Apply an option's decode (options.py _decode) at its position; ``raws``: "now" (the option lies in the
        current word) or "pending" (the words kept since its start word)."""
        s = self.s
        src = Cat(~s["sc_hbh"], s["inner"])      # 0 outer_hbh, 1 outer_doh, 2 inner_hbh, 3 inner_doh
        with s.when((cls == C_ARN) | (cls == C_APN6)):
            s["arn_cnt"] = Mux(s["arn_cnt"] == 3, 3, s["arn_cnt"] + 1)
            with s.when(s["arn_cnt"] > 1):
                self.err("ARN_MULTI", pos)
            with s.when(~ok):
                self.err("ARN_BAD", pos)
            with s.when(ok & ~s["arn_v"]):
                s["arn_v"] = 1
                s["arn_apn6"] = cls == C_APN6
                s["arn_src"] = src
                s["arn_o"] = o
                s["arn_len"] = l_
                s["arn_otype"] = otype
                self.request("arn", raws)
        with s.when(cls == C_NRP):
            with s.when(~ok):
                self.err("NRP_BAD", pos)
            with s.when(ok & ~s["nrp_v"]):
                s["nrp_v"] = 1
                s["nrp_src"] = src
                s["nrp_o"] = o
                self.request("nrp", raws)
        with s.when(cls == C_ALT):
            with s.when(~ok):
                self.err("ALTMARK_BAD", pos)
            with s.when(ok & ~s["alt_v"]):
                s["alt_v"] = 1
                s["alt_src"] = src
                s["alt_word"] = val
        with s.when(cls == C_IOAM):
            with s.when(~ok):
                self.err("IOAM_BAD", pos)
            with s.when(ok & ~s["ioam_v"]):
                s["ioam_v"] = 1
                s["ioam_src"] = src
                s["ioam_o"] = o
                s["ioam_len"] = l_
                self.request("ioam", raws)
        with s.when((cls == C_JUMBO) & ok & ~s["jcur_v"]):
            s["jcur_v"] = 1
            s["jcur"] = val
        with s.when((cls == C_RA) & ok & ~s["ra_v"]):
            s["ra_v"] = 1
            s["ra"] = val[16:32]
        with s.when((cls == C_UNK) & disc):
            self.err("OPT_UNKNOWN_DISCARD", pos)

    def capture_pending(self):
        """Raw words 2..4 of a pending option as they pass (every cycle of a word: idempotent)."""
        s, P = self.s, self.P
        with s.when(s["pend"]):
            idx = self.t(P - s["pend_base"], "pidx")
            for i in (2, 3, 4):
                with s.when(idx == 8 * i):
                    s[f"praw{i}"] = Cat(*[self.wb[k] for k in range(8)])
        # the words of a pending option as they are when it commits (a slot may start a new pending option in a
        # later cycle of this word)
        self.praw_commit = [s[f"praw{i}"] for i in range(5)]

    def commit_enabled(self):
        s = self.s
        return s["pend"] & ((s["pend_end"] <= self.P8) | self.last)

    def commit(self):
        """The pending option ends in this word (decode it) or the frame ends first (the walk stops)."""
        s, P = self.s, self.P
        ends_here = s["pend_end"] <= self.P8
        s["pend"] = 0
        with s.when(ends_here):
            with s.when(s["pend_end"] <= self.fe):
                self.decode(s["pend_cls"], s["pend_ok"], s["pend_val"], s["pend_disc"], s["pend_pos"],
                            s["pend_len"], s["pend_otype"], s["pend_o"], "pending")
            with s.when(s["pend_end"] > self.fe):
                s["sc_act"] = 0                # the frame ends inside the option: the walk stops
        with s.when(~ends_here):
            s["sc_act"] = 0                    # (last word)

    def slot_enabled(self):
        s, P = self.s, self.P
        pos = s["sc_pos"]
        return s["sc_act"] & ~s["pend"] & (pos < self.P8) & (pos < s["sc_end"])

    def slot(self):
        s, P, cfg = self.s, self.P, self.cfg
        pos = s["sc_pos"]
        o = self.t((pos - P)[0:3], "o")
        with s.when(~self.present(pos)):
            s["sc_act"] = 0
        with s.when(self.present(pos)):
            t_ = self.t(self.ob(o, 0), "ty")
            with s.when(t_ == 0):
                with s.when(~s["sc_tlv"]):
                    s["sc_pad"] = s["sc_pad"] + 1
                    with s.when(s["sc_pad"] > cfg["max_pad"]):
                        self.err("PAD_ABUSE", pos)
                        s["sc_act"] = 0
                s["sc_pos"] = pos + 1
            with s.when(t_ != 0):
                with s.when(~self.present(pos + 1)):
                    s["sc_act"] = 0
                with s.when(self.present(pos + 1)):
                    l_ = self.t(self.ob(o, 1), "ln")
                    e = self.t(pos + 2 + l_, "e")
                    with s.when(s["sc_tlv"]):
                        self._tlv(pos, o, t_, l_, e)
                    with s.when(~s["sc_tlv"]):
                        self._opt(pos, o, t_, l_, e)

    def _tlv(self, pos, o, t_, l_, e):
        s = self.s
        with s.when(e > s["sc_end"]):
            self.err("SRH_TLV_BAD", pos)
            s["sc_act"] = 0
        with s.when(e <= s["sc_end"]):
            with s.when((t_ == 4) & (l_ > 5)):
                self.err("SRH_TLV_BAD", pos)
            with s.when(t_ == 5):
                okl = 0
                for v in HMAC_LENGTHS:
                    okl = okl | (l_ == v)
                with s.when(~okl):
                    self.err("SRH_TLV_BAD", pos)
                with s.when(~s["hmac"] & ~s["inner"] & (l_ >= 6) & (pos + 8 <= self.avail)):
                    s["hmac"] = 1
                    s["hmac_d"] = self.ob(o, 2)[7]
                    s["hmac_key"] = Cat(*[self.ob(o, 7 - k) for k in range(4)])
            s["sc_pos"] = e

    def _opt(self, pos, o, t_, l_, e):
        s, cfg, P = self.s, self.cfg, self.P
        with s.when(e > s["sc_end"]):
            self.err("OPT_OVERRUN", pos)
            s["sc_act"] = 0
            with s.when(~s["inner"]):
                self.stop()
        with s.when(e <= s["sc_end"]):
            with s.when(t_ == 1):
                s["sc_pad"] = s["sc_pad"] + 2 + l_
                with s.when(s["sc_pad"] > cfg["max_pad"]):
                    self.err("PAD_ABUSE", pos)
                    s["sc_act"] = 0
                with s.when(s["sc_pad"] <= cfg["max_pad"]):
                    # l_ <= 5 here, so the PadN lies in the current word + lookahead
                    with s.when(self.beyond_frame(e)):
                        s["sc_act"] = 0
                    with s.when(~self.beyond_frame(e)):
                        nz = 0
                        for k in range(5):
                            nz = nz | ((l_ > k) & (self.ob(o, 2 + k) != 0))
                        with s.when(nz):
                            self.err("PAD_ABUSE", pos)
                            s["sc_act"] = 0
                        with s.when(~nz):
                            s["sc_pos"] = e
            with s.when(t_ > 1):
                s["sc_pad"] = 0
                s["sc_n"] = s["sc_n"] + 1
                with s.when(s["sc_n"] > cfg["max_opts"]):
                    self.err("TOO_MANY_OPTS", pos)
                    s["sc_act"] = 0
                with s.when(s["sc_n"] <= cfg["max_opts"]):
                    cls, ok, val, disc = self.classify(t_, l_, lambda k: self.ob(o, k), s["sc_hbh"])
                    in_word = e <= self.P8
                    with s.when(in_word & self.beyond_frame(e)):
                        s["sc_act"] = 0
                    with s.when(in_word & ~self.beyond_frame(e)):
                        self.decode(cls, ok, val, disc, pos, l_, t_, o, "now")
                        s["sc_pos"] = e
                    with s.when(~in_word):
                        with s.when(self.fe_known & self.beyond_frame(e)):
                            s["sc_act"] = 0
                        with s.when(~(self.fe_known & self.beyond_frame(e))):
                            s["pend"] = 1
                            s["pend_end"] = e
                            s["pend_pos"] = pos
                            s["pend_base"] = P
                            s["pend_cls"] = cls
                            s["pend_ok"] = ok
                            s["pend_disc"] = disc
                            s["pend_len"] = l_
                            s["pend_val"] = val
                            s["pend_o"] = o
                            s["pend_otype"] = t_
                            s["praw0"] = Cat(*[self.wb[k] for k in range(8)])
                            s["praw1"] = Cat(*[self.wb[k] for k in range(8, 16)])
                            s["sc_pos"] = e

    # ---- chain steps ---------------------------------------------------------------------------------------
    def abs_pos(self, pos):
        return pos + self.s["l3off"]

    def set_ulp(self, nh, pos):
        s = self.s
        with s.when(s["inner"]):
            s["in_ulp"] = nh
            s["in_ulp_v"] = 1
        with s.when(~s["inner"]):
            s["ulp"] = nh
            s["ulp_v"] = 1
            s["ulp_off"] = pos

    def chain_conds(self):
        """Per phase, on the current state: the bytes the chain step needs are in this word + lookahead, or the
        frame has ended."""
        s, P, last = self.s, self.P, self.last
        ph = self.t(s["phase"], "ph")
        conds = [
            (PH["IP6"], (ph == PH["IP6"]) & ((s["hs"] + 40 <= self.P8) | last)),
            (PH["IP4"], (ph == PH["IP4"]) & ((s["hs"] + 20 <= self.P8) | last)),
            (PH["IP4OPT"], (ph == PH["IP4OPT"]) & ((s["pos4"] <= self.P8) | last)),
            (PH["XSTART"], (ph == PH["XSTART"]) & ((s["pos"] < self.P8) | last)),
            (PH["XHEAD"], (ph == PH["XHEAD"]) & ((s["hs"] + 8 <= self.P8) | last)),
            # the header ends when its scanner is done and no option of it is pending in this word
            (PH["XBODY"], (ph == PH["XBODY"]) & ((s["he"] <= self.P8) | last)
             & ~(s["sc_act"] & (s["sc_pos"] < self.P8) & (s["sc_pos"] < s["sc_end"]))
             & ~(s["pend"] & (s["pend_end"] <= self.P8))),
            (PH["L4"], (ph == PH["L4"]) & ((s["hs"] + s["l4size"] <= self.P8) | last)),
        ]
        return [(k, self.t(c, f"cc{k}")) for k, c in conds]

    def chain_step(self, conds):
        """One step of the header chain (model.py _ipv6 / _ipv4 / _walk / _upper); ``conds`` from chain_conds."""
        steps = {PH["IP6"]: self._ip6, PH["IP4"]: self._ip4, PH["IP4OPT"]: self._ip4opt, PH["XSTART"]: self._xstart,
                 PH["XHEAD"]: self._xhead, PH["XBODY"]: self._xbody, PH["L4"]: self._l4}
        for k, cond in conds:
            with self.s.when(cond):
                steps[k]()

    def _trunc_at(self, pos, end):
        """``end > frame end`` at the last word (the frame continues otherwise)."""
        return self.last & (end > self.fe)

    def _ip6(self):
        s = self.s
        hs = s["hs"]
        missing = self.t(self.last & (hs >= self.fe), "m0")
        with s.when(missing):
            self.err("TRUNC", hs)
            self.stop()
        with s.when(~missing):
            v0 = self.hview(0)
            with s.when(v0[4:8] != 6):
                self.err("IP_VER", hs)
                self.stop()
            with s.when(v0[4:8] == 6):
                short = self.t(self._trunc_at(hs, hs + 40), "sh")
                with s.when(short):
                    self.err("TRUNC", hs)
                    self.stop()
                with s.when(~short):
                    self._ip6_fields()

    def _ip6_fields(self):
        s = self.s
        hs = s["hs"]
        word = self.hfield(0, 4)
        plen = self.hfield(4, 2)
        nh = self.hview(6)
        hlim = self.hview(7)
        s["jcur_v"] = 0
        self.ipcap.append((s.cond, s["inner"], hs, True))
        with s.when(s["inner"]):
            s["in_v"] = 1
            s["in_ver6"] = 1
            s["in_off"] = hs
        with s.when(~s["inner"]):
            s["l3_v"] = 1
            s["ver"] = 6
            s["tc"] = word[20:28]
            s["fl"] = word[0:20]
            s["hlim"] = hlim
            s["plen"] = plen
            with s.when(hlim <= 1):
                self.err("HOPLIMIT_LE1", hs + 7)
        jp = self.t((plen == 0) & (nh == HBH), "jp")
        s["jp"] = jp
        s["l3e"] = hs + 40 + plen
        s["l3e_v"] = ~jp
        with s.when(~jp):
            with s.when(s["enc_v"] & (hs + 40 + plen > s["enc"])):
                self.err("PLEN_GT_FRAME", hs + 4)
            with s.when(~s["enc_v"]):
                s["plen_chk"] = 1
                s["plen_val"] = hs + 40 + plen
                s["plen_off"] = hs + 4
                s["plen_first"] = ~self.eoff_v_now()
        s["ip6s"] = hs
        s["pos"] = hs + 40
        s["nh"] = nh
        s["nhf"] = hs + 6
        s["first"] = 1
        s["count"] = 0
        s["first_frag"] = 0
        s["phase"] = PH["XSTART"]

    def _ip4(self):
        s = self.s
        hs = s["hs"]
        missing = self.t(self.last & (hs >= self.fe), "m4")
        with s.when(missing):
            self.err("TRUNC", hs)
            self.stop()
        with s.when(~missing):
            v0 = self.hview(0)
            bad = (v0[4:8] != 4) | (v0[0:4] < 5)
            with s.when(bad):
                self.err("IP_VER", hs)
                self.stop()
            with s.when(~bad):
                short = self.t(self._trunc_at(hs, hs + 20), "sh4")
                with s.when(short):
                    self.err("TRUNC", hs)
                    self.stop()
                with s.when(~short):
                    self._ip4_fields(v0[0:4])

    def _ip4_fields(self, ihl):
        s = self.s
        hs = s["hs"]
        total = self.hfield(2, 2)
        ttl = self.hview(8)
        proto = self.hview(9)
        frag = self.hfield(6, 2)
        self.ipcap.append((s.cond, s["inner"], hs, False))
        with s.when(s["inner"]):
            s["in_v"] = 1
            s["in_ver6"] = 0
            s["in_off"] = hs
        with s.when(~s["inner"]):
            s["l3_v"] = 1
            s["ver"] = 4
            s["tc"] = self.hview(1)
            s["hlim"] = ttl
            s["plen"] = total
            with s.when(ttl <= 1):
                self.err("HOPLIMIT_LE1", hs + 8)
        hlen = self.t(Cat(Const(0, 2), ihl), "hlen")
        l3e = self.t(hs + total, "l3e4")
        bad_total = self.t(total < hlen, "bt")
        known_over = s["enc_v"] & (l3e > s["enc"])
        with s.when(bad_total | known_over):
            self.err("PLEN_GT_FRAME", hs + 2)
        with s.when(~bad_total & ~s["enc_v"]):
            s["plen_chk"] = 1
            s["plen_val"] = l3e
            s["plen_off"] = hs + 2
            s["plen_first"] = ~self.eoff_v_now()
        s["l3e"] = l3e
        s["l3e_v"] = 1
        with s.when(bad_total):
            self.stop()
        with s.when(~bad_total):
            s["pos4"] = hs + hlen
            s["ip4proto"] = proto
            s["ip4frag"] = frag
            s["phase"] = PH["IP4OPT"]

    def _bounds(self, pos, end, first_frag):
        """model.py _bounds: returns a signal 'walk stops'."""
        s = self.s
        tr = self.t(self._trunc_at(pos, end), "btr")
        pl = self.t(s["l3e_v"] & (end > s["l3e"]), "bpl")
        with s.when(tr):
            self.err("TRUNC", pos)
        with s.when(pl & first_frag):
            self.err("FRAG_CHAIN_INCOMPLETE", pos)
        with s.when(pl & ~first_frag):
            self.err("PLEN_GT_FRAME", pos)
        return self.t(tr | pl, "bstop")

    def _ip4opt(self):
        s = self.s
        hs, pos = s["hs"], s["pos4"]
        stop = self._bounds(hs, pos, Const(0))
        with s.when(stop):
            self.stop()
        with s.when(~stop):
            proto, frag = s["ip4proto"], s["ip4frag"]
            self.set_ulp(proto, pos)
            with s.when(frag[0:13] != 0):
                s["frag_nonfirst"] = 1
                self.err("FRAG_NONFIRST", hs + 6)
                self.stop()
            with s.when(frag[0:13] == 0):
                with s.when(frag[13]):
                    s["frag_first"] = 1
                self._upper_l4(proto, pos, frag[13])

    def _upper_l4(self, proto, pos, ff):
        """model.py _upper up to the bytes (window check); the L4 step captures them."""
        s = self.s
        size = 0
        known = 0
        for p_, n in L4_MIN.items():
            size = Mux(proto == p_, n, size)
            known = known | (proto == p_)
        size = self.t(size, "l4sz")
        with s.when(~known):
            self.stop()
        with s.when(known):
            over = self.t(self.abs_pos(pos) + size > self.cfg["window"], "wov")
            with s.when(over):
                self.err("CHAIN_TOO_LONG", pos)
                self.stop()
            with s.when(~over):
                s["hs"] = pos
                s["l4size"] = size
                s["l4ff"] = ff
                s["l4_proto"] = proto          # kept only when the header is complete (l4_v)
                s["phase"] = PH["L4"]

    def _l4(self):
        s = self.s
        hs = s["hs"]
        stop = self._bounds(hs, hs + s["l4size"], s["l4ff"])
        with s.when(~stop):
            proto = s["l4_proto"]
            ports = 0
            for p_ in PORTS:
                ports = ports | (proto == p_)
            s["l4_v"] = 1
            s["l4_off"] = hs
            s["l4_ports_v"] = ports
            s["l4_sport"] = self.hfield(0, 2)
            s["l4_dport"] = self.hfield(2, 2)
            s["l4_flags_v"] = proto == 6
            s["l4_flags"] = self.hview(13)
        self.stop()

    def _xstart(self):
        s, cfg = self.s, self.cfg
        nh, pos = s["nh"], s["pos"]
        is_ext = 0
        for x in EXT_HEADERS:
            is_ext = is_ext | (nh == x)
        is_ext = self.t(is_ext, "isx")
        with s.when(is_ext):
            with s.when((nh == HBH) & ~s["first"]):
                self.err("HBH_NOT_FIRST", s["nhf"])
                self.stop()
            with s.when(~((nh == HBH) & ~s["first"])):
                s["count"] = s["count"] + 1
                with s.when(s["count"] > cfg["max_ext"]):
                    self.err("EXT_TOO_MANY", pos)
                    self.stop()
                with s.when(s["count"] <= cfg["max_ext"]):
                    with s.when(self.abs_pos(pos) >= cfg["window"]):
                        self.err("CHAIN_TOO_LONG", pos)
                        self.stop()
                    with s.when(self.abs_pos(pos) < cfg["window"]):
                        short = self.t(self._trunc_at(pos, pos + 2), "xs")
                        with s.when(short):
                            self.err("TRUNC", pos)
                            self.stop()
                        with s.when(~short):
                            self._xstart_ok(nh, pos)
        with s.when(~is_ext):
            self._upper(nh, pos)

    def _xstart_ok(self, nh, pos):
        s, cfg = self.s, self.cfg
        # append to the chain list (outer or inner)
        for i in range(8):
            with s.when(~s["inner"] & (s["next"] == i)):
                s[f"ext{i}"] = nh
            with s.when(s["inner"] & (s["inext"] == i)):
                s[f"iext{i}"] = nh
        with s.when(~s["inner"]):
            s["next"] = s["next"] + 1
        with s.when(s["inner"]):
            s["inext"] = s["inext"] + 1
        b1 = self.t(self.byte4(pos, 1), "b1")
        length = Mux(nh == FRAGMENT, 8, Mux(nh == AH, Cat(Const(0, 2), b1 + 2), Cat(Const(0, 3), b1 + 1)))
        length = self.t(length, "xlen")
        s["hs"] = pos
        s["he"] = pos + length
        s["xtype"] = nh
        is_opt = (nh == HBH) | (nh == DOH)
        with s.when(is_opt):
            with s.when(length > cfg["max_opt_hdr"]):
                self.err("EXT_TOO_BIG", pos)
                self.stop()
            with s.when(length <= cfg["max_opt_hdr"]):
                s["sc_act"] = 1
                s["sc_tlv"] = 0
                s["sc_hbh"] = nh == HBH
                s["sc_pos"] = pos + 2
                s["sc_end"] = pos + length
                s["sc_pad"] = 0
                s["sc_n"] = 0
                s["phase"] = PH["XBODY"]
        with s.when(nh == ROUTING):
            short = self.t(self._trunc_at(pos, pos + 4), "rs")
            with s.when(short):
                self.err("TRUNC", pos)
                self.stop()
            with s.when(~short):
                rtype = self.t(self.byte4(pos, 2), "rty")
                sl = self.t(self.byte4(pos, 3), "rsl")
                with s.when(~s["inner"] & ~s["rt_v"]):
                    s["rt_v"] = 1
                    s["rt_type"] = rtype
                    s["rt_sl"] = sl
                with s.when(rtype != 4):
                    with s.when(sl != 0):
                        self.err("RH_UNKNOWN_SLNZ", pos + 2)
                        self.stop()
                    with s.when(sl == 0):
                        s["phase"] = PH["XBODY"]
                with s.when(rtype == 4):
                    s["phase"] = PH["XHEAD"]
        with s.when(nh == FRAGMENT):
            s["phase"] = PH["XHEAD"]
        with s.when(~is_opt & (nh != ROUTING) & (nh != FRAGMENT)):
            s["phase"] = PH["XBODY"]

    def _xhead(self):
        s = self.s
        hs = s["hs"]
        with s.when(s["xtype"] == ROUTING):
            short = self.t(self._trunc_at(hs, hs + 8), "hs8")
            with s.when(short):
                s["phase"] = PH["XBODY"]          # the header's bounds check reports TRUNC
            with s.when(~short):
                self._srh()
        with s.when(s["xtype"] == FRAGMENT):
            stop = self._bounds(hs, hs + 8, s["first_frag"])
            with s.when(stop):
                self.stop()
            with s.when(~stop):
                fw = self.hfield(2, 2)
                with s.when(fw[3:16] != 0):
                    s["frag_nonfirst"] = 1
                    self.err("FRAG_NONFIRST", hs)
                    self.set_ulp(self.hview(0), hs + 8)
                    self.stop()
                with s.when(fw[3:16] == 0):
                    with s.when(fw[0]):
                        s["frag_first"] = 1
                        s["first_frag"] = 1
                    s["phase"] = PH["XBODY"]

    def _srh(self):
        s = self.s
        hs = s["hs"]
        hel = self.hview(1)
        sl = self.hview(3)
        le = self.hview(4)
        capture = ~s["inner"] & ~s["srh_v"]
        with s.when(capture):
            s["srh_v"] = 1
            s["srh_off"] = hs
            s["srh_hel"] = hel
            s["srh_sl"] = sl
            s["srh_le"] = le
            s["srh_flags"] = self.hview(5)
            s["srh_tag"] = self.hfield(6, 2)
            s["srh_sl_v"] = 1
            s["srh_sl0"] = sl
        le_bad = self.t(le + 1 > hel[1:8], "lebad")          # LE > HdrExtLen // 2 - 1
        with s.when(le_bad):
            self.err("SRH_LE_GT_MAX", hs + 3)
            self.stop()
        with s.when(~le_bad):
            sl_bad = self.t(sl > le + 1, "slbad")
            with s.when(sl_bad):
                self.err("SRH_SL_GT_LE1", hs + 3)
                self.stop()
            with s.when(~sl_bad):
                with s.when(capture):
                    s["segc_arm"] = sl <= le
                    s["segc_pos"] = hs + 8 + Cat(Const(0, 4), sl)
                    s["segn_arm"] = sl >= 1
                    s["segn_pos"] = hs + 8 + Cat(Const(0, 4), sl) - 16
                tlv = self.t(hs + 8 + Cat(Const(0, 4), le + 1), "tlv")
                s["sc_act"] = tlv < s["he"]
                s["sc_tlv"] = 1
                s["sc_pos"] = tlv
                s["sc_end"] = s["he"]
                s["phase"] = PH["XBODY"]

    def _xbody(self):
        s = self.s
        hs, he = s["hs"], s["he"]
        with s.when(s["jp"] & (s["xtype"] == HBH)):
            s["jp"] = 0
            with s.when(s["jcur_v"]):
                with s.when(~s["inner"]):
                    s["jumbo_v"] = 1
                    s["jumbo"] = s["jcur"]
                self.err("JUMBO", hs)
                l3e = self.t(s["ip6s"] + 40 + s["jcur"], "jl3e")
                s["l3e"] = l3e
                with s.when(s["enc_v"] & (l3e > s["enc"])):
                    self.err("PLEN_GT_FRAME", s["ip6s"] + 4)
                with s.when(~s["enc_v"]):
                    s["plen_chk"] = 1
                    s["plen_val"] = l3e
                    s["plen_off"] = s["ip6s"] + 4
                    s["plen_first"] = 0
            with s.when(~s["jcur_v"]):
                s["l3e"] = s["ip6s"] + 40
            s["l3e_v"] = 1
        s["sc_act"] = 0
        stop = self._bounds(hs, he, s["first_frag"])
        with s.when(stop):
            self.stop()
        with s.when(~stop):
            s["nhf"] = hs
            s["nh"] = self.hview(0)
            s["pos"] = he
            s["first"] = 0
            s["phase"] = PH["XSTART"]

    def _upper(self, nh, pos):
        s, cfg = self.s, self.cfg
        with s.when(s["jp"]):
            s["jp"] = 0
            s["l3e"] = s["ip6s"] + 40
            s["l3e_v"] = 1
        self.set_ulp(nh, pos)
        with s.when(~s["inner"] & s["srh_sl_v"] & (s["srh_sl0"] == 0) & ~cfg["sl0_allowed"].bit_select(nh, 1)):
            self.err("SRH_SL0_ULP", pos)
        with s.when(nh == 50):
            self.err("ESP_OPAQUE", pos)
            self.stop()
        encap = (nh == IPV6_IN) | (nh == IPV4_IN)
        with s.when(encap):
            with s.when(s["inner"]):
                self.stop()
            with s.when(~s["inner"]):
                with s.when(self.abs_pos(pos) >= cfg["window"]):
                    self.err("CHAIN_TOO_LONG", pos)
                    self.stop()
                with s.when(self.abs_pos(pos) < cfg["window"]):
                    s["inner"] = 1
                    s["hs"] = pos
                    s["enc"] = s["l3e"]
                    s["enc_v"] = 1
                    s["phase"] = Mux(nh == IPV6_IN, PH["IP6"], PH["IP4"])
        with s.when((nh != 50) & ~encap):
            self._upper_l4(nh, pos, s["first_frag"])

    # ---- end of frame and stream captures -------------------------------------------------------------------
    def frame_end(self, f_errs):
        s = self.s
        with s.when(self.last):
            s["errs"] = s["errs"] | f_errs
            over = self.t(s["plen_chk"] & (s["plen_val"] > self.fe), "pov")
            with s.when(over):
                s["errs"] = s["errs"] | (1 << ERR["PLEN_GT_FRAME"])
                with s.when(s["plen_first"]):
                    s["eoff"] = s["plen_off"]
                    s["eoff_v"] = 1

    def deferred(self):
        """Wide register writes requested during the walk, done once per word."""
        s = self.s
        cur = Cat(*[self.wb[k] for k in range(8)])
        praw = self.praw_commit
        for kind, count in (("arn", 5), ("nrp", 3), ("ioam", 4)):
            for cond, source in self.cap.get(kind, []):
                with s.when(cond):
                    for i in range(count):
                        s[f"{kind}_raw{i}"] = (cur if i == 0 else 0) if source == "now" else praw[i]
        # addresses of an IP header completed in this word (it started in an earlier word: hb holds its bytes)
        for cond, inner, hs, v6 in self.ipcap:
            def hv(i):
                return self._hv(hs, i, self.hb0[i])

            def field(i, n):
                return Cat(*reversed([hv(i + k) for k in range(n)]))
            src = field(8, 16) if v6 else field(12, 4)
            dst = field(24, 16) if v6 else field(16, 4)
            with s.when(cond & inner):
                s["in_src"] = src
                s["in_dst"] = dst
            with s.when(cond & ~inner):
                s["src"] = src
                s["dst"] = dst

    def captures(self, cur):
        """Byte captures that follow the stream: the header bytes, and Segment List[SL] / [SL - 1]."""
        s, P = self.s, self.P
        hs = s["hs"]
        for i in range(40):
            p = hs + i
            with s.when((p >= P) & (p < self.P8)):
                s[f"hb{i}"] = Array([self.bytes16[4 * d + i % 4] for d in range(2)])[(p - P)[2]]
        for name in ("segc", "segn"):
            base = s[f"{name}_pos"]
            with s.when(s[f"{name}_arm"]):
                val = s[name]
                parts = [val[96 - 32 * d:128 - 32 * d] for d in range(4)]      # dword d = bytes 4d..4d+3
                for d in range(4):
                    p = base + 4 * d
                    inw = (p >= P) & (p < self.P8)
                    word = Array([Cat(*reversed(self.bytes16[4 * dd:4 * dd + 4])) for dd in range(2)])[(p - P)[2]]
                    parts[d] = Mux(inw, word, parts[d])
                s[name] = Cat(*reversed(parts))
                with s.when(base + 16 <= self.fe):
                    s[f"{name}_v"] = 1
                    s[f"{name}_arm"] = 0
                with s.when(self.last & (base + 16 > self.fe)):
                    s[f"{name}_arm"] = 0
