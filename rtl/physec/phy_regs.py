"""The PHYSec PHY register map (physec.md §9), one declaration: ``din regs`` generates ``docs/regs/physec.md`` and
``sim/physec/regs.py`` from it, :class:`din.rtl.physec.phy.PhysecPhy` builds the logic.

The register block runs in the client clock domain ``sync`` (156.25 MHz, like every other block's AXI4-Lite port in
the edge node). Configuration reaches the line domains and status / counters come back through
:class:`din.rtl.common.cdc.BusSynchronizer` (a handshake: a value is never read while it changes; counters are a few
cycles old when read). Counters are 32-bit, wrapping, read-only; a reset clears them.

What this build implements (MODE 00 on the data path, docs/physec.md): the security fields are carried and parsed;
MODE 01 / 10, key slots, FC_LIMIT, REKEY_REQUIRED, ``tag_fail`` and ``unknown_an`` belong to the AES-256-GCM engine
(docs/physec-security.md) and are not in this map yet (offsets from 0x100 on are kept for them). Asking for MODE 01 /
10 or for REQUIRE_ENCRYPTION here is a configuration error with a defined, fail-closed result: STATUS.CFG_ERR is set
and the transmitter stops carrying client data (frames continue with Cm = 0, client blocks are counted in
TX_BLOCKED) until the next reset.
"""

from din.rtl.common.regdecl import RO, RW, W1C, WO, Field, Register, RegisterMap

__all__ = ["PHYSEC_REGMAP", "PHYSEC_SEC_REGMAP", "RX_COUNTERS", "TX_COUNTERS", "CLIENT_COUNTERS", "EVENTS",
           "SEC_EVENTS", "SEC_RX_COUNTERS", "SEC_TX_COUNTERS", "MODE_CLEAR"]

MODE_CLEAR = 0

#: counters of the receiver (RxTop, ``rx_line`` domain): (register, RxTop counter, doc)
RX_COUNTERS = (
    ("FRAMES_RX", "frames_rx", "frames processed in SYNC"),
    ("LOCKS", "locks", "PRESYNC -> SYNC transitions"),
    ("LOF", "lof_count", "losses of frame (4th consecutive missed AM)"),
    ("AM_MISS", "am_miss", "AMs with more than 3 differing bits in SYNC"),
    ("AM_BIT_ERR", "am_bit_err", "differing AM bits in accepted SYNC AMs"),
    ("OH_CRC_ERR", "oh_crc_err", "frames with an OHCRC16 error"),
    ("JC_ERR", "jc_err", "JC CRC-8 errors or unacceptable Cm values"),
    ("REPLAY", "replay", "frames with FC <= the last accepted FC (discarded)"),
    ("FC_JUMP", "fc_jump", "forward FC jumps"),
    ("BAD_MODE", "bad_mode", "frames with MODE 11"),
    ("POLICY_DROP", "policy_drop", "frames not delivered under RX_REQUIRE_ENCRYPTION"),
    ("CRYPT_DROP", "crypt_drop", "MODE 01/10 frames not delivered: no security engine in this build"),
    ("BLOCKS_RX", "blocks", "client blocks delivered by the demapper"),
    ("E_BLOCKS_RX", "e_blocks", "/E/ blocks delivered by the demapper (Cm unknown, frame not delivered)"),
)
#: counters of the transmitter: (register, source, doc)
TX_COUNTERS = (
    ("FRAMES_TX", "frames", "frames started on the line"),
    ("BLOCKS_TX", "blocks_carried", "client blocks carried in frames"),
)
#: counters of the client sides: (register, source, doc)
CLIENT_COUNTERS = (
    ("TX_BLOCKED", "tx_blocked", "client blocks discarded by the transmitter: before its client gate opened (just "
                                 "before frame 1) or after a configuration error"),
    ("XCODE_ERR", "xcode_err", "received 257b blocks the detranscoder could not interpret (sent as /E/)"),
    ("RX_UNDERFLOW", "rx_underflow", "RX client FIFO empty when a block was due (/E/ sent, restart fill)"),
    ("RX_OVERFLOW", "rx_overflow", "RX client FIFO full when a block arrived (dropped, next block /E/)"),
    ("RX_IDLE_DELETED", "rx_idle_deleted", "idle groups (32 idle octets) deleted in gaps by the RX client side "
                                           "(transmitter start-up surplus, clock compensation)"),
    ("RX_IDLE_INSERTED", "rx_idle_inserted", "idle groups inserted in gaps by the RX client side (clock compensation)"),
    ("KCC_RX", "kcc_rx", "received frames whose 32 KCC octets were queued for m_kcc"),
    ("KCC_DROP", "kcc_drop", "received frames whose KCC octets were dropped: m_kcc not drained (buffer full)"),
)
#: sticky events (W1C, bit positions)
EVENTS = ("LOF", "RDI_SEEN", "RIF_SEEN", "TX_OVERFLOW", "TX_UNDERFLOW", "TX_GAP", "RX_UNDERFLOW", "RX_OVERFLOW",
          "CFG_ERR")

