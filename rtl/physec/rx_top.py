"""PHYSec receiver, MODE 00 data path, line domain (physec.md §4–§8): line words in, 257b client blocks out.

```
line words ─► RxAlign (AM search, HUNT/PRESYNC/SYNC, realign) ─► RxFrame (PRBS31, [keystream XOR], overhead checks,
             64→257 gearbox) ─► RxGmp (Cm from the previous JC, /E/ rules) ─► blocks {block 257, e}
```

Interface provided to the integrator (everything in the ``line`` domain, 161.1328125 MHz; exported ``line_clk`` /
``line_rst``, synchronous active-high reset):

* ``line`` (in): 64-bit line words, bit i = the line bit received i-th; ``valid`` may drop; there is no ``ready``
  (the receiver never stalls the line).
* ``blocks`` (out, no ``ready``): ``block`` (bit i = x<i>) and ``e`` (an /E/ block: Cm unknown or frame not
  delivered; ``block`` then holds four /E/ control blocks). At most one block every 4 cycles (996..1016 blocks per
  4112-word frame). The integrator's client FIFO (to 156.25 MHz), the 257b → 66b → XGMII decoder and the Local
  Fault ordered sets while ``sync`` is low belong to the client side.
* ``oh`` (out, one pulse per frame at word 9): the received AAD (O0..O13), TAG, FC / MODE / AN used, OHCRC16 status;
  ``oh_presync`` marks the PRESYNC frame's overhead. The decryption engine plugs in at ``RxFrame.keystream`` (see
  ``rx_frame.py``; this MODE 00 top ties it to zero).
* ``kcc`` (out, one pulse per frame processed in SYNC, the cycle after word 9): the frame's 32 KCC octets O32..O63
  (element k = O(32 + k)), as received; not for the PRESYNC frame.
* status: ``sync`` (in SYNC; RDI for this node's transmitter is ``~sync``), ``state``, ``lof`` (one-cycle pulse),
  ``cm`` / ``cm_known`` (Cm of the next frame);
  counters (32 bits, wrap): ``frames_rx`` (SYNC frames processed), ``locks``, ``lof_count``, ``am_miss``,
  ``am_bit_err`` (differing AM bits in accepted SYNC AMs), ``oh_crc_err``, ``jc_err``, ``replay``, ``fc_jump``,
  ``bad_mode``, ``policy_drop``, ``crypt_drop`` (MODE 01/10 frames, until the security engine exists), ``blocks``
  (data blocks delivered), ``e_blocks``. The register map comes later.
* ``require_encryption`` (in): RX_REQUIRE_ENCRYPTION (§7); 0 for a key file in mode "clear".

Latency (line word holding a slot's last bit → its block on ``blocks``): see ``docs/physec.md`` (measured by the
cocotb bench).
"""

from amaranth import Module, Signal
from amaranth.hdl import DomainRenamer
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .layouts import LINE_WORD
from .rx_align import RxAlign
from .rx_frame import KCC_OCTETS, OH_INFO, RxFrame
from .rx_gmp import RX_BLOCK, RxGmp
from .rx_sec import RxSec, connect_rx_sec
from .sec_common import KEY_PORT, forward_key_port

__all__ = ["RxTop", "COUNTERS", "SEC_COUNTERS"]

COUNTERS = ("frames_rx", "locks", "lof_count", "am_miss", "am_bit_err", "oh_crc_err", "jc_err", "replay", "fc_jump",
            "bad_mode", "policy_drop", "crypt_drop", "blocks", "e_blocks")
#: the security build's counters (physec.md §7, §9): ``crypt_drop`` then counts MODE 01 / 10 frames not decrypted
#: (``unknown_an`` + ``ks_miss``)
SEC_COUNTERS = ("tag_ok", "tag_fail", "unknown_an", "ks_miss", "ks_underrun")


