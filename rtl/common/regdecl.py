"""Register-map declaration: one description per block drives the register logic, the Markdown table and the
Python constants (spec/README.md "Registers"; notes/style.md example 7).

Plain Python on purpose (no Amaranth import): the documentation generator, host software and golden models may read a
map without pulling in the HDL. :class:`din.rtl.common.axil_regs.AXI4LiteRegisters` turns a :class:`RegisterMap` into
hardware; :mod:`din.rtl.common.regmap_gen` turns it into ``docs/regs/<block>.md`` and ``sim/<block>/regs.py``.

Layout of every window (32-bit data, byte addresses, word aligned):

* ``0x00 ID``: four ASCII characters, in address order (the first character is bits 7:0), read-only constant;
* ``0x04 VERSION``: a 32-bit read-only constant;
* the block's registers from ``0x08`` on. A register wider than 32 bits occupies consecutive words, word 0 holding
  bits 31:0 (little-endian word order, like the byte order of the bus).

Kinds (what software sees / what the hardware port is):

========  ==================================================================================================
RO        hardware drives the value (an input port); software writes get SLVERR
RW        storage with a reset value; an output port plus a one-cycle ``_wstb`` pulse on each software write
W1C       hardware sets bits with a per-bit pulse; software writes 1 to clear; set wins over a simultaneous clear
COUNTER   hardware adds its ``inc`` input each cycle (saturating unless ``saturate=False``); any software write
          clears it (the increment of that same cycle still counts, so no event is lost); width at most 32
WO        write-only storage (keys): the hardware has no read path, reads return 0 with OKAY
CONST     read-only constant equal to ``reset`` (what ID and VERSION are); no port
========  ==================================================================================================
"""

import enum
import keyword

__all__ = ["Kind", "RO", "RW", "W1C", "COUNTER", "WO", "CONST", "Field", "Register", "RegisterMap",
           "ID_OFFSET", "VERSION_OFFSET", "WORD_BYTES"]

WORD_BYTES = 4                 # AXI4-Lite with 32-bit data (spec/README.md "Registers")
ID_OFFSET = 0x00
VERSION_OFFSET = 0x04
_RESERVED = {"ID": ID_OFFSET, "VERSION": VERSION_OFFSET}


class Kind(enum.Enum):
    RO = "RO"
    RW = "RW"
    W1C = "W1C"
    COUNTER = "COUNTER"
    WO = "WO"
    CONST = "CONST"

    @property
    def software_writable(self):
        return self in (Kind.RW, Kind.W1C, Kind.COUNTER, Kind.WO)

    @property
    def readable(self):
        """False only for WO: no read path exists in the hardware."""
        return self is not Kind.WO

    @property
    def has_storage_reset(self):
        return self in (Kind.RW, Kind.WO, Kind.CONST)


RO, RW, W1C, COUNTER, WO, CONST = Kind.RO, Kind.RW, Kind.W1C, Kind.COUNTER, Kind.WO, Kind.CONST


def _check_name(what, name):
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise ValueError(f"{what} name {name!r} must be a Python identifier not starting with '_'")
    return name


