"""10GBASE-R block lock (IEEE 802.3 Cl. 49.2.13.2.2, Figure 49-14) and the 66b serial side of a client port.

Lock after 64 consecutive valid sync headers; once locked, slip after 16 invalid headers within a window of 64
(physec.md §2). While not locked any invalid header slips at once. A slip moves the candidate block boundary one bit
later. :class:`BlockLock` consumes a bit stream (numpy 0/1 array) and yields the 66b blocks it finds while locked.
"""

import numpy as np

from .pcs6466 import HDR_CTRL, HDR_DATA, decode_blocks, encode_words
from .scrambler import Descrambler58, Scrambler58

__all__ = ["BlockLock", "serialize_66b", "Pcs10GBaseR"]


class BlockLock:
    def __init__(self):
        self.offset = 0          # absolute bit index of the next candidate block
        self.block_lock = False
        self.sh_cnt = 0
        self.sh_invld_cnt = 0
        self.slips = 0
        self.locks = 0

    def run(self, bits):
        """Walk ``bits`` (the whole stream so far, absolute indices); return [(bit index, header, payload)] locked."""
        out = []
        n = len(bits)
        weights = (np.uint64(1) << np.arange(64, dtype=np.uint64))
        while self.offset + 66 <= n:
            p = self.offset
            hdr = int(bits[p]) | int(bits[p + 1]) << 1
            valid = hdr in (HDR_DATA, HDR_CTRL)
            self.sh_cnt += 1
            if valid:
                if self.sh_cnt == 64:
                    if self.sh_invld_cnt == 0 and not self.block_lock:
                        self.block_lock = True
                        self.locks += 1
                    self.sh_cnt = self.sh_invld_cnt = 0
            else:
                self.sh_invld_cnt += 1
                if self.sh_invld_cnt == 16 or not self.block_lock:
                    self.block_lock = False
                    self.sh_cnt = self.sh_invld_cnt = 0
                    self.slips += 1
                    self.offset += 1            # SLIP: next candidate boundary one bit later
                    continue
                if self.sh_cnt == 64:
                    self.sh_cnt = self.sh_invld_cnt = 0
            if self.block_lock:
                payload = int(np.bitwise_or.reduce(bits[p + 2:p + 66].astype(np.uint64) * weights))
                out.append((p, hdr, payload))
            self.offset += 66
        return out


def serialize_66b(hdr, pay):
    """66b blocks → bit array in transmission order (header bit 0, header bit 1, payload bit 0 ...)."""
    hdr = np.asarray(hdr, dtype=np.uint8)
    pay = np.asarray(pay, dtype=np.uint64)
    out = np.empty((len(hdr), 66), dtype=np.uint8)
    out[:, 0] = hdr & 1
    out[:, 1] = (hdr >> 1) & 1
    out[:, 2:] = np.unpackbits(pay.astype("<u8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    return out.reshape(-1)


class Pcs10GBaseR:
    """The client port with its serial side enabled: XGMII → scrambled 66b bits, and bits → block lock → XGMII."""

    def __init__(self, tx_state=0):
        self.scrambler = Scrambler58(tx_state)
        self.descrambler = Descrambler58()
        self.lock = BlockLock()

    def transmit(self, data, ctrl):
        hdr, pay = encode_words(data, ctrl)
        spay = np.array([self.scrambler.scramble(int(p)) for p in pay], dtype=np.uint64)
        return serialize_66b(hdr, spay)

    def receive(self, bits):
        """Blocks found by block lock, descrambled and decoded: (data, ctrl) arrays."""
        blocks = self.lock.run(bits)
        hdr = np.array([h for _, h, _ in blocks], dtype=np.uint8)
        pay = np.array([self.descrambler.descramble(p) for _, _, p in blocks], dtype=np.uint64)
        return decode_blocks(hdr, pay)
