"""Export a component to Verilog with flat AXI port names, and write its parameters next to it as JSON.

This is the one place where AXI names appear (docs/common.md, "Exported Verilog"):

* a ``stream.Signature`` member ``s_axis`` whose payload has AXI-Stream fields (``data``, ``keep``, ``strb``, ``last``,
  ``user``, ``dest``, ``id``) becomes ``s_axis_tdata``, ``s_axis_tkeep`` ..., ``s_axis_tvalid``, ``s_axis_tready``;
  a stream whose payload is any other shape (a metadata record) becomes ``<name>_tdata`` carrying the whole payload,
  and the JSON records the field offsets;
* any other interface member is flattened by joining its path with ``_`` (``s_axil`` → ``s_axil_awaddr`` ...);
* clock domain ``sync`` becomes ``clk`` / ``rst`` (synchronous, active high); domain ``X`` becomes ``X_clk`` / ``X_rst``.

cocotbext-axi binds the result with its default names (``AxiStreamBus.from_prefix(dut, "s_axis")``).
"""

import hashlib
import json
from pathlib import Path

from amaranth import Const, Module, Shape, Value
from amaranth.back import verilog
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out, Flow

__all__ = ["AXIS_FIELDS", "FlatTop", "export_verilog", "flat_ports", "layout_json"]

#: payload field name -> AXI-Stream signal suffix
AXIS_FIELDS = {"data": "tdata", "keep": "tkeep", "strb": "tstrb", "last": "tlast",
               "user": "tuser", "dest": "tdest", "id": "tid"}


def layout_json(shape):
    """Describe a payload shape for the JSON side file: width and, for layouts, each field's offset and width."""
    if isinstance(shape, data.Layout):
        fields = {}
        for name, field in shape:
            fields[name] = {"offset": field.offset, "width": Shape.cast(field.shape).width}
            if isinstance(field.shape, data.Layout):
                fields[name]["fields"] = layout_json(field.shape)["fields"]
        return {"width": shape.size, "fields": fields}
    return {"width": Shape.cast(shape).width}


def _walk(signature, obj, path, out):
    for name, member in signature.members.items():
        sub_path = path + (str(name),)
        value = getattr(obj, name)
        if member.is_port:
            if isinstance(value, Value) or hasattr(value, "as_value"):
                out.append(("_".join(sub_path), member.flow, Value.cast(value), None))
            continue
        sub_sig = member.signature
        if isinstance(sub_sig, stream.Signature):
            _walk_stream(sub_sig, value, "_".join(sub_path), out)
        else:
            _walk(sub_sig, value, sub_path, out)


def _walk_stream(sig, obj, base, out):
    members = sig.members
    shape = members["payload"].shape
    pflow = members["payload"].flow
    info = {"stream": base, "payload": layout_json(shape)}
    if isinstance(shape, data.StructLayout) and all(name in AXIS_FIELDS for name, _ in shape):
        for name, _field in shape:
            out.append((f"{base}_{AXIS_FIELDS[name]}", pflow, Value.cast(obj.payload[name]), info))
    else:
        out.append((f"{base}_tdata", pflow, Value.cast(obj.payload), info))
    for name, suffix in (("valid", "tvalid"), ("ready", "tready")):
        value = getattr(obj, name)
        if isinstance(value, Const):            # always_valid / always_ready streams: no port
            continue
        out.append((f"{base}_{suffix}", members[name].flow, Value.cast(value), info))


def flat_ports(component):
    """List ``(flat_name, flow, inner_value, stream_info)`` for every port of ``component``'s signature."""
    out = []
    _walk(component.signature, component, (), out)
    names = [n for n, *_ in out]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ValueError(f"flat port names collide: {sorted(dupes)}")
    return out


class FlatTop(wiring.Component):
    """Wrap ``inner`` in a component whose members are the flat AXI names (no nested interfaces)."""

    def __init__(self, inner):
        self._inner = inner
        self._ports = flat_ports(inner)
        super().__init__({name: (In if flow == Flow.In else Out)(len(value))
                          for name, flow, value, _ in self._ports})

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = self._inner
        for name, flow, value, _ in self._ports:
            port = getattr(self, name)
            if flow == Flow.In:
                m.d.comb += value.eq(port)
            else:
                m.d.comb += port.eq(value)
        return m


def _jsonable(value):
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return repr(value)


def export_verilog(component, *, name, out_dir, params=None, domains=("sync",)):
    """Write ``<out_dir>/<name>.v`` and ``<out_dir>/<name>.json``; return the Verilog path.

    ``params`` (default: ``component.params``) are the hardware parameters, written to the JSON so that tests and
    tools read them instead of recomputing them. ``domains`` lists the clock domains, for the JSON.
    Files are rewritten only when their content changes (simulator build caches key on modification times).
    """
    if params is None:
        params = getattr(component, "params", {})
    top = FlatTop(component)
    text = verilog.convert(top, name=name, emit_src=False)
    ports = []
    streams = {}
    for port_name, flow, value, info in top._ports:
        ports.append({"name": port_name, "dir": "input" if flow == Flow.In else "output", "width": len(value)})
        if info is not None:
            streams.setdefault(info["stream"], {"payload": info["payload"], "ports": []})["ports"].append(port_name)
    meta = {
        "module": name,
        "parameters": _jsonable(params),
        "clocks": {d: ({"clk": "clk", "rst": "rst"} if d == "sync" else {"clk": f"{d}_clk", "rst": f"{d}_rst"})
                   for d in domains},
        "ports": ports,
        "streams": streams,
        "verilog_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    v_path = out_dir / f"{name}.v"
    _write_if_changed(v_path, text)
    _write_if_changed(out_dir / f"{name}.json", json.dumps(meta, indent=2) + "\n")
    return v_path


def _write_if_changed(path, text):
    path = Path(path)
    if path.exists() and path.read_text() == text:
        return False
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return True
