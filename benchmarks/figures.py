"""The one way the benchmarks summarise timings: count, median, nearest-rank p95 and p99, and max."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

Spread = dict[str, float | int | None]


def percentile(ordered: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile of sorted samples: the smallest sample at or above `percent` of them."""
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def spread(samples: Sequence[float], *, scale: float = 1.0, digits: int = 3) -> Spread:
    """Count, median, p95, p99 and max of samples, multiplied by scale and rounded (None figures for none)."""
    if not samples:
        return {"samples": 0, "median": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(samples)

    def shown(value: float) -> float:
        return round(value * scale, digits)

    return {
        "samples": len(ordered),
        "median": shown(statistics.median(ordered)),
        "p95": shown(percentile(ordered, 95)),
        "p99": shown(percentile(ordered, 99)),
        "max": shown(ordered[-1]),
    }


def ms(seconds: Sequence[float], digits: int = 3) -> Spread:
    """The spread of timings taken in seconds, in milliseconds."""
    return spread(seconds, scale=1000.0, digits=digits)


def p99_over_ms(seconds: Sequence[float], floor: Sequence[float]) -> float:
    """How far the p99 of timings lies above the p99 of their floor, in milliseconds."""
    return round((percentile(sorted(seconds), 99) - percentile(sorted(floor), 99)) * 1000, 3)
