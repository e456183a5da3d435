"""Parser configuration: the register values the hardware has (parser.md §4, §8 "Configuration file").

``ParserConfig()`` holds the defaults; ``ParserConfig.from_json(dict)`` / ``load_config(path)`` read CONFIG.json:

    {"arn": {"option_type": 30, "carrier": "hbh" | "doh" | "both", "apn6_option_type": 3,
             "carve": {"app_group": 0, "app": 16, "user_group": 32, "user": 48}},
     "nrp": {"option_type": 62},
     "altmark": {"option_type": 18}, "ioam": {"hbh_type": 49, "doh_type": 17},
     "csid_blocks": [{"prefix": "2001:db8:0:1::", "lbl": 64, "lnfl": 32, "flavor": "next" | "replace"}, ...],
     "limits": {"max_ext": 8, "max_opts": 8, "max_opt_hdr_bytes": 256, "max_pad": 7, "window": 512},
     "srh_sl0_ulp_allowed": [4, 6, 17, ...]}

Every key is optional. Values are validated here with one readable sentence per mistake (``ValueError``).
"""

import ipaddress
import json
from dataclasses import dataclass, field

__all__ = ["CsidBlock", "Limits", "ParserConfig", "load_config", "CARRIERS", "FLAVORS", "DEFAULT_SL0_ULP"]

CARRIERS = ("hbh", "doh", "both")
FLAVORS = ("next", "replace")
MAX_CSID_BLOCKS = 4                      # parser.md §3 "Up to 4 block descriptors"
#: Upper layers accepted after an SRH with SL = 0 (RFC 8754 §4.3.1.1 leaves the set to local policy; this default
#: is every upper layer the parse graph of parser.md §2 knows, plus ICMP and No Next Header).
DEFAULT_SL0_ULP = (1, 4, 6, 17, 41, 50, 58, 59, 132, 143)
CARVE_FIELDS = ("app_group", "app", "user_group", "user")


@dataclass(frozen=True)
class CsidBlock:
    """One C-SID block descriptor register set (parser.md §3): prefix, LBL, LNFL, flavour."""
    prefix: int                          # 128-bit integer; only its first ``lbl`` bits are compared
    lbl: int                             # Locator-Block length (bits)
    lnfl: int                            # Locator-Node + Function length = C-SID length (bits)
    flavor: str                          # "next" (NEXT-C-SID) | "replace" (REPLACE-C-SID)

    def __post_init__(self):
        if self.flavor not in FLAVORS:
            raise ValueError(f"C-SID flavor must be one of {', '.join(FLAVORS)}, not {self.flavor!r}")
        if not (0 < self.lbl < 128 and 0 < self.lnfl < 128 and self.lbl + self.lnfl <= 128):
            raise ValueError(f"C-SID block needs 0 < lbl, 0 < lnfl and lbl + lnfl <= 128 (got {self.lbl}, {self.lnfl})")
        if self.flavor == "replace" and (self.lnfl > 64 or self.lbl + self.lnfl + self.index_bits > 128):
            raise ValueError("a REPLACE-C-SID block needs lnfl <= 64 and room for the index after the C-SID")
        if not 0 <= self.prefix < 1 << 128:
            raise ValueError("C-SID prefix must be a 128-bit value")

    @property
    def k(self):
        """C-SIDs per 128-bit container (RFC 9800 §4.2: 128 / LNFL)."""
        return 128 // self.lnfl

    @property
    def index_bits(self):
        """Width of the REPLACE-C-SID index in the low DA bits: ceil(log2(K)) (RFC 9800 §4.2)."""
        return max(1, (self.k - 1).bit_length())

    def matches(self, da):
        # parser.md §8: "a descriptor matches when the DA's first LBL bits equal its prefix's"
        shift = 128 - self.lbl
        return da >> shift == self.prefix >> shift

    @classmethod
    def from_json(cls, d):
        _known(d, ("prefix", "lbl", "lnfl", "flavor"), "csid_blocks entry")
        try:
            prefix = int(ipaddress.IPv6Address(d["prefix"]))
        except (KeyError, ValueError):
            raise ValueError(f"csid_blocks prefix must be an IPv6 address, not {d.get('prefix')!r}") from None
        return cls(prefix=prefix, lbl=_int(d, "lbl", None), lnfl=_int(d, "lnfl", None), flavor=d.get("flavor", "next"))


@dataclass(frozen=True)
class Limits:
    """Parse limits (background/srv6_arn.md §7.1: MAX_EXT, MAX_OPTS, MAX_HBH_BYTES, PARSE_WINDOW)."""
    max_ext: int = 8                     # extension headers per chain (parser.md §6)
    max_opts: int = 8                    # non-pad options per HBH / DOH (parser.md §6)
    max_opt_hdr_bytes: int = 256         # HBH / DOH size (parser.md §6)
    max_pad: int = 7                     # consecutive pad bytes (parser.md §6, RFC 8504 §5.3)
    window: int = 512                    # parse window in bytes from the frame start (parser.md §1)

    def __post_init__(self):
        for name in ("max_ext", "max_opts", "max_opt_hdr_bytes", "max_pad", "window"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"limits.{name} must be a positive integer")


