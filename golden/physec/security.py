"""PHYSec security (physec.md §7): key slots, IV, AAD, per-frame protection and the transmitter's key/FC policy.

* Key slot: {AN (2 bits), key (256 bits), salt (96 bits), SSCI (32 bits)}; installing it computes H and the GHASH
  table (:class:`~.gcm.GcmKey`). Two slots in hardware; the model accepts the slots of a key file.
* ``IV(n) = salt XOR (SSCI ‖ FC(n))`` (96 bits, big-endian; the MACsec XPN construction).
* AAD = O0..O13 as sent. Payload P = the 32 639 payload octets after GMP (MSB first).
* MODE 10: (C, T) = GCM-AE_K(IV, P, A). MODE 01: T = GCM-AE_K(IV, empty, A ‖ P), payload in clear.
  MODE 00: clear, the next frame's TAG is zero. T(n) is sent in the TAG field of frame n+1.
"""

import json
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .frame import AAD_OCTETS, MODE_CLEAR, MODE_GCM, MODE_GMAC, PAYLOAD_OCTETS
from .gcm import Aes256, GcmKey

__all__ = ["KeySlot", "KeyConfig", "make_iv", "protect", "tag_of", "TxSecurity", "FC_MAX", "KSP_FRAMES"]

FC_MAX = (1 << 64) - 1
#: frames before a key switch that carry KSP = 1 and NAN = the new AN (physec.md §7, §10)
KSP_FRAMES = 8
MODE_OF = {"gcm": MODE_GCM, "gmac": MODE_GMAC, "clear": MODE_CLEAR}


@dataclass
class KeySlot:
    an: int
    key: bytes
    salt: bytes
    ssci: int
    cipher: type = Aes256
    _gcm: GcmKey | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if not 0 <= self.an < 4:
            raise ValueError(f"AN {self.an} is not a 2-bit value")
        if len(self.salt) != 12:
            raise ValueError("a salt is 96 bits (24 hex digits)")
        if not 0 <= self.ssci < (1 << 32):
            raise ValueError("an SSCI is 32 bits (8 hex digits)")

    @property
    def gcm(self):
        """Installing the key: H and its powers are computed once (physec.md §7, key slots)."""
        if self._gcm is None:
            self._gcm = _install(bytes(self.key), self.cipher)
        return self._gcm


@lru_cache(maxsize=8)
def _install(key, cipher):
    """Key installation (H, GHASH table) is the slow part of the model, so equal keys share it."""
    return GcmKey(key, p_octets=PAYLOAD_OCTETS, a_octets=AAD_OCTETS, cipher=cipher)


def make_iv(slot, fc):
    """IV(n) = salt XOR (SSCI (32) ‖ FC (64)), big-endian (physec.md §7)."""
    x = (slot.ssci << 64) | fc
    return (int.from_bytes(slot.salt, "big") ^ x).to_bytes(12, "big")


def protect(slot, mode, fc, aad, payload):
    """Transmit side of one frame: (payload octets to send, T(n) as 16 octets or zero tag for MODE 00)."""
    if mode == MODE_CLEAR:
        return payload, bytes(16)
    ekj0, ks = slot.gcm.precompute(make_iv(slot, fc))
    if mode == MODE_GCM:
        c = np.bitwise_xor(payload, ks)
        s = slot.gcm.ghash_gcm(aad, c.tobytes())
        return c, (ekj0 ^ s).to_bytes(16, "big")
    if mode == MODE_GMAC:
        s = slot.gcm.ghash_gmac(bytes(aad) + payload.tobytes())
        return payload, (ekj0 ^ s).to_bytes(16, "big")
    raise ValueError(f"MODE {mode:02b} is reserved")


def tag_of(slot, mode, fc, aad, received_payload):
    """Receive side: (plaintext payload, expected T(n)) from the payload as received."""
    ekj0, ks = slot.gcm.precompute(make_iv(slot, fc))
    if mode == MODE_GCM:
        s = slot.gcm.ghash_gcm(aad, received_payload.tobytes())
        return np.bitwise_xor(received_payload, ks), (ekj0 ^ s).to_bytes(16, "big")
    s = slot.gcm.ghash_gmac(bytes(aad) + received_payload.tobytes())
    return received_payload, (ekj0 ^ s).to_bytes(16, "big")


