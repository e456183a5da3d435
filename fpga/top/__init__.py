"""fpga/top."""
