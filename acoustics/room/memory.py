"""How much memory a computation may plan on, and the room transfer's guard built on it."""

from __future__ import annotations

import os

from acoustics.heads import HeadModel, PointEars, RigidSphere
from acoustics.room.shoebox import Room, image_count
from acoustics.sources import Device, Omni


def available_bytes() -> float:
    """Memory available to this process now, in bytes.

    ``MemAvailable`` of ``/proc/meminfo`` (Linux: free memory plus what the kernel can reclaim),
    else the free physical pages; 8 GiB if neither can be read.
    """
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 8.0 * 2**30


#: Bytes per (listener, image) of the rigid-sphere tabulated sum's path arrays (measured peak
#: 0.5 kB; rounded up).
_SPHERE_BYTES_PER_PATH = 800
#: Share of the available memory a call may plan to use.
_MEMORY_SHARE = 0.6


def check_room_memory(
    room: Room,
    head: HeadModel | None,
    device: Device,
    n_receivers: int,
    n_ears: int,
    n_freqs: int,
    n_engine_freqs: int,
) -> None:
    """Refuse, before allocating, a call whose arrays would not fit in memory.

    Estimated: the result ``(n_receivers, n_ears, n_drivers, n_freqs)`` complex, and the largest
    work array the engine cannot chunk (one listener's images at every engine frequency for the
    per-path model; the rigid-sphere sum is chunked over listeners to fit). Raises ValueError
    naming ``max_order`` and the grid size instead of letting numpy raise ``MemoryError``.
    """
    available = available_bytes() * _MEMORY_SHARE
    n_img = image_count(room.max_order)
    result = 16.0 * n_receivers * n_ears * len(device.drivers) * n_freqs
    per_listener = 0.0
    generic = head is not None and not (
        type(head) is RigidSphere or (isinstance(head, PointEars) and _all_omni(device))
    )
    if generic:  # ears, directivity and their product for one listener's images
        per_listener = 3 * 16.0 * n_ears * n_img * n_engine_freqs
    elif type(head) is RigidSphere:
        per_listener = float(_SPHERE_BYTES_PER_PATH) * n_ears * n_img
    if result + per_listener > available:
        raise ValueError(
            f"this room transfer needs about {(result + per_listener) / 2**30:.1f} GiB "
            f"({n_receivers} receivers x {n_freqs} frequencies x {len(device.drivers)} drivers, "
            f"max_order {room.max_order}: {n_img} images per driver), more than the "
            f"{available / 2**30:.1f} GiB it may use here; lower max_order, or use fewer "
            "listeners or frequencies per call"
        )


def _all_omni(device: Device) -> bool:
    return all(isinstance(d.directivity, Omni) for d in device.drivers)


def sphere_listener_chunk(n_img: int) -> int:
    """Return how many listeners per call of the rigid-sphere sum fit the memory share."""
    budget = available_bytes() * _MEMORY_SHARE / 4  # leave room for the result
    return max(1, int(budget // (_SPHERE_BYTES_PER_PATH * 2 * n_img)))
