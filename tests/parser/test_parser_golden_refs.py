"""Independent references for the parser golden tests (a helper module, no tests): the tcpdump captures, their
decodes (``*.out``) and tshark (PDML).

Nothing here imports the golden model: expected values come from tcpdump's ``*.out`` text and tshark's dissection.
"""

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TCPDUMP_DIR = REPO.parent / "shared" / "data" / "pcap" / "tcpdump"

# tcpdump print-tcp.c flag letters
TCP_FLAG_LETTERS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, ".": 0x10, "U": 0x20, "E": 0x40, "W": 0x80}

_PAREN = r"\((?:[^()]|\([^()]*\))*\)"
_IP6 = re.compile(r"(?:IP6 |ethertype IPv6 \(0x86dd\), length (?P<flen>\d+): )(?P<opts>" + _PAREN + r" )?"
                  r"(?P<src>[0-9a-f:.]+) > (?P<dst>[0-9a-f:.]+): ")


def tcpdump_outputs():
    """[(pcap path, out path)] for every ``*.out`` whose capture exists (``x-v.out`` / ``x-ev.out`` → ``x.pcap``)."""
    pairs = []
    for out in sorted(TCPDUMP_DIR.glob("*.out")):
        stem = re.sub(r"-e?v$", "", out.stem)
        pcap = TCPDUMP_DIR / f"{stem}.pcap"
        if pcap.exists():
            pairs.append((pcap, out))
    return pairs


def parse_tcpdump_line(line):
    """The fields one tcpdump decode line shows, as a dict (only keys tcpdump printed)."""
    f = {}
    headers = []
    for m in _IP6.finditer(line):
        h = {"src": m["src"], "dst": m["dst"], "pos": m.start(), "end": m.end()}
        if m["flen"]:
            h["frame_len"] = int(m["flen"])
        if m["opts"]:
            opts = m["opts"]
            h["verbose"] = True
            for key, rx, base in (("hlim", r"hlim (\d+)", 10), ("flowlabel", r"flowlabel 0x([0-9a-f]+)", 16),
                                  ("class", r"class 0x([0-9a-f]+)", 16), ("plen", r"payload length (\d+)", 10),
                                  ("nh", r"next-header [^(]*\((\d+)\)", 10)):
                mm = re.search(rx, opts)
                if mm:
                    h[key] = int(mm.group(1), base)
        headers.append(h)
    f["ip6"] = headers
    m = re.search(r"RT6 \(len=(\d+), type=(\d+)[^,]*, segleft=(\d+)(?:, last-entry=(\d+))?(?:, flags=0x([0-9a-f]+))?"
                  r"(?:, tag=([0-9a-f]+))?", line)
    if m:
        rt = {"len": int(m[1]), "type": int(m[2]), "segleft": int(m[3])}
        if m[4] is not None:
            rt["last_entry"] = int(m[4])
        if m[5] is not None:
            rt["flags"] = int(m[5], 16)
        if m[6] is not None:
            rt["tag"] = int(m[6], 16)     # tcpdump prints the tag in hex (print-rt6.c "tag=%x")
        seg_end = line.find(")", m.end()) if "[|rt6]" not in line else len(line)
        rt["addrs"] = {int(i): a for i, a in re.findall(r"\[(\d+)\]([0-9a-f:.]+)", line[m.end():seg_end])}
        tlvs = re.findall(r"TLV-type=(\w+)\((\d+)\)(?:, TLV-len=(\d+))?", line)
        rt["tlvs"] = [(name, int(t), int(ln) if ln else None) for name, t, ln in tlvs]
        mm = re.search(r"D=(\d), HMAC-key-ID=0x([0-9a-f]+)", line)
        if mm:
            rt["hmac_d"], rt["hmac_key_id"] = int(mm[1]), int(mm[2], 16)
        f["rt6"] = rt
    f["truncated"] = "[|" in line
    m = re.search(r"HBH \(jumbo: (\d+)\)", line)
    if m:
        f["jumbo"] = int(m[1])
    m = re.search(r" (\d+) > (\d+): Flags \[([^\]]*)\]", line)
    if m:
        flags = 0
        for ch in m[3]:
            flags |= TCP_FLAG_LETTERS[ch]
        f["l4"] = {"proto": 6, "sport": int(m[1]), "dport": int(m[2]), "tcp_flags": flags}
    m = re.search(r" (\d+) > (\d+): (?:\[udp sum [^\]]*\] )?UDP, length", line)
    if m:
        f["l4"] = {"proto": 17, "sport": int(m[1]), "dport": int(m[2])}
    if "ICMP6, " in line:
        f["l4"] = {"proto": 58, "sport": None, "dport": None}
    f["no_next_header"] = line.rstrip().endswith("no next header")
    f["ether_inner"] = line.count("ethertype IPv6") >= 2
    return f


def tcpdump_lines(out_path):
    """{packet number: decode line}; the number is tcpdump's first column (``-#``)."""
    lines = {}
    for line in Path(out_path).read_text().splitlines():
        m = re.match(r"\s*(\d+)\s+(.*)", line)
        if m:
            lines[int(m[1])] = m[2]
    return lines


def tshark_path():
    return shutil.which("tshark")


def tshark_pdml(pcap):
    """tshark's PDML of a capture: [per packet: {"ipv6": [per IPv6 header: {"nxt": [...], "fields": {...}}],
    "expert": [messages], "frame_len": int}]. Field order inside each IPv6 header is kept (the chain order)."""
    exe = tshark_path()
    assert exe, "tshark is missing: `make install` (deps-debian) installs it; on Debian: apt-get install tshark"
    out = subprocess.run([exe, "-n", "-r", str(pcap), "-T", "pdml"], capture_output=True, check=True, timeout=60)
    root = ET.fromstring(out.stdout)
    packets = []
    for pkt in root.iter("packet"):
        p = {"ipv6": [], "expert": [], "frame_len": None, "protos": []}
        for proto in pkt.findall("proto"):
            name = proto.get("name")
            p["protos"].append(name)
            if name == "frame":
                for fld in proto.iter("field"):
                    if fld.get("name") == "frame.len":
                        p["frame_len"] = int(fld.get("show"))
            if name == "ipv6":
                hdr = {"nxt": [], "fields": {}}
                for fld in proto.iter("field"):
                    n = fld.get("name")
                    if n in ("ipv6.nxt", "ipv6.hopopts.nxt", "ipv6.routing.nxt", "ipv6.dstopts.nxt",
                             "ipv6.fraghdr.nxt"):
                        hdr["nxt"].append(int(fld.get("show")))
                    hdr["fields"].setdefault(n, []).append(fld.get("show"))
                p["ipv6"].append(hdr)
            if name in ("tcp", "udp") and "ports" not in p:
                ports = {fld.get("name"): int(fld.get("show")) for fld in proto.iter("field")
                         if fld.get("name") in (f"{name}.srcport", f"{name}.dstport")}
                p["ports"] = (ports[f"{name}.srcport"], ports[f"{name}.dstport"])
            for fld in proto.iter("field"):
                if fld.get("name") == "_ws.expert.message":
                    p["expert"].append(fld.get("show"))
        packets.append(p)
    return packets
