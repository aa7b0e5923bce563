"""The board report's charts, drawn with matplotlib (no global pyplot state: safe in threads)."""

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

COLOURS = {"complete": "#2e7d32", "ongoing": "#f9a825", "at_risk": "#c62828"}
LABELS = {"complete": "Complete", "ongoing": "Ongoing / in progress", "at_risk": "At risk"}


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    complete: int
    ongoing: int
    at_risk: int


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    return buffer.getvalue()


def status_by_strand(bars: Sequence[Bar], title: str) -> bytes:
    """Horizontal stacked bars: each strand's tasks split complete / ongoing / at risk."""
    height = 0.9 + 0.45 * max(1, len(bars))
    figure = Figure(figsize=(8, height))
    axes = figure.subplots()
    labels = [bar.label for bar in bars][::-1]
    left = [0] * len(bars)
    for key in ("complete", "ongoing", "at_risk"):
        values = [getattr(bar, key) for bar in bars][::-1]
        axes.barh(labels, values, left=left, color=COLOURS[key], label=LABELS[key])
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_xlabel("Tasks")
    axes.set_title(title)
    axes.legend(loc="lower right", fontsize="small")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def trend(bars: Sequence[Bar], title: str) -> bytes:
    """Stacked columns per quarter; a quarter with no figures yet is left empty."""
    figure = Figure(figsize=(8, 3.6))
    axes = figure.subplots()
    labels = [bar.label for bar in bars]
    bottom = [0] * len(bars)
    for key in ("complete", "ongoing", "at_risk"):
        values = [getattr(bar, key) for bar in bars]
        axes.bar(labels, values, bottom=bottom, color=COLOURS[key], label=LABELS[key])
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    axes.set_ylabel("Tasks")
    axes.set_title(title)
    axes.legend(loc="upper left", fontsize="small")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)
