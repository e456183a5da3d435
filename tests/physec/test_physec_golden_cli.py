"""``din physec``: pcap → .xgmii → tx → .line → rx → .xgmii with real Ethernet frames (scapy), FCS checked with zlib."""

import zlib

import numpy as np
import pytest

from din.golden.physec.ethernet import read_pcap, xgmii_to_frames
from din.golden.physec.files import read_xgmii
from din.sim.cli import main


def _pcap(path, n=120):
    scapy = pytest.importorskip("scapy.all")
    rng = np.random.default_rng(4)
    pkts = [scapy.Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / scapy.IP(src="10.0.0.1", dst="10.0.0.2")
            / scapy.UDP(sport=1000 + i, dport=2000) / scapy.Raw(rng.bytes(int(rng.integers(18, 1473))))
            for i in range(n)]
    pkts.append(scapy.Ether(dst="ff:ff:ff:ff:ff:ff") / scapy.ARP(pdst="10.0.0.9"))           # 42 octets: padded
    scapy.wrpcap(str(path), pkts)
    return [bytes(p) for p in pkts]


def test_pcap_tx_rx_round_trip(tmp_path, capsys):
    sent = _pcap(tmp_path / "in.pcap")
    assert read_pcap(tmp_path / "in.pcap") == sent
    assert main(["physec", "xgmii-from-pcap", str(tmp_path / "in.pcap"), str(tmp_path / "in.xgmii")]) == 0
    d, c = read_xgmii(tmp_path / "in.xgmii")
    frames = xgmii_to_frames(d, c)
    assert len(frames) == len(sent)
    assert [f for f, _, _ in frames] == [p.ljust(60, b"\0") for p in sent]
    # octet by octet: /S/, preamble, SFD, frame, FCS = zlib.crc32, /T/, and >= 12 octets from /T/ to the next /S/
    raw = d.astype("<u8").view(np.uint8).reshape(-1)
    ctl = np.unpackbits(c[:, None], axis=1, bitorder="little").reshape(-1)
    starts = np.flatnonzero((ctl == 1) & (raw == 0xFB))
    assert len(starts) == len(sent) and (starts % 8 == 0).all()
    for i, s in enumerate(starts):
        end = s + 1 + int(np.flatnonzero(ctl[s + 1:])[0])
        assert raw[s + 1:s + 8].tobytes() == bytes([0x55] * 6 + [0xD5]) and raw[end] == 0xFD
        frame = raw[s + 8:end - 4].tobytes()
        assert frame == sent[i].ljust(60, b"\0")
        assert raw[end - 4:end].tobytes() == zlib.crc32(frame).to_bytes(4, "little")
        if i + 1 < len(starts):
            assert starts[i + 1] - end >= 12
    (tmp_path / "k.json").write_text("")
    assert main(["physec", "keys", str(tmp_path / "k.json"), "--switch", "9"]) == 0
    assert main(["physec", "tx", str(tmp_path / "in.xgmii"), str(tmp_path / "o.line"), "--keys",
                 str(tmp_path / "k.json")]) == 0
    assert main(["physec", "rx", str(tmp_path / "o.line"), str(tmp_path / "out.xgmii"), "--keys",
                 str(tmp_path / "k.json")]) == 0
    d2, c2 = read_xgmii(tmp_path / "out.xgmii")
    assert np.array_equal(d2[:len(d)], d) and np.array_equal(c2[:len(c)], c)
    assert [f for f, ok, _ in xgmii_to_frames(d2, c2)] == [f for f, _, _ in frames]
    out = capsys.readouterr().out
    assert "tag_ok" in out and "tag_fail" not in out


def test_user_errors_are_one_sentence(tmp_path, capsys):
    (tmp_path / "bad.json").write_text('{"mode": "rot13"}')
    (tmp_path / "x.xgmii").write_bytes(bytes(10))
    assert main(["physec", "tx", str(tmp_path / "x.xgmii"), str(tmp_path / "o.line"), "--keys",
                 str(tmp_path / "bad.json")]) == 1
    assert "mode 'rot13'" in capsys.readouterr().err
    (tmp_path / "k.json").write_text('{"mode": "clear", "slots": []}')
    assert main(["physec", "tx", str(tmp_path / "x.xgmii"), str(tmp_path / "o.line"), "--keys",
                 str(tmp_path / "k.json")]) == 1
    assert "multiple of 9" in capsys.readouterr().err
    (tmp_path / "p.pcap").write_bytes(b"\x0a\x0d\x0d\x0a" + bytes(40))
    assert main(["physec", "xgmii-from-pcap", str(tmp_path / "p.pcap"), str(tmp_path / "o.xgmii")]) == 1
    assert "pcapng" in capsys.readouterr().err


def test_bench_golden_prints_mbps(capsys):
    assert main(["physec", "bench-golden", "--frames", "4"]) == 0
    assert "Mb/s" in capsys.readouterr().out
