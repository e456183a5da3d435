"""AES-256 encryption core for the PHYSec security engine (FIPS 197; physec.md §7 "Ciphers", "Key slots",
"Precomputation").

It encrypts 128-bit blocks under one of two key slots: in GCM the blocks are ``IV ‖ ctr`` (the CTR keystream,
SP 800-38D §6.5), ``J0`` (the tag mask) and ``0^128`` (``H``, §6.4); the caller builds them (:mod:`.gcm`).

Structure
---------
* **Key install** (``key_*`` ports): the 256-bit key is written into a slot and the hardware expands it (FIPS 197
  §5.2, one 32-bit word per four cycles, 210 cycles, four S-boxes in two DP16KD, every step registered);
  ``slot_valid[s]`` rises when the 15 round keys of slot ``s`` are ready. Installing into slot ``s`` does not disturb
  blocks of the other slot already in the pipeline or arriving meanwhile: hitless rekey writes the inactive slot
  (physec.md §7 "Rekey"). ``key_ready`` stays low while blocks of the slot being written are still in the ring, so
  they finish with the old key; blocks that name a slot while it is being rewritten come out wrong, and
  ``slot_valid`` tells the caller not to send them. Reset invalidates every slot (``slot_valid``); the datapath and
  key-schedule registers have no reset (timing: a reset net to 7 000 flip-flops routed at 7.3 ns on the ECP5), so
  the round keys stay in their registers until the next install overwrites them (nothing reads them out).
* **Rounds**: ``units`` round units in a ring, each two register stages: (A) 16 table look-ups addressed by the state
  bytes in ShiftRows order, (B) MixColumns (or none in round 14) and AddRoundKey. ``units=14`` is fully unrolled: one
  block per cycle. ``units=7`` is half unrolled: a block goes round the ring twice (rounds 1–7, then 8–14), giving one
  block per two cycles, which is the line's rate (10.3125 Gb/s = 64 bits per 161.13 MHz cycle, physec.md §7).
* **Tables** (``table``): ``"ttable"`` stores T0 = [2·S, S, S, 3·S] (FIPS 197 §5.1.1 + §5.1.3 merged, the classic
  32-bit T-table) in block RAM, one DP16KD serving two look-ups; MixColumns is then an XOR of four rotated words.
  ``"sbox"`` stores S itself (8 bits) and computes MixColumns in logic; ``sbox_style="logic"`` keeps those tables out of
  block RAM (Yosys ``rom_style``). Every table is derived here at elaboration from the GF(2^8) inverse modulo
  x^8 + x^4 + x^3 + x + 1 and the affine map (FIPS 197 §5.1.1): no typed-in table.
* **Flow control**: the ring never stalls (no clock enable fanning out to thousands of flip-flops). Results go into an
  output FIFO of ``fifo_depth`` entries and a request is accepted only while a FIFO place is reserved for it (credits),
  so backpressure on ``out`` only slows ``req``.

Latency: 1 (pre-whitening register) + 2 (3 with ``lookup_reg``) per round × 14 + 1 (the ring's way back,
``units=7``) + FIFO cycles from ``req`` to ``out``.
"""

from functools import lru_cache

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["AES_POLY", "gf256_mul", "sbox_table", "ttable", "request_layout", "result_layout", "Aes256"]

#: FIPS 197 §4.2: GF(2^8) modulo m(x) = x^8 + x^4 + x^3 + x + 1
AES_POLY = 0x11B
ROUNDS = 14                     # FIPS 197 §5, Nr for Nk = 8
KEY_WORDS = 8                   # Nk
SCHEDULE_WORDS = 4 * (ROUNDS + 1)   # Nb (Nr + 1) = 60
KEY_PHASES = 4                  # cycles per key-schedule word
RK_SEL_COPIES = 8               # copies of a round unit's round-key select register


def gf256_mul(a, b):
    """Product in GF(2^8) modulo :data:`AES_POLY` (FIPS 197 §4.2)."""
    p = 0
    while b:
        if b & 1:
            p ^= a
        a <<= 1
        if a & 0x100:
            a ^= AES_POLY
        b >>= 1
    return p


