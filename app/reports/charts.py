"""The board report's charts, drawn with matplotlib (no global pyplot state: safe in threads).

matplotlib is imported when a chart is first drawn, not when the API starts (it is a good part
of an idle worker's memory), and a chart is drawn once for the same figures and title: every
report of a quarter whose counts have not changed reuses the PNG.
"""

from __future__ import annotations

import functools
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CACHED = 64
"""Charts kept drawn: a few reports' worth, a few hundred kB."""

# Okabe and Ito's colour-blind-safe palette, and a pattern each, so that no status is told from
# another by its colour alone (nor in a grey print).
COLOURS = {"complete": "#009E73", "ongoing": "#56B4E9", "at_risk": "#D55E00"}
HATCHES = {"complete": "", "ongoing": "//", "at_risk": "xx"}
LABELS = {"complete": "Complete", "ongoing": "Ongoing / in progress", "at_risk": "At risk"}
TITLE_CHARACTERS = 60
"""A title is wrapped to lines of about this many characters, so a narrow picture never cuts it."""


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


def _title(axes: Axes, title: str) -> None:
    axes.set_title("\n".join(textwrap.wrap(title, TITLE_CHARACTERS)) or title)


def _bars(
    axes: Axes, horizontal: bool, labels: list[str], values: list[int], base: list[int], key: str
):
    """One status's segments, patterned, each labelled with its count where it has one."""
    draw = axes.barh if horizontal else axes.bar
    where = {"left": base} if horizontal else {"bottom": base}
    segments = draw(
        labels,
        values,
        **where,
        color=COLOURS[key],
        hatch=HATCHES[key],
        edgecolor="#1b1f24",
        linewidth=0.6,
        label=LABELS[key],
    )
    axes.bar_label(
        segments,
        labels=[str(v) if v else "" for v in values],
        label_type="center",
        fontsize=8,
        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
    )


def _legend_below(figure: Figure, axes: Axes) -> None:
    """Under the plot and its axis label, where it can never hide a bar."""
    handles, labels = axes.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)


@functools.cache
def _matplotlib() -> tuple[Any, Any]:
    """matplotlib's Figure and MaxNLocator, imported (without a display) on first use."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    return Figure, MaxNLocator


def status_by_strand(bars: Sequence[Bar], title: str) -> bytes:
    """Horizontal stacked bars: each strand's tasks split complete / ongoing / at risk."""
    return _status_by_strand(tuple(bars), title)


def trend(bars: Sequence[Bar], title: str) -> bytes:
    """Stacked columns per quarter; a quarter with no figures yet is left empty."""
    return _trend(tuple(bars), title)


@functools.lru_cache(maxsize=CACHED)
def _status_by_strand(bars: tuple[Bar, ...], title: str) -> bytes:
    Figure, MaxNLocator = _matplotlib()
    height = 1.4 + 0.45 * max(1, len(bars))
    figure = Figure(figsize=(WIDTH, height), layout="constrained")
    axes = figure.subplots()
    labels = [bar.label for bar in bars][::-1]
    left = [0] * len(bars)
    for key in ("complete", "ongoing", "at_risk"):
        values = [getattr(bar, key) for bar in bars][::-1]
        _bars(axes, True, labels, values, left, key)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_xlabel("Tasks")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    _title(axes, title)
    _legend_below(figure, axes)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


@functools.lru_cache(maxsize=CACHED)
def _trend(bars: tuple[Bar, ...], title: str) -> bytes:
    Figure, MaxNLocator = _matplotlib()
    figure = Figure(figsize=(WIDTH, 3.6), layout="constrained")
    axes = figure.subplots()
    labels = [bar.label for bar in bars]
    bottom = [0] * len(bars)
    for key in ("complete", "ongoing", "at_risk"):
        values = [getattr(bar, key) for bar in bars]
        _bars(axes, False, labels, values, bottom, key)
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    axes.set_ylabel("Tasks")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _title(axes, title)
    _legend_below(figure, axes)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)
