"""sim/parser."""
