"""802.1Qbb PFC frames (IEEE 802.3 Annex 31D layout) and the ``pfc_req`` mirror (spec §1, background §1.1, §1.5).

Frame, 60 bytes without FCS: DA 01-80-C2-00-00-01, SA, EtherType 0x8808 (MAC Control), opcode 0x0101, class-enable
vector (16 bits: upper octet 0, lower octet e[7:0]), eight 16-bit pause times (priority 0 first), zero pad.

``PfcMirror`` turns the block's ``pfc_req[7:0]`` (the global guard mirrored onto PFC) into frames the way
verilog-ethernet's ``mac_pause_ctrl_tx`` does: a change of the request sends a frame at once (XOFF with ``quanta`` for
requested priorities, 0 = XON for released ones); while a request is held the frame is re-sent every ``refresh``
cycles.
"""

import struct

__all__ = ["PFC_DA", "MAC_CONTROL", "OPCODE_PFC", "encode_pfc", "decode_pfc", "PfcMirror"]

PFC_DA = bytes.fromhex("0180c2000001")
MAC_CONTROL = 0x8808        # IEEE 802.3 Clause 31
OPCODE_PFC = 0x0101         # IEEE 802.3 Annex 31D


def encode_pfc(*, enable, quanta, sa=bytes(6), da=PFC_DA):
    """A PFC frame: ``enable`` is e[7:0], ``quanta`` eight pause times (priority 0 first)."""
    if len(quanta) != 8:
        raise ValueError("PFC carries eight pause times")
    body = struct.pack(">6s6sHHH8H", da, sa, MAC_CONTROL, OPCODE_PFC, enable & 0xFF, *quanta)
    return body + bytes(60 - len(body))


def decode_pfc(frame):
    """(enable, quanta) of a PFC frame; raises ValueError for anything else."""
    if len(frame) < 34:
        raise ValueError("too short for PFC")
    _da, _sa, et, op, ev, *q = struct.unpack_from(">6s6sHHH8H", frame)
    if et != MAC_CONTROL or op != OPCODE_PFC:
        raise ValueError("not a PFC frame")
    return ev & 0xFF, q


class PfcMirror:
    def __init__(self, *, quanta=0xFFFF, refresh=0x7F00 * 8, sa=bytes(6)):
        self.quanta, self.refresh, self.sa = quanta, refresh, sa
        self.req = 0
        self.last_sent = -1
        self.frames = 0

    def step(self, t, req):
        """Returns a PFC frame to send in cycle t, or None."""
        changed = req != self.req
        released = self.req & ~req
        self.req = req
        if changed or (req and t - self.last_sent >= self.refresh):
            self.last_sent = t
            self.frames += 1
            enable = req | released
            return encode_pfc(enable=enable, quanta=[self.quanta if req >> p & 1 else 0 for p in range(8)],
                              sa=self.sa)
        return None
