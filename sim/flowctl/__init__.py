"""sim/flowctl."""
