"""sim/common."""
