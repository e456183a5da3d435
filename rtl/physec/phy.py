"""The PHYSec PHY: transmitter and receiver with their client sides and the register block (physec.md §1, §9).
Exported as ``din_physec_phy``; this is the core an integrator drops between a 10G MAC (XGMII) and a SerDes.

```
TX  xgmii_txd/txc (sync) ─► Encoder66 ─► Transcoder257 ─► [gate: running, no CFG_ERR] ─► PhysecTx: client FIFO ─► GMP /
    frame / PRBS31 (line) ─► m_line
RX  s_line (rx_line) ─► RxTop: AM search, lock, overhead checks, GMP demap ─► RxClient: FIFO ─► 257b → 4 × 66b ─►
    Decoder66 (rx_client) ─► xgmii_rxd/rxc (Local Fault while not in SYNC)
    s_axil (sync) ─► AXI4-Lite registers (phy_regs.py); configuration and status cross domains by handshake
```

Clock domains (exported ``clk``/``rst`` and ``<domain>_clk``/``<domain>_rst``, synchronous active-high resets; reset
all four together):

* ``sync``: the TX client clock, 156.25 MHz (the MAC's clock) and the register block;
* ``line``: the TX line clock, 161.1328125 MHz;
* ``rx_line``: the clock of the received line words (the SerDes' recovered clock; the same nominal rate);
* ``rx_client``: the RX client clock. The receiver returns the exact client bit stream (no idle insertion or
  deletion), so this clock must run at the far-end client's rate: the client clock recovered from GMP (Cm and
  ``RX_FIFO`` level steer the recovery PLL) or, in a loopback, the TX client clock (see :mod:`.rx_client`).

Ports: ``xgmii_txd`` / ``xgmii_txc`` (XGMII in, 64-bit SDR at ``clk``, lane 0 in bits 7:0, one word every cycle: a
PCS cannot stall its MAC), ``m_line`` (64-bit line words, bit i sent i-th, every ``line_clk`` cycle from frame 0 on;
``tready`` ignored), ``s_line`` (received line words, ``tvalid`` may drop, no ``tready``), ``xgmii_rxd`` / ``xgmii_rxc`` (XGMII
out at ``rx_client_clk``, a word every cycle), ``s_kcc`` (KCC octets into O32..O63 of transmitted frames, ``line`` domain:
up to 32 per frame, zero-filled), ``m_kcc`` (the 32 KCC octets of every frame received in SYNC, O32 first, ``tlast`` on
O63, ``rx_line`` domain; ``KCC_FIFO_FRAMES`` frames are buffered, a frame arriving with the buffer full is dropped
whole and counted in KCC_DROP), ``s_axil`` (AXI4-Lite, ``sync``).

``security=False`` (top ``physec_phy``): MODE 00 only, see :mod:`.phy_regs` for the fail-closed result of asking for
more. ``security=True`` (top ``physec_phy_sec``): the TX and RX security engines (AES-256-GCM,
docs/physec-security.md) with the register map :data:`~.phy_regs.PHYSEC_SEC_REGMAP`: key slots written through
KEY / KEY_SALT / KEY_SSCI / KEY_CTRL (write-only, installed into the TX and / or RX engine by a handshake across the
clock domains), MODE 10 / 01, REQUIRE_ENCRYPTION (reset 1: without a key nothing but stuff leaves), FC_LIMIT,
REKEY_WARN, the key switch (SW_AT, SWITCH), RIF sent for one frame after each received tag failure, and the engines'
counters.
"""

from amaranth import Cat, Module, Signal
from amaranth.hdl import DomainRenamer
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from din.rtl.common.axil import AXI4LiteSignature
from din.rtl.common.axil_regs import AXI4LiteRegisters
from din.rtl.common.cdc import BusSynchronizer
from din.rtl.common.layouts import PacketStream

from .layouts import LINE_WORD
from .pcs import Encoder66
from .phy_regs import (CLIENT_COUNTERS, EVENTS, PHYSEC_REGMAP, PHYSEC_SEC_REGMAP, RX_COUNTERS, SEC_EVENTS,
                       SEC_RX_COUNTERS, SEC_TX_COUNTERS, TX_COUNTERS)
from .rx_client import RxClient
from .rx_top import RxTop
from .transcode import Transcoder257
from .tx_top import PhysecTx

__all__ = ["PhysecPhy", "DOMAINS"]