_COUNTER_BASE = 0x40
_ALL_COUNTERS = TX_COUNTERS + RX_COUNTERS + CLIENT_COUNTERS

#: the security build's extra counters (docs/physec-security.md "The PHY with the engine"), from 0x180
SEC_RX_COUNTERS = (
    ("TAG_OK", "tag_ok", "tags verified (frame n's tag in frame n+1)"),
    ("TAG_FAIL", "tag_fail", "tag mismatches (RIF is sent in the next transmitted frame)"),
    ("UNKNOWN_AN", "unknown_an", "MODE 01/10 frames whose AN matches no valid slot (/E/)"),
    ("KS_MISS", "ks_miss", "MODE 01/10 frames whose FC / AN was not the predicted one (/E/; forward jump, "
                           "inserted frame, lock inside a KSP run)"),
    ("KS_UNDERRUN", "ks_underrun", "received payload words whose keystream was not ready (never expected: a slot "
                                   "rewritten while in use)"),
)
SEC_TX_COUNTERS = (
    ("FRAMES_BLOCKED", "tx_blocked", "transmitted frames blocked (fail closed: no usable key, FC_LIMIT reached, "
                                     "MODE 00 / 11 with REQUIRE_ENCRYPTION): stuff only, Cm = 0"),
    ("TX_DROPPED", "dropped", "client blocks flushed from the TX FIFO by blocked frames"),
    ("TX_KS_UNDERRUN", "ks_underrun", "transmitted payload words sent as zero because their keystream was not ready "
                                      "(never expected)"),
)
_SEC_COUNTER_BASE = 0x180
SEC_EVENTS = EVENTS + ("TAG_FAIL", "REKEY_REQUIRED")

def _status(security):
    fields = [
        Field("SYNC", 0, 1, doc="receiver in SYNC"),
        Field("RX_STATE", 1, 2, doc="0 HUNT, 1 PRESYNC, 2 SYNC"),
        Field("CM_KNOWN", 3, 1, doc="the Cm of the next received frame is known"),
        Field("RX_RUNNING", 4, 1, doc="RX client FIFO filled, client blocks flowing"),
        Field("LOCAL_FAULT", 5, 1, doc="the client side sends Local Fault (not in SYNC)"),
        Field("TX_RUNNING", 6, 1, doc="the transmitter carries client blocks (its gate opened before frame 1)"),
        Field("TX_BLOCKED", 7, 1, doc="the transmitter carries no client data (configuration error, until reset)"
              if not security else "the frame being sent is blocked (fail closed: no usable key, FC_LIMIT, MODE "
                                   "00 / 11 with REQUIRE_ENCRYPTION)"),
        Field("RDI", 8, 1, doc="RDI sent in this node's frames (receiver not in SYNC)"),
        Field("RX_RDI", 9, 1, doc="RDI in the last received frame (the far end does not see us)"),
        Field("RX_RIF", 10, 1, doc="RIF in the last received frame"),
        Field("RX_MODE", 12, 2, doc="MODE of the last received frame"),
        Field("RX_AN", 14, 2, doc="AN of the last received frame"),
        Field("CM", 16, 11, doc="Cm of the next received frame"),
    ]
    if security:
        fields += [Field("REKEY_REQUIRED", 27, 1, doc="FC reached FC_LIMIT − REKEY_WARN (sticky until reset)"),
                   Field("ACTIVE_AN", 28, 2, doc="AN of the transmitter's active key slot")]
    return Register("STATUS", 0x18, RO, doc="live status", fields=fields)


