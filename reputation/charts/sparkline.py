"""Sparklines for long lists (the operators' fleet view): a small inline SVG path drawn on the
server, so that a page of a hundred rows costs no JavaScript and no chart library."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 120, 28, 2


@dataclass(frozen=True)
class Sparkline:
    points: str  # the SVG polyline's points
    last_x: float
    last_y: float
    summary: str  # what a screen reader hears

    width: int = WIDTH
    height: int = HEIGHT


def sparkline(values: list[float | None], *, summary: str) -> Sparkline | None:
    """A polyline over the values (None: a day without a value, skipped), scaled to the box.
    None when fewer than two values."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return None
    low, high = min(v for _, v in known), max(v for _, v in known)
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    coords = [
        (PAD + i * step, HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD)) for i, v in known
    ]
    return Sparkline(
        points=" ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
        last_x=round(coords[-1][0], 1),
        last_y=round(coords[-1][1], 1),
        summary=summary,
    )
