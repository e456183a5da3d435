"""Stream payload layouts shared by every block.

Inside the design every data path is an ``amaranth.lib.stream`` stream whose payload is a ``data.StructLayout``.
A packet beat carries ``data`` (byte 0 of the frame in ``data[7:0]``, spec/README.md "Byte and bit order"),
``keep`` (one bit per byte, contiguous from bit 0), ``last`` (end of packet) and ``user`` (bit 0 = frame error,
the convention of cocotbext-axi / cocotbext-eth and Forencich's cores) and optionally ``dest`` (flow id).
AXI-Stream names (``tdata``...) appear only at the Verilog boundary, produced by :mod:`din.rtl.common.export`.
"""

from amaranth.lib import data, stream

__all__ = ["USER_BAD_FRAME", "BeatLayout", "PacketStream", "validate_width"]

#: Bit of ``user`` that marks a frame as bad when set on its ``last`` beat.
USER_BAD_FRAME = 0


def validate_width(name, value, *, minimum=1, maximum=None, multiple_of=None, power_of_2=False):
    """Check one integer parameter and raise a readable ``ValueError`` (keyword-only parameters everywhere)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, not {value}")
    if multiple_of is not None and value % multiple_of:
        raise ValueError(f"{name} must be a multiple of {multiple_of}, not {value}")
    if power_of_2 and value & (value - 1):
        raise ValueError(f"{name} must be a power of 2, not {value}")
    return value


class BeatLayout(data.StructLayout):
    """One beat of a packet stream.

    Parameters (keyword-only): ``data_width`` (a multiple of 8), ``user_width`` (0 for none), ``dest_width``
    (0 for none). Field order is fixed (data, keep, last, user, dest) so the flat bit position of each field is
    the same wherever a beat is stored (FIFO memories pack beats as this layout).
    """

    def __init__(self, *, data_width=64, user_width=1, dest_width=0):
        validate_width("data_width", data_width, minimum=8, multiple_of=8)
        validate_width("user_width", user_width, minimum=0)
        validate_width("dest_width", dest_width, minimum=0)
        self.data_width = data_width
        self.user_width = user_width
        self.dest_width = dest_width
        fields = {"data": data_width, "keep": data_width // 8, "last": 1}
        if user_width:
            fields["user"] = user_width
        if dest_width:
            fields["dest"] = dest_width
        super().__init__(fields)

    @property
    def params(self):
        return {"data_width": self.data_width, "user_width": self.user_width, "dest_width": self.dest_width}

    def __repr__(self):
        return f"BeatLayout(data_width={self.data_width}, user_width={self.user_width}, dest_width={self.dest_width})"


def PacketStream(*, data_width=64, user_width=1, dest_width=0):
    """``stream.Signature`` of a packet stream (source direction); use ``In(...)`` for a sink."""
    return stream.Signature(BeatLayout(data_width=data_width, user_width=user_width, dest_width=dest_width))
