"""fpga/flowctl."""
