"""fpga/parser."""
