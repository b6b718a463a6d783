"""The digest's chart: weekly net value of the use cases that moved most, as a PNG."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobs.digest import Digest


def render_chart(digest: Digest, *, limit: int = 5) -> bytes | None:
    """PNG bytes, or None when no use case has two weeks of values to draw."""
    movers = digest.top_movers(limit)
    if not movers:
        return None
    import matplotlib

    matplotlib.use("Agg")  # no display; safe in any thread of a server process
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    figure = Figure(figsize=(8, 4.2), dpi=110)
    axes = figure.add_subplot()
    weeks = sorted({week for item in movers for week, _ in item.series})
    position = {week: n for n, week in enumerate(weeks)}
    for item in movers:
        xs = [position[week] for week, _ in item.series]
        ys = [value for _, value in item.series]
        label = item.ref + " " + (item.title if len(item.title) <= 28 else item.title[:27] + "…")
        axes.plot(xs, ys, marker="o", linewidth=1.8, markersize=3, label=label)
    axes.axhline(0, color="#888888", linewidth=0.8)
    step = max(1, len(weeks) // 8)
    axes.set_xticks(range(0, len(weeks), step), [w[2:] for w in weeks[::step]], fontsize=8)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v:,.0f}"))
    axes.set_title(f"Top movers: weekly net value to {digest.reported_week}", fontsize=11)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left", frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
