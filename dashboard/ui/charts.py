"""Plotly figures shared by pages. Each takes small, already aggregated frames."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl

from dashboard.text import (
    BAND_ORDER,
    BANDS,
    MIXED,
    NO_DATA,
    money_currency,
    money_symbol,
    plain_labels,
)


def _money(template: str) -> str:
    """A Plotly text template with its amounts ("$%{y:,.0f}") in the data's currency."""
    return template.replace("$%{", money_symbol() + "%{")


def _mixed() -> bool:
    """Several currencies and no rates: a chart that sums amounts would add euros to dollars."""
    return money_currency() == MIXED


NOT_SUMMED = "Not drawn: the amounts are in several currencies with no exchange rates"


def _not_summed(height: int = 260) -> go.Figure:
    """In place of a chart of summed amounts when they are in several currencies: a figure
    that says so (never one sum of several currencies)."""
    fig = go.Figure()
    fig.update_layout(
        annotations=[
            {
                "text": NOT_SUMMED,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
            }
        ],
        xaxis={"visible": False},
        yaxis={"visible": False},
    )
    return _layout(fig, height=height)


LINE_COLOR = "#64748b"  # the median and forecast lines: readable on a light and a dark theme
BAND_COLORS = {"red": "#dc2626", "yellow": "#f59e0b", "green": "#16a34a", NO_DATA: "#9ca3af"}
COMPONENT_LABELS = {
    "adoption": "Adoption",
    "usage_trend": "Usage trend",
    "breadth": "Breadth",
    "support": "Support",
    "sentiment": "Sentiment",
    "engagement": "Engagement",
    "billing": "Billing",
}
SIGNAL_LABELS = {  # the stakeholder signals beside the components (scoring.people.SIGNALS)
    "champion_quiet": "Champion quiet (signal)",
    "champion_left": "Champion left (signal)",
    "no_economic_buyer": "No economic buyer (signal)",
}


def _layout(fig: go.Figure, height: int = 340) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 8, "r": 8, "t": 36, "b": 8},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": None},
        # the toolbar stands along the right edge, not across the top where the legend is
        # (on a phone it is hidden: ui/layout.py)
        modebar={"orientation": "v"},
        plot_bgcolor="rgba(0,0,0,0)",  # the theme's background, light or dark
    )
    return fig


def _days_axis(fig: go.Figure, dates: list[dt.date]) -> go.Figure:
    """A time axis of whole days. One date alone gets a week either side and a single tick:
    Plotly would zoom in to milliseconds around it (an account's health after a workspace's
    first load). The Portfolio's trend is not drawn from one snapshot at all."""
    if len(set(dates)) == 1:
        day = dates[0]
        fig.update_xaxes(
            range=[
                (day - dt.timedelta(days=7)).isoformat(),
                (day + dt.timedelta(days=7)).isoformat(),
            ],
            tickvals=[day.isoformat()],
            tickformat="%b %d, %Y",
        )
    return fig


def _stacked(
    data: pl.DataFrame,
    value: str,
    category: str,
    stack: str,
    stacks: list[str],
    colors: dict[str, str],
    *,
    horizontal: bool,
    hover: str,
    extra: str | None = None,
) -> go.Figure:
    """Bars of ``value`` per ``category``, one trace per ``stack`` value (in ``stacks``
    order), stacked. ``hover`` is the template of each bar's hover text; it can show the
    column ``extra`` as ``%{customdata}``."""
    fig = go.Figure()
    for name in stacks:
        part = data.filter(pl.col(stack) == name)
        if part.is_empty():
            continue
        values, cats = part[value].to_list(), part[category].to_list()
        fig.add_trace(
            go.Bar(
                x=values if horizontal else cats,
                y=cats if horizontal else values,
                name=name,
                orientation="h" if horizontal else "v",
                marker_color=colors.get(name),
                customdata=part[extra].to_list() if extra else None,
                hovertemplate=hover + f"<extra>{name}</extra>",
            )
        )
    fig.update_layout(barmode="stack")
    return fig


