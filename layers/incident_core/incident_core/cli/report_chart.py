"""The report's chart, drawn on the laptop with matplotlib (a development dependency, never in the
Lambda layer): time to acknowledge and to resolve by month (medians, minutes) and the open P0 action
items by the month they are due, overdue ones in red."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from incident_core.postmortem.trend import Month

INSTALL_HINT = (
    "The report's chart needs matplotlib, which incidentctl does not install (the Lambda layer never "
    "carries it). Install it with:  pip install 'matplotlib>=3.9'  (or pip install -r requirements-dev.txt "
    "in the repository), or leave the chart out with --no-chart."
)


class ChartUnavailable(RuntimeError):
    """matplotlib is not installed; the message says how to install it."""


def draw_report_chart(months: list[Month], path: Path) -> Any:
    """Write the PNG; returns the figure (its axes hold exactly what was drawn)."""
    try:
        import matplotlib
    except ImportError:
        raise ChartUnavailable(INSTALL_HINT) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{m.month}\n{m.incidents} incident{'s' if m.incidents != 1 else ''}" for m in months]
    positions = list(range(len(months)))
    figure, (times, items) = plt.subplots(
        2, 1, figsize=(9, 6), dpi=100, sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    for name, values, colour in (
        ("time to acknowledge", [m.median_acknowledge_s for m in months], "#1f77b4"),
        ("time to resolve", [m.median_resolve_s for m in months], "#d62728"),
    ):
        # A month without incidents is a gap in the line, not a slope to the next month.
        minutes = [math.nan if value is None else value / 60 for value in values]
        times.plot(positions, minutes, marker="o", label=f"median {name}", color=colour)
    times.set_ylabel("minutes")
    times.set_ylim(bottom=0)
    times.set_title(
        "Incidents by month (London): median time to acknowledge and to resolve", fontsize=10, loc="left"
    )
    times.grid(True, alpha=0.3)
    times.legend(fontsize=8, loc="best")
    on_time = [m.open_p0_due - m.open_p0_overdue for m in months]
    overdue = [m.open_p0_overdue for m in months]
    items.bar(positions, on_time, color="#7f7f7f", label="open, not yet due")
    items.bar(positions, overdue, bottom=on_time, color="#d62728", label="open, overdue")
    items.set_ylabel("P0 items")
    items.set_title("Open P0 action items by the month they are due", fontsize=10, loc="left")
    items.yaxis.get_major_locator().set_params(integer=True)
    items.legend(fontsize=8, loc="upper left")
    items.set_xticks(positions, labels, rotation=45 if len(labels) > 8 else 0, fontsize=8)
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)
    return figure
