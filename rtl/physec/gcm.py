"""AES-256-GCM in RTL: the AES core (:mod:`.aes`) and GHASH (:mod:`.ghash`) composed into GCM-AE / GCM-AD for
96-bit IVs (NIST SP 800-38D §7.1, §7.2; physec.md §7).

Per message (``cmd``): ``J0 = IV ‖ 0^31 ‖ 1``; the CTR keystream is ``E_K(inc32^i(J0))``, i = 1.. (§6.5); ``H =
E_K(0^128)`` is computed by the AES core when a key is installed, per slot (§6.4; physec.md §7 "Key slots");
``S = GHASH_H(A ‖ 0^v ‖ C ‖ 0^u ‖ [len A]64 ‖ [len C]64)`` and ``T = E_K(J0) XOR S``.

Ports
-----
* key install: ``key`` (256), ``key_slot``, ``key_valid`` / ``key_ready``; ``slot_ready`` (2) rises when the slot's
  round keys and H are ready. Installing into one slot while messages use the other does not disturb them.
* ``cmd`` stream: {slot, iv 96, aad_len, text_len (octets), decrypt, tag 128 (the tag to check when decrypting)}.
* ``i`` stream {data 128}: the message's AAD blocks then its text blocks (octet 0 in the top bits; a final partial
  block is left-aligned, the rest of it is ignored).
* ``o`` stream {data 128}: one block per text block: ciphertext (encrypt) or plaintext (decrypt), octets past the end
  zero.
* ``tag`` stream {tag 128, match 1}: the computed tag of each message, and whether it equals ``cmd.tag`` in the
  octets ``tag_octets`` (16 for the full tag) -- a decryption is rejected when ``match`` is 0.

The AES requests of a message (J0, then the counter blocks) are issued as soon as its command is taken, so the
keystream is computed ahead of the text (the ring's latency is hidden behind the AAD) and waits in the
AES core's output FIFO; the XOR on the text is one combinational stage into the output register.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .aes import Aes256
from .ghash import Ghash

__all__ = ["cmd_layout", "DATA_LAYOUT", "TAG_LAYOUT", "Gcm"]

TAG_KS, TAG_J0, TAG_H = 0, 1, 2      # what an AES result is (AES tag bits 1:0; bit 2 = slot)
DATA_LAYOUT = data.StructLayout({"data": 128})
TAG_LAYOUT = data.StructLayout({"tag": 128, "match": 1})


def cmd_layout(len_width):
    """Payload of ``cmd`` (lengths in octets, ``tag_octets`` of ``tag`` compared, 16 = the full tag)."""
    return data.StructLayout({"slot": 1, "iv": 96, "aad_len": len_width, "text_len": len_width, "decrypt": 1,
                              "tag": 128, "tag_octets": 5})


class Gcm(wiring.Component):
    """AES-256-GCM engine (see the module docstring). Parameters: ``aes_units`` (7 or 14), ``aes_table``,
    ``aes_sbox_style``, ``aes_lookup_reg``, ``len_width`` (bits of the octet lengths)."""

    def __init__(self, *, aes_units=7, aes_table="sbox", aes_sbox_style="ebr", aes_lookup_reg=True, len_width=16):
        if not 5 <= len_width <= 28:
            raise ValueError(f"len_width must be 5..28, not {len_width!r}")
        self.aes = Aes256(units=aes_units, table=aes_table, sbox_style=aes_sbox_style, lookup_reg=aes_lookup_reg,
                          tag_width=3)
        self.ghash = Ghash()
        self.len_width = len_width
        self.params = {"aes_units": aes_units, "aes_table": aes_table, "aes_sbox_style": aes_sbox_style,
                       "aes_lookup_reg": bool(aes_lookup_reg), "len_width": len_width}
        super().__init__({
            "key": In(256), "key_slot": In(1), "key_valid": In(1), "key_ready": Out(1), "slot_ready": Out(2),
            "cmd": In(stream.Signature(cmd_layout(len_width))),
            "i": In(stream.Signature(DATA_LAYOUT)),
            "o": Out(stream.Signature(DATA_LAYOUT)),
            "tag": Out(stream.Signature(TAG_LAYOUT)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.aes = aes = self.aes
        m.submodules.ghash = gh = self.ghash
        lw = self.len_width

        # ---------------------------------------------------------------- key install and H per slot
        h = [Signal(128, name=f"h{s}") for s in range(2)]
        h_ok = Signal(2)
        h_pending = Signal(2)
        slot_was = Signal(2)
        m.d.comb += [aes.key.eq(self.key), aes.key_slot.eq(self.key_slot), aes.key_valid.eq(self.key_valid),
                     self.key_ready.eq(aes.key_ready)]
        # a slot is ready when its H is in and GHASH has derived its keys from it (Ghash h_load / h_ready)
        h_new = Signal(2)
        ready = Signal(2)
        m.d.sync += h_new.eq(0)
        m.d.comb += [ready.eq(h_ok & gh.h_ready), self.slot_ready.eq(ready), gh.h.eq(Cat(h[0], h[1])),
                     gh.h_load.eq(h_new)]
        m.d.sync += slot_was.eq(aes.slot_valid)
        with m.If(self.key_valid & aes.key_ready):
            m.d.sync += h_ok.bit_select(self.key_slot, 1).eq(0)
        rise = aes.slot_valid & ~slot_was

        # ---------------------------------------------------------------- message command
        cur = Signal(self.cmd.payload.shape())
        active = Signal()                 # a command is taken and its message not finished
        req_left = Signal(lw - 3)         # AES requests still to issue (J0 + text blocks)
        ctr = Signal(32)

        def blocks(octets):
            return (octets + 15) >> 4

        # ---------------------------------------------------------------- AES requests: H first, then the message
        issue_h = Signal()
        h_slot = Signal()
        m.d.comb += [issue_h.eq(h_pending.any()), h_slot.eq(~h_pending[0])]
        with m.If(issue_h):
            m.d.comb += [aes.req.valid.eq(1), aes.req.payload.block.eq(0), aes.req.payload.slot.eq(h_slot),
                         aes.req.payload.tag.eq(Cat(Const(TAG_H, 2), h_slot))]
        with m.Elif(active & (req_left != 0)):
            m.d.comb += [aes.req.valid.eq(1), aes.req.payload.block.eq(Cat(ctr, cur.iv)),
                         aes.req.payload.slot.eq(cur.slot),
                         aes.req.payload.tag.eq(Cat(Mux(ctr == 1, TAG_J0, TAG_KS), Const(0, 1), cur.slot))]
        req_taken = aes.req.valid & aes.req.ready
        with m.If(req_taken & ~issue_h):
            m.d.sync += [req_left.eq(req_left - 1), ctr.eq(ctr + 1)]
        pending_next = h_pending | rise
        with m.If(req_taken & issue_h):
            m.d.sync += h_pending.eq(pending_next & ~Mux(h_slot, 0b10, 0b01))
        with m.Else():
            m.d.sync += h_pending.eq(pending_next)

        # ---------------------------------------------------------------- AES results
        head_kind = aes.out.payload.tag[:2]
        head_slot = aes.out.payload.tag[2]
        ks = aes.out.payload.block
        take_ks = Signal()
        take_j0 = Signal()
        with m.If(aes.out.valid & (head_kind == TAG_H)):
            m.d.comb += aes.out.ready.eq(1)
            for s in range(2):
                with m.If(head_slot == s):
                    m.d.sync += h[s].eq(ks)
            m.d.sync += [h_ok.bit_select(head_slot, 1).eq(1), h_new.bit_select(head_slot, 1).eq(1)]
        with m.Else():
            m.d.comb += aes.out.ready.eq(take_ks | take_j0)

        # ---------------------------------------------------------------- the message itself
        ekj0 = Signal(128)
        aad_left = Signal(lw)             # octets of AAD still to come
        text_left = Signal(lw)
        out_valid = Signal()
        m.d.comb += [self.o.valid.eq(out_valid)]

        def mask(left):
            """Octet enables (octet 0 = top bits) of a block with ``left`` octets remaining."""
            return Cat(*reversed([Mux(left > n, Const(0xFF, 8), Const(0, 8)) for n in range(16)]))

        length_block = Cat(Const(0, 3), cur.text_len, Const(0, 61 - lw), Const(0, 3), cur.aad_len,
                           Const(0, 61 - lw))
        with m.If(self.o.ready):
            m.d.sync += out_valid.eq(0)
        with m.If(self.tag.ready):
            m.d.sync += self.tag.valid.eq(0)

        with m.FSM():
            with m.State("IDLE"):
                m.d.comb += self.cmd.ready.eq(ready.bit_select(self.cmd.payload.slot, 1))
                with m.If(self.cmd.valid & self.cmd.ready):
                    p = self.cmd.payload
                    m.d.sync += [cur.eq(p), active.eq(1), ctr.eq(1), req_left.eq(blocks(p.text_len) + 1),
                                 aad_left.eq(p.aad_len), text_left.eq(p.text_len)]
                    m.next = "J0"
            with m.State("J0"):
                m.d.comb += take_j0.eq(aes.out.valid & (head_kind == TAG_J0))
                with m.If(take_j0):
                    m.d.sync += ekj0.eq(ks)
                    m.next = "AAD"
            with m.State("AAD"):
                with m.If(aad_left == 0):
                    m.next = "TEXT"
                with m.Else():
                    m.d.comb += [gh.i.valid.eq(self.i.valid),
                                 gh.i.payload.block.eq(self.i.payload.data & mask(aad_left)),
                                 gh.i.payload.slot.eq(cur.slot),
                                 self.i.ready.eq(gh.i.ready)]
                    with m.If(self.i.valid & gh.i.ready):
                        m.d.sync += aad_left.eq(Mux(aad_left > 16, aad_left - 16, 0))
            with m.State("TEXT"):
                with m.If(text_left == 0):
                    m.next = "LEN"
                with m.Else():
                    ks_here = aes.out.valid & (head_kind == TAG_KS)
                    out_free = ~out_valid | self.o.ready
                    go = self.i.valid & ks_here & gh.i.ready & out_free
                    msk = mask(text_left)
                    res = (self.i.payload.data ^ ks) & msk
                    cipher = Mux(cur.decrypt, self.i.payload.data & msk, res)
                    m.d.comb += [take_ks.eq(go), self.i.ready.eq(go),
                                 gh.i.valid.eq(self.i.valid & ks_here & out_free), gh.i.payload.block.eq(cipher),
                                 gh.i.payload.slot.eq(cur.slot)]
                    with m.If(go):
                        m.d.sync += [out_valid.eq(1), self.o.payload.data.eq(res),
                                     text_left.eq(Mux(text_left > 16, text_left - 16, 0))]
            with m.State("LEN"):
                m.d.comb += [gh.i.valid.eq(1), gh.i.payload.block.eq(length_block), gh.i.payload.last.eq(1),
                             gh.i.payload.slot.eq(cur.slot)]
                with m.If(gh.i.ready):
                    m.next = "TAG"
            with m.State("TAG"):
                t = gh.o.payload.s ^ ekj0
                tag_mask = Cat(*reversed([Mux(cur.tag_octets > n, Const(0xFF, 8), Const(0, 8)) for n in range(16)]))
                free = ~self.tag.valid | self.tag.ready
                m.d.comb += gh.o.ready.eq(free)
                with m.If(gh.o.valid & free):
                    m.d.sync += [self.tag.valid.eq(1), self.tag.payload.tag.eq(t),
                                 self.tag.payload.match.eq(((t ^ cur.tag) & tag_mask) == 0), active.eq(0)]
                    m.next = "IDLE"
        return m
