"""SRv6 / G-SRv6 / ARN header parser: 64-bit AXI-Stream in, frames out unmodified, one metadata record per frame.

Structure (parser.md §1, background/srv6_arn.md §7.5):

* **L2 front**: counts beats and bytes, decodes Ethernet and up to two VLAN tags (0x8100 / 0x88A8) from bytes
  12..21, and decides the L3 start (14, 18 or 22) by beat 2.
* **Realigner**: shifts the stream once so that L3 byte 0 starts a word (word k = L3 bytes [8k, 8k + 8)); a frame
  without IP still produces one empty last word so that every frame reaches the walker, in order.
* **Word buffer**: the realigned words wait in a FIFO (``word_depth``); the walker sees the head word together
  with the next one (lookahead).
* **Walker** (walker.py): the chain walk, options, SRH, inner header and L4, one action per cycle; a word is
  consumed when it has no action left.
* **Record**: the walker's registers when the frame's last word has been walked; ``m_meta`` carries it.

Frames pass with a fixed latency of one cycle (a register stage). ``s_axis.ready`` follows ``m_axis.ready``, the
room in the word buffer (the walker back-pressures the input only when it falls behind: words with several actions,
such as option floods) and a credit count of the frames in flight against the record FIFO's depth (so records are
never lost when ``m_meta`` is back-pressured). Exactly one record per frame.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from din.rtl.common.layouts import BeatLayout
from .consts import ERR, ETH_IPV4, ETH_IPV6, VLAN_TPIDS
from .post import CSID_BLOCKS, Post, final_layout
from .walker import CONFIG_FIELDS, Walker

__all__ = ["Parser", "record_layout", "walk_layout"]

#: record fields taken from the walker (name -> width), then the L2 / frame fields
WALKER_RECORD = (
    "errs", "eoff", "eoff_v", "l3_v", "ver", "tc", "fl", "hlim", "plen", "src", "dst",
    *[f"ext{i}" for i in range(8)], "next", *[f"iext{i}" for i in range(8)], "inext",
    "ulp", "ulp_v", "ulp_off", "frag_first", "frag_nonfirst", "rt_v", "rt_type", "rt_sl",
    "srh_v", "srh_off", "srh_hel", "srh_sl", "srh_le", "srh_flags", "srh_tag", "segc", "segc_v", "segn", "segn_v",
    "hmac", "hmac_d", "hmac_key", "in_v", "in_ver6", "in_off", "in_src", "in_dst", "in_ulp", "in_ulp_v",
    "l4_v", "l4_proto", "l4_ports_v", "l4_sport", "l4_dport", "l4_flags_v", "l4_flags", "l4_off",
    "jumbo_v", "jumbo", "ra_v", "ra", "arn_cnt", "arn_v", "arn_apn6", "arn_src", "arn_o", "arn_len", "arn_otype",
    *[f"arn_raw{i}" for i in range(5)], "nrp_v", "nrp_src", "nrp_o", *[f"nrp_raw{i}" for i in range(3)],
    "alt_v", "alt_src", "alt_word", "ioam_v", "ioam_src", "ioam_o", "ioam_len", *[f"ioam_raw{i}" for i in range(4)],
)
#: the frame's fields from before the walk: L2 decision, length, and ``ts`` = the ingress timestamp (parser.md §5:
#: a free-running 64-bit counter; here the clock cycles since reset at the frame's first beat)
L2_RECORD = {"ts": 64, "length": 24, "vlan_count": 2, "vlan0": 32, "vlan1": 32, "ethertype": 16, "ethertype_v": 1,
             "l3kind": 2, "l3off": 5}


def _word_layout():
    """A realigned word in the word buffer, with its frame's L2 decision and pre-L3 errors."""
    return data.StructLayout({"data": 64, "nb": 4, "last": 1, "first": 1, "pos": 24, "end": 25, "err": 32,
                              **L2_RECORD})


def walk_layout():
    """The walker's record (input of the post stage)."""
    spec = Walker._state_spec()
    fields = {name: spec[name][0] for name in WALKER_RECORD}
    fields.update(L2_RECORD)
    return data.StructLayout(fields)


def record_layout():
    """The metadata record on ``m_meta`` (parser.md §5; field by field in docs/parser.md)."""
    return final_layout({n: f.width for n, f in walk_layout()})


#: configuration ports besides the walker's: ARN carve-out offsets and the C-SID block descriptors
POST_CONFIG = {**{f"carve{i}": 7 for i in range(4)},
               **{f"csid{i}_{k}": w for i in range(CSID_BLOCKS)
                  for k, w in (("en", 1), ("prefix", 128), ("lbl", 8), ("lnfl", 8), ("replace", 1))}}