@dataclass
class KeyConfig:
    """A key file (physec.md §10): mode, FC_INIT, slots, optional switch."""
    mode: str = "gcm"
    fc_init: int = 0
    slots: list = field(default_factory=list)
    switch: dict | None = None

    @classmethod
    def from_json(cls, text):
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"the key file is not JSON ({e.msg} at line {e.lineno})") from None
        mode = d.get("mode", "gcm")
        if mode not in MODE_OF:
            raise ValueError(f"key file mode {mode!r} is not one of gcm, gmac, clear")
        slots = []
        for i, s in enumerate(d.get("slots", [])):
            try:
                slots.append(KeySlot(an=int(s["an"]), key=bytes.fromhex(s["key"]), salt=bytes.fromhex(s["salt"]),
                                     ssci=int(s["ssci"], 16)))
            except (KeyError, ValueError) as e:
                raise ValueError(f"key file slot {i} is malformed ({e})") from None
            if len(slots[-1].key) != 32:
                raise ValueError(f"key file slot {i}: a key is 256 bits (64 hex digits)")
        if len({s.an for s in slots}) != len(slots):
            raise ValueError("key file slots must have distinct ANs")
        sw = d.get("switch")
        if sw is not None:
            if int(sw["frame"]) < KSP_FRAMES:
                raise ValueError(f"a key switch needs frame >= {KSP_FRAMES}")
            if not any(s.an == int(sw["an"]) for s in slots):
                raise ValueError(f"the key switch names AN {sw['an']}, which no slot has")
            sw = {"frame": int(sw["frame"]), "an": int(sw["an"])}
        fc_init = int(d.get("fc_init", 0))
        if not 0 <= fc_init <= FC_MAX:
            raise ValueError("fc_init must be a 64-bit unsigned value")
        return cls(mode=mode, fc_init=fc_init, slots=slots, switch=sw)

    def to_json(self):
        return json.dumps({"mode": self.mode, "fc_init": self.fc_init, "switch": self.switch, "slots": [
            {"an": s.an, "key": s.key.hex(), "salt": s.salt.hex(), "ssci": f"{s.ssci:08x}"} for s in self.slots]},
            indent=1)

    @property
    def require_encryption(self):
        """TX REQUIRE_ENCRYPTION: 0 only for a "clear" key file (physec.md §7)."""
        return self.mode != "clear"

    @property
    def rx_require_encryption(self):
        """RX_REQUIRE_ENCRYPTION: 0 for "clear" and "gmac" key files (physec.md §7)."""
        return self.mode == "gcm"

    def slot_for(self, an):
        return next((s for s in self.slots if s.an == an), None)


@dataclass
class FramePlan:
    fc: int
    mode: int
    an: int
    nan: int
    ksp: bool
    slot: KeySlot | None
    blocked: bool
    rekey_required: bool


class TxSecurity:
    """Which key, AN, NAN, KSP, MODE and FC each transmitted frame uses, and whether client data is blocked.

    * FC(n) = FC_INIT + n, never wrapping (saturates at 2^64 − 1).
    * A frame carries client data only if REQUIRE_ENCRYPTION is 0, or a key slot is usable and FC < FC_LIMIT
      (fail closed: otherwise MODE 00, all stuff, ``tx_blocked``). REKEY_REQUIRED is set from FC ≥ FC_LIMIT − rekey_warn.
    * Key switch {frame k, an a}: frames k−8..k−1 carry NAN = a, KSP = 1; frame k on uses the slot of AN a.
    """

    def __init__(self, config, *, fc_limit=FC_MAX, rekey_warn=1024, require_encryption=None):
        self.config = config
        self.fc_limit = fc_limit
        self.rekey_warn = rekey_warn
        self.require_encryption = config.require_encryption if require_encryption is None else require_encryption
        self.mode = MODE_OF[config.mode]

    def plan(self, n):
        cfg = self.config
        fc = min(cfg.fc_init + n, FC_MAX)
        slot = cfg.slots[0] if cfg.slots else None
        sw = cfg.switch
        nan_pending = None
        if sw is not None:
            if n >= sw["frame"]:
                slot = cfg.slot_for(sw["an"])
            elif n >= sw["frame"] - KSP_FRAMES:
                nan_pending = sw["an"]
        an = slot.an if slot else 0
        usable = slot is not None and fc < self.fc_limit
        mode = self.mode if usable else MODE_CLEAR
        blocked = self.require_encryption and not usable
        if not self.require_encryption and not usable:
            mode = MODE_CLEAR
        return FramePlan(fc=fc, mode=mode, an=an, nan=an if nan_pending is None else nan_pending,
                         ksp=nan_pending is not None, slot=slot if mode != MODE_CLEAR else None, blocked=blocked,
                         rekey_required=fc >= self.fc_limit - self.rekey_warn)
