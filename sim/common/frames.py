"""Random frame generation shared by the packet-stream testbenches (plain Python, no simulator)."""

__all__ = ["random_frames", "EDGE_LENGTHS"]

#: lengths that hit every tkeep pattern of a 64-bit beat and the one-beat / two-beat corners
EDGE_LENGTHS = (1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65)


def random_frames(rng, count, *, min_len=1, max_len=256, bytes_per_beat=8):
    """``count`` frames of random content; the first ones take the edge lengths (within bounds) for coverage."""
    edges = [n for n in EDGE_LENGTHS if min_len <= n <= max_len]
    frames = []
    for i in range(count):
        n = edges[i] if i < len(edges) else rng.randint(min_len, max_len)
        frames.append(bytes(rng.getrandbits(8) for _ in range(n)))
    return frames