class Parser(wiring.Component):
    """Parameters: ``record_depth`` (records buffered on ``m_meta``, also the most frames in flight),
    ``word_depth`` (realigned words buffered in front of the walker)."""

    def __init__(self, *, record_depth=16, word_depth=16):
        if record_depth < 2 or word_depth < 4:
            raise ValueError("record_depth must be >= 2 and word_depth >= 4")
        self.record_depth = record_depth
        self.word_depth = word_depth
        self.params = {"record_depth": record_depth, "word_depth": word_depth}
        beat = BeatLayout(data_width=64, user_width=1)
        sig = {
            "s_axis": In(stream.Signature(beat)),
            "m_axis": Out(stream.Signature(beat)),
            "m_meta": Out(stream.Signature(record_layout())),
        }
        for name, width in {**CONFIG_FIELDS, **POST_CONFIG}.items():
            sig[f"cfg_{name}"] = In(width)
        sig["csid_cfg_err"] = Out(1)
        sig["walk_guard"] = Out(1)          # pulses when the walker's action guard ends a walk (a fault; never seen)
        super().__init__(sig)

    def elaborate(self, platform):
        m = Module()
        m.submodules.walker = wk = Walker()
        m.submodules.fifo = fifo = SyncFIFOBuffered(width=record_layout().size, depth=self.record_depth)
        for name in CONFIG_FIELDS:
            m.d.comb += wk.cfg[name].eq(getattr(self, f"cfg_{name}"))
        wl = walk_layout()
        m.submodules.post = post = Post(wl, {n: f.width for n, f in wl})
        for i in range(4):
            m.d.comb += post.carve[i].eq(getattr(self, f"cfg_carve{i}"))
        for i in range(CSID_BLOCKS):
            for k in ("en", "prefix", "lbl", "lnfl", "replace"):
                m.d.comb += post.blk[i][k].eq(getattr(self, f"cfg_csid{i}_{k}"))
        m.d.comb += [self.csid_cfg_err.eq(post.csid_cfg_err), self.walk_guard.eq(wk.overrun)]

        # ---- frame path: one register stage; ready follows the output, the word buffer and the frame credits -----
        # frames accepted whose record has not left m_meta: at most record_depth, so the record FIFO never overflows
        inflight = Signal(range(self.record_depth + 1))
        # the word buffer takes at most one word a cycle (an aligned word, or the tail word the cycle after tlast)
        wfifo = m.submodules.words = SyncFIFOBuffered(width=_word_layout().size, depth=self.word_depth)
        room = Signal()
        m.d.comb += room.eq((inflight < self.record_depth) & (wfifo.level < self.word_depth - 1))
        s, o = self.s_axis, self.m_axis
        m.d.comb += s.ready.eq((o.ready | ~o.valid) & room)
        with m.If(o.ready | ~o.valid):
            m.d.sync += [o.valid.eq(s.valid & room), o.payload.eq(s.payload)]
        take = Signal()
        m.d.comb += take.eq(s.valid & s.ready)
        d = s.payload.data
        keep = s.payload.keep
        n = Signal(4)                       # bytes in this beat (keep is contiguous from bit 0)
        m.d.comb += n.eq(sum(keep[i] for i in range(8)))
        last = s.payload.last

        # ---- L2 front -------------------------------------------------------------------------------------------
        j = Signal(range(4))                # beat index, saturating at 3
        b1 = Signal(64)
        prev = Signal(64)
        length = Signal(24)
        with m.If(take):
            m.d.sync += prev.eq(d)
            with m.If(last):
                m.d.sync += [j.eq(0), length.eq(0)]
            with m.Else():
                m.d.sync += [j.eq(Mux(j == 3, 3, j + 1)), length.eq(length + 8)]
            with m.If(j == 1):
                m.d.sync += b1.eq(d)
        flen = Signal(24)
        m.d.comb += flen.eq(length + n)

        # bytes 12..21: beat 1 bytes 4..7, beat 2 bytes 0..5 (current beat when j == 1 / j == 2)
        cur_b1 = Mux(j == 1, d, b1)

        def eb(i):                           # frame byte i in 12..21
            if i < 16:
                return cur_b1[8 * (i - 8):8 * (i - 8) + 8]
            return d[8 * (i - 16):8 * (i - 16) + 8]

        def u16(i):
            return Cat(eb(i + 1), eb(i))

        decide = Signal()                    # the L2 decision happens this beat
        m.d.comb += decide.eq(take & ((j == 2) | (last & (j < 2))))
        ln = Signal(16)                      # frame length if it ends by beat 2, else large
        m.d.comb += ln.eq(Mux(last, flen, 0xFFFF))
        decided = {k: w for k, w in L2_RECORD.items() if k != "ts"}       # decided by beat 2
        l2 = {k: Signal(w, name=f"l2_{k}") for k, w in decided.items()}
        l2err = Signal(32)
        tp = lambda v: (v == VLAN_TPIDS[0]) | (v == VLAN_TPIDS[1])
        et0, tci0, et1, tci1, et2 = u16(12), u16(14), u16(16), u16(18), u16(20)
        with m.If(ln < 14):
            m.d.comb += l2err.eq(1 << ERR["TRUNC"])
        with m.Elif(~tp(et0)):
            m.d.comb += [l2["ethertype"].eq(et0), l2["ethertype_v"].eq(1), l2["l3off"].eq(14)]
        with m.Elif(ln < 18):
            m.d.comb += l2err.eq(1 << ERR["TRUNC"])
        with m.Else():
            m.d.comb += [l2["vlan_count"].eq(1), l2["vlan0"].eq(Cat(tci0, et0))]
            with m.If(~tp(et1)):
                m.d.comb += [l2["ethertype"].eq(et1), l2["ethertype_v"].eq(1), l2["l3off"].eq(18)]
            with m.Elif(ln < 22):
                m.d.comb += l2err.eq(1 << ERR["TRUNC"])
            with m.Else():
                m.d.comb += [l2["vlan1"].eq(Cat(tci1, et1))]
                with m.If(tp(et2)):
                    m.d.comb += [l2["vlan_count"].eq(3), l2err.eq(1 << ERR["L2_VLAN_DEPTH"])]
                with m.Else():
                    m.d.comb += [l2["vlan_count"].eq(2), l2["ethertype"].eq(et2), l2["ethertype_v"].eq(1),
                                 l2["l3off"].eq(22)]
        m.d.comb += l2["l3kind"].eq(Mux(l2["ethertype_v"] & (l2["ethertype"] == ETH_IPV6), 1,
                                        Mux(l2["ethertype_v"] & (l2["ethertype"] == ETH_IPV4), 2, 0)))
        # the decision, held for the rest of the frame
        h = {k: Signal(w, name=f"h_{k}") for k, w in decided.items()}
        herr = Signal(32)
        with m.If(decide):
            m.d.sync += [h[k].eq(l2[k]) for k in decided] + [herr.eq(l2err)]
        cur = {k: Mux(decide, l2[k], h[k]) for k in decided}
        # ingress timestamp: the free-running cycle counter at the frame's first beat (j == 0)
        ts = Signal(64)
        frame_ts = Signal(64)
        m.d.sync += ts.eq(ts + 1)
        with m.If(take & (j == 0)):
            m.d.sync += frame_ts.eq(ts)
        cur["ts"] = Mux(j == 0, ts, frame_ts)
        cur_err = Mux(decide, l2err, herr)

        # ---- realigner ------------------------------------------------------------------------------------------
        shift = cur["l3off"][0:3]            # 6 or 2
        base = cur["l3off"][3:5]             # 1 or 2
        is_l3 = cur["l3kind"] != 0

        def aligned(lo, hi, sh):
            # bytes: lo[sh:8] then hi[0:sh]
            return Mux(sh == 6, Cat(lo[48:64], hi[0:48]), Cat(lo[16:64], hi[0:16]))

        wv = Signal()                        # aligned word emitted this cycle
        wdata = Signal(64)
        wnb = Signal(4)
        wlast = Signal()
        wfirst = Signal()
        wpos = Signal(24)
        wside = {k: Signal(w, name=f"ws_{k}") for k, w in L2_RECORD.items()}
        wside_err = Signal(32)
        # the tail word (emitted the cycle after tlast)
        tv = Signal()
        tdata = Signal(64)
        tnb = Signal(4)
        tfirst = Signal()
        tpos = Signal(24)
        tside = {k: Signal(w, name=f"ts_{k}") for k, w in L2_RECORD.items()}
        tside_err = Signal(32)
        wcount = Signal(24)                  # position of the next aligned word of this frame
        started = Signal()                   # a word of this frame was emitted

        emit_now = Signal()
        m.d.comb += emit_now.eq(take & is_l3 & (j >= base + 1))     # j >= 2: the L2 decision is made
        m.d.comb += [
            wv.eq(emit_now),
            wdata.eq(aligned(prev, d, shift)),
            wnb.eq((8 - shift) + Mux(n < shift, n, shift)),
            wlast.eq(last & (n <= shift)),
            wfirst.eq(~started),
            wpos.eq(wcount),
        ]
        mac_err = s.payload.user[0]
        for k in L2_RECORD:
            m.d.comb += wside[k].eq(cur[k])
        m.d.comb += wside["length"].eq(flen)
        m.d.comb += wside_err.eq(cur_err | Mux(last & mac_err, 1 << ERR["MAC_ERR"], 0))
        with m.If(take):
            with m.If(last):
                m.d.sync += [wcount.eq(0), started.eq(0)]
            with m.Elif(emit_now):
                m.d.sync += [wcount.eq(wcount + 8), started.eq(1)]
        # tail / empty last word
        need_tail = Signal()
        m.d.comb += need_tail.eq(take & last & ~(emit_now & (n <= shift)))
        m.d.sync += tv.eq(need_tail)
        with m.If(need_tail):
            tail_nb = Mux(is_l3 & (j >= base) & (n > shift), n - shift, 0)
            m.d.sync += [
                tdata.eq(Mux(shift == 6, d[48:64], d[16:64])),
                tnb.eq(tail_nb),
                tfirst.eq(~started & ~emit_now),
                tpos.eq(Mux(emit_now, wcount + 8, wcount)),
            ]
            m.d.sync += [tside[k].eq(wside[k]) for k in L2_RECORD]
            m.d.sync += [tside["l3kind"].eq(cur["l3kind"]), tside_err.eq(wside_err)]

        # merge: a tail word never coincides with an aligned word (beat 0 of the next frame emits none)
        av = Signal()
        adata = Signal(64)
        anb = Signal(4)
        alast = Signal()
        afirst = Signal()
        apos = Signal(24)
        aside = {k: Signal(w, name=f"as_{k}") for k, w in L2_RECORD.items()}
        aside_err = Signal(32)
        with m.If(tv):
            m.d.comb += [av.eq(1), adata.eq(tdata), anb.eq(tnb), alast.eq(1), afirst.eq(tfirst), apos.eq(tpos),
                         aside_err.eq(tside_err)]
            m.d.comb += [aside[k].eq(tside[k]) for k in L2_RECORD]
        with m.Else():
            m.d.comb += [av.eq(wv), adata.eq(wdata), anb.eq(wnb), alast.eq(wlast), afirst.eq(wfirst),
                         apos.eq(wpos), aside_err.eq(wside_err)]
            m.d.comb += [aside[k].eq(wside[k]) for k in L2_RECORD]

        # ---- word buffer and lookahead: the walker works on the head word; the FIFO's output is the next one ------
        wl_in = data.View(_word_layout(), wfifo.w_data)
        m.d.comb += [wfifo.w_en.eq(av), wl_in.data.eq(adata), wl_in.nb.eq(anb), wl_in.last.eq(alast),
                     wl_in.first.eq(afirst), wl_in.pos.eq(apos), wl_in.end.eq(apos + anb), wl_in.err.eq(aside_err)]
        m.d.comb += [getattr(wl_in, k).eq(aside[k]) for k in L2_RECORD]
        nxt = data.View(_word_layout(), wfifo.r_data)
        cv = Signal()
        cw = Signal(_word_layout())
        process = Signal()
        m.d.comb += process.eq(cv & (cw.last | wfifo.r_rdy))
        load = Signal()
        m.d.comb += [load.eq(~cv | wk.adv), wfifo.r_en.eq(load)]
        cpos8 = Signal(25)                  # the walker's positions arrive precomputed (no adder in its cycle)
        with m.If(load):
            m.d.sync += [cv.eq(wfifo.r_rdy), cw.eq(nxt), cpos8.eq(nxt.pos + 8)]
        cside = {k: getattr(cw, k) for k in L2_RECORD}
        m.d.comb += [
            wk.i_valid.eq(process), wk.i_first.eq(cw.first), wk.i_pos.eq(cw.pos), wk.i_data.eq(cw.data),
            wk.i_last.eq(cw.last), wk.la_data.eq(nxt.data),
            wk.i_pos8.eq(cpos8), wk.i_end.eq(cw.end), wk.la_end.eq(nxt.end),
            wk.la_last.eq(wfifo.r_rdy & nxt.last), wk.f_l3kind.eq(cw.l3kind), wk.f_l3off.eq(cw.l3off),
            wk.f_errs.eq(Mux(cw.last, cw.err, 0)),
        ]
        frame_in = Signal()
        m.d.comb += frame_in.eq(take & last)
        m.d.sync += inflight.eq(inflight + frame_in - (self.m_meta.valid & self.m_meta.ready))
        # ---- record: the walk's final values and the frame's L2 fields, in the cycle the last word is consumed ---
        rec = post.i_rec
        for name in WALKER_RECORD:
            m.d.comb += getattr(rec, name).eq(wk.rec[name])
        for name in L2_RECORD:
            m.d.comb += getattr(rec, name).eq(cside[name])
        m.d.comb += post.i_valid.eq(wk.done)
        m.d.comb += [fifo.w_en.eq(post.o_valid), fifo.w_data.eq(post.o_rec.as_value())]
        m.d.comb += [self.m_meta.valid.eq(fifo.r_rdy), self.m_meta.payload.eq(fifo.r_data),
                     fifo.r_en.eq(self.m_meta.ready)]
        return m