def _check_int(what, value, *, minimum=0, maximum=None):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an integer, not {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum:#x}" if maximum is not None else ""
        raise ValueError(f"{what} must be at least {minimum}{upper}, not {value:#x}")
    return value


class Field:
    """A named bit range ``[lsb + width - 1 : lsb]`` of a register, with its own reset value."""

    def __init__(self, name, lsb, width, *, reset=0, doc=""):
        self.name = _check_name("field", name)
        self.lsb = _check_int(f"field {name} lsb", lsb)
        self.width = _check_int(f"field {name} width", width, minimum=1)
        self.reset = _check_int(f"field {name} reset", reset, maximum=(1 << width) - 1)
        self.doc = doc

    @property
    def msb(self):
        return self.lsb + self.width - 1

    @property
    def mask(self):
        """Mask of the field in register position."""
        return ((1 << self.width) - 1) << self.lsb

    def __repr__(self):
        return f"Field({self.name!r}, {self.lsb}, {self.width}, reset={self.reset:#x})"


class Register:
    """One register: ``name``, byte ``offset``, ``kind`` (a :class:`Kind` or its name) and keyword-only details.

    ``reset`` (RW / WO / CONST) may instead be given per field; the effective value is :attr:`reset_value`.
    ``inc_width`` and ``saturate`` apply to COUNTER only.
    """

    def __init__(self, name, offset, kind, *, width=32, reset=0, fields=(), doc="", inc_width=1, saturate=True):
        self.name = _check_name("register", name)
        try:
            self.kind = Kind(kind.value if isinstance(kind, Kind) else kind)
        except ValueError:
            raise ValueError(f"register {name}: unknown kind {kind!r}; "
                             f"choose one of: {', '.join(k.value for k in Kind)}") from None
        self.offset = _check_int(f"register {name} offset", offset)
        if offset % WORD_BYTES:
            raise ValueError(f"register {name}: offset {offset:#x} is not word aligned (a multiple of {WORD_BYTES})")
        self.width = _check_int(f"register {name} width", width, minimum=1)
        if self.kind in (Kind.W1C, Kind.COUNTER) and width > 32:
            raise ValueError(f"register {name}: a {self.kind.value} register is at most 32 bits wide, not {width}")
        self.reset = _check_int(f"register {name} reset", reset, maximum=(1 << width) - 1)
        if reset and not self.kind.has_storage_reset:
            raise ValueError(f"register {name}: a {self.kind.value} register has no reset value to declare "
                             f"(RO is driven by hardware, W1C and COUNTER reset to 0)")
        self.inc_width = _check_int(f"register {name} inc_width", inc_width, minimum=1, maximum=32)
        if not isinstance(saturate, bool):
            raise TypeError(f"register {name}: saturate must be True or False, not {saturate!r}")
        self.saturate = saturate
        if self.kind is not Kind.COUNTER and (inc_width != 1 or not saturate):
            raise ValueError(f"register {name}: inc_width and saturate apply to COUNTER registers only")
        self.doc = doc
        self.fields = tuple(fields)
        self._check_fields()

    def _check_fields(self):
        seen = {}
        for f in self.fields:
            if not isinstance(f, Field):
                raise TypeError(f"register {self.name}: fields must be Field objects, not {f!r}")
            if f.name.lower() in seen:
                raise ValueError(f"register {self.name}: two fields named {f.name!r}")
            if f.msb >= self.width:
                raise ValueError(f"register {self.name}: field {f.name} (bits {f.msb}:{f.lsb}) lies outside the "
                                 f"register's {self.width} bits")
            for other in seen.values():
                if f.mask & other.mask:
                    raise ValueError(f"register {self.name}: fields {other.name} (bits {other.msb}:{other.lsb}) and "
                                     f"{f.name} (bits {f.msb}:{f.lsb}) overlap")
            seen[f.name.lower()] = f
        field_reset = sum(f.reset << f.lsb for f in self.fields)
        if field_reset and self.reset:
            raise ValueError(f"register {self.name}: give the reset value either on the register or on its fields, "
                             f"not both")
        if field_reset and not self.kind.has_storage_reset:
            raise ValueError(f"register {self.name}: fields of a {self.kind.value} register have no reset value")

    @property
    def reset_value(self):
        """Reset value of the whole register (the register's own ``reset``, or its fields' resets combined)."""
        return self.reset | sum(f.reset << f.lsb for f in self.fields)

    @property
    def words(self):
        return (self.width + 31) // 32

    @property
    def end(self):
        """First byte offset after the register."""
        return self.offset + self.words * WORD_BYTES

    @property
    def port_name(self):
        return self.name.lower()

    def port_names(self):
        """Names of this register's ports on :class:`~din.rtl.common.axil_regs.AXI4LiteRegisters`."""
        base = self.port_name
        return {Kind.RO: [base], Kind.RW: [base, f"{base}_wstb"], Kind.WO: [base, f"{base}_wstb"],
                Kind.W1C: [base, f"{base}_set"], Kind.COUNTER: [base, f"{base}_inc"], Kind.CONST: []}[self.kind]

    def __repr__(self):
        return f"Register({self.name!r}, {self.offset:#x}, {self.kind.value}, width={self.width})"


class RegisterMap:
    """A block's register window: ``ID`` and ``VERSION`` (automatic constants) followed by ``registers``.

    ``ident``: four ASCII characters (bytes in address order, the first in bits 7:0 of the ID word);
    ``version``: 32-bit integer; ``addr_width``: the AXI4-Lite address width (window of ``2**addr_width`` bytes).
    """

    def __init__(self, name, ident, version, registers, *, addr_width=12, doc=""):
        self.name = _check_name("register map", name)
        if (not isinstance(ident, str) or len(ident) != 4
                or not all(0x20 <= ord(c) < 0x7f for c in ident)):
            raise ValueError(f"register map {name}: ident must be 4 printable ASCII characters, not {ident!r}")
        self.ident = ident
        self.version = _check_int(f"register map {name} version", version, maximum=0xFFFF_FFFF)
        self.addr_width = _check_int(f"register map {name} addr_width", addr_width, minimum=3, maximum=32)
        self.doc = doc
        self.registers = tuple(registers)
        self._check_registers()

    @property
    def ident_value(self):
        """The ID word: the first character of ``ident`` in bits 7:0."""
        return int.from_bytes(self.ident.encode("ascii"), "little")

    @property
    def id_register(self):
        return Register("ID", ID_OFFSET, Kind.CONST, reset=self.ident_value,
                        doc=f"block identifier {self.ident!r} (first character in bits 7:0)")

    @property
    def version_register(self):
        return Register("VERSION", VERSION_OFFSET, Kind.CONST, reset=self.version, doc="register map version")

    def all_registers(self):
        """ID, VERSION and the declared registers, in offset order."""
        regs = [self.id_register, self.version_register] + list(self.registers)
        return sorted(regs, key=lambda r: r.offset)         # stable: ID / VERSION first at equal offsets

    def __getitem__(self, name):
        for reg in self.all_registers():
            if reg.name == name:
                return reg
        raise KeyError(f"register map {self.name} has no register {name!r}")

    def words(self):
        """``(byte_address, register, word_index)`` for every word of every register, in address order."""
        return [(reg.offset + WORD_BYTES * i, reg, i) for reg in self.all_registers() for i in range(reg.words)]

    def _check_registers(self):
        names, ports = {}, {"s_axil": "the AXI4-Lite bus"}
        size = 1 << self.addr_width
        for reg in self.registers:
            if not isinstance(reg, Register):
                raise TypeError(f"register map {self.name}: registers must be Register objects, not {reg!r}")
            if reg.name.upper() in _RESERVED:
                raise ValueError(f"register map {self.name}: the name {reg.name} is reserved for the automatic "
                                 f"register at {_RESERVED[reg.name.upper()]:#04x}")
            if reg.name.lower() in names:
                raise ValueError(f"register map {self.name}: two registers named {reg.name!r} "
                                 f"(names are compared without case)")
            names[reg.name.lower()] = reg
            for port in reg.port_names():
                if port in ports:
                    raise ValueError(f"register map {self.name}: port {port!r} of register {reg.name} collides "
                                     f"with {ports[port]}")
                ports[port] = f"register {reg.name}"
            if reg.end > size:
                raise ValueError(f"register map {self.name}: register {reg.name} ({reg.offset:#x}..{reg.end - 1:#x}) "
                                 f"lies outside the {size:#x}-byte window of addr_width={self.addr_width}")
        regs = self.all_registers()
        for a, b in zip(regs, regs[1:]):
            if b.offset < a.end:
                what = "is reserved for" if a.name in _RESERVED else "overlaps"
                raise ValueError(f"register map {self.name}: register {b.name} at {b.offset:#x} {what} "
                                 f"{a.name} ({a.offset:#x}..{a.end - 1:#x})")

    def __repr__(self):
        return f"RegisterMap({self.name!r}, {self.ident!r}, {self.version:#x}, {len(self.registers)} registers)"
