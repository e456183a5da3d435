"""I/O wrapper for out-of-context FPGA builds: a wide core behind a handful of pins.

The LFE5UM5G-85F in CABGA554 has 365 I/O sites and nextpnr places every top-level port on one, so a 64-bit stream
core built on its own does not even fit; and a core whose ports sit on pins is timed through the I/O buffers, which
says nothing about the core. The wrapper (Verilog, generated from the export's JSON side file) gives every clock
domain of the core:

* its own clock pin (the core's clock name: ``clk``, ``s_clk`` ...) and a reset pin synchronised by two flip-flops;
* one serial input pin ``<d>_si`` feeding a shift register as long as all the core's inputs of that domain together,
  whose parallel outputs drive those inputs (every input bit is a flip-flop output, all different);
* a register on every output bit of that domain, then a pipelined tree of registered 4-input XORs (one LUT4 deep
  per stage) down to at most :data:`FOLD_PINS` output pins ``<d>_so``, so no output is optimised away and the
  fold itself is never the critical path.

So every path of the core starts and ends at a flip-flop of the same clock, and I/O never limits Fmax. The core is kept
as its own module during synthesis (``keep_hierarchy``), so its cell counts are reported apart from the wrapper's.

Which domain a port belongs to, first match wins: the export JSON's ``port_domains`` (if the export ever writes it);
:data:`PORT_DOMAINS` below; a port named ``<domain>_...`` belongs to that domain (``s_axis_tdata`` → ``s`` for a
top with domains ``s`` and ``m``); every other port belongs to the top's first domain. A port put in the wrong domain
is only timed as a clock crossing (which nextpnr leaves out of both clocks' Fmax), so the rule errs on the safe side.
"""

__all__ = ["FOLD_PINS", "PORT_DOMAINS", "WRAPPER_MODULE", "port_domain", "wrap_verilog"]

#: at most this many folded output pins per clock domain
FOLD_PINS = 8
WRAPPER_MODULE = "din_fpga_wrapper"
#: module -> {port: domain} for multi-clock tops whose ports do not all carry a domain prefix
PORT_DOMAINS = {
    # rtl/common/packet_fifo.py AsyncPacketFIFO: drop pulses, level and frames are in the read domain m
    "din_async_packet_fifo": {"drop_bad": "m", "drop_oversize": "m", "drop_full": "m", "level": "m", "frames": "m"},
}


def port_domain(port_name, domains, overrides=None):
    """The clock domain of ``port_name`` (see the module docstring); ``overrides`` maps port names to domains."""
    if overrides and port_name in overrides:
        return overrides[port_name]
    for domain in domains:
        if domain != "sync" and port_name.startswith(f"{domain}_"):
            return domain
    return domains[0]


def _pin(domain, suffix):
    return suffix if domain == "sync" else f"{domain}_{suffix}"


