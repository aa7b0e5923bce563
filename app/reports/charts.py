"""The board report's charts, drawn with matplotlib (no global pyplot state: safe in threads)."""

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

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


WIDTH = 6.4
"""Inches: at 150 dpi about the width of a page's text, so that its words print at their size."""


def _legend_below(figure: Figure, axes: Axes) -> None:
    """Under the plot and its axis label, where it can never hide a bar."""
    handles, labels = axes.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)


def status_by_strand(bars: Sequence[Bar], title: str) -> bytes:
    """Horizontal stacked bars: each strand's tasks split complete / ongoing / at risk."""
    height = 1.4 + 0.45 * max(1, len(bars))
    figure = Figure(figsize=(WIDTH, height), layout="constrained")
    axes = figure.subplots()
    labels = [bar.label for bar in bars][::-1]
    left = [0] * len(bars)
    for key in ("complete", "ongoing", "at_risk"):
        values = [getattr(bar, key) for bar in bars][::-1]
        axes.barh(labels, values, left=left, color=COLOURS[key], label=LABELS[key])
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_xlabel("Tasks")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(title)
    _legend_below(figure, axes)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def trend(bars: Sequence[Bar], title: str) -> bytes:
    """Stacked columns per quarter; a quarter with no figures yet is left empty."""
    figure = Figure(figsize=(WIDTH, 3.6), layout="constrained")
    axes = figure.subplots()
    labels = [bar.label for bar in bars]
    bottom = [0] * len(bars)
    for key in ("complete", "ongoing", "at_risk"):
        values = [getattr(bar, key) for bar in bars]
        axes.bar(labels, values, bottom=bottom, color=COLOURS[key], label=LABELS[key])
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    axes.set_ylabel("Tasks")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(title)
    _legend_below(figure, axes)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)