def band_bars(mix: pl.DataFrame, dimension: str, measure: str, label: str) -> go.Figure:
    """Stacked horizontal bars of ``measure`` (accounts or arr) per ``dimension`` by band,
    the largest total on top. Drawn with graph objects: Plotly Express spends a fifth of a
    second per figure in its pandas preprocessing, more than the rest of the page."""
    if measure == "arr" and _mixed():
        return _not_summed()
    mix = plain_labels(mix, [dimension])  # a value like "<a href=…>" is drawn as text
    totals = mix.group_by(dimension).agg(pl.col(measure).sum().alias("total"))
    order = totals.sort("total", dimension)[dimension].cast(pl.String).to_list()
    title = "ARR" if measure == "arr" else "Accounts"
    fig = _stacked(
        mix.with_columns(pl.col(dimension).cast(pl.String), pick=pl.col("band")),
        measure,
        dimension,
        "band",
        BAND_ORDER,
        BAND_COLORS,
        horizontal=True,
        extra="pick",
        hover=f"{label} %{{y}}<br>{title} "
        + (_money("$%{x:,.0f}") if measure == "arr" else "%{x:,.0f}"),
    )  # the band rides as customdata: a click names it
    fig.update_yaxes(categoryorder="array", categoryarray=order, title=label)
    fig.update_xaxes(title=title, tickprefix=money_symbol() if measure == "arr" else None)
    return _layout(fig, height=max(260, 28 * len(order) + 80))


def arr_treemap(mix: pl.DataFrame) -> go.Figure:
    """ARR by segment, then band (graph objects: see ``band_bars``)."""
    if _mixed():
        return _not_summed()
    data = plain_labels(mix.filter(pl.col("arr") > 0), ["segment"]).with_columns(
        pl.col("segment").cast(pl.String)
    )
    segments = data.group_by("segment", maintain_order=True).agg(pl.col("arr").sum())
    total = float(segments["arr"].sum())
    ids = ["Portfolio", *[f"Portfolio/{s}" for s in segments["segment"]]]
    ids += [f"Portfolio/{s}/{b}" for s, b in data.select("segment", "band").iter_rows()]
    labels = ["Portfolio", *segments["segment"], *data["band"]]
    parents = ["", *["Portfolio"] * segments.height]
    parents += [f"Portfolio/{s}" for s in data["segment"]]
    values = [total, *segments["arr"], *data["arr"]]
    colors = ["rgba(148,163,184,0.25)"] * (1 + segments.height) + [
        BAND_COLORS.get(b, "#9ca3af") for b in data["band"]
    ]
    fig = go.Figure(
        go.Treemap(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            branchvalues="total",
            marker={"colors": colors},
            texttemplate=_money("%{label}<br>$%{value:,.0f}"),
            hovertemplate=_money("%{label}: $%{value:,.0f}<extra></extra>"),
        )
    )
    return _layout(fig)


def health_trend(trend: pl.DataFrame) -> go.Figure:
    """ARR per band over the snapshots (stacked areas) with median health on a second axis;
    amounts in several currencies with no rates are not stacked (only the median is drawn,
    and the chart says why)."""
    fig = go.Figure()
    for band in [] if _mixed() else BANDS:
        fig.add_trace(
            go.Scatter(
                x=trend["as_of"].to_list(),
                y=trend[f"arr_{band}"].to_list(),
                name=f"ARR {band}",
                stackgroup="arr",
                line={"color": BAND_COLORS[band], "width": 0.5},
                hovertemplate=_money(f"%{{x|%d %b %Y}}: $%{{y:,.0f}} ARR {band}<extra></extra>"),
            )
        )
    fig.add_trace(
        go.Scatter(
            x=trend["as_of"].to_list(),
            y=trend["median_health"].to_list(),
            name="median health",
            yaxis="y2",
            line={"color": LINE_COLOR, "width": 2.5},
            mode="lines+markers",
            hovertemplate="%{x|%d %b %Y}: median health %{y:.0f}<extra></extra>",
        )
    )
    if _mixed():
        fig.update_layout(
            title={"text": NOT_SUMMED.replace("amounts", "ARR areas"), "font": {"size": 12}}
        )
    fig.update_layout(
        yaxis={"title": "ARR", "tickprefix": money_symbol()},
        yaxis2={
            "title": "median health",
            "overlaying": "y",
            "side": "right",
            "range": [0, 100],
            "dtick": 20,
            "showgrid": False,
        },
    )
    return _layout(fig)


