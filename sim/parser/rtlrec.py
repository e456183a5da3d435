"""Between the parser RTL and the golden model: register values from a ``ParserConfig``, the RTL record (bits of
``m_meta``) as the ``din parse --json`` object, and the comparison of the two.

The RTL record layout is ``din.rtl.parser.parser.record_layout()``; this module only reads fields out of it by name
(offsets from the layout) and formats them like ``ParseRecord.to_json``; it computes nothing the RTL computes.
Keys the RTL does not produce (``unknown_options``, the golden's diagnostic list) are not compared.
"""

from din.golden.parser.errors import FATAL_MASK, names_of
from din.golden.parser.record import addr_text
from din.rtl.parser.parser import record_layout

__all__ = ["config_values", "register_words", "decode_record", "rtl_json", "compare", "COMPARED_KEYS"]

SOURCES = ("outer_hbh", "outer_doh", "inner_hbh", "inner_doh")


def config_values(cfg):
    """``cfg_*`` port values (walker CONFIG_FIELDS) for a golden ``ParserConfig``."""
    lim = cfg.limits
    allowed = sum(1 << x for x in cfg.srh_sl0_ulp_allowed if 0 <= x < 256)

    def opt(v):
        return (v or 0, int(v is not None))
    arn_t = cfg.arn_option_type
    apn6 = opt(cfg.apn6_option_type)
    nrp = opt(cfg.nrp_option_type)
    alt = opt(cfg.altmark_option_type)
    ih = opt(cfg.ioam_hbh_type)
    idh = opt(cfg.ioam_doh_type)
    return {
        "arn_type": arn_t, "apn6_type": apn6[0], "apn6_en": apn6[1],
        "arn_hbh": int(cfg.arn_carrier in ("hbh", "both")), "arn_doh": int(cfg.arn_carrier in ("doh", "both")),
        "nrp_type": nrp[0], "nrp_en": nrp[1], "alt_type": alt[0], "alt_en": alt[1],
        "ioam_hbh_type": ih[0], "ioam_hbh_en": ih[1], "ioam_doh_type": idh[0], "ioam_doh_en": idh[1],
        "max_ext": lim.max_ext, "max_opts": lim.max_opts, "max_opt_hdr": lim.max_opt_hdr_bytes,
        "max_pad": lim.max_pad, "window": lim.window, "sl0_allowed": allowed,
        **{f"carve{i}": off for i, off in enumerate(cfg.arn_carve)},
        **{f"csid{i}_{k}": v for i in range(4) for k, v in _block(cfg.csid_blocks, i).items()},
    }


def register_words(cfg):
    """The AXI4-Lite writes that configure ``din_parser`` like ``cfg``: a list of (byte address, 32-bit word),
    every configuration register of ``din.sim.parser.regs`` (docs/regs/parser.md), in address order."""
    from din.sim.parser import regs as R
    v = config_values(cfg)
    regs = {
        R.OPT_ARN_ADDR: (v["arn_type"] << R.OPT_ARN_TYPE_SHIFT | v["arn_hbh"] << R.OPT_ARN_HBH_SHIFT
                         | v["arn_doh"] << R.OPT_ARN_DOH_SHIFT | v["apn6_type"] << R.OPT_ARN_APN6_TYPE_SHIFT
                         | v["apn6_en"] << R.OPT_ARN_APN6_EN_SHIFT),
        R.OPT_NRP_ALT_ADDR: (v["nrp_type"] << R.OPT_NRP_ALT_NRP_TYPE_SHIFT | v["nrp_en"] << R.OPT_NRP_ALT_NRP_EN_SHIFT
                             | v["alt_type"] << R.OPT_NRP_ALT_ALT_TYPE_SHIFT | v["alt_en"] << R.OPT_NRP_ALT_ALT_EN_SHIFT),
        R.OPT_IOAM_ADDR: (v["ioam_hbh_type"] << R.OPT_IOAM_HBH_TYPE_SHIFT | v["ioam_hbh_en"] << R.OPT_IOAM_HBH_EN_SHIFT
                          | v["ioam_doh_type"] << R.OPT_IOAM_DOH_TYPE_SHIFT
                          | v["ioam_doh_en"] << R.OPT_IOAM_DOH_EN_SHIFT),
        R.ARN_CARVE_ADDR: (v["carve0"] << R.ARN_CARVE_APP_GROUP_SHIFT | v["carve1"] << R.ARN_CARVE_APP_SHIFT
                           | v["carve2"] << R.ARN_CARVE_USER_GROUP_SHIFT | v["carve3"] << R.ARN_CARVE_USER_SHIFT),
        R.LIMITS_ADDR: (v["max_ext"] << R.LIMITS_MAX_EXT_SHIFT | v["max_opts"] << R.LIMITS_MAX_OPTS_SHIFT
                        | v["max_pad"] << R.LIMITS_MAX_PAD_SHIFT),
        R.LIMITS_BYTES_ADDR: (v["max_opt_hdr"] << R.LIMITS_BYTES_MAX_OPT_HDR_SHIFT
                              | v["window"] << R.LIMITS_BYTES_WINDOW_SHIFT),
    }
    for k in range(R.SL0_ALLOWED_WORDS):
        regs[R.SL0_ALLOWED_ADDR + 4 * k] = (v["sl0_allowed"] >> (32 * k)) & 0xFFFF_FFFF
    for i in range(4):
        regs[getattr(R, f"CSID{i}_ADDR")] = (
            v[f"csid{i}_en"] << getattr(R, f"CSID{i}_EN_SHIFT") | v[f"csid{i}_replace"] << getattr(R, f"CSID{i}_REPLACE_SHIFT")
            | v[f"csid{i}_lbl"] << getattr(R, f"CSID{i}_LBL_SHIFT") | v[f"csid{i}_lnfl"] << getattr(R, f"CSID{i}_LNFL_SHIFT"))
        for k in range(getattr(R, f"CSID{i}_PREFIX_WORDS")):
            regs[getattr(R, f"CSID{i}_PREFIX_ADDR") + 4 * k] = (v[f"csid{i}_prefix"] >> (32 * k)) & 0xFFFF_FFFF
    for addr, word in regs.items():
        if word >> 32:
            raise ValueError(f"register {addr:#x}: {word:#x} does not fit 32 bits")
    return sorted(regs.items())