def _events(security):
    docs = {"LOF": "loss of frame", "RDI_SEEN": "a received frame carried RDI",
            "RIF_SEEN": "a received frame carried RIF", "TX_OVERFLOW": "TX client FIFO overflow (client blocks lost)",
            "TX_UNDERFLOW": "a TX data slot found the client FIFO empty (zero block sent)",
            "TX_GAP": "TX gearbox gap (never expected)", "RX_UNDERFLOW": "RX client FIFO underflow",
            "RX_OVERFLOW": "RX client FIFO overflow",
            "CFG_ERR": "configuration error: MODE 01/10 or REQUIRE_ENCRYPTION without the security engine"
                       if not security else "configuration error: MODE 11 (frames go out as MODE 00, blocked with "
                                            "REQUIRE_ENCRYPTION)",
            "TAG_FAIL": "a received tag did not verify", "REKEY_REQUIRED": "the transmitter needs a new key"}
    names = SEC_EVENTS if security else EVENTS
    return Register("EVENTS", 0x1C, W1C, width=len(names), doc="sticky events; write 1 to clear",
                    fields=[Field(name, i, 1, doc=docs[name]) for i, name in enumerate(names)])


def _common(security):
    return [
        Register("FC_INIT", 0x0C, RW, width=64, doc="frame counter of the first frame (loaded when ENABLE starts "
                                                    "the transmitter)"),
        Register("RX_CTRL", 0x14, RW, width=8, doc="receiver control", fields=[
            Field("RX_REQUIRE_ENCRYPTION", 0, 1, reset=int(security),
                  doc="deliver only MODE 10 frames (others: /E/, POLICY_DROP)"),
        ]),
        _status(security),
        _events(security),
        Register("TX_FIFO_HWM", 0x20, RO, width=16,
                 doc="TX client FIFO high-water mark, blocks (start-up peak included)"),
        Register("RX_FIFO_HWM", 0x24, RO, width=16, doc="RX client FIFO high-water mark since the fill started, "
                                                        "blocks"),
        Register("RX_FIFO_LWM", 0x28, RO, width=16, doc="RX client FIFO low-water mark while running, blocks "
                                                        "(0xFFFF before the first fill)"),
    ] + [Register(name, _COUNTER_BASE + 4 * i, RO, doc=doc) for i, (name, _src, doc) in enumerate(_ALL_COUNTERS)]


PHYSEC_REGMAP = RegisterMap("physec", "DPHY", 0x0000_0100, [
    Register("CTRL", 0x08, RW, width=8, doc="transmitter control (sampled continuously; see ENABLE)", fields=[
        Field("ENABLE", 0, 1, reset=1, doc="start the transmitter (FC_INIT is loaded then); framing runs until "
                                           "reset, a later 0 has no effect"),
        Field("MODE", 1, 2, doc="security mode of transmitted frames: 00 clear; 01 / 10 need the security engine "
                                "(CFG_ERR in this build)"),
        Field("REQUIRE_ENCRYPTION", 3, 1, doc="refuse to send client data unless MODE = 10 (fail closed)"),
        Field("AN", 4, 2, doc="association number sent in SEC_CTRL (AN = NAN, KSP = 0)"),
    ]),
] + _common(False), doc="PHYSec PHY (physec.md §9): zero-overhead framing, MODE 00 data path")

