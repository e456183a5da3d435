"""din.sim: verification harness (cocotb runner, stall patterns, scoreboard), testbenches and the ``din`` command."""