class RxTop(wiring.Component):
    """The PHYSec RX (see the module docstring). Parameters: ``counter_width`` (default 32); ``security`` (the RX
    security engine :class:`~.rx_sec.RxSec` built in: key slot ports ``key`` / ``key_slot`` / ``key_an`` /
    ``key_salt`` / ``key_ssci`` / ``key_valid`` / ``key_ready``, ``slot_valid``, the counters of
    :data:`SEC_COUNTERS`, ``tag_fail_pulse`` (RIF for this node's transmitter) and ``tag_late``) with the AES core's
    ``aes_units`` / ``aes_lookup_reg``."""

    def __init__(self, *, counter_width=32, security=False, aes_units=7, aes_lookup_reg=True):
        self.counter_width = counter_width
        self.security = security
        self.aes = {"aes_units": aes_units, "aes_lookup_reg": aes_lookup_reg}
        self.params = {"counter_width": counter_width}
        if security:
            self.params.update(security=True, **self.aes)
        members = {
            "line": In(stream.Signature(LINE_WORD, always_ready=True)),
            "blocks": Out(stream.Signature(RX_BLOCK, always_ready=True)),
            "oh": Out(stream.Signature(OH_INFO, always_ready=True)),
            "kcc": Out(stream.Signature(KCC_OCTETS, always_ready=True)),
            "require_encryption": In(1),
            "sync": Out(1), "state": Out(2), "lof": Out(1), "cm": Out(11), "cm_known": Out(1),
        }
        self.counters = COUNTERS + (SEC_COUNTERS if security else ())
        members.update({f"cnt_{n}": Out(counter_width) for n in self.counters})
        if security:
            members.update({**KEY_PORT, "tag_fail_pulse": Out(1), "tag_late": Out(1)})
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        line = DomainRenamer({"sync": "line"})
        m.submodules.align = align = line(RxAlign())
        m.submodules.frame = frame = line(RxFrame(security=self.security))
        m.submodules.gmp = gmp = line(RxGmp())
        m.d.comb += [align.i.valid.eq(self.line.valid), align.i.payload.eq(self.line.payload)]
        wiring.connect(m, align.o, frame.i)
        wiring.connect(m, frame.dec, gmp.dec)
        wiring.connect(m, frame.slot, gmp.slot)
        wiring.connect(m, gmp.o, wiring.flipped(self.blocks))
        wiring.connect(m, frame.oh, wiring.flipped(self.oh))
        wiring.connect(m, frame.kcc, wiring.flipped(self.kcc))
        if self.security:
            m.submodules.sec = sec = line(RxSec(**self.aes))
            connect_rx_sec(m, frame, sec)
            m.d.comb += [*forward_key_port(self, sec), self.tag_fail_pulse.eq(sec.tag_fail),
                         self.tag_late.eq(sec.tag_late)]
        else:
            m.d.comb += frame.keystream.eq(0)
        m.d.comb += [frame.blind.eq(align.blind),
                     frame.require_encryption.eq(self.require_encryption),
                     self.sync.eq(align.state == 2), self.state.eq(align.state), self.lof.eq(align.lof),
                     self.cm.eq(gmp.cm), self.cm_known.eq(gmp.cm_known)]
        incs = {"frames_rx": frame.frame, "locks": align.locked, "lof_count": align.lof, "am_miss": align.am_miss,
                "am_bit_err": align.am_ok_err & align.am_ok.replicate(2), "oh_crc_err": frame.oh_crc_err,
                "jc_err": gmp.jc_err, "replay": frame.replay, "fc_jump": frame.fc_jump, "bad_mode": frame.bad_mode,
                "policy_drop": gmp.policy_drop, "crypt_drop": frame.crypt_drop,
                "blocks": gmp.o.valid & ~gmp.o.payload.e, "e_blocks": gmp.o.valid & gmp.o.payload.e}
        if self.security:
            incs.update({n: getattr(sec, n) for n in SEC_COUNTERS})
        for name in self.counters:
            cnt = getattr(self, f"cnt_{name}")
            reg = Signal(self.counter_width, name=f"r_{name}")
            m.d.line += reg.eq(reg + incs[name])
            m.d.comb += cnt.eq(reg)
        return m
