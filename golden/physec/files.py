"""Exchange files of physec.md §10: client traces (.xgmii), line dumps (.line) and key files (JSON).

* ``.xgmii``: 9-byte records, data lanes 0..7 (lane 0 first), then the ctrl byte (bit i = lane i).
* ``.line``: the line bit stream, byte k bit i (LSB = 0) = line bit 8k + i. A transmitter's dump starts at f[0].
* key file: ``{"mode", "fc_init", "slots": [{"an", "key", "salt", "ssci"}], "switch"}`` (:class:`~.security.KeyConfig`).
"""

from pathlib import Path

import numpy as np

from .security import KeyConfig

__all__ = ["XGMII_RECORD", "read_xgmii", "write_xgmii", "read_line", "write_line", "read_keys", "write_keys"]

XGMII_RECORD = np.dtype([("data", "<u8"), ("ctrl", "u1")])
assert XGMII_RECORD.itemsize == 9


def read_xgmii(path):
    raw = Path(path).read_bytes()
    if len(raw) % 9:
        raise ValueError(f"{path} is not a client trace: its size {len(raw)} is not a multiple of 9 bytes")
    rec = np.frombuffer(raw, dtype=XGMII_RECORD)
    return rec["data"].astype(np.uint64), rec["ctrl"].astype(np.uint8)


def write_xgmii(path, data, ctrl):
    rec = np.empty(len(data), dtype=XGMII_RECORD)
    rec["data"], rec["ctrl"] = data, ctrl
    Path(path).write_bytes(rec.tobytes())


def read_line(path):
    return Path(path).read_bytes()


def write_line(path, data):
    Path(path).write_bytes(bytes(data))


def read_keys(path):
    return KeyConfig.from_json(Path(path).read_text())


def write_keys(path, config):
    Path(path).write_text(config.to_json() + "\n")
