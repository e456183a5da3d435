"""fpga/physec."""