def account_health(history: pl.DataFrame, red: float, green: float) -> go.Figure:
    """One account's health over its snapshots, over the band zones."""
    zones = [(0, red, "red"), (red, green, "yellow"), (green, 100, "green")]
    # layout shapes, not add_hrect (which costs 60 ms a rectangle)
    fig = go.Figure(
        layout={
            "shapes": [
                {
                    "type": "rect",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": low,
                    "y1": high,
                    "fillcolor": BAND_COLORS[band],
                    "opacity": 0.08,
                    "line": {"width": 0},
                    "layer": "below",
                }
                for low, high, band in zones
            ]
        }
    )
    fig.add_trace(
        go.Scatter(
            x=history["as_of"].to_list(),
            y=history["health"].to_list(),
            mode="lines+markers",
            name="health",
            line={"color": LINE_COLOR, "width": 2.5},
        )
    )
    fig.update_yaxes(range=[0, 100], title="health")
    return _layout(_days_axis(fig, history["as_of"].to_list()), height=300)


def component_bars(scores: dict[str, float | None], red: float, green: float) -> go.Figure:
    """Each component's score against the band thresholds (missing data shown as such)."""
    names = list(COMPONENT_LABELS)
    values = [scores.get(c) for c in names]
    colors = [
        BAND_COLORS[NO_DATA]
        if v is None
        else BAND_COLORS["red"]
        if v < red
        else BAND_COLORS["yellow"]
        if v < green
        else BAND_COLORS["green"]
        for v in values
    ]
    fig = go.Figure(
        go.Bar(
            x=[0 if v is None else v for v in values],
            y=[COMPONENT_LABELS[c] for c in names],
            orientation="h",
            marker_color=colors,
            text=[NO_DATA if v is None else f"{v:.0f}" for v in values],
            textposition="outside",
        )
    )
    fig.update_layout(
        shapes=[  # layout shapes: add_vline costs 60 ms a line
            {
                "type": "line",
                "x0": x,
                "x1": x,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dot", "color": BAND_COLORS[band]},
            }
            for x, band in ((red, "red"), (green, "green"))
        ]
    )
    fig.update_xaxes(range=[0, 110], title="score (0-100)")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, height=300)


def usage_has_users(usage: pl.DataFrame) -> bool:
    """True when the weekly usage counts active users (its rows name their users)."""
    return usage["active_users"].null_count() < usage.height


