"""The stage after the walk: option decoders, RFC 9800 C-SID next-DA, CRC-32C flow hash (parser.md §3–§5).

Input: the walker's record (``Walker.rec`` fields plus the L2 fields), one per cycle at most, with a valid bit.
Output: the final metadata record (:func:`final_layout`), two cycles later, same order. Feed-forward, no stalls.

* **ARN / APN6** (parser.md §4, §8): the walker keeps the first valid option as raw words from its start word and
  the byte offset of its start; here the body is cut out and decoded (ID-Type, Flags, Para-Type, ID, intent word;
  APN6 0x03: SLA, AppID << 32 | UserID) and the four 16-bit carve-outs are taken at their register offsets from the
  ID's most significant bit (a field past the ID's end is not valid).
* **NRP** (``NR type | flags | reserved | NRP id``) and **IOAM** (type, namespace; DEX flow id and sequence).
* **C-SID** (parser.md §3, §8, golden/parser/csid.py): up to four descriptors {prefix, LBL, LNFL, flavour};
  the first whose LBL bits match the DA wins. NEXT-C-SID takes any LBL / LNFL; REPLACE-C-SID takes LNFL 16 or 32
  (K = 8 or 4 C-SIDs per container, the deployed G-SRv6 sizes); a REPLACE descriptor with another LNFL never
  matches and raises ``csid_cfg_err`` (a register-map flag), a decision documented in docs/parser.md.
* **Flow hash**: CRC-32C (reflected, poly 0x1EDC6F41, init and xorout 0xFFFFFFFF) over the 37-byte key
  SA | DA | protocol | source port | destination port of the innermost header; the XOR matrix is derived here from
  the bit-serial definition of the CRC (never typed in).
"""

from amaranth.hdl import Array, Cat, Const, Elaboratable, Module, Mux, Signal
from amaranth.lib import data

from .consts import ERR, FATAL_MASK

__all__ = ["Post", "final_layout", "CSID_BLOCKS", "crc32c_matrix"]

CSID_BLOCKS = 4
CRC_POLY_REFLECTED = 0x82F63B78          # CRC-32C (Castagnoli) 0x1EDC6F41, bit-reversed
KEY_BYTES = 37

#: walker record fields the decoders consume (raw option words and their offsets); every other walker field
#: passes through unchanged, in the walker record's order
CONSUMED = frozenset(("arn_apn6", "arn_o", "arn_len", "nrp_o", "ioam_o", "ioam_len",
                      *[f"arn_raw{i}" for i in range(5)], *[f"nrp_raw{i}" for i in range(3)],
                      *[f"ioam_raw{i}" for i in range(4)]))

DECODED = {
    "arn_apn6": 1, "arn_id_type": 8, "arn_flags": 8, "arn_para": 16, "arn_id": 128, "arn_id_bits": 8,
    "arn_intent": 32, "arn_intent_v": 1, "arn_sla": 32,
    "arn_c0": 16, "arn_c1": 16, "arn_c2": 16, "arn_c3": 16, "arn_cv": 4,
    "nrp_type": 8, "nrp_flags": 8, "nrp_id": 32,
    "ioam_type": 8, "ioam_ns": 16, "ioam_flow": 32, "ioam_flow_v": 1, "ioam_seq": 32, "ioam_seq_v": 1,
    "csid_v": 1, "csid_block": 2, "csid_replace": 1, "csid_index": 8, "csid_index_v": 1, "csid_next_index": 8,
    "csid_next_index_v": 1, "csid_next_da": 128, "csid_next_da_v": 1, "csid_end": 1,
    "hash": 32,
}


def pass_through(walker_widths):
    return [name for name in walker_widths if name not in CONSUMED]


def final_layout(walker_widths):
    fields = {name: walker_widths[name] for name in pass_through(walker_widths)}
    fields.update(DECODED)
    return data.StructLayout(fields)


def _crc_bits(bits_in, state):
    """Bit-serial reflected CRC-32C update over ``bits_in`` (LSB of each byte first) as linear functions:
    each state bit is a set of input indices (ints) plus 'c' for the constant from the initial value."""
    for b in bits_in:
        fb = state[0] ^ b
        state = [state[i + 1] for i in range(31)] + [frozenset()]
        for i in range(32):
            if CRC_POLY_REFLECTED >> i & 1:
                state[i] = state[i] ^ fb
    return state


