"""PHYSec tops for ``din verilog / sim / bench / build`` (collected by :mod:`din.rtl.catalog`).

Clocks (spec/README.md "Targets"): client side ``sync`` 156.25 MHz; line side ``line`` 161.1328125 MHz.
"""

from din.rtl.catalog import Top

from .sec_common import LEN_GCM, LEN_GMAC

__all__ = ["TOPS"]

CLIENT_MHZ = 156.25
LINE_MHZ = 161.1328125

TOPS = [
    Top("physec_pcs_tx", "physec", "physec.pcs:PcsTx",
        "10GBASE-R client PCS transmit: XGMII -> 64b/66b encoder -> x^58 scrambler -> 66/64 gearbox -> serial words",
        defaults={"scramble": True, "gearbox": True}, clocks_mhz={"sync": LINE_MHZ}),
    Top("physec_pcs_rx", "physec", "physec.pcs:PcsRx",
        "10GBASE-R client PCS receive: serial words -> 64/66 gearbox + block lock -> descrambler -> decoder -> XGMII",
        defaults={"descramble": True, "counter_width": 32}, clocks_mhz={"sync": LINE_MHZ}),
    Top("physec_tx", "physec", "physec.tx_top:PhysecTx",
        "PHYSec TX framer, MODE 00: 257b client blocks -> client FIFO -> GMP/Cm -> frame (AM, OH, OHCRC16, KCC) "
        "-> 257b/64 gearbox -> PRBS31 -> line words",
        defaults={"fifo_depth": 1024, "target": 8, "sample_lead": 32}, domains=("sync", "line"),
        clocks_mhz={"sync": CLIENT_MHZ, "line": LINE_MHZ}),
    Top("physec_tx_sec", "physec", "physec.tx_top:PhysecTx",
        "PHYSec TX with the security engine: the TX framer + key slots, per-frame plan (FC, MODE 10 / 01 / 00, AN, "
        "NAN/KSP key switch, fail closed), AES-256 CTR keystream XOR, GHASH, tag of frame n in frame n+1",
        defaults={"fifo_depth": 1024, "target": 8, "sample_lead": 32, "security": True, "tag_delay": 6,
                  "aes_units": 7, "aes_lookup_reg": True}, domains=("sync", "line"),
        clocks_mhz={"sync": CLIENT_MHZ, "line": LINE_MHZ}),
    Top("transcode257", "physec", "physec.transcode:Transcode257",
        "256b/257b round trip: 4 x 66b -> 257b transcoder -> detranscoder -> 4 x 66b (physec.md §3), full rate",
        defaults={}, clocks_mhz={"sync": LINE_MHZ}),
    Top("rx_framer", "physec", "physec.rx_top:RxTop",
        "PHYSec RX framer, MODE 00, line domain: AM search at every bit offset, HUNT/PRESYNC/SYNC, realign, PRBS31, "
        "OHCRC16 / JC checks, 64/257 gearbox, GMP demap -> 257b client blocks + /E/ flag, counters",
        defaults={"counter_width": 32}, domains=("line",), clocks_mhz={"line": LINE_MHZ}),
    Top("physec_rx_sec", "physec", "physec.rx_top:RxTop",
        "PHYSec RX with the security engine: the RX framer + key slots, keystream of the next frame from the "
        "predicted FC / AN (one-XOR decrypt), GHASH over the received frame, tag of frame n checked in frame n+1, "
        "replay / jump reference, unknown AN, counters",
        defaults={"counter_width": 32, "security": True, "aes_units": 7, "aes_lookup_reg": True},
        domains=("line",), clocks_mhz={"line": LINE_MHZ}),
]

# Security engine cores (physec.md §7; docs/physec-security.md)
TOPS += [
    Top("aes256", "physec", "physec.aes:Aes256",
        "AES-256 encryption for GCM keystream / H / E_K(J0): two key slots with hardware key expansion, round ring of "
        "7 (one block per 2 cycles) or 14 (one per cycle) units, T-tables in block RAM or S-boxes in logic",
        defaults={"units": 7, "table": "sbox", "sbox_style": "ebr", "lookup_reg": True, "tag_width": 2,
                  "fifo_depth": 52},
        clocks_mhz={"sync": LINE_MHZ}),
    Top("ghash", "physec", "physec.ghash:Ghash",
        "GHASH (SP 800-38D §6.4): a 64 x 128-bit GF(2^128) multiplier derived from the polynomial, pipelined over "
        "three stages, two interleaved chains with H^2 (a block every two cycles), H^2 / H^3 / tail products per key "
        "slot computed by a digit-serial multiplier when H is loaded; tails = the PHYSec length blocks",
        defaults={"tails": [LEN_GCM, LEN_GMAC]}, clocks_mhz={"sync": LINE_MHZ}),
]
TOPS += [
    Top("gcm", "physec", "physec.gcm:Gcm",
        "AES-256-GCM engine (SP 800-38D, 96-bit IV): AES core + GHASH composed, H per key slot computed at key "
        "install, CTR keystream computed ahead, tag = GHASH ^ E_K(J0), tag check for decryption",
        defaults={"aes_units": 7, "aes_table": "sbox", "aes_sbox_style": "ebr", "aes_lookup_reg": True,
                  "len_width": 16},
        clocks_mhz={"sync": LINE_MHZ}),
]

# The whole PHY: TX + RX + client sides + AXI4-Lite registers (docs/physec.md "The PHY core")
TOPS += [
    Top("physec_phy", "physec", "physec.phy:PhysecPhy",
        "PHYSec PHY, MODE 00: XGMII -> 64b/66b -> 257b -> client FIFO -> GMP / frame / PRBS31 -> line words, and "
        "line words -> lock / overhead checks / GMP demap -> client FIFO -> 257b -> 64b/66b -> XGMII (Local Fault "
        "while not in SYNC); AXI4-Lite registers and counters of physec.md §9",
        defaults={"tx_fifo_depth": 1024, "target": 8, "sample_lead": 32, "rx_fifo_depth": 2048, "rx_start_level": 16,
                  "rx_keep_level": 6},
        domains=("sync", "line", "rx_line", "rx_client"),
        clocks_mhz={"sync": CLIENT_MHZ, "line": LINE_MHZ, "rx_line": LINE_MHZ, "rx_client": CLIENT_MHZ}),
    Top("physec_phy_sec", "physec", "physec.phy:PhysecPhy",
        "PHYSec PHY with the AES-256-GCM security engine: the PHY + TX and RX engines (MODE 10 / 01, key slots over "
        "AXI4-Lite, FC_LIMIT, fail closed, hitless key switch, tag / replay / unknown AN checks, RIF)",
        defaults={"tx_fifo_depth": 1024, "target": 8, "sample_lead": 32, "rx_fifo_depth": 2048, "rx_start_level": 16,
                  "rx_keep_level": 6, "security": True, "aes_units": 7, "aes_lookup_reg": True},
        domains=("sync", "line", "rx_line", "rx_client"),
        clocks_mhz={"sync": CLIENT_MHZ, "line": LINE_MHZ, "rx_line": LINE_MHZ, "rx_client": CLIENT_MHZ}),
]