@dataclass(frozen=True)
class ParserConfig:
    """Register values of the parser (parser.md §4, §8). Option types are 8-bit; ``None`` disables one."""
    arn_option_type: int = 0x1E          # RFC 4727 experimental (parser.md §8)
    arn_carrier: str = "hbh"             # "hbh" | "doh" | "both" (parser.md §4)
    apn6_option_type: int | None = 0x03  # pre-standard APN6 layout (parser.md §4)
    #: ARN ID carve-out: bit offset of each 16-bit field from the ID's most significant bit (parser.md §8 defaults)
    arn_carve: tuple = (0, 16, 32, 48)
    nrp_option_type: int | None = 0x3E   # parser.md §8
    altmark_option_type: int | None = 0x12   # RFC 9343 §2
    ioam_hbh_type: int | None = 0x31     # RFC 9486 §3
    ioam_doh_type: int | None = 0x11     # RFC 9486 §3
    csid_blocks: tuple = ()
    limits: Limits = field(default_factory=Limits)
    srh_sl0_ulp_allowed: frozenset = frozenset(DEFAULT_SL0_ULP)

    def __post_init__(self):
        if self.arn_carrier not in CARRIERS:
            raise ValueError(f"arn carrier must be one of {', '.join(CARRIERS)}, not {self.arn_carrier!r}")
        for name in ("arn_option_type", "apn6_option_type", "nrp_option_type", "altmark_option_type",
                     "ioam_hbh_type", "ioam_doh_type"):
            v = getattr(self, name)
            if v is None and name == "arn_option_type":
                raise ValueError("arn option_type must be set")
            if v is not None and (not isinstance(v, int) or not 2 <= v <= 255):
                raise ValueError(f"{name} must be an option type 2..255 (0 and 1 are Pad1 / PadN), not {v!r}")
        types = [getattr(self, n) for n in ("arn_option_type", "apn6_option_type", "nrp_option_type",
                                            "altmark_option_type", "ioam_hbh_type", "ioam_doh_type")]
        types = [t for t in types if t is not None]
        if len(set(types)) != len(types):
            raise ValueError("each decoded option needs its own option type (ARN, APN6, NRP, Alt-Mark, IOAM differ)")
        if len(self.arn_carve) != 4 or any(not isinstance(o, int) or not 0 <= o <= 112 for o in self.arn_carve):
            raise ValueError("arn carve offsets must be four bit offsets 0..112")
        if len(self.csid_blocks) > MAX_CSID_BLOCKS:
            raise ValueError(f"at most {MAX_CSID_BLOCKS} C-SID block descriptors (parser.md §3)")

    @classmethod
    def from_json(cls, d):
        if not isinstance(d, dict):
            raise ValueError("the configuration must be a JSON object")
        _known(d, ("arn", "nrp", "altmark", "ioam", "csid_blocks", "limits", "srh_sl0_ulp_allowed"), "configuration")
        kw = {}
        arn = d.get("arn", {})
        _known(arn, ("option_type", "carrier", "apn6_option_type", "carve"), "arn")
        if "option_type" in arn:
            kw["arn_option_type"] = _int(arn, "option_type", None)
        if "carrier" in arn:
            kw["arn_carrier"] = arn["carrier"]
        if "apn6_option_type" in arn:
            kw["apn6_option_type"] = _int(arn, "apn6_option_type", None, nullable=True)
        if "carve" in arn:
            _known(arn["carve"], CARVE_FIELDS, "arn.carve")
            base = dict(zip(CARVE_FIELDS, cls.arn_carve))
            base.update({k: _int(arn["carve"], k, None) for k in arn["carve"]})
            kw["arn_carve"] = tuple(base[k] for k in CARVE_FIELDS)
        for key, sub, name in (("nrp", "option_type", "nrp_option_type"),
                               ("altmark", "option_type", "altmark_option_type"),
                               ("ioam", "hbh_type", "ioam_hbh_type"), ("ioam", "doh_type", "ioam_doh_type")):
            part = d.get(key, {})
            _known(part, ("option_type",) if key != "ioam" else ("hbh_type", "doh_type"), key)
            if sub in part:
                kw[name] = _int(part, sub, None, nullable=True)
        blocks = d.get("csid_blocks", [])
        if not isinstance(blocks, list):
            raise ValueError("csid_blocks must be a list")
        kw["csid_blocks"] = tuple(CsidBlock.from_json(b) for b in blocks)
        if "limits" in d:
            _known(d["limits"], Limits.__dataclass_fields__, "limits")
            kw["limits"] = Limits(**d["limits"])
        if "srh_sl0_ulp_allowed" in d:
            kw["srh_sl0_ulp_allowed"] = frozenset(int(x) for x in d["srh_sl0_ulp_allowed"])
        return cls(**kw)


def load_config(path):
    """Read CONFIG.json into a :class:`ParserConfig`."""
    with open(path) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is not valid JSON ({e.msg} at line {e.lineno})") from None
    return ParserConfig.from_json(data)


def _known(d, keys, where):
    if not isinstance(d, dict):
        raise ValueError(f"{where} must be a JSON object")
    unknown = sorted(set(d) - set(keys))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} in {where} (known: {', '.join(keys)})")


def _int(d, key, default, nullable=False):
    v = d.get(key, default)
    if v is None and nullable:
        return None
    if not isinstance(v, int) or isinstance(v, bool):
        raise ValueError(f"{key} must be an integer, not {v!r}")
    return v
