"""flowctl tops for ``din verilog / sim / bench / build`` (collected by :mod:`din.rtl.catalog`)."""

from din.rtl.catalog import Top

__all__ = ["TOPS"]

TOPS = [
    Top("flowctl", "flowctl", "flowctl.top:FlowCtl",
        "micro-flow backpressure queue manager: admission, shared cell buffer with free list, per-flow queues, "
        "XOFF/XON + global guard, DRR egress, AXI4-Lite registers (MFC generator / parser not yet)",
        defaults={"flows": 256, "cells": 2048, "cell_bytes": 64, "max_pkt": 1518, "dest_width": 16}),
]
