"""fpga/common."""
