"""din_flowctl (rtl/flowctl/top.py): cocotb on Icarus and Verilator in lockstep with the golden model
(sim/flowctl/tb_flowctl.py): ready patterns, bad input, congestion with PFC, soft reset mid-traffic, bench."""

import pytest

SMALL = {"flows": 16, "cells": 256}


@pytest.mark.sim
def test_flowctl_rtl_cocotb(cocotb_run, sim):
    cocotb_run("flowctl", sim=sim, params=SMALL)