def usage_vs_seats(usage: pl.DataFrame, seats: int | None) -> go.Figure:
    """Weekly active users against the licensed seats, every week to the data's date (a
    week without use at zero); the current week, not over yet, is a dotted end marked "so
    far". Usage that never names its users is drawn as events a week, without seats."""
    users = usage_has_users(usage)
    measure, unit = ("active_users", "users") if users else ("events", "events")
    done = usage.filter(~pl.col("partial"))
    fig = go.Figure(
        go.Scatter(
            x=done["week"].to_list(),
            y=done[measure].to_list(),
            mode="lines+markers",
            name=f"weekly {'active users' if users else 'usage events'}",
            line={"color": "#2563eb", "width": 2.5},
            hovertemplate=f"week of %{{x|%b %d}}: %{{y:,}} {unit}<extra></extra>",
        )
    )
    partial = usage.filter(pl.col("partial"))
    if partial.height:
        tail = pl.concat([done.tail(1), partial])
        fig.add_trace(
            go.Scatter(
                x=tail["week"].to_list(),
                y=tail[measure].to_list(),
                mode="lines+markers",
                name="this week so far",
                line={"color": "#2563eb", "width": 2, "dash": "dot"},
                marker={"symbol": "circle-open", "size": 9},
                hovertemplate=f"this week so far: %{{y:,}} {unit}<extra></extra>",
            )
        )
    if seats and users:
        fig.update_layout(
            shapes=[
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": seats,
                    "y1": seats,
                    "line": {"dash": "dash", "color": "#6b7280"},
                }
            ],
            annotations=[
                {
                    "xref": "paper",
                    "x": 1,
                    "y": seats,
                    "yanchor": "bottom",
                    "xanchor": "right",
                    "showarrow": False,
                    "text": f"{seats} licensed seats",
                }
            ],
        )
    fig.update_yaxes(rangemode="tozero", title=unit)
    return _layout(fig, height=300)


def renewal_months(calendar: pl.DataFrame, forecast: pl.DataFrame) -> go.Figure:
    """ARR up for renewal per month, stacked by band, with the expected (forecast) renewal ARR
    as a line. Clicking a bar selects its month."""
    if _mixed():
        return _not_summed(360)
    fig = _stacked(
        calendar.filter(pl.col("arr") > 0),
        "arr",
        "month",
        "band",
        BAND_ORDER,
        BAND_COLORS,
        horizontal=False,
        hover=_money("%{x|%b %Y}: $%{y:,.0f} (%{customdata} accounts)"),
        extra="accounts",
    )
    fig.add_trace(
        go.Scatter(
            x=forecast["month"].to_list(),
            y=forecast["expected_arr"].to_list(),
            name="expected renewal ARR",
            mode="lines+markers",
            line={"color": LINE_COLOR, "width": 2.5},
            hovertemplate=_money("%{x|%b %Y}: expected $%{y:,.0f}<extra></extra>"),
        )
    )
    fig.update_layout(yaxis={"title": "ARR", "tickprefix": money_symbol()})
    fig.update_xaxes(dtick="M1", tickformat="%b %Y")
    return _layout(fig, height=360)


def renewal_weeks(weeks: pl.DataFrame) -> go.Figure:
    """ARR renewing per week of the quarter ahead, stacked by band."""
    if _mixed():
        return _not_summed(300)
    data = weeks.filter(pl.col("arr") > 0)
    fig = _stacked(
        data,
        "arr",
        "week",
        "band",
        BAND_ORDER,
        BAND_COLORS,
        horizontal=False,
        hover=_money("Week of %{x|%d %b}: $%{y:,.0f} (%{customdata} accounts)"),
        extra="accounts",
    )
    fig.update_layout(xaxis_title="Week of", yaxis_title="ARR")
    fig.update_yaxes(tickprefix=money_symbol())
    first, last = weeks["week"].min(), weeks["week"].max()
    fig.update_xaxes(
        range=[first - dt.timedelta(days=4), last + dt.timedelta(days=4)], tickformat="%d %b"
    )
    return _layout(fig, height=300)


def expansion_potential_bars(candidates: pl.DataFrame) -> go.Figure:
    """Estimated expansion potential of the ready accounts per segment, split by window."""
    if _mixed():
        return _not_summed()
    data = (
        plain_labels(candidates, ["segment"])
        .filter(pl.col("expansion_ready"))
        .group_by(pl.col("segment").fill_null("(none)"), "expansion_window")
        .agg(potential=pl.col("expansion_potential").sum(), accounts=pl.len())
        .sort("segment")
    )
    fig = _stacked(
        data,
        "potential",
        "segment",
        "expansion_window",
        ["now", "at renewal"],
        {"now": "#2563eb", "at renewal": "#93c5fd"},
        horizontal=True,
        hover=_money("%{y}: $%{x:,.0f} potential (%{customdata} accounts)"),
        extra="accounts",
    )
    fig.update_layout(xaxis_title="Potential ARR", yaxis_title="Segment", legend_title="Window")
    fig.update_xaxes(tickprefix=money_symbol())
    return _layout(fig, height=max(260, 40 * data["segment"].n_unique() + 120))


