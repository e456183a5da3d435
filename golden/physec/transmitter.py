"""The PHYSec transmitter (physec.md §1): client XGMII → 64b/66b → 257b → FIFO/GMP → frame → GCM → PRBS31 → line.

:class:`Transmitter` makes one frame per :meth:`Transmitter.next_frame` call and returns its 32 896 line-dump bytes
(physec.md §10: byte k bit i = line bit 8k + i). The client is a trace (:class:`ClientTrace`); after its last word the
client is idle (/I/ words), which is how a finite trace fills the last frames.

Order of work per frame n, as in hardware:
1. key / mode / FC plan for frames n and n+1 (:class:`~.security.TxSecurity`), Cm(n) and Cm(n+1) from the
   controller (:class:`~.gmp.CmController`);
2. the Cm(n) client blocks (4 XGMII words each, from the first word after reset) encoded and transcoded, placed in
   the payload slots (stuff zero);
3. overhead O0..O241 with TAG = T(n−1), JC = Cm(n+1), OHCRC16;
4. AES-GCM on the payload (or GMAC / clear), T(n) kept for frame n+1;
5. PRBS31 XOR over f[120..], AM in front.
"""

from dataclasses import dataclass, field

import numpy as np

from .frame import MODE_CLEAR, Overhead, frame_to_line, pack_slots
from .gmp import ClientClock, CmController, jc_encode
from .pcs6466 import XGMII_IDLE, encode_words
from .prbs import FRAME_MASK_OCTETS
from .security import TxSecurity, protect
from .transcode257 import encode_groups

__all__ = ["ClientTrace", "Transmitter", "TxFrameInfo", "transmit_trace"]


class ClientTrace:
    """XGMII words (data uint64, ctrl uint8) with /I/ after the end."""

    def __init__(self, data, ctrl):
        self.data = np.asarray(data, dtype=np.uint64)
        self.ctrl = np.asarray(ctrl, dtype=np.uint8)

    def __len__(self):
        return len(self.data)

    def words(self, start, count):
        end = start + count
        d = np.full(count, XGMII_IDLE[0], dtype=np.uint64)
        c = np.full(count, XGMII_IDLE[1], dtype=np.uint8)
        a, b = min(start, len(self)), min(end, len(self))
        d[a - start:b - start] = self.data[a:b]
        c[a - start:b - start] = self.ctrl[a:b]
        return d, c


@dataclass
class TxFrameInfo:
    n: int
    fc: int
    mode: int
    an: int
    cm: int
    first_block: int
    cm_next: int
    blocked: bool
    tag_sent: bytes          # TAG field of this frame (T(n−1))
    tag: bytes               # T(n), sent in frame n+1


@dataclass
class TxCounters:
    frames_tx: int = 0
    tx_blocked: int = 0
    blocks_sent: int = 0
    rekey_required: bool = False


class Transmitter:
    def __init__(self, trace, keys, *, ppm=0, client_start=0, latency=0, target=8, fifo_depth=None,
                 fc_limit=None, rekey_warn=1024, require_encryption=None, kcc=b""):
        self.trace = trace
        kw = {} if fc_limit is None else {"fc_limit": fc_limit}
        self.security = TxSecurity(keys, rekey_warn=rekey_warn, require_encryption=require_encryption, **kw)
        self.controller = CmController(clock=ClientClock(ppm=ppm, start=client_start, latency=latency),
                                       target=target, depth=fifo_depth)
        self.counters = TxCounters()
        self.log = []
        self.n = 0
        self._prev_tag = bytes(16)
        self._kcc = bytearray(kcc)
        self.rdi = False          # set by this node's receiver (not in SYNC)
        self.rif = False          # set by this node's receiver (tag failure in its last frame)

    def send_kcc(self, data):
        self._kcc.extend(data)

    def client_blocks(self, first, cm):
        """The 257b blocks first..first+cm−1 of the client (4 words each)."""
        d, c = self.trace.words(4 * first, 4 * cm)
        hdr, pay = encode_words(d, c)
        return encode_groups(hdr.reshape(-1, 4), pay.reshape(-1, 4))

    def next_frame(self):
        n = self.n
        plan = self.security.plan(n)
        plan_next = self.security.plan(n + 1)
        cm, first, cm_next = self.controller.frame(blocked_next=plan_next.blocked, blocked_now=plan.blocked)
        payload = pack_slots(self.client_blocks(first, cm) if cm else None, cm)
        kcc, self._kcc = bytes(self._kcc[:32]).ljust(32, b"\0"), self._kcc[32:]
        oh = Overhead(fc=plan.fc, rdi=self.rdi, rif=self.rif, mode=plan.mode, jc=jc_encode(cm_next), an=plan.an,
                      nan=plan.nan, ksp=plan.ksp, tag=self._prev_tag, kcc=kcc)
        octets = oh.octets()
        sent, tag = protect(plan.slot, plan.mode, plan.fc, octets[:14], payload)
        body = np.concatenate([np.frombuffer(octets, dtype=np.uint8), sent]) ^ FRAME_MASK_OCTETS
        self.log.append(TxFrameInfo(n=n, fc=plan.fc, mode=plan.mode, an=plan.an, cm=cm, first_block=first,
                                    cm_next=cm_next, blocked=plan.blocked, tag_sent=self._prev_tag, tag=tag))
        self._prev_tag = tag if plan.mode != MODE_CLEAR else bytes(16)
        c = self.counters
        c.frames_tx += 1
        c.tx_blocked += plan.blocked
        c.blocks_sent += cm
        c.rekey_required |= plan.rekey_required
        self.n += 1
        return frame_to_line(body)

    @property
    def blocks_mapped(self):
        """Client blocks taken into frames or dropped so far (blocks of the trace that are behind us)."""
        return self.controller.taken + self.controller.dropped

    def frames_for_trace(self):
        """Frames until every trace word has been mapped, plus one frame carrying the last tag."""
        need = -(-len(self.trace) // 4)
        out = []
        while self.blocks_mapped < need:
            out.append(self.next_frame())
        out.append(self.next_frame())
        return out


def transmit_trace(trace, keys, *, frames=None, **kw):
    """Line-dump bytes of a transmitter run on ``trace`` (``frames`` frames, or as many as the trace needs)."""
    tx = Transmitter(trace, keys, **kw)
    parts = [tx.next_frame() for _ in range(frames)] if frames is not None else tx.frames_for_trace()
    return np.concatenate(parts).tobytes() if parts else b"", tx
