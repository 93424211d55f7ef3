"""How much memory a computation may plan on (read before large allocations)."""

from __future__ import annotations

import os


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
