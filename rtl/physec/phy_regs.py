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

from din.rtl.common.regdecl import RO, RW, W1C, Field, Register, RegisterMap

__all__ = ["PHYSEC_REGMAP", "RX_COUNTERS", "TX_COUNTERS", "CLIENT_COUNTERS", "EVENTS", "MODE_CLEAR"]

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

PHYSEC_REGMAP = RegisterMap("physec", "DPHY", 0x0000_0100, [
    Register("CTRL", 0x08, RW, width=8, doc="transmitter control (sampled continuously; see ENABLE)", fields=[
        Field("ENABLE", 0, 1, reset=1, doc="start the transmitter (FC_INIT is loaded then); framing runs until "
                                           "reset, a later 0 has no effect"),
        Field("MODE", 1, 2, doc="security mode of transmitted frames: 00 clear; 01 / 10 need the security engine "
                                "(CFG_ERR in this build)"),
        Field("REQUIRE_ENCRYPTION", 3, 1, doc="refuse to send client data unless MODE = 10 (fail closed)"),
        Field("AN", 4, 2, doc="association number sent in SEC_CTRL (AN = NAN, KSP = 0)"),
    ]),
    Register("FC_INIT", 0x0C, RW, width=64, doc="frame counter of the first frame (loaded when ENABLE starts the "
                                                "transmitter)"),
    Register("RX_CTRL", 0x14, RW, width=8, doc="receiver control", fields=[
        Field("RX_REQUIRE_ENCRYPTION", 0, 1, doc="deliver only MODE 10 frames (others: /E/, POLICY_DROP)"),
    ]),
    Register("STATUS", 0x18, RO, doc="live status", fields=[
        Field("SYNC", 0, 1, doc="receiver in SYNC"),
        Field("RX_STATE", 1, 2, doc="0 HUNT, 1 PRESYNC, 2 SYNC"),
        Field("CM_KNOWN", 3, 1, doc="the Cm of the next received frame is known"),
        Field("RX_RUNNING", 4, 1, doc="RX client FIFO filled, client blocks flowing"),
        Field("LOCAL_FAULT", 5, 1, doc="the client side sends Local Fault (not in SYNC)"),
        Field("TX_RUNNING", 6, 1, doc="the transmitter carries client blocks (its gate opened before frame 1)"),
        Field("TX_BLOCKED", 7, 1, doc="the transmitter carries no client data (configuration error, until reset)"),
        Field("RDI", 8, 1, doc="RDI sent in this node's frames (receiver not in SYNC)"),
        Field("RX_RDI", 9, 1, doc="RDI in the last received frame (the far end does not see us)"),
        Field("RX_RIF", 10, 1, doc="RIF in the last received frame"),
        Field("RX_MODE", 12, 2, doc="MODE of the last received frame"),
        Field("RX_AN", 14, 2, doc="AN of the last received frame"),
        Field("CM", 16, 11, doc="Cm of the next received frame"),
    ]),
    Register("EVENTS", 0x1C, W1C, width=len(EVENTS), doc="sticky events; write 1 to clear", fields=[
        Field(name, i, 1, doc=doc) for i, (name, doc) in enumerate((
            ("LOF", "loss of frame"), ("RDI_SEEN", "a received frame carried RDI"),
            ("RIF_SEEN", "a received frame carried RIF"),
            ("TX_OVERFLOW", "TX client FIFO overflow (client blocks lost)"),
            ("TX_UNDERFLOW", "a TX data slot found the client FIFO empty (zero block sent)"),
            ("TX_GAP", "TX gearbox gap (never expected)"),
            ("RX_UNDERFLOW", "RX client FIFO underflow"), ("RX_OVERFLOW", "RX client FIFO overflow"),
            ("CFG_ERR", "configuration error: MODE 01/10 or REQUIRE_ENCRYPTION without the security engine"),
        ))]),
    Register("TX_FIFO_HWM", 0x20, RO, width=16,
             doc="TX client FIFO high-water mark, blocks (start-up peak included)"),
    Register("RX_FIFO_HWM", 0x24, RO, width=16, doc="RX client FIFO high-water mark since the fill started, blocks"),
    Register("RX_FIFO_LWM", 0x28, RO, width=16, doc="RX client FIFO low-water mark while running, blocks "
                                                    "(0xFFFF before the first fill)"),
] + [Register(name, _COUNTER_BASE + 4 * i, RO, doc=doc) for i, (name, _src, doc) in enumerate(_ALL_COUNTERS)],
    doc="PHYSec PHY (physec.md §9): zero-overhead framing, MODE 00 data path")
