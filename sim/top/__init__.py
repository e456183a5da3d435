"""sim/top."""