#: the register map of the PHY with the AES-256-GCM engine (``PhysecPhy(security=True)``, top ``physec_phy_sec``):
#: the MODE 00 map with CTRL / STATUS / EVENTS extended, and the key slots, FC_LIMIT, the key switch and the
#: engine's counters from 0x100 on
PHYSEC_SEC_REGMAP = RegisterMap("physec_sec", "DPHS", 0x0000_0100, [
    Register("CTRL", 0x08, RW, width=8, doc="transmitter control (sampled continuously; see ENABLE)", fields=[
        Field("ENABLE", 0, 1, doc="start the transmitter (FC_INIT is loaded then); write the keys and FC_INIT "
                                  "first; framing runs until reset, a later 0 has no effect"),
        Field("MODE", 1, 2, reset=0b10, doc="security mode of transmitted frames: 10 GCM, 01 GMAC, 00 clear, 11 "
                                            "reserved (CFG_ERR)"),
        Field("REQUIRE_ENCRYPTION", 3, 1, reset=1, doc="never send client data in MODE 00 (fail closed: without a "
                                                       "usable key frames carry stuff only)"),
        Field("TX_SLOT", 4, 1, doc="key slot the transmitter uses from ENABLE"),
    ]),
] + _common(True) + [
    Register("KEY", 0x100, WO, width=256, doc="AES-256 key of the next KEY_CTRL install (write-only: reads 0)"),
    Register("KEY_SALT", 0x120, WO, width=96, doc="salt of the next install (write-only)"),
    Register("KEY_SSCI", 0x12C, WO, doc="SSCI of the next install (write-only)"),
    Register("KEY_CTRL", 0x130, RW, width=8, doc="a write installs KEY / KEY_SALT / KEY_SSCI with AN into SLOT of "
                                                 "the engines selected by TX / RX (ignored while KEY_STATUS.BUSY); "
                                                 "install into the inactive slot, then switch", fields=[
        Field("SLOT", 0, 1, doc="key slot 0 / 1"),
        Field("AN", 1, 2, doc="association number of the key"),
        Field("TX", 3, 1, doc="install into the transmitter's slot"),
        Field("RX", 4, 1, doc="install into the receiver's slot"),
    ]),
    Register("KEY_STATUS", 0x134, RO, width=8, doc="key slots", fields=[
        Field("TX_SLOT_VALID", 0, 2, doc="transmitter slots with a key (key schedule and H ready)"),
        Field("RX_SLOT_VALID", 2, 2, doc="receiver slots with a key"),
        Field("BUSY", 4, 1, doc="an install is in progress (KEY_CTRL writes are ignored)"),
    ]),
    Register("FC_LIMIT", 0x138, RW, width=64, reset=(1 << 64) - 1,
             doc="frames with FC ≥ FC_LIMIT are not protected (blocked with REQUIRE_ENCRYPTION)"),
    Register("REKEY_WARN", 0x140, RW, reset=1024, doc="REKEY_REQUIRED from FC ≥ FC_LIMIT − REKEY_WARN"),
    Register("SW_AT", 0x144, RW, width=64, doc="FC of the first frame under the new key (key switch)"),
    Register("SWITCH", 0x14C, RW, width=8, doc="a write requests the key switch to SLOT at FC = SW_AT: the 8 frames "
                                               "before carry NAN and KSP (a late request gets its 8 KSP frames "
                                               "later)", fields=[
        Field("SLOT", 0, 1, doc="the slot to switch to"),
    ]),
] + [Register(name, _SEC_COUNTER_BASE + 4 * i, RO, doc=doc)
     for i, (name, _src, doc) in enumerate(SEC_RX_COUNTERS + SEC_TX_COUNTERS)],
    doc="PHYSec PHY with the AES-256-GCM security engine (physec.md §7, §9)")