DOMAINS = ("sync", "line", "rx_line", "rx_client")
FRAME_WORDS = 4112
#: Client blocks enter the TX FIFO from this many line words before frame 1 on (decision, docs/physec.md "The PHY
#: core"). Frame 0 carries Cm = 0 and Cm(1) = 1016 is announced before any block can have arrived; with the client
#: writing from frame 0 on (the golden model's default start) about 997 blocks pile up and the controller then
#: carries 1016 per frame for about 50 frames (1.3 ms of up to 25 µs latency, and a 1.9 % surplus the far end's
#: client side must absorb). Opening the gate 128 words (about 31 blocks) before frame 1 leaves frame 1 enough
#: blocks for its 1016 slots (it needs 1016 − 997 = 19 more than arrive during it) and the controller reaches its
#: target in two frames. Nothing deliverable is lost: the far end locks at frame 1's AM at the earliest, and frame 0
#: carries no client data anyway. Blocks before the gate opens are counted in TX_BLOCKED.
CLIENT_LEAD = 128
#: received frames whose KCC octets wait for ``m_kcc`` (a frame every 4112 rx_line cycles, 32 beats each)
KCC_FIFO_FRAMES = 4


class PhysecPhy(wiring.Component):
    """TX + RX + registers (module docstring). Keyword-only parameters: ``tx_fifo_depth`` (TX client FIFO blocks,
    power of 2 ≥ 1024), ``target`` (Cm controller FIFO target, blocks), ``sample_lead`` (words),
    ``rx_fifo_depth`` (RX client FIFO blocks), ``rx_start_level`` (blocks before the RX client side starts),
    ``rx_keep_level`` (the lowest RX FIFO level per window that idle-group deletion converges to; :mod:`.rx_client`)."""

    def __init__(self, *, tx_fifo_depth=1024, target=8, sample_lead=32, rx_fifo_depth=2048, rx_start_level=16,
                 rx_keep_level=6, security=False, aes_units=7, aes_lookup_reg=True):
        self.security = bool(security)
        self.params = {"tx_fifo_depth": tx_fifo_depth, "target": target, "sample_lead": sample_lead,
                       "rx_fifo_depth": rx_fifo_depth, "rx_start_level": rx_start_level,
                       "rx_keep_level": rx_keep_level}
        aes = {"aes_units": aes_units, "aes_lookup_reg": aes_lookup_reg}
        if self.security:
            self.params.update(security=True, **aes)
            self._tx = PhysecTx(fifo_depth=tx_fifo_depth, target=target, sample_lead=sample_lead, security=True,
                                **aes)
            self._rx = RxTop(counter_width=32, security=True, **aes)
        else:
            self._tx = PhysecTx(fifo_depth=tx_fifo_depth, target=target, sample_lead=sample_lead)
            self._rx = RxTop(counter_width=32)
        self._rxc = RxClient(depth=rx_fifo_depth, start_level=rx_start_level, keep_level=rx_keep_level)
        regmap = PHYSEC_SEC_REGMAP if self.security else PHYSEC_REGMAP
        self._regs = AXI4LiteRegisters(regmap)
        super().__init__({
            "xgmii_txd": In(64), "xgmii_txc": In(8),
            "m_line": Out(stream.Signature(LINE_WORD)),
            "s_line": In(stream.Signature(LINE_WORD, always_ready=True)),
            "xgmii_rxd": Out(64), "xgmii_rxc": Out(8),
            "s_kcc": In(stream.Signature(8)),
            "m_kcc": Out(PacketStream(data_width=8, user_width=0)),
            "s_axil": In(AXI4LiteSignature(addr_width=regmap.addr_width, data_width=32)),
        })

    @staticmethod
    def _bus(m, name, value, i_domain, o_domain="sync"):
        """``value`` (in ``i_domain``) as seen in ``o_domain``, through a handshake synchroniser."""
        bs = BusSynchronizer(len(value), i_domain=i_domain, o_domain=o_domain)
        m.submodules[f"cdc_{name}"] = bs
        m.d.comb += bs.i.eq(value)
        return bs.o

    @staticmethod
    def _bit(m, name, value, o_domain):
        out = Signal(name=f"{name}_{o_domain}")
        m.submodules[f"ff_{name}"] = FFSynchronizer(value, out, o_domain=o_domain)
        return out

    def elaborate(self, platform):
        m = Module()
        m.submodules.regs = regs = self._regs
        wiring.connect(m, wiring.flipped(self.s_axil), regs.s_axil)
        m.submodules.tx = tx = self._tx
        m.submodules.rx = rx = DomainRenamer({"line": "rx_line"})(self._rx)
        m.submodules.rx_client = rxc = DomainRenamer({"line": "rx_line", "sync": "rx_client"})(self._rxc)

        # ------------------------------------------------------------------ configuration (sync -> line, rx_line)
        ctrl = regs.ctrl
        cfg_err = Signal()
        blocked = Signal()                               # sticky until reset (phy_regs.py)
        if self.security:
            sec_status = self._security(m, regs, tx, rx)
            cfg_err, en_line, fc_line = sec_status["cfg_err"], sec_status["en_line"], sec_status["fc_line"]
        else:
            m.d.comb += cfg_err.eq((ctrl.mode != 0) | ctrl.require_encryption)
            with m.If(ctrl.enable & cfg_err):
                m.d.sync += blocked.eq(1)
            cfg_line = self._bus(m, "cfg", Cat(ctrl.enable, ctrl.an, regs.fc_init), "sync", "line")
            en_line, an_line, fc_line = cfg_line[0], cfg_line[1:3], cfg_line[3:67]
        rx_sync_line = self._bit(m, "rx_sync_tx", rx.sync, "line")
        require_rx = self._bit(m, "rx_require", regs.rx_ctrl.rx_require_encryption, "rx_line")
        # client gate (line): open CLIENT_LEAD words before frame 1 starts (see CLIENT_LEAD)
        words = Signal(range(FRAME_WORDS))
        gate = Signal()
        with m.If(tx.m_axis.valid & ~gate):
            m.d.line += words.eq(words + 1)
            with m.If(words == FRAME_WORDS - CLIENT_LEAD - 1):
                m.d.line += gate.eq(1)
        running = self._bit(m, "tx_running", gate, "sync")

        # ------------------------------------------------------------------ TX: XGMII -> 66b -> 257b -> framer
        m.submodules.enc = enc = Encoder66(pipelined=True)
        m.submodules.xcode = xcode = Transcoder257()
        m.d.comb += [enc.i.valid.eq(1), enc.i.payload.data.eq(self.xgmii_txd), enc.i.payload.ctrl.eq(self.xgmii_txc)]
        wiring.connect(m, enc.o, xcode.i)
        carry = running & ~blocked
        m.d.comb += [
            tx.s_axis.valid.eq(xcode.o.valid & carry),
            tx.s_axis.payload.eq(xcode.o.payload),
            xcode.o.ready.eq(1),                         # the TX client FIFO never stalls (overflow is flagged)
        ]
        wiring.connect(m, tx.m_axis, wiring.flipped(self.m_line))
        wiring.connect(m, wiring.flipped(self.s_kcc), tx.kcc)
        m.d.comb += [tx.enable.eq(en_line), tx.fc_init.eq(fc_line), tx.rdi.eq(~rx_sync_line)]
        if not self.security:
            m.d.comb += [tx.mode.eq(0), tx.an.eq(an_line), tx.rif.eq(0)]
        tx_blocked = Signal(32)
        with m.If(xcode.o.valid & ~carry):
            m.d.sync += tx_blocked.eq(tx_blocked + 1)

        # ------------------------------------------------------------------ RX: line -> blocks -> client XGMII
        m.d.comb += [rx.line.valid.eq(self.s_line.valid), rx.line.payload.eq(self.s_line.payload),
                     rx.require_encryption.eq(require_rx)]
        wiring.connect(m, rx.blocks, rxc.blocks)
        m.d.comb += rxc.link_up.eq(rx.sync)
        m.d.comb += [self.xgmii_rxd.eq(rxc.xgmii.payload.data), self.xgmii_rxc.eq(rxc.xgmii.payload.ctrl)]

        # received STAT / SEC_CTRL of the last frame with a good OHCRC16 (rx_line)
        rx_rdi, rx_rif, rx_mode, rx_an = Signal(), Signal(), Signal(2), Signal(2)
        oh = rx.oh.payload
        with m.If(rx.oh.valid & oh.oh_ok & ~oh.presync):
            m.d.rx_line += [rx_rdi.eq(oh.aad[103]), rx_rif.eq(oh.aad[102]), rx_mode.eq(oh.mode), rx_an.eq(oh.an)]

        # ------------------------------------------------------------------ RX KCC: 32 octets per frame -> m_kcc
        m.submodules.kcc_fifo = kf = DomainRenamer("rx_line")(SyncFIFOBuffered(width=256, depth=KCC_FIFO_FRAMES))
        m.d.comb += [kf.w_en.eq(rx.kcc.valid), kf.w_data.eq(rx.kcc.payload)]
        kcc_idx = Signal(5)
        m.d.comb += [self.m_kcc.valid.eq(kf.r_rdy), self.m_kcc.payload.data.eq(kf.r_data.word_select(kcc_idx, 8)),
                     self.m_kcc.payload.keep.eq(1), self.m_kcc.payload.last.eq(kcc_idx == 31)]
        with m.If(self.m_kcc.valid & self.m_kcc.ready):
            m.d.rx_line += kcc_idx.eq(kcc_idx + 1)               # wraps after O63
            m.d.comb += kf.r_en.eq(kcc_idx == 31)

        # ------------------------------------------------------------------ water marks
        tx_hwm = Signal(16)
        tx_level = Signal.like(tx.fifo_level)              # registered before the compare
        m.d.line += tx_level.eq(tx.fifo_level)
        with m.If(tx_level > tx_hwm):
            m.d.line += tx_hwm.eq(tx_level)
        rx_hwm, rx_lwm = Signal(16), Signal(16, init=0xFFFF)
        with m.If(rxc.running & (rxc.level > rx_hwm)):
            m.d.rx_client += rx_hwm.eq(rxc.level)
        with m.If(rxc.running & (rxc.level < rx_lwm)):
            m.d.rx_client += rx_lwm.eq(rxc.level)

        # ------------------------------------------------------------------ counters of the client sides
        cnt = {name: Signal(32, name=f"cnt_{name}") for name in ("xcode_err", "rx_underflow", "rx_overflow",
                                                                 "rx_idle_deleted", "rx_idle_inserted",
                                                                 "kcc_rx", "kcc_drop")}
        m.d.rx_client += [cnt["xcode_err"].eq(cnt["xcode_err"] + rxc.xcode_err),
                          cnt["rx_underflow"].eq(cnt["rx_underflow"] + rxc.underflow),
                          cnt["rx_idle_deleted"].eq(cnt["rx_idle_deleted"] + rxc.idle_deleted),
                          cnt["rx_idle_inserted"].eq(cnt["rx_idle_inserted"] + rxc.idle_inserted)]
        m.d.rx_line += [cnt["rx_overflow"].eq(cnt["rx_overflow"] + rxc.overflow),
                        cnt["kcc_rx"].eq(cnt["kcc_rx"] + (rx.kcc.valid & kf.w_rdy)),
                        cnt["kcc_drop"].eq(cnt["kcc_drop"] + (rx.kcc.valid & ~kf.w_rdy))]
        cnt["tx_blocked"] = tx_blocked
        dom = {"tx_blocked": "sync", "xcode_err": "rx_client", "rx_underflow": "rx_client", "rx_overflow": "rx_line",
               "rx_idle_deleted": "rx_client", "rx_idle_inserted": "rx_client", "kcc_rx": "rx_line",
               "kcc_drop": "rx_line"}

        # ------------------------------------------------------------------ status and counters -> sync
        st_rx = self._bus(m, "st_rx", Cat(rx.sync, rx.state, rx.cm_known, rx.cm, rx_rdi, rx_rif, rx_mode, rx_an),
                          "rx_line")
        s_sync, s_state, s_cm_known, s_cm = st_rx[0], st_rx[1:3], st_rx[3], st_rx[4:15]
        s_rdi, s_rif, s_mode, s_an = st_rx[15], st_rx[16], st_rx[17:19], st_rx[19:21]
        s_rx_running = self._bit(m, "rx_running", rxc.running, "sync")
        s_lf = self._bit(m, "local_fault", rxc.local_fault, "sync")
        s_tx_underflow = self._bit(m, "tx_underflow", tx.underflow, "sync")
        s_tx_gap = self._bit(m, "tx_gap", tx.gap, "sync")
        st = regs.status
        m.d.comb += [st.sync.eq(s_sync), st.rx_state.eq(s_state), st.cm_known.eq(s_cm_known), st.cm.eq(s_cm),
                     st.rx_running.eq(s_rx_running), st.local_fault.eq(s_lf), st.tx_running.eq(running),
                     st.tx_blocked.eq(sec_status["tx_blocked"] if self.security else blocked), st.rdi.eq(~s_sync),
                     st.rx_rdi.eq(s_rdi), st.rx_rif.eq(s_rif), st.rx_mode.eq(s_mode), st.rx_an.eq(s_an)]
        if self.security:
            m.d.comb += [st.rekey_required.eq(sec_status["rekey_required"]),
                         st.active_an.eq(sec_status["active_an"])]
        m.d.comb += [regs.tx_fifo_hwm.eq(self._bus(m, "tx_hwm", tx_hwm, "line")),
                     regs.rx_fifo_hwm.eq(self._bus(m, "rx_hwm", rx_hwm, "rx_client")),
                     regs.rx_fifo_lwm.eq(self._bus(m, "rx_lwm", rx_lwm, "rx_client"))]
        synced = {}
        rx_counters = RX_COUNTERS + (SEC_RX_COUNTERS if self.security else ())
        tx_counters = TX_COUNTERS + (SEC_TX_COUNTERS if self.security else ())
        for name, src, _doc in rx_counters:
            synced[name] = self._bus(m, name.lower(), getattr(rx, f"cnt_{src}"), "rx_line")
        for name, src, _doc in tx_counters:
            synced[name] = self._bus(m, name.lower(), getattr(tx, src)[:32], "line")
        for name, src, _doc in CLIENT_COUNTERS:
            synced[name] = cnt[src] if dom[src] == "sync" else self._bus(m, name.lower(), cnt[src], dom[src])
        for name, value in synced.items():
            m.d.comb += getattr(regs, name.lower()).eq(value)

        # ------------------------------------------------------------------ sticky events (W1C)
        def changed(name):
            last = Signal(32, name=f"last_{name.lower()}")
            m.d.sync += last.eq(synced[name])
            return synced[name] != last
        ev = {"LOF": changed("LOF"), "RDI_SEEN": s_sync & s_rdi, "RIF_SEEN": s_sync & s_rif,
              "TX_OVERFLOW": tx.overflow, "TX_UNDERFLOW": s_tx_underflow, "TX_GAP": s_tx_gap,
              "RX_UNDERFLOW": changed("RX_UNDERFLOW"), "RX_OVERFLOW": changed("RX_OVERFLOW"),
              "CFG_ERR": ctrl.enable & cfg_err}
        if self.security:
            ev.update(TAG_FAIL=changed("TAG_FAIL"), REKEY_REQUIRED=sec_status["rekey_required"])
        m.d.comb += regs.events_set.eq(Cat(ev[name] for name in (SEC_EVENTS if self.security else EVENTS)))
        return m

    def _handshake(self, m, name, start, o_domain):
        """A request from ``sync`` to ``o_domain``: ``start`` (a pulse in ``sync``, ignored while busy) toggles a
        request bit; ``o_domain`` sees a one-cycle ``pulse`` (2 flip-flops later) and answers with ``done`` (a pulse
        in ``o_domain``), which ends ``busy`` in ``sync``. The data of the request is held in ``sync`` registers
        that do not change while busy (so ``o_domain`` reads them stable: a false path)."""
        req, ack_o = Signal(name=f"{name}_req"), Signal(name=f"{name}_ack")
        req_o, seen = Signal(name=f"{name}_req_o"), Signal(name=f"{name}_seen")
        ack_s = Signal(name=f"{name}_ack_s")
        m.submodules[f"ff_{name}_req"] = FFSynchronizer(req, req_o, o_domain=o_domain)
        m.submodules[f"ff_{name}_ack"] = FFSynchronizer(ack_o, ack_s, o_domain="sync")
        busy = req != ack_s
        with m.If(start & ~busy):
            m.d.sync += req.eq(~req)
        pulse = Signal(name=f"{name}_pulse")
        m.d.comb += pulse.eq(req_o != seen)
        m.d[o_domain] += seen.eq(req_o)
        done = Signal(name=f"{name}_done")
        with m.If(done):
            m.d[o_domain] += ack_o.eq(~ack_o)
        return pulse, done, busy

    def _key_install(self, m, name, eng, pulse, done, hold, o_domain):
        """Drive ``eng``'s key port in ``o_domain`` from the held install (``key_valid`` until ``key_ready``)."""
        valid = Signal(name=f"{name}_key_valid")
        with m.If(pulse):
            m.d[o_domain] += valid.eq(1)
        with m.If(valid & eng.key_ready):
            m.d[o_domain] += valid.eq(0)
        m.d.comb += [eng.key.eq(hold["key"]), eng.key_slot.eq(hold["slot"]), eng.key_an.eq(hold["an"]),
                     eng.key_salt.eq(hold["salt"]), eng.key_ssci.eq(hold["ssci"]), eng.key_valid.eq(valid),
                     done.eq(valid & eng.key_ready)]

    def _security(self, m, regs, tx, rx):
        """Registers, clock-domain crossings and RIF of the security build; returns the status it makes."""
        ctrl = regs.ctrl
        # key install: KEY_CTRL write -> hold (sync) -> TX (line) and / or RX (rx_line) handshakes
        kc = regs.key_ctrl
        hold = {"key": Signal(256, name="hold_key"), "salt": Signal(96, name="hold_salt"),
                "ssci": Signal(32, name="hold_ssci"), "slot": Signal(name="hold_slot"), "an": Signal(2, name="hold_an")}
        start_tx, start_rx = Signal(), Signal()
        tx_pulse, tx_done, tx_busy = self._handshake(m, "key_tx", start_tx, "line")
        rx_pulse, rx_done, rx_busy = self._handshake(m, "key_rx", start_rx, "rx_line")
        busy = tx_busy | rx_busy
        with m.If(regs.key_ctrl_wstb & ~busy & (kc.tx | kc.rx)):
            m.d.sync += [hold["key"].eq(regs.key), hold["salt"].eq(regs.key_salt), hold["ssci"].eq(regs.key_ssci),
                         hold["slot"].eq(kc.slot), hold["an"].eq(kc.an)]
            m.d.sync += [start_tx.eq(kc.tx), start_rx.eq(kc.rx)]
        with m.Else():
            m.d.sync += [start_tx.eq(0), start_rx.eq(0)]
        self._key_install(m, "tx", tx, tx_pulse, tx_done, hold, "line")
        self._key_install(m, "rx", rx, rx_pulse, rx_done, hold, "rx_line")
        # key switch: SWITCH write -> hold -> one sw_req pulse in line
        sw_slot, sw_at, sw_start = Signal(), Signal(64), Signal()
        sw_pulse, sw_done, _sw_busy = self._handshake(m, "switch", sw_start, "line")
        m.d.sync += sw_start.eq(0)
        with m.If(regs.switch_wstb):
            m.d.sync += [sw_slot.eq(regs.switch.slot), sw_at.eq(regs.sw_at), sw_start.eq(1)]
        m.d.comb += [tx.sw_req.eq(sw_pulse), tx.sw_slot.eq(sw_slot), tx.sw_at.eq(sw_at), sw_done.eq(sw_pulse)]
        # configuration (handshake bus: a value is never taken while it changes)
        cfg_line = self._bus(m, "cfg", Cat(ctrl.enable, ctrl.mode, ctrl.require_encryption, ctrl.tx_slot,
                                           regs.fc_init, regs.fc_limit, regs.rekey_warn), "sync", "line")
        m.d.comb += [tx.mode.eq(cfg_line[1:3]), tx.require_encryption.eq(cfg_line[3]), tx.tx_slot.eq(cfg_line[4]),
                     tx.fc_limit.eq(cfg_line[69:133]), tx.rekey_warn.eq(cfg_line[133:165]), tx.an.eq(0)]
        # RIF: one frame after each received tag failure (rx_line -> line by a toggle)
        tf_tog, tf_line, tf_seen = Signal(), Signal(), Signal()
        with m.If(rx.tag_fail_pulse):
            m.d.rx_line += tf_tog.eq(~tf_tog)
        m.submodules.ff_tag_fail = FFSynchronizer(tf_tog, tf_line, o_domain="line")
        m.d.line += tf_seen.eq(tf_line)
        rif_left = Signal(range(FRAME_WORDS + 1))
        with m.If(tf_line != tf_seen):
            m.d.line += rif_left.eq(FRAME_WORDS)
        with m.Elif(rif_left != 0):
            m.d.line += rif_left.eq(rif_left - 1)
        m.d.comb += tx.rif.eq(rif_left != 0)
        # status back to sync
        st_tx = self._bus(m, "st_tx", Cat(tx.slot_valid, tx.active_an, tx.rekey_required, tx.cfg_err,
                                          tx.blocked_now), "line")
        st_rxk = self._bus(m, "st_rxk", rx.slot_valid, "rx_line")
        m.d.comb += [regs.key_status.tx_slot_valid.eq(st_tx[0:2]), regs.key_status.rx_slot_valid.eq(st_rxk),
                     regs.key_status.busy.eq(busy)]
        return {"cfg_err": st_tx[5], "en_line": cfg_line[0], "fc_line": cfg_line[5:69], "tx_blocked": st_tx[6],
                "rekey_required": st_tx[4], "active_an": st_tx[2:4]}
