"""Match-action classifier top ``din_classifier``: cocotb tests on Icarus and Verilator (sim/parser/tb_classifier.py)
against the golden classifier, with small tables (every mechanism is size independent; the default sizes are
elaborated and checked in the Amaranth-simulator tests and built by ``din build classifier``)."""

import pytest

SMALL = {"nrp_size": 8, "arn_size": 6, "prefix_size": 6, "tuple_size": 6}


@pytest.mark.sim
def test_classifier_cocotb(cocotb_run, sim):
    cocotb_run("classifier", sim=sim, params=SMALL,
               testcase=r"\.(tables_against_golden|misconfiguration|reset_mid_stream)$")