def wrap_verilog(meta, *, fold_pins=FOLD_PINS):
    """Return ``(verilog_text, info)`` for a wrapper around the core described by ``meta`` (the export's JSON).

    ``info`` lists the wrapper's pins (``{"name", "dir", "width", "domain", "role"}``), the input and output bits per
    domain and the wrapper's own flip-flop count.
    """
    core = meta["module"]
    clocks = meta["clocks"]                      # domain -> {"clk": name, "rst": name}
    domains = list(clocks)
    clock_ports = {c[k] for c in clocks.values() for k in ("clk", "rst")}
    overrides = {**PORT_DOMAINS.get(core, {}), **meta.get("port_domains", {})}
    ins = {d: [] for d in domains}
    outs = {d: [] for d in domains}
    for port in meta["ports"]:
        if port["name"] in clock_ports:
            continue
        d = port_domain(port["name"], domains, overrides)
        (ins if port["dir"] == "input" else outs)[d].append(port)

    pins, body, conns, ff_count = [], [], [], 0
    for d in domains:
        clk, rst = clocks[d]["clk"], clocks[d]["rst"]
        n_in = sum(p["width"] for p in ins[d])
        n_out = sum(p["width"] for p in outs[d])
        pins += [{"name": clk, "dir": "input", "width": 1, "domain": d, "role": "clock"},
                 {"name": rst, "dir": "input", "width": 1, "domain": d, "role": "reset"}]
        body += [f"    // ---- domain {d}: {n_in} input bits, {n_out} output bits",
                 f"    reg [1:0] {d}_rst_q = 2'b11;",
                 f"    always @(posedge {clk}) {d}_rst_q <= {{{d}_rst_q[0], {rst}}};"]
        ff_count += 2
        conns += [f"        .{clk}({clk})", f"        .{rst}({d}_rst_q[1])"]
        if n_in:
            si = _pin(d, "si")
            pins.append({"name": si, "dir": "input", "width": 1, "domain": d, "role": "serial in"})
            shift = f"{si}" if n_in == 1 else f"{{{d}_in_q[{n_in - 2}:0], {si}}}"
            body += [f"    reg [{n_in - 1}:0] {d}_in_q = {n_in}'d0;",
                     f"    always @(posedge {clk}) {d}_in_q <= {shift};"]
            ff_count += n_in
            lo = 0
            for p in ins[d]:
                conns.append(f"        .{p['name']}({d}_in_q[{lo + p['width'] - 1}:{lo}])")
                lo += p["width"]
        if n_out:
            so = _pin(d, "so")
            body += [f"    wire [{n_out - 1}:0] {d}_out;",
                     f"    reg [{n_out - 1}:0] {d}_out_q = {n_out}'d0;",
                     f"    always @(posedge {clk}) {d}_out_q <= {d}_out;"]
            ff_count += n_out
            bits = [f"{d}_out_q[{i}]" for i in range(n_out)]
            level = 0
            while len(bits) > fold_pins:              # one registered 4-input XOR (one LUT4) per bit per level
                groups = [bits[i:i + 4] for i in range(0, len(bits), 4)]
                reg = f"{d}_x{level}_q"
                body.append(f"    reg [{len(groups) - 1}:0] {reg} = {len(groups)}'d0;")
                for j, group in enumerate(groups):
                    body.append(f"    always @(posedge {clk}) {reg}[{j}] <= ^{{{', '.join(group)}}};")
                bits = [f"{reg}[{j}]" for j in range(len(groups))]
                ff_count += len(groups)
                level += 1
            pins.append({"name": so, "dir": "output", "width": len(bits), "domain": d, "role": "folded out"})
            body.append(f"    assign {so} = {{{', '.join(reversed(bits))}}};")
            lo = 0
            for p in outs[d]:
                conns.append(f"        .{p['name']}({d}_out[{lo + p['width'] - 1}:{lo}])")
                lo += p["width"]

    decls = []
    for p in pins:
        rng = f"[{p['width'] - 1}:0] " if p["width"] > 1 else ""
        decls.append(f"    {p['dir']} wire {rng}{p['name']}")
    text = "\n".join([
        f"// Generated by din.fpga.wrapper: I/O wrapper around {core} for out-of-context builds (docs/fpga.md).",
        f"module {WRAPPER_MODULE} (",
        ",\n".join(decls),
        ");",
        *body,
        f"    {core} core (",
        ",\n".join(conns),
        "    );",
        "endmodule",
        "",
    ])
    info = {
        "module": WRAPPER_MODULE,
        "core": core,
        "pins": pins,
        "pin_count": sum(p["width"] for p in pins),
        "core_port_bits": sum(p["width"] for p in meta["ports"]),
        "input_bits": {d: sum(p["width"] for p in ins[d]) for d in domains},
        "output_bits": {d: sum(p["width"] for p in outs[d]) for d in domains},
        "port_domains": {p["name"]: d for d in domains for p in ins[d] + outs[d]},
        "flip_flops": ff_count,
    }
    return text, info