@lru_cache(maxsize=None)
def sbox_table():
    """FIPS 197 §5.1.1: S(a) = affine(a^-1), 0 mapped to 0 before the affine map; inverse as a^254 (a tuple)."""
    table = []
    for a in range(256):
        inv = 0
        if a:
            inv = 1
            for _ in range(254):
                inv = gf256_mul(inv, a)
        b = inv
        s = b
        for k in range(1, 5):
            s ^= ((b << k) | (b >> (8 - k))) & 0xFF
        table.append(s ^ 0x63)
    return tuple(table)


@lru_cache(maxsize=None)
def ttable():
    """T0[a] as a 32-bit word, row r in bits 8r..8r+7: rows (2·S, S, S, 3·S) = MixColumns column of (S, 0, 0, 0)."""
    return tuple(gf256_mul(s, 2) | s << 8 | s << 16 | gf256_mul(s, 3) << 24 for s in sbox_table())


def request_layout(tag_width):
    """Payload of ``req``: the block, the key slot, and a tag returned with the result."""
    return data.StructLayout({"block": 128, "slot": 1, "tag": max(tag_width, 1)})


def result_layout(tag_width):
    return data.StructLayout({"block": 128, "tag": max(tag_width, 1)})


def _byte(sig, n):
    """Octet n of a block (n = 0 is the first octet, the most significant bits)."""
    return sig[8 * (15 - n):8 * (16 - n)]


def _block(octets):
    """A 128-bit value from 16 octets, octet 0 most significant."""
    return Cat(*reversed(octets))


def _xtime(b):
    """b · x in GF(2^8) (FIPS 197 §4.2.1), as logic."""
    return Cat(Const(0, 1), b[:7]) ^ Mux(b[7], Const(AES_POLY & 0xFF, 8), Const(0, 8))


def _mix_column(a):
    """MixColumns of one column (FIPS 197 §5.1.3) in logic: four octets in, four out."""
    out = []
    for r in range(4):
        a0, a1, a2, a3 = (a[(r + k) % 4] for k in range(4))
        out.append(_xtime(a0) ^ _xtime(a1) ^ a1 ^ a2 ^ a3)
    return out


def _select_copies(m, value, count, name):
    """``count`` registers loaded with ``value`` every cycle, each to drive a share of a wide multiplexer (timing: one
    select net to 128 multiplexers routes slowly). They differ in their reset value only (k mod 2^width), so synthesis
    cannot merge them; the callers' selects matter only for valid blocks, and none is in the ring after a reset."""
    width = len(value)
    regs = [Signal(width, name=f"{name}{k}", init=k % (1 << width)) for k in range(count)]
    m.d.sync += [r.eq(value) for r in regs]
    return regs


def _rotl8(word, k):
    """Rotate a 32-bit T-table word by k rows (row r → row r + k)."""
    k %= 4
    return word if k == 0 else Cat(word[32 - 8 * k:], word[:32 - 8 * k])