def crc32c_matrix(nbytes):
    """For the CRC-32C of ``nbytes`` bytes: per output bit, the set of input bit indices (byte k bit j ->
    8k + j) XORed together and whether the constant 1 is XORed in (init and xorout folded)."""
    state = [frozenset({("c", i)}) for i in range(32)]     # the initial value's bits as symbols
    inputs = [frozenset({8 * k + j}) for k in range(nbytes) for j in range(8)]
    state = _crc_bits(inputs, state)
    init = 0xFFFFFFFF
    out = []
    for i in range(32):
        idx = sorted(x for x in state[i] if isinstance(x, int))
        const = sum(1 for x in state[i] if not isinstance(x, int) and init >> x[1] & 1) & 1
        out.append((idx, const ^ 1))              # xorout 0xFFFFFFFF
    return out


class Post(Elaboratable):
    def __init__(self, in_layout, walker_widths):
        self.i_valid = Signal()
        self.i_rec = Signal(in_layout)
        self.o_valid = Signal()
        self.o_rec = Signal(final_layout(walker_widths))
        self.pass_names = pass_through(walker_widths)
        self.carve = [Signal(7, name=f"carve{i}") for i in range(4)]
        self.blk = [dict(en=Signal(name=f"csid{i}_en"), prefix=Signal(128, name=f"csid{i}_prefix"),
                         lbl=Signal(8, name=f"csid{i}_lbl"), lnfl=Signal(8, name=f"csid{i}_lnfl"),
                         replace=Signal(name=f"csid{i}_replace")) for i in range(CSID_BLOCKS)]
        self.csid_cfg_err = Signal()

    def elaborate(self, platform):
        m = Module()
        # ---- stage 1: register the input --------------------------------------------------------------------
        v1 = Signal()
        r1 = Signal.like(self.i_rec)
        m.d.sync += [v1.eq(self.i_valid), r1.eq(self.i_rec)]
        r = r1

        def raw_bytes(prefix, count):
            return [getattr(r, f"{prefix}{i}")[8 * b:8 * b + 8] for i in range(count) for b in range(8)]

        def body(prefix, count, o, n):
            """Bytes o + 2 .. o + 2 + n of the raw words (o = the option's start offset in its word)."""
            rb = raw_bytes(prefix, count)
            out = []
            for k in range(n):
                choices = [rb[oo + 2 + k] if oo + 2 + k < len(rb) else Const(0, 8) for oo in range(8)]
                out.append(Array(choices)[o])
            return out

        def be(bs):
            return Cat(*reversed(bs))

        # ---- ARN / APN6 ----------------------------------------------------------------------------------------
        ab = body("arn_raw", 5, r.arn_o, 24)
        apn6 = r.arn_apn6
        id_type = ab[0]
        idb = Mux(id_type == 1, 4, Mux(id_type == 2, 8, 16))
        id_bits = Mux(apn6, 64, Mux(id_type == 1, 32, Mux(id_type == 2, 64, 128)))
        # ID left-aligned in 128 bits (its MSB at bit 127)
        id_l_arn = be(ab[4:20])
        id_l_apn6 = Cat(Const(0, 64), be(ab[4:12]))
        id_l = Signal(128)
        m.d.comb += id_l.eq(Mux(apn6, id_l_apn6, Mux(id_type == 1, Cat(Const(0, 96), be(ab[4:8])), Mux(
            id_type == 2, Cat(Const(0, 64), be(ab[4:12])), id_l_arn))))
        para = be(ab[2:4])
        intent = Mux(id_type == 1, be(ab[8:12]), Mux(id_type == 2, be(ab[12:16]), be(ab[20:24])))
        o = self.o_rec
        d = {}
        d["arn_apn6"] = apn6
        d["arn_id_type"] = Mux(apn6, 0, id_type)
        d["arn_flags"] = Mux(apn6, 0, ab[1])
        d["arn_para"] = Mux(apn6, 0, para)
        d["arn_id_bits"] = id_bits
        id_shift = Signal(8)
        m.d.comb += id_shift.eq(128 - id_bits)
        d["arn_id"] = id_l >> id_shift
        d["arn_intent"] = Mux(apn6, 0, intent)
        d["arn_intent_v"] = ~apn6 & para[0]
        d["arn_sla"] = Mux(apn6, be(ab[0:4]), 0)
        cv = []
        for i in range(4):
            off = self.carve[i]
            c_shift = Signal(7, name=f"c_shift{i}")
            m.d.comb += c_shift.eq(112 - off)
            d[f"arn_c{i}"] = (id_l >> c_shift)[0:16]
            cv.append(off + 16 <= id_bits)
        d["arn_cv"] = Cat(*cv)
        # ---- NRP, IOAM -----------------------------------------------------------------------------------------
        nb_ = body("nrp_raw", 3, r.nrp_o, 8)
        d["nrp_type"] = nb_[0]
        d["nrp_flags"] = nb_[1]
        d["nrp_id"] = be(nb_[4:8])
        ib = body("ioam_raw", 4, r.ioam_o, 18)
        it = ib[1]
        ext = ib[5]
        dex = (it == 4) & (r.ioam_len >= 10)
        d["ioam_type"] = it
        d["ioam_ns"] = be(ib[2:4])
        d["ioam_flow_v"] = dex & ext[7]
        d["ioam_flow"] = Mux(dex & ext[7], be(ib[10:14]), 0)
        d["ioam_seq_v"] = dex & ext[6]
        d["ioam_seq"] = Mux(dex & ext[6], Mux(ext[7], be(ib[14:18]), be(ib[10:14])), 0)

        # ---- C-SID (golden/parser/csid.py) ---------------------------------------------------------------------
        da = r.dst
        have_da = r.l3_v & (r.l3kind == 1)
        cfg_err = 0
        hits = []
        for b in self.blk:
            mask = Signal(128)
            # the first LBL bits (RFC bit 0 = MSB)
            m.d.comb += mask.eq(Cat(*[(127 - k) < b["lbl"] for k in range(128)]))
            ok_cfg = ~b["replace"] | (b["lnfl"] == 16) | (b["lnfl"] == 32)
            cfg_err = cfg_err | (b["en"] & ~ok_cfg)
            hits.append(b["en"] & ok_cfg & (((da ^ b["prefix"]) & mask) == 0))
        m.d.sync += self.csid_cfg_err.eq(cfg_err)
        sel = Signal(2)
        any_hit = Signal()
        for i in reversed(range(CSID_BLOCKS)):
            with m.If(hits[i]):
                m.d.comb += sel.eq(i)
        m.d.comb += any_hit.eq(have_da & Cat(*hits).any())
        lbl = Array([b["lbl"] for b in self.blk])[sel]
        lnfl = Array([b["lnfl"] for b in self.blk])[sel]
        is_rep = Array([b["replace"] for b in self.blk])[sel]
        srh = r.srh_v
        sl, le = r.srh_sl, r.srh_le
        le_gt_max = le + 1 > r.srh_hel[1:8]          # LE > max_LE
        # NEXT-C-SID
        keep_n = Signal(128)                          # the first LBL + LNFL bits
        m.d.comb += keep_n.eq(Cat(*[(127 - k) < (lbl + lnfl) for k in range(128)]))
        blockm = Signal(128)
        m.d.comb += blockm.eq(Cat(*[(127 - k) < lbl for k in range(128)]))
        arg = Signal(128)
        m.d.comb += arg.eq(da & ~keep_n)
        nx_da = Signal(128)
        m.d.comb += nx_da.eq((da & blockm) | (arg << lnfl)[0:128])
        # REPLACE-C-SID (LNFL 16: K 8, 3 index bits; LNFL 32: K 4, 2 index bits)
        l16 = lnfl == 16
        ibits_mask = Mux(l16, 7, 3)
        k_ = Mux(l16, 8, 4)
        idx = Signal(8)
        m.d.comb += idx.eq(da[0:3] & ibits_mask)

        def csid_at(container, pos):
            c16 = Array([container[128 - 16 * (p + 1):128 - 16 * p] for p in range(8)])[pos[0:3]]
            c32 = Array([container[128 - 32 * (p + 1):128 - 32 * p] for p in range(4)])[pos[0:2]]
            return Mux(l16, c16, c32)

        csid_mask = Mux(l16, 0xFFFF, 0xFFFFFFFF)
        shift = Signal(8)
        m.d.comb += shift.eq(128 - lbl - lnfl)

        res = {k: Signal(w, name=f"cs_{k}") for k, w in (
            ("index", 8), ("index_v", 1), ("nidx", 8), ("nidx_v", 1), ("nda", 128), ("nda_v", 1), ("end", 1),
            ("bad", 1))}

        def put(index=None, nidx=None, nda=None, end=0, bad=0):
            stm = [res["index_v"].eq(index is not None), res["nidx_v"].eq(nidx is not None),
                   res["nda_v"].eq(nda is not None), res["end"].eq(end), res["bad"].eq(bad)]
            if index is not None:
                stm.append(res["index"].eq(index))
            if nidx is not None:
                stm.append(res["nidx"].eq(nidx))
            if nda is not None:
                stm.append(res["nda"].eq(nda))
            m.d.comb += stm

        imask = Signal(128)
        m.d.comb += imask.eq(ibits_mask)
        cmask = Signal(128)
        m.d.comb += cmask.eq((csid_mask << shift)[0:128])

        def build(csid, new_idx):
            cleared = da & ~cmask & ~imask
            return cleared | (csid << shift)[0:128] | new_idx

        segc_v, segn_v = r.segc_v, r.segn_v
        with m.If(~is_rep):
            with m.If(arg != 0):
                put(nda=nx_da)
            with m.Elif(~srh | (sl == 0)):
                put(end=1)
            with m.Elif(segn_v):
                put(nda=r.segn)
            with m.Else():
                put()
        with m.Else():
            with m.If(idx >= k_):
                put(index=idx, bad=1)
            with m.Elif(~srh):
                put(index=idx, end=1)
            with m.Elif((sl == 0) & (idx == 0)):
                put(index=idx, end=1)
            with m.Elif((sl == 0) & ~segc_v):
                put(index=idx)
            with m.Elif((sl == 0) & (csid_at(r.segc, idx - 1) == 0)):
                put(index=idx, end=1)
            with m.Elif(idx != 0):
                with m.If(le_gt_max | (sl > le)):
                    put(index=idx, bad=1)
                with m.Elif(~segc_v):
                    put(index=idx)
                with m.Elif(csid_at(r.segc, idx - 1) == 0):
                    with m.If(segn_v):
                        put(index=idx, nda=r.segn)
                    with m.Else():
                        put(index=idx)
                with m.Else():
                    put(index=idx, nidx=idx - 1, nda=build(csid_at(r.segc, idx - 1), idx - 1))
            with m.Else():
                with m.If(le_gt_max | (sl > le + 1)):
                    put(index=idx, bad=1)
                with m.Elif(~segn_v):
                    put(index=0)
                with m.Else():
                    put(index=0, nidx=k_ - 1, nda=build(csid_at(r.segn, k_ - 1), k_ - 1))
        d["csid_v"] = any_hit
        d["csid_block"] = sel
        d["csid_replace"] = is_rep
        d["csid_index"] = Mux(any_hit & res["index_v"], res["index"], 0)
        d["csid_index_v"] = any_hit & res["index_v"]
        d["csid_next_index"] = Mux(any_hit & res["nidx_v"], res["nidx"], 0)
        d["csid_next_index_v"] = any_hit & res["nidx_v"]
        d["csid_next_da"] = Mux(any_hit & res["nda_v"], res["nda"], 0)
        d["csid_next_da_v"] = any_hit & res["nda_v"]
        d["csid_end"] = any_hit & res["end"]
        bad = any_hit & res["bad"]
        errs = Mux(bad, r.errs | (1 << ERR["CSID_BAD"]), r.errs)
        bad_off = Mux(srh, r.srh_off + 3, 24)
        eoff = Mux(bad & ~r.eoff_v, bad_off, r.eoff)
        eoff_v = r.eoff_v | bad

        # ---- flow hash key ---------------------------------------------------------------------------------------
        inner = r.in_v
        sa = Mux(inner, r.in_src, r.src)
        dda = Mux(inner, r.in_dst, r.dst)
        sa = Mux(inner | r.l3_v, sa, 0)
        dda = Mux(inner | r.l3_v, dda, 0)
        proto = Mux(inner, Mux(r.in_ulp_v, r.in_ulp, 0), Mux(r.ulp_v, r.ulp, 0))
        sport = Mux(r.l4_v & r.l4_ports_v, r.l4_sport, 0)
        dport = Mux(r.l4_v & r.l4_ports_v, r.l4_dport, 0)
        key_bytes = ([sa[8 * (15 - i):8 * (16 - i)] for i in range(16)] + [dda[8 * (15 - i):8 * (16 - i)]
                     for i in range(16)] + [proto[0:8], sport[8:16], sport[0:8], dport[8:16], dport[0:8]])
        key = Signal(8 * KEY_BYTES)
        m.d.comb += key.eq(Cat(*key_bytes))

        # ---- stage 2: register everything, then the CRC and the output ------------------------------------------
        v2 = Signal()
        r2 = Signal.like(self.i_rec)
        d2 = {k: Signal(w, name=f"d2_{k}") for k, w in DECODED.items() if k != "hash"}
        key2 = Signal(8 * KEY_BYTES)
        err2 = Signal(32)
        eoff2 = Signal(16)
        eoff_v2 = Signal()
        m.d.sync += [v2.eq(v1), r2.eq(r1), key2.eq(key), err2.eq(errs), eoff2.eq(eoff), eoff_v2.eq(eoff_v)]
        m.d.sync += [d2[k].eq(d[k]) for k in d2]
        crc = []
        for idx_, const in crc32c_matrix(KEY_BYTES):
            crc.append(Cat(*[key2[i] for i in idx_]).xor() ^ const)
        m.d.comb += self.o_valid.eq(v2)
        for name in self.pass_names:
            m.d.comb += getattr(o, name).eq(getattr(r2, name))
        m.d.comb += [o.errs.eq(err2), o.eoff.eq(eoff2), o.eoff_v.eq(eoff_v2)]
        for k in d2:
            m.d.comb += getattr(o, k).eq(d2[k])
        m.d.comb += o.hash.eq(Cat(*crc))
        return m