def _block(blocks, i):
    if i >= len(blocks):
        return {"en": 0, "prefix": 0, "lbl": 0, "lnfl": 0, "replace": 0}
    b = blocks[i]
    return {"en": 1, "prefix": b.prefix, "lbl": b.lbl, "lnfl": b.lnfl, "replace": int(b.flavor == "replace")}


_LAYOUT = record_layout()
_OFFSETS = {}
_off = 0
for _name, _field in _LAYOUT:
    _OFFSETS[_name] = (_field.offset, _field.width)


def decode_record(bits):
    """The RTL record (an int of ``record_layout().size`` bits) as a dict of field name -> int."""
    return {name: (bits >> off) & ((1 << width) - 1) for name, (off, width) in _OFFSETS.items()}


def rtl_json(r):
    """The subset of the ``din parse --json`` object the RTL produces, from a decoded record."""
    v = r["ver"] if r["l3_v"] else None
    err = r["errs"]
    out = {
        "parse_ok": not err & FATAL_MASK,
        "errors": names_of(err),
        "error_bitmap": err,
        "error_offset": r["eoff"] if r["eoff_v"] else None,
        "length": r["length"],
        # parser.md §5 ingress timestamp: clock cycles since reset at the frame's first beat (RTL only: the golden
        # model has no clock, so it is not compared)
        "ingress_timestamp": r["ts"],
        "vlan_count": r["vlan_count"],
        "vlans": [{"tpid": r[f"vlan{i}"] >> 16, "pcp": r[f"vlan{i}"] >> 13 & 7, "dei": r[f"vlan{i}"] >> 12 & 1,
                   "vid": r[f"vlan{i}"] & 0xFFF} for i in range(min(r["vlan_count"], 2))],
        "ethertype": r["ethertype"] if r["ethertype_v"] else None,
        "l3": {1: "ipv6", 2: "ipv4"}.get(r["l3kind"]),
        "src": addr_text(r["src"], v) if r["l3_v"] else None,
        "dst": addr_text(r["dst"], v) if r["l3_v"] else None,
        "traffic_class": r["tc"] if r["l3_v"] else None,
        "flow_label": r["fl"] if r["l3_v"] and v == 6 else None,
        "hop_limit": r["hlim"] if r["l3_v"] else None,
        "payload_length": r["plen"] if r["l3_v"] else None,
        "ext_headers": [r[f"ext{i}"] for i in range(r["next"])],
        "ulp": r["ulp"] if r["ulp_v"] else None,
        "ulp_offset": r["ulp_off"] if r["ulp_v"] else None,
        "frag": {"first": bool(r["frag_first"]), "nonfirst": bool(r["frag_nonfirst"])},
        "routing": {"type": r["rt_type"], "sl": r["rt_sl"]} if r["rt_v"] else None,
        "jumbo": r["jumbo"] if r["jumbo_v"] else None,
        "router_alert": r["ra"] if r["ra_v"] else None,
    }
    if r["srh_v"]:
        out["srh"] = {"sl": r["srh_sl"], "le": r["srh_le"], "seg_cur": addr_text(r["segc"], 6) if r["segc_v"] else None,
                      "seg_next": addr_text(r["segn"], 6) if r["segn_v"] else None,
                      "reduced": r["srh_sl"] == r["srh_le"] + 1, "tag": r["srh_tag"], "flags": r["srh_flags"],
                      "offset": r["srh_off"], "length": (r["srh_hel"] + 1) * 8, "hmac": bool(r["hmac"]),
                      "hmac_d": bool(r["hmac_d"]) if r["hmac"] else None,
                      "hmac_key_id": r["hmac_key"] if r["hmac"] else None}
    else:
        out["srh"] = None
    if r["in_v"]:
        iv = 6 if r["in_ver6"] else 4
        out["inner"] = {"l3": f"ipv{iv}", "src": addr_text(r["in_src"], iv), "dst": addr_text(r["in_dst"], iv),
                        "ext_headers": [r[f"iext{i}"] for i in range(r["inext"])],
                        "ulp": r["in_ulp"] if r["in_ulp_v"] else None}
    else:
        out["inner"] = None
    if r["l4_v"]:
        out["l4"] = {"proto": r["l4_proto"], "sport": r["l4_sport"] if r["l4_ports_v"] else None,
                     "dport": r["l4_dport"] if r["l4_ports_v"] else None,
                     "tcp_flags": r["l4_flags"] if r["l4_flags_v"] else None}
    else:
        out["l4"] = None
    if r["alt_v"]:
        w = r["alt_word"]
        out["altmark"] = {"flowmon_id": w >> 12, "l": w >> 11 & 1, "d": w >> 10 & 1, "source": SOURCES[r["alt_src"]]}
    else:
        out["altmark"] = None
    if r["arn_v"]:
        apn6 = bool(r["arn_apn6"])
        bits = r["arn_id_bits"]
        carves = [r[f"arn_c{i}"] if r["arn_cv"] >> i & 1 else None for i in range(4)]
        out["arn"] = {"id_type": None if apn6 else r["arn_id_type"], "flags": None if apn6 else r["arn_flags"],
                      "id": f"{r['arn_id']:0{bits // 4}x}", "app_group": carves[0], "app": carves[1],
                      "user_group": carves[2], "user": carves[3], "source": SOURCES[r["arn_src"]],
                      "layout": "apn6_0x03" if apn6 else "arn", "para_type": None if apn6 else r["arn_para"],
                      "intent": r["arn_intent"] if r["arn_intent_v"] else None,
                      "sla": r["arn_sla"] if apn6 else None}
    else:
        out["arn"] = None
    out["nrp"] = None if not r["nrp_v"] else {"id": r["nrp_id"], "flags": r["nrp_flags"], "nr_type": r["nrp_type"],
                                              "source": SOURCES[r["nrp_src"]]}
    out["nrp_id"] = r["nrp_id"] if r["nrp_v"] else None
    out["ioam"] = None if not r["ioam_v"] else {
        "type": r["ioam_type"], "namespace": r["ioam_ns"], "flow_id": r["ioam_flow"] if r["ioam_flow_v"] else None,
        "seq": r["ioam_seq"] if r["ioam_seq_v"] else None, "source": SOURCES[r["ioam_src"]]}
    out["csid"] = None if not r["csid_v"] else {
        "flavor": "replace" if r["csid_replace"] else "next",
        "index": r["csid_index"] if r["csid_index_v"] else None,
        "next_da": addr_text(r["csid_next_da"], 6) if r["csid_next_da_v"] else None,
        "end": bool(r["csid_end"]), "block": r["csid_block"],
        "next_index": r["csid_next_index"] if r["csid_next_index_v"] else None}
    out["hash"] = r["hash"]
    return out


COMPARED_KEYS = ("parse_ok", "errors", "error_bitmap", "error_offset", "length", "vlan_count", "vlans", "ethertype", "l3", "src",
                 "dst", "traffic_class", "flow_label", "hop_limit", "payload_length", "ext_headers", "ulp",
                 "ulp_offset", "frag", "routing", "jumbo", "router_alert", "srh", "inner", "l4", "altmark", "arn",
                 "nrp", "nrp_id", "ioam", "csid", "hash")


def golden_view(rec, frame=None):
    """The golden record's ``din parse --json`` object restricted to the compared keys."""
    j = rec.to_json()
    return {k: j[k] for k in COMPARED_KEYS}


def compare(rtl, gold):
    """List of (key, rtl value, golden value) that differ."""
    return [(k, rtl.get(k), gold.get(k)) for k in COMPARED_KEYS if rtl.get(k) != gold.get(k)]
