"""Parser RTL (exported Verilog, ``din_parser`` with its AXI4-Lite registers) under cocotb against the golden model
(issue 4).

``make test`` runs on both simulators ``smoke`` (valid packets of every header kind and cuts, each record compared
with the golden model on every key of din.sim.parser.rtlrec.COMPARED_KEYS, the record counters against the golden
records' error classes), ``registers`` (ID, reset values = the golden defaults, every CONFIG_ERR flag, the defined
reading of MAX_EXT above 8) and ``reset_mid_stream`` (a reset in traffic under the none / periodic / random
patterns); on Verilator also ``config_cases`` (C-SID walks with VPP's uSID vector, REPLACE-C-SID, ARN in DOH,
each configuration written over AXI4-Lite) and ``check`` (valid packets, the captures, cuts and mutations under the
none / periodic / random idle and backpressure patterns on ``s_axis``, ``m_axis`` and ``m_meta``) with sample
counts. ``make regress`` runs ``config_cases`` and ``check`` with 10 000 mutations on both simulators (Icarus: hours
here). ``din demo`` runs ``random_patterns``.
"""

import pytest

from din.sim.common.tb import full_regression

pytestmark = pytest.mark.sim


#: Icarus runs the netlist at a few frames per second here (a 1 MB netlist of multiplexers): make test runs the
#: short tests on it and everything on Verilator; make regress runs the sweeps on both
ICARUS_QUICK = "smoke|registers|reset_mid_stream"
VERILATOR_QUICK = "smoke|registers|reset_mid_stream|config_cases|check"


def test_parser_icarus(cocotb_run):
    cocotb_run("parser", sim="icarus", testcase=ICARUS_QUICK)


def test_parser_verilator(cocotb_run):
    cocotb_run("parser", sim="verilator", testcase=VERILATOR_QUICK)


@pytest.mark.skipif(not full_regression(), reason="make regress: sweeps of thousands of frames")
def test_parser_matches_golden(cocotb_run, sim):
    cocotb_run("parser", sim=sim, testcase="check|config_cases")


@pytest.mark.parametrize("capture", ["ipv6-srh-insert-cksum.pcap", "ipv6-routing-header.pcap"])
def test_din_parse_rtl(capsys, tmp_path, capture):
    """``din parse --rtl --json`` prints, per frame, the golden model's record (every key but the golden's
    diagnostic ``unknown_options``), with the configuration of ``--config`` written over AXI4-Lite."""
    import json
    from din.sim.cli import main
    from din.sim.parser.corpus import TCPDUMP_DIR
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"arn": {"carrier": "both"},
                               "csid_blocks": [{"prefix": "2::", "lbl": 16, "lnfl": 16, "flavor": "next"}]}))
    pcap = TCPDUMP_DIR / capture
    assert main(["parse", str(pcap), "--json", "--config", str(cfg)]) == 0
    golden = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main(["parse", str(pcap), "--json", "--config", str(cfg), "--rtl", "--sim", "icarus"]) == 0
    captured = capsys.readouterr()
    rtl = [json.loads(line) for line in captured.out.splitlines()]
    assert len(rtl) == len(golden) > 0
    stamps = [r.pop("ingress_timestamp") for r in rtl]      # RTL only: cycles since reset at the first beat
    assert all(b > a for a, b in zip(stamps, stamps[1:]))
    for r, g in zip(rtl, golden):
        assert set(g) - set(r) == {"unknown_options"}
        assert r == {k: v for k, v in g.items() if k != "unknown_options"}
    assert f"FRAMES {len(golden)}" in captured.err
