"""NIST CAVP vectors for the security cores (from the PyPI package ``cryptography-vectors``, the ``test`` extra).

* AES-256 known answers (FIPS 197 / AESAVS): ``ECBGFSbox256``, ``ECBKeySbox256``, ``ECBVarKey256``, ``ECBVarTxt256``;
* GCM (SP 800-38D / GCMVS): ``gcmEncryptExtIV256`` and ``gcmDecrypt256``, 96-bit IVs only (physec.md §7 uses
  96-bit IVs); decryption entries marked ``FAIL`` must be rejected.

Plain Python (no simulator): used by the Amaranth-simulator tests and by the cocotb testbenches.
"""

import os
import random

__all__ = ["vector_dir", "read_rsp", "aes_kat", "gcm_encrypt", "gcm_decrypt", "sample"]

AES_KAT_FILES = ("ECBGFSbox256.rsp", "ECBKeySbox256.rsp", "ECBVarKey256.rsp", "ECBVarTxt256.rsp")


def vector_dir():
    try:
        import cryptography_vectors
    except ImportError as e:       # a hard failure: these tests must not pass without their vectors
        raise RuntimeError("the NIST vectors need the PyPI package cryptography-vectors "
                           "(pip install -e '.[test]')") from e
    return os.path.join(os.path.dirname(cryptography_vectors.__file__), "ciphers", "AES")


def read_rsp(path):
    """Entries of a CAVP ``.rsp`` file as dicts (keys lower case), each with its section's ``[...]`` settings."""
    entries, section, cur = [], {}, None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                body = line[1:-1]
                if "=" in body:
                    k, v = body.split("=", 1)
                    section[k.strip().lower()] = v.strip()
                else:
                    section = {"op": body.lower()}
                continue
            if not line:
                continue
            if line == "FAIL":
                cur["fail"] = True
                continue
            k, v = (s.strip() for s in line.split("=", 1))
            k = k.lower()
            if k == "count":
                cur = dict(section, count=int(v), fail=False)
                entries.append(cur)
            else:
                cur[k] = v
    return entries


def aes_kat():
    """[(name, key bytes, plaintext bytes, ciphertext bytes)] of the four AES-256 ECB known-answer files."""
    out = []
    for name in AES_KAT_FILES:
        for e in read_rsp(os.path.join(vector_dir(), "ECB", name)):
            if e.get("op") == "encrypt":
                out.append((f"{name}:{e['count']}", bytes.fromhex(e["key"]), bytes.fromhex(e["plaintext"]),
                            bytes.fromhex(e["ciphertext"])))
    return out


def _gcm(name):
    out = []
    for e in read_rsp(os.path.join(vector_dir(), "GCM", name)):
        if int(e["ivlen"]) != 96:
            continue
        out.append({"name": f"{name}:{e['ptlen']}/{e['aadlen']}/{e['taglen']}:{e['count']}",
                    "key": bytes.fromhex(e["key"]), "iv": bytes.fromhex(e["iv"]),
                    "pt": bytes.fromhex(e.get("pt", "")), "aad": bytes.fromhex(e.get("aad", "")),
                    "ct": bytes.fromhex(e.get("ct", "")), "tag": bytes.fromhex(e["tag"]),
                    "fail": e["fail"]})
    return out


def gcm_encrypt():
    """96-bit-IV entries of ``gcmEncryptExtIV256.rsp`` (dicts: key, iv, pt, aad, ct, tag (maybe truncated))."""
    return _gcm("gcmEncryptExtIV256.rsp")


def gcm_decrypt():
    """96-bit-IV entries of ``gcmDecrypt256.rsp``; ``fail`` is True for the ones that must be rejected (no ``pt``)."""
    return _gcm("gcmDecrypt256.rsp")


def sample(items, count, salt):
    """``count`` items spread over the list (first and last included, the rest seeded), or all of them."""
    if count >= len(items):
        return list(items)
    r = random.Random(salt)
    idx = sorted({0, len(items) - 1, *r.sample(range(1, len(items) - 1), max(count - 2, 0))})
    return [items[i] for i in idx]
