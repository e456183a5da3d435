"""din.fpga: yosys + nextpnr-ecp5 flow, reports and budgets, board builds for the ECPIX-5 85F."""