class Aes256(wiring.Component):
    """AES-256 encryption of 128-bit blocks under two key slots.

    Parameters (keyword-only): ``units`` 14 (one block per cycle) or 7 (one block per two cycles); ``table``
    ``"ttable"`` or ``"sbox"`` (default: S-boxes, two look-ups per DP16KD); ``sbox_style`` ``"ebr"`` (block RAM) or
    ``"logic"``; ``lookup_reg`` a register after each look-up (default on: timing); ``tag_width`` bits carried from
    a request to its result; ``fifo_depth`` output FIFO entries, the credits (at least the ring latency + 6 for one
    block per cycle with ``units=14``: a freed entry takes six cycles from the ring's output through the block RAM,
    the buffer, the consumer and the credit counter back to a new request; the default 52 serves every option).

    Ports: ``req`` stream {block 128, slot 1, tag}; ``out`` stream {block 128, tag} in request order; ``key`` (256,
    FIPS 197 byte order: octet 0 in the top bits), ``key_slot``, ``key_valid`` / ``key_ready`` (a handshake; the
    expansion then runs 210 cycles with ``key_ready`` low); ``slot_valid`` (2).
    """

    def __init__(self, *, units=7, table="sbox", sbox_style="ebr", lookup_reg=True, tag_width=2, fifo_depth=52):
        if units not in (7, 14):
            raise ValueError(f"units must be 14 (fully unrolled) or 7 (half unrolled), not {units!r}")
        if table not in ("ttable", "sbox"):
            raise ValueError(f"table must be 'ttable' or 'sbox', not {table!r}")
        if sbox_style not in ("ebr", "logic"):
            raise ValueError(f"sbox_style must be 'ebr' or 'logic', not {sbox_style!r}")
        if not 0 <= tag_width <= 16:
            raise ValueError(f"tag_width must be 0..16, not {tag_width!r}")
        self.lookup_reg = bool(lookup_reg)
        # request accepted -> result written into the FIFO (+1: the ring's way back, units=7)
        self.latency = 1 + (3 if lookup_reg else 2) * ROUNDS + (units == 7)
        if fifo_depth < 4:
            raise ValueError(f"fifo_depth must be at least 4, not {fifo_depth!r}")
        self.units, self.table, self.sbox_style = units, table, sbox_style
        self.tag_width, self.fifo_depth = tag_width, fifo_depth
        self.passes = ROUNDS // units
        self.params = {"units": units, "table": table, "sbox_style": sbox_style, "lookup_reg": self.lookup_reg,
                       "tag_width": tag_width,
                       "fifo_depth": fifo_depth}
        tw = max(tag_width, 1)
        self.req_layout, self.out_layout = request_layout(tag_width), result_layout(tag_width)
        super().__init__({
            "req": In(stream.Signature(self.req_layout)),
            "out": Out(stream.Signature(self.out_layout)),
            "key": In(256), "key_slot": In(1), "key_valid": In(1), "key_ready": Out(1),
            "slot_valid": Out(2),
        })

    # ------------------------------------------------------------------------------------------ key schedule
    def _key_schedule(self, m):
        """FIPS 197 §5.2 for Nk = 8, one word per four cycles; returns rk[slot][round] as 128-bit values."""
        words = [[Signal(32, name=f"w{s}_{i}", reset_less=True) for i in range(SCHEDULE_WORDS)] for s in range(2)]
        window = [Signal(32, name=f"kwin{j}", reset_less=True) for j in range(KEY_WORDS)]    # w[i-8] .. w[i-1]
        i = Signal(range(SCHEDULE_WORDS + 1))
        busy = Signal()
        slot = Signal()
        rcon = Signal(8)
        # one word per KEY_PHASES cycles, every step registered: phase 0 RotWord or not into the S-box block RAMs,
        # phase 1 SubWord out of them, phase 2 the new word, phase 3 shift it in and store it
        ph = Signal(KEY_PHASES)
        # a slot is rewritten only when none of its blocks is in the ring (they would mix old and new round keys)
        self._slot_in_use = Signal(2)
        m.d.comb += self.key_ready.eq(~busy & ~self._slot_in_use.bit_select(self.key_slot, 1))

        # SubWord's four S-boxes in block RAM (two DP16KD; in logic they are a 5-level LUT ROM whose address bits fan
        # out to over a hundred LUTs each: 4.5 ns of routing on the ECP5)
        sb = Memory(shape=8, depth=256, init=sbox_table(), attrs={"rom_style": "block"})
        m.submodules.key_sbox = sb
        prev = window[-1]
        rot = (i[:3] == 0)
        # SubWord's input is a register (the block RAMs' address straight from flip-flops; timing: the word index
        # ``i`` → RotWord select → S-box address was the aes256 core's critical path, 6.5 ns with 5.7 ns of routing).
        # It is loaded with the *next* word's input: in the load cycle from the key's last word (i = 8: RotWord), in
        # phase 3 from ``new`` (the word shifted in as ``prev``) with the next index's RotWord choice
        sub_in, sub_word, new = Signal(32, reset_less=True), Signal(32, reset_less=True), Signal(32, reset_less=True)

        def rot_word(w):                                   # RotWord: [a0 a1 a2 a3] -> [a1 a2 a3 a0]
            return Cat(w[24:], w[:24])
        sub = []
        for k in range(4):
            port = sb.read_port(domain="sync")
            m.d.comb += port.addr.eq(sub_in[8 * k:8 * k + 8])
            sub.append(port.data)
        temp = Mux(rot, sub_word ^ Cat(Const(0, 24), rcon), Mux(i[:3] == 4, sub_word, prev))

        # Timing: the stores fan out to 2 x 60 words of 32 FFs, so every store enable is a register of its own (set the
        # cycle before) and the steps are separate statements, not one priority chain behind the key port.
        # The key is taken into ``key_r`` and stored the next cycle (then ``key_r`` is cleared: no key copy left).
        # ``key_r`` must hold the key of the accepted cycle: the key port is stable while ``key_valid`` is high.
        key_r = Signal(256, reset_less=True)               # cleared by the rules below within a cycle of reset
        load = Signal(2)                                   # one-hot slot: store key_r into words 0..7 this cycle
        store = [Signal(SCHEDULE_WORDS, name=f"kst{s}") for s in range(2)]   # one-hot: store word n (its unit's copy)
        accept = self.key_valid & self.key_ready
        load_any = Signal()                                # load[0] | load[1], a flip-flop of its own
        m.d.sync += [load.eq(0), load_any.eq(0), store[0].eq(0), store[1].eq(0)]
        # while idle, key_r follows the key port gated by key_valid (no enable fanning out from the handshake)
        with m.If(~busy):
            m.d.sync += key_r.eq(Mux(self.key_valid, self.key, 0))
        with m.Else():                                     # read in the load cycle, cleared at its end
            m.d.sync += key_r.eq(0)
        with m.If(accept):
            m.d.sync += [busy.eq(1), slot.eq(self.key_slot), i.eq(KEY_WORDS), rcon.eq(1),
                         load.eq(Mux(self.key_slot, 0b10, 0b01)), load_any.eq(1)]
            m.d.sync += self.slot_valid.bit_select(self.key_slot, 1).eq(0)
        with m.If(load_any):
            m.d.sync += sub_in.eq(rot_word(key_r[:32]))    # w[7], for w[8] (i = 8: RotWord)
            for j in range(KEY_WORDS):
                kw = key_r[32 * (KEY_WORDS - 1 - j):32 * (KEY_WORDS - j)]
                m.d.sync += window[j].eq(kw)
                for s in range(2):
                    with m.If(load[s]):
                        m.d.sync += words[s][j].eq(kw)
        # ``new`` goes to a copy per round unit first (each loaded only for its unit's words, so synthesis keeps them
        # apart), and from there into the unit's round-key words the next cycle (timing: one net from ``new`` to the
        # 104 words across all units routed at 7.4 ns on the ECP5)
        def unit_of(n):
            return (n // 4 - 1) % self.units
        copies = [Signal(32, name=f"knew{u}", reset_less=True) for u in range(self.units)]
        unit_oh = Signal(self.units)                       # one-hot: the unit of word i, during phase 3
        finish = Signal()
        m.d.sync += [unit_oh.eq(0), finish.eq(0)]
        for u in range(self.units):
            with m.If(unit_oh[u]):
                m.d.sync += copies[u].eq(new)
        for s in range(2):
            for n in range(KEY_WORDS, SCHEDULE_WORDS):
                with m.If(store[s][n]):
                    m.d.sync += words[s][n].eq(copies[unit_of(n)])
        with m.If(finish):
            m.d.sync += [busy.eq(0), self.slot_valid.bit_select(slot, 1).eq(1)]
        # after the load cycle: phases 0, 1, 2, 3 per word, one-hot in ``ph`` (all zero when idle), so each step's
        # enable is a flip-flop
        with m.If(load_any):
            m.d.sync += ph.eq(1)
        with m.Elif(ph.any()):
            m.d.sync += ph.eq(Cat(ph[3], ph[:3]))
        # phase 0: the S-box block RAMs read SubWord's address (the window is stable from phase 0 to phase 2)
        with m.If(ph[1]):
            m.d.sync += sub_word.eq(Cat(*sub))
        with m.If(ph[2]):
            m.d.sync += new.eq(window[0] ^ temp)
            with m.Switch(i):
                for n in range(KEY_WORDS, SCHEDULE_WORDS):
                    with m.Case(n):
                        m.d.sync += unit_oh.eq(1 << unit_of(n))
        with m.If(ph[3]):
            m.d.sync += [window[j].eq(window[j + 1]) for j in range(KEY_WORDS - 1)]
            m.d.sync += [window[-1].eq(new), i.eq(i + 1),
                         sub_in.eq(Mux(i[:3] == KEY_WORDS - 1, rot_word(new), new))]    # for word i + 1
            for s in range(2):
                with m.If(slot == s):
                    m.d.sync += store[s].eq(1 << i)
            with m.If(rot):
                m.d.sync += rcon.eq(Cat(Const(0, 1), rcon[:7]) ^ Mux(rcon[7], AES_POLY & 0xFF, 0))
            with m.If(i == SCHEDULE_WORDS - 1):
                m.d.sync += [ph.eq(0), finish.eq(1)]             # the last word is stored in the next cycle
        rk = [[Signal(128, name=f"rk{s}_{r}") for r in range(ROUNDS + 1)] for s in range(2)]
        for s in range(2):
            m.d.comb += [rk[s][r].eq(Cat(*reversed(words[s][4 * r:4 * r + 4]))) for r in range(ROUNDS + 1)]
        return rk

    # ------------------------------------------------------------------------------------------ tables
    def _table(self, m, name):
        if self.table == "ttable":
            mem = Memory(shape=32, depth=256, init=ttable(), attrs=self._mem_attrs())
        else:
            mem = Memory(shape=8, depth=256, init=sbox_table(), attrs=self._mem_attrs())
        m.submodules[name] = mem
        return mem

    def _mem_attrs(self):
        return {"rom_style": "logic" if self.sbox_style == "logic" else "block"}   # Yosys memory_libmap

    # ------------------------------------------------------------------------------------------ datapath
    def elaborate(self, platform):
        m = Module()
        rk = self._key_schedule(m)
        tw = max(self.tag_width, 1)
        side = data.StructLayout({"valid": 1, "slot": 1, "second": 1, "tag": tw})

        # output FIFO with credits: a request is accepted only if its result has a reserved place. The results wait
        # in a block RAM (read port registered, address straight from a pointer register) and are moved into a
        # two-entry register buffer whose enables come from registered state only (``rd_v``, ``wp``), so the
        # consumer's ``ready`` (often a deep compare on the head) moves a read pointer and a count, not the enables
        # of 130 output registers. Timing history (the aes256 core's critical paths): that enable net routed at 4.6
        # ns to a far consumer; then the FIFO level → enables net at 6.7 ns; then, with the FIFO in LUT RAM, its
        # read address to 66 RAM cells and the read data into the buffer at 6.4 to 6.9 ns
        width = 128 + tw
        mem_depth = self.fifo_depth - 2                   # + the two buffer entries = the credits
        ostore = Memory(shape=width, depth=mem_depth, init=[], attrs={"ram_style": "block"})
        m.submodules.ostore = ostore
        o_w, o_r = ostore.write_port(), ostore.read_port(domain="sync")
        wptr, rptr = Signal(range(mem_depth)), Signal(range(mem_depth))
        level = Signal(range(mem_depth + 1))              # results in the block RAM, not yet read out
        rd_v = Signal()                                   # a read was issued last cycle: its result is on o_r.data
        buf = [Signal(width, name=f"obuf{k}", reset_less=True) for k in range(2)]
        count, wp, rp = Signal(range(3)), Signal(), Signal()
        popped = self.out.valid & self.out.ready
        # a read is issued when its result will find a free entry next cycle (counting this cycle's pop)
        issue = (level != 0) & (count + rd_v - popped < 2)
        done = Signal()                                   # a result leaves the ring (driven below)
        m.d.comb += [o_w.addr.eq(wptr), o_r.addr.eq(rptr), o_r.en.eq(1)]
        with m.If(done):
            m.d.sync += wptr.eq(Mux(wptr == mem_depth - 1, 0, wptr + 1))
        with m.If(issue):
            m.d.sync += rptr.eq(Mux(rptr == mem_depth - 1, 0, rptr + 1))
        m.d.sync += [level.eq(level + done - issue), rd_v.eq(issue)]
        with m.If(rd_v):
            m.d.sync += wp.eq(~wp)
        for k in range(2):
            with m.If(rd_v & (wp == k)):
                m.d.sync += buf[k].eq(o_r.data)
        with m.If(popped):
            m.d.sync += rp.eq(~rp)
        m.d.sync += count.eq(count + rd_v - popped)
        m.d.comb += [self.out.valid.eq(count != 0), self.out.payload.eq(Mux(rp, buf[1], buf[0]))]
        credits = Signal(range(self.fifo_depth + 1))

        # pre-whitening register (AddRoundKey with round key 0)
        st_in, sd_in = Signal(128, reset_less=True), Signal(side)
        accept = Signal()
        m.d.sync += [st_in.eq(self.req.payload.block ^ Mux(self.req.payload.slot, rk[1][0], rk[0][0])),
                     sd_in.valid.eq(accept), sd_in.slot.eq(self.req.payload.slot),
                     sd_in.second.eq(0), sd_in.tag.eq(self.req.payload.tag)]
        # a credit comes back the cycle after its pop (timing: the consumer's ``ready`` into this adder was the
        # integrated RX's critical path, 7.25 ns, through the consumer's head compares)
        popped_r = Signal()
        m.d.sync += [popped_r.eq(popped), credits.eq(credits + accept - popped_r)]

        prev_st, prev_sd = st_in, sd_in
        self._sides = []
        ring_busy_next = Const(0)
        outs = []
        for u in range(self.units):
            st_b, sd_b, sd_a = self._round_unit(m, u, prev_st, prev_sd, rk, side)
            outs.append((st_b, sd_b, sd_a))
            prev_st, prev_sd = st_b, sd_b
        last_st, last_sd, last_sd_a = outs[-1]

        if self.passes == 2:
            # the ring's entry: a block on its first pass leaving unit 6 goes back into unit 0
            ring_busy_next = last_sd.valid & ~last_sd.second            # recirculates next cycle (ring_rec)
        m.d.comb += accept.eq(self.req.valid & self.req.ready)
        m.d.comb += self.req.ready.eq((credits < self.fifo_depth) & ~ring_busy_next)

        # a slot is in use by the blocks in the ring (registered for timing: the OR over 30 stages; a superset of
        # the blocks there now, because the block accepted in the previous cycle is counted too)
        sides = [sd_in] + self._sides + [sd_b for _, sd_b, _ in outs]
        for slot in range(2):
            m.d.sync += self._slot_in_use[slot].eq(Cat(*(sd.valid & (sd.slot == slot) for sd in sides),
                                                       accept & (self.req.payload.slot == slot)).any())
        m.d.comb += [done.eq(last_sd.valid & (last_sd.second if self.passes == 2 else 1)),
                     o_w.en.eq(done), o_w.data.eq(Cat(last_st, last_sd.tag))]
        return m

    def _round_unit(self, m, u, st, sd, rk, side):
        """Round unit u: rounds u+1 (first pass) and u+8 (second pass, ``units=7``). Returns its stage-B state and
        side-band and its stage-A side-band."""
        if self.passes == 2 and u == 0:
            # unit 0 also takes the recirculated blocks; the last unit drives this mux (below)
            st_mux, sd_mux = Signal(128, name="ring_st"), Signal(side, name="ring_sd")
            self._ring_entry = (st_mux, sd_mux, st, sd)
            st, sd = st_mux, sd_mux
        # stage A: table look-ups in ShiftRows order (FIPS 197 §5.1.2: s'[r][c] = s[r][(c + r) mod 4])
        looked = [[None] * 4 for _ in range(4)]          # looked[r][c] for output column c, row term r
        mems = [self._table(m, f"u{u}_t{k}") for k in range(8)]
        for c in range(4):
            for r in range(4):
                n = 4 * c + r
                port = mems[n // 2].read_port(domain="sync")
                m.d.comb += port.addr.eq(_byte(st, r + 4 * ((c + r) % 4)))
                looked[r][c] = port.data
        sd_a = Signal(side, name=f"u{u}_sda")
        rk_a = Signal(128, name=f"u{u}_rk", reset_less=True)
        m.d.sync += sd_a.eq(sd)
        self._sides.append(sd_a)
        sel_src = Cat(sd.second, sd.slot) if self.passes == 2 else sd.slot
        sel_copies = [sel_src] * RK_SEL_COPIES      # without lookup_reg the round key is chosen from stage A's side
        if self.lookup_reg:
            # the round-key select registered in RK_SEL_COPIES copies, each driving 16 of the 128 multiplexers (one
            # select net to all of them routed at 6.8 ns on the ECP5; four copies still routed at 4.5 to 5.6 ns on
            # every seed, the copies' registers far from the round-key bits). ``_dup``: the FPGA flow keeps copies
            # with the same reset value apart (fpga/flow.py ``DUP_KEEP``)
            sel_copies = _select_copies(m, sel_src, RK_SEL_COPIES, f"u{u}_rksel_dup")
            # a register after each look-up (the DP16KD output register): the round key is chosen a cycle later
            for c in range(4):
                for r in range(4):
                    q = Signal(len(looked[r][c]), name=f"u{u}_q{r}{c}", reset_less=True)
                    m.d.sync += q.eq(looked[r][c])
                    looked[r][c] = q
            sd = sd_a
            sd_a = Signal(side, name=f"u{u}_sdq")
            m.d.sync += sd_a.eq(sd)
            self._sides.append(sd_a)
        rounds = [u + 1 + self.units * p for p in range(self.passes)]
        part = 128 // RK_SEL_COPIES
        for k, sel in enumerate(sel_copies):
            with m.Switch(sel):
                for s in range(2):
                    for p, r in enumerate(rounds):
                        with m.Case(s * self.passes + p):
                            m.d.sync += rk_a[k * part:(k + 1) * part].eq(rk[s][r][k * part:(k + 1) * part])

        # stage B: MixColumns (not in round 14) and AddRoundKey
        final_possible = rounds[-1] == ROUNDS
        mixed_cols, plain_cols = [], []
        for c in range(4):
            if self.table == "ttable":
                words = [looked[r][c] for r in range(4)]
                mixed = _rotl8(words[0], 0) ^ _rotl8(words[1], 1) ^ _rotl8(words[2], 2) ^ _rotl8(words[3], 3)
                mixed_cols.append([mixed[8 * r:8 * r + 8] for r in range(4)])
                plain_cols.append([words[r][8:16] for r in range(4)])       # row 1 of T0 is S itself
            else:
                sub = [looked[r][c] for r in range(4)]
                mixed_cols.append(_mix_column(sub))
                plain_cols.append(sub)
        mixed_blk, plain_blk = Signal(128, name=f"u{u}_mixed"), Signal(128, name=f"u{u}_plain")
        m.d.comb += [mixed_blk.eq(_block([mixed_cols[n // 4][n % 4] for n in range(16)])),
                     plain_blk.eq(_block([plain_cols[n // 4][n % 4] for n in range(16)]))]
        st_b, sd_b = Signal(128, name=f"u{u}_st", reset_less=True), Signal(side, name=f"u{u}_sdb")
        if final_possible:
            final = sd_a.second if self.passes == 2 else Const(1)
            res = Mux(final, plain_blk, mixed_blk)
        else:
            res = mixed_blk
        m.d.sync += [st_b.eq(res ^ rk_a), sd_b.eq(sd_a)]
        if self.passes == 2 and u == self.units - 1:
            # the way back to unit 0 has a register of its own (the ring closes across the die: unit 6's output
            # through the entry multiplexer into unit 0's block RAM addresses routed at 7.9 ns), and the entry
            # multiplexer's select is a register too, in two copies for the data halves (backs[0]: reset value 0,
            # also the control select)
            st_mux, sd_mux, st0, sd0 = self._ring_entry
            st_rec, sd_rec = Signal(128, name="ring_rec_st", reset_less=True), Signal(side, name="ring_rec_sd")
            m.d.sync += [st_rec.eq(st_b), sd_rec.eq(sd_b)]
            backs = _select_copies(m, sd_b.valid & ~sd_b.second, 2, "ring_back")
            self._sides.append(sd_rec)
            half = 64
            m.d.comb += [st_mux[:half].eq(Mux(backs[0], st_rec[:half], st0[:half])),
                         st_mux[half:].eq(Mux(backs[1], st_rec[half:], st0[half:])),
                         sd_mux.eq(Mux(backs[0], sd_rec, sd0)), sd_mux.second.eq(backs[0])]
        return st_b, sd_b, sd_a