def health_distributions(before: pl.DataFrame, after: pl.DataFrame, width: int) -> go.Figure:
    """Accounts per health bin under the active scorecard and the candidate, overlaid."""
    fig = go.Figure()
    for frame, name, color in ((before, "active", "#9ca3af"), (after, "candidate", "#2563eb")):
        fig.add_trace(
            go.Bar(
                x=(frame["bin"] + width / 2).to_list(),
                y=frame["accounts"].to_list(),
                name=name,
                marker_color=color,
                opacity=0.6,
                width=width,
                hovertemplate="health %{x}: %{y} accounts<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(
        barmode="overlay", xaxis={"title": "health", "range": [0, 100]}, yaxis={"title": "accounts"}
    )
    return _layout(fig, height=300)


def band_sankey(migration: pl.DataFrame, measure: str = "accounts") -> go.Figure:
    """Band migration, active → candidate, as a Sankey of accounts (or ARR)."""
    flows = migration.filter(pl.col(measure) > 0)
    left = [f"{b} (active)" for b in BAND_ORDER]
    right = [f"{b} (candidate)" for b in BAND_ORDER]
    index = {b: i for i, b in enumerate(BAND_ORDER)}
    fig = go.Figure(
        go.Sankey(
            node={
                "label": left + right,
                "pad": 14,
                "thickness": 14,
                "color": [BAND_COLORS[b] for b in BAND_ORDER] * 2,
            },
            link={
                "source": [index[b] for b in flows["band_before"]],
                "target": [len(BAND_ORDER) + index[b] for b in flows["band_after"]],
                "value": flows[measure].to_list(),
                "color": [
                    "rgba(37,99,235,0.25)" if a != b else "rgba(156,163,175,0.3)"
                    for a, b in zip(flows["band_before"], flows["band_after"], strict=True)
                ],
            },
        )
    )
    return _layout(fig, height=300)


def calibration(table: pl.DataFrame) -> go.Figure:
    """Reliability: predicted vs observed churn per decile of the predicted probability (with
    the observed rate's 95 % interval when known), and the diagonal a perfect calibration
    would follow."""
    highs = table["high"].to_list() if "high" in table.columns else []
    top = max([0.05, *table["predicted"].to_list(), *table["observed"].to_list(), *highs]) * 1.1
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, top],
            y=[0, top],
            mode="lines",
            name="perfect",
            line={"color": "#9ca3af", "dash": "dot"},
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=table["predicted"].to_list(),
            y=table["observed"].to_list(),
            name="deciles",
            mode="lines+markers",
            line={"color": "#2563eb", "width": 2.5},
            customdata=table.select("decile", "n").rows(),
            hovertemplate="decile %{customdata[0]}: predicted %{x:.1%}, observed %{y:.1%} "
            "of %{customdata[1]:,}<extra></extra>",
            # the observed rate's 95 % interval (clustered by account), when the table has it
            error_y=(
                {
                    "type": "data",
                    "symmetric": False,
                    "array": (table["high"] - table["observed"]).to_list(),
                    "arrayminus": (table["observed"] - table["low"]).to_list(),
                    "color": "#93c5fd",
                }
                if {"low", "high"} <= set(table.columns)
                else None
            ),
        )
    )
    fig.update_layout(
        xaxis={"title": "predicted churn", "tickformat": ".0%", "range": [0, top]},
        yaxis={"title": "observed churn", "tickformat": ".0%", "range": [0, top]},
    )
    return _layout(fig, height=300)
