"""Outcome charts: pure functions from report data to PNG or SVG bytes, with text alternatives.

matplotlib's object API only (``Figure``, never pyplot, which keeps global state and leaks
figures in a server), imported once per process with this module. Colours are colour-blind
safe: ColorBrewer's BrBG for scale points and the Okabe–Ito palette for phases. A suppressed
group is drawn as suppressed (hatched, labelled), never as zero.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from matplotlib import colormaps, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import FT2Font, LoadFlags

from lms.outcomes import reasons

PHASE_COLOURS = {"pre": "#E69F00", "then": "#56B4E9", "post": "#0072B2"}  # Okabe–Ito
COHORT_COLOUR = "#6b6b6b"
SUPPRESSED_COLOUR = "#d9d9d9"
COMPARISON_TITLES = {"post_pre": _l("post − pre (the programme effect)"),
                     "post_then": _l("post − then (against the retrospective baseline)"),
                     "then_pre": _l("then − pre (the response shift)")}
NAMES = ("likert", "behaviours", "effects", "progress", "profile", "engagement")
#: Colours of the engagement chart's rows (Okabe–Ito, after the phases' blue and orange).
ROW_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")


@dataclass
class TextAlternative:
    """The figures of a chart as a sentence and a small table, for people who cannot see it."""

    title: str
    summary: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    #: Whether the rows' labels hold the framework's own (English) words, beside their codes.
    english_labels: bool = False
    #: The columns whose heading is the framework's or a module's own (English) title.
    english_columns: list[int] = field(default_factory=list)


#: Font hinting off: glyphs are laid out a little faster and look the same at these sizes.
RC = {"text.hinting": "none", "svg.hashsalt": "lms", "font.family": "DejaVu Sans"}
#: Charts whose margins are set by hand (``margins`` in their data): the constrained layout
#: engine measures every label again, which costs a 37-row chart about 70 ms.
FIXED_MARGINS = {"behaviours"}


def render(draw: Callable[[Figure, dict], None], data: dict, width: int, height: int,
           fmt: str, svg_text: bool = False) -> bytes:
    """Draw a chart on a new Figure and return it as PNG or SVG bytes; with ``svg_text``, an
    SVG's words are text in the chart's font rather than outlines (for the PDF report: its
    text can be searched and read aloud, and it is drawn ten times faster there)."""
    with rc_context({**RC, "svg.fonttype": "none" if svg_text else "path"}):
        fig = drawn(draw, data, width, height)
        buffer = io.BytesIO()
        # No dates in the file: the same data gives the same bytes.
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


#: Pixels each row of a chart needs (a likert row is two bars), and what the title, axes
#: and legend need besides: a chart is drawn at least this tall, whatever height was asked.
ROW_PIXELS = {"likert": 30, "behaviours": 14, "effects": 22, "profile": 14, "engagement": 40}
FRAME_PIXELS = {"likert": 300}


def chart_height(name: str, data: dict, height: int) -> int:
    """The height a chart is drawn at: the one asked for, or more when its rows need it."""
    rows = len(data.get("rows") or data.get("behaviours") or [])
    return max(height, FRAME_PIXELS.get(name, 190) + ROW_PIXELS.get(name, 0) * rows)


def drawn(draw: Callable[[Figure, dict], None], data: dict, width: int,
          height: int) -> Figure:
    """A new Figure with the chart drawn on it, its layout done (call inside ``RC``)."""
    name = draw.__name__.removeprefix("draw_")
    fixed = name in FIXED_MARGINS
    height = chart_height(name, data, height)
    fig = Figure(figsize=(width / 100, height / 100), dpi=100,
                 layout=None if fixed else "constrained")
    FigureCanvasAgg(fig)  # a renderer to measure text with, before anything is drawn
    draw(fig, data)
    if fixed:
        title_inches = 0.25 + 0.2 * (fig.texts[0].get_text().count("\n") + 1 if fig.texts else 0)
        label_inches = min(0.6 * width / 100, widest_label_inches(fig))
        rows = len(data.get("rows") or [])
        needed = title_inches + 0.85 + 0.3 + ROW_PIXELS.get(name, 0) * rows / 100
        if needed > height / 100:  # a long title on a narrow chart: grow to fit it
            height = int(needed * 100) + 1
            fig.set_size_inches(width / 100, height / 100)
        # The last x tick label ("5 Consistently") is centred on the axes' right edge.
        fig.subplots_adjust(left=(label_inches + 0.15) / (width / 100),
                            right=1 - 0.45 / (width / 100),
                            top=1 - title_inches / (height / 100), bottom=0.85 / (height / 100))
    return fig


def widest_label_inches(fig: Figure) -> float:
    """The width of the widest y tick label of the figure's first axes, in inches."""
    labels = fig.axes[0].get_yticklabels()
    widths = [text_width(fig, label.get_text(), label.get_fontsize())
              for label in labels if label.get_text()]
    return max(widths, default=0) / fig.dpi


def texts_outside(fig: Figure, slack: float = 1.0) -> list[str]:
    """The visible texts of a drawn figure that reach past its edges (by more than
    ``slack`` pixels): what a reader would see cut off. Tick labels of ticks outside an
    axis's view are never drawn, so they do not count."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # lays the figure out, as saving it does
    renderer = canvas.get_renderer()
    undrawn = {id(label) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
               for label in ticklabels_out_of_view(axis)}
    box = fig.bbox
    outside = []
    for text in fig.findobj(lambda artist: hasattr(artist, "get_text")
                            and hasattr(artist, "get_window_extent")):
        if (id(text) in undrawn or not text.get_visible()
                or not str(text.get_text()).strip()):
            continue
        extent = text.get_window_extent(renderer)
        if (extent.x0 < box.x0 - slack or extent.y0 < box.y0 - slack
                or extent.x1 > box.x1 + slack or extent.y1 > box.y1 + slack):
            outside.append(text.get_text())
    return outside


def ticklabels_out_of_view(axis) -> list:
    """The tick labels of an axis whose ticks lie outside its view (matplotlib keeps them,
    undrawn)."""
    low, high = sorted(axis.get_view_interval())
    margin = (high - low) * 1e-9
    labels = []
    for tick in (*axis.get_major_ticks(), *axis.get_minor_ticks()):
        location = tick.get_loc()
        if location is None or not low - margin <= location <= high + margin:
            labels += [tick.label1, tick.label2]
    return labels


def scale_colours(count: int) -> list[str]:
    """``count`` colours from ColorBrewer BrBG, low points brown, high points green."""
    cmap = colormaps["BrBG"]
    return [cmap(0.1 + 0.8 * i / max(1, count - 1)) for i in range(count)]


def chart_font() -> FT2Font:
    """The charts' font, to measure text with. matplotlib keeps one per thread (an FT2Font
    must not be shared between threads: a server draws charts in several at once)."""
    return get_font(findfont(CHART_FONT))


CHART_FONT = FontProperties(family=RC["font.family"])


def text_width(fig: Figure, text: str, size: float) -> float:
    """How wide a line of ``text`` is drawn at ``size`` points on this figure, in pixels
    (measured from the font's glyphs, without laying anything out)."""
    font = chart_font()
    font.set_size(size, fig.dpi)
    font.set_text(text, 0.0, flags=LoadFlags.NO_HINTING)
    return font.get_width_height()[0] / 64


def fit_lines(fig: Figure, text: str, size: float, room: float) -> str:
    """``text`` broken at spaces into lines each at most ``room`` pixels wide when drawn."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(fig, f"{lines[-1]} {word}", size) <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def title(fig: Figure, text: str, size: float = 11) -> None:
    """The chart's title over the whole figure, broken into lines measured to fit it (a long
    programme name is never cut off at an edge)."""
    room = fig.get_figwidth() * fig.dpi - 24
    fig.suptitle(fit_lines(fig, text, size, room), fontsize=size)


def fitted(fig: Figure, text: str, size: float, share: float = 1.0) -> str:
    """``text`` in lines fitting ``share`` of the figure's width (an axis label, say)."""
    return fit_lines(fig, text, size, fig.get_figwidth() * fig.dpi * share - 24)


def suppressed_note(fig: Figure, reason: str, size: float = 8, share: float = 0.5) -> str:
    """What a suppressed row says: with its reason when that fits ``share`` of the figure's
    width, else "suppressed" alone (the table and the notice beside the chart give why)."""
    note = gettext("suppressed: %(reason)s", reason=reasons.said(reason))
    room = fig.get_figwidth() * fig.dpi * share
    return note if text_width(fig, note, size) <= room else gettext("suppressed")


def shortened(fig: Figure, text: str, size: float, share: float) -> str:
    """``text`` cut at a word (with "…") to fit ``share`` of the figure's width at ``size``
    points, measured as drawn; at least its first word."""
    room = fig.get_figwidth() * fig.dpi * share
    if text_width(fig, text, size) <= room:
        return text
    low, high = 1, len(text)
    while low < high:  # the longest cut that fits
        middle = (low + high + 1) // 2
        if text_width(fig, textwrap.shorten(text, middle, placeholder="…"), size) <= room:
            low = middle
        else:
            high = middle - 1
    cut = textwrap.shorten(text, max(low, 1), placeholder="…")
    return cut if cut != "…" else text.split()[0][:12] + "…"


def labelled(fig: Figure, label: str, suffix: str, size: float, share: float) -> str:
    """A row label cut to fit ``share`` of the figure's width with ``suffix`` (its n, say)
    kept whole after it."""
    room = share - text_width(fig, suffix, size) / (fig.get_figwidth() * fig.dpi)
    return shortened(fig, label, size, max(room, 0.05)) + suffix


#: The longest statement beside a code: longer labels cost drawing time (each glyph is
#: drawn) and are read in the table anyway.
MAX_LABEL = 48


def scale_ticks(fig: Figure, data: dict) -> list[str]:
    """The scale's points as x tick labels: with their words where the figure is wide
    enough for them not to run into each other, else the numbers alone (the key says what
    they mean)."""
    wide = fig.get_figwidth() * fig.dpi >= 120 * len(data["scale"]) + 300
    return [f"{p}\n{label}" if wide else str(p)
            for p, label in zip(data["scale"], data["scale_labels"], strict=True)]


def label_room(fig: Figure, share: float = 0.4) -> int:
    """How many characters of a row label fit in ``share`` of the figure's width at 7 pt
    (about 4.5 px a character), at most MAX_LABEL."""
    return max(12, min(MAX_LABEL, int(fig.get_figwidth() * fig.dpi * share / 4.5)))


def short(text: str, width: int = 48) -> str:
    """A statement cut to fit beside a chart."""
    return textwrap.shorten(text, width=width, placeholder="…")


def fmt_number(value: float | None, digits: int = 2) -> str:
    """A figure for a text alternative."""
    return "—" if value is None else f"{value:.{digits}f}"


# --- likert: diverging stacked bars of answers per scale point --------------------------

def likert_shares(counts: dict[str, int], scale: Sequence[int]) -> list[float]:
    """Percentages of the answers (not applicable left out) on each scale point."""
    total = sum(counts.get(str(p), 0) for p in scale)
    return [100 * counts.get(str(p), 0) / total if total else 0.0 for p in scale]


def empty_state(fig: Figure, ax, data: dict) -> bool:
    """With no rows to draw, the chart says why instead (and is otherwise blank); whether it
    had none."""
    if data["rows"]:
        return False
    ax.set_axis_off()
    ax.text(0.5, 0.5, fitted(fig, data.get("empty") or gettext("Nothing to show yet."), 11, 0.9),
            ha="center", va="center", fontsize=11, transform=ax.transAxes)
    title(fig, data["title"])
    return True


def left_out(fig: Figure, _ax, data: dict) -> None:
    """Say under the chart what it leaves out (rows with no answers, or too few people)."""
    if data.get("note"):
        fig.supxlabel(fitted(fig, data["note"], 8, 0.9), fontsize=8, color="#444444")


def legend_note(fig: Figure, data: dict) -> dict[str, Any]:
    """For a chart with a legend under it: what it leaves out, as the legend's title (a note
    of its own there would be laid over the legend)."""
    if not data.get("note"):
        return {}
    return {"title": fitted(fig, data["note"], 8, 0.9), "title_fontsize": 8}


def draw_likert(fig: Figure, data: dict) -> None:
    """Pre beside post for each row, centred on the scale's midpoint (n beside each bar)."""
    ax = fig.subplots()
    if empty_state(fig, ax, data):
        return
    scale, labels = data["scale"], data["scale_labels"]
    colours = scale_colours(len(scale))
    middle = len(scale) // 2
    bars, hidden, ticks, tick_labels = [], [], [], []
    y = 0.0
    for row in data["rows"]:
        for phase in ("pre", "post"):
            dist = row["distribution"][phase]
            ticks.append(y)
            if dist["suppressed"]:
                hidden.append((y, dist["reason"]))
                tick_labels.append(labelled(fig, row["label"], f" · {phase}", 8, 0.35))
            else:
                shares = likert_shares(dist["counts"], scale)
                # Centre on the midpoint: half the middle point's share on each side.
                start = -sum(shares[:middle]) - (shares[middle] / 2 if len(scale) % 2 else 0)
                bars.append((y, shares, start))
                tick_labels.append(labelled(fig, row["label"],
                                            f" · {phase} (n={dist['people']})", 8, 0.35))
            y += 1
        y += 0.6
    for index, colour in enumerate(colours):  # one call per scale point
        lefts = [start + sum(shares[:index]) for _y, shares, start in bars]
        ax.barh([b[0] for b in bars], [b[1][index] for b in bars], left=lefts, color=colour,
                edgecolor="white", height=0.8, label=f"{scale[index]} {labels[index]}")
    for index, (y, reason) in enumerate(hidden):  # shown as suppressed, never as zero
        # The legend names the hatched bar once: what it means, not a sixth scale point.
        ax.barh(y, 100, left=-50, color=SUPPRESSED_COLOUR, hatch="//", edgecolor="white",
                label=gettext("suppressed: too few people") if index == 0 else None)
        ax.text(0, y, suppressed_note(fig, reason, 8, 0.35), ha="center", va="center",
                fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(ticks, tick_labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(-100, 100)
    ax.set_xlabel(fitted(fig, gettext("Per cent of answers (below the midpoint to the left, "
                                      "above to the right)"), 10, 0.55))
    # "suppressed: too few people" needs the widest column.
    columns = max(1, min(len(scale), int(fig.get_figwidth() * fig.dpi // (180 if hidden else 140))))
    fig.legend(*ax.get_legend_handles_labels(), ncols=columns, loc="outside lower center",
               fontsize=8, frameon=False, **legend_note(fig, data))
    title(fig, data["title"])


def describe_likert(data: dict) -> TextAlternative:
    """Answers per scale point, pre and post, as percentages."""
    columns = [gettext("row"), gettext("phase"), gettext("people"),
               *[f"{p} {lab}" for p, lab in zip(data["scale"], data["scale_labels"],
                                                strict=True)]]
    rows = []
    for row in data["rows"]:
        for phase in ("pre", "post"):
            dist = row["distribution"][phase]
            if dist["suppressed"]:
                rows.append([row["label"], phase, gettext("suppressed"),
                             *[""] * len(data["scale"])])
            else:
                shares = likert_shares(dist["counts"], data["scale"])
                rows.append([row["label"], phase, dist["people"],
                             *[f"{s:.0f}%" for s in shares]])
    note = f" {data['note']}" if data.get("note") else ""
    return TextAlternative(data["title"], ngettext(
        "How answers were spread over the scale before and after the programme, for %(num)d "
        "row.", "How answers were spread over the scale before and after the programme, for "
        "%(num)d rows.", len(data["rows"])) + note, columns, rows,
        english_labels=data.get("named", False))


# --- behaviours: a dumbbell per behaviour, pre → post, then marked ------------------------

def draw_behaviours(fig: Figure, data: dict) -> None:
    """Mean pre → post per behaviour, grouped by theme, with then marked.

    One call per kind of mark (not one per behaviour) keeps a 37-row chart fast to draw.
    """
    ax = fig.subplots()
    rows = data["rows"]
    shown = [(y, r) for y, r in enumerate(rows) if not r["post_pre"]["suppressed"]]
    ys = [y for y, _r in shown]
    pre = [r["post_pre"]["mean_before"] for _y, r in shown]
    post = [r["post_pre"]["mean_after"] for _y, r in shown]
    ax.hlines(ys, pre, post, color="#999999", zorder=1)
    ax.scatter(pre, ys, color=PHASE_COLOURS["pre"], zorder=2, s=22, label=gettext("pre (mean)"))
    ax.scatter(post, ys, color=PHASE_COLOURS["post"], zorder=2, s=22, label=gettext("post (mean)"))
    then = [(y, r["post_then"]["mean_before"]) for y, r in shown
            if not r["post_then"]["suppressed"]]
    ax.scatter([v for _y, v in then], [y for y, _v in then], color=PHASE_COLOURS["then"],
               marker="|", s=90, zorder=3, label=gettext("then (mean)"))
    for y, row in enumerate(rows):
        if row["post_pre"]["suppressed"]:
            ax.text(data["scale"][0] + 0.1, y,
                    suppressed_note(fig, row["post_pre"]["reason"], 7, 0.3),
                    va="center", fontsize=7, color="#444444")
    room = label_room(fig, 0.4)
    ax.set_yticks(range(len(rows)), [f"{r['code']} {short(r['statement'], room)} (n={r['n']})"
                                      for r in rows], fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    low, high = data["scale"][0], data["scale"][-1]
    ax.set_xlim(low - 0.2, high + 0.2)  # the whole scale: differences are not exaggerated
    ax.set_xticks(data["scale"], scale_ticks(fig, data), fontsize=7)
    for boundary in data["theme_boundaries"]:
        ax.axhline(boundary - 0.5, color="#cccccc", linewidth=0.8)
    ax.grid(axis="x", color="#eeeeee")
    # Below the chart, where it covers no mark.
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncols=3, fontsize=7,
               frameon=False)
    title(fig, data["title"])


def describe_behaviours(data: dict) -> TextAlternative:
    """Mean pre, then and post per behaviour."""
    rows = []
    for row in data["rows"]:
        cell, then = row["post_pre"], row["post_then"]
        if cell["suppressed"]:
            rows.append([row["code"], gettext("suppressed"), "", "", ""])
        else:
            rows.append([row["code"], cell["n"], fmt_number(cell["mean_before"]),
                         "" if then["suppressed"] else fmt_number(then["mean_before"]),
                         fmt_number(cell["mean_after"])])
    improved = sum(1 for r in data["rows"] if not r["post_pre"]["suppressed"]
                   and (r["post_pre"]["mean_change"] or 0) > 0)
    return TextAlternative(data["title"], ngettext(
        "The mean rating rose from pre to post on %(improved)d of %(num)d behaviour.",
        "The mean rating rose from pre to post on %(improved)d of %(num)d behaviours.",
        len(data["rows"]), improved=improved),
        [gettext("behaviour"), "n", gettext("mean pre"), gettext("mean then"),
         gettext("mean post")], rows)


# --- effects: d_z per theme with intervals ------------------------------------------------

def dz_interval(cell: dict) -> tuple[float | None, float | None]:
    """d_z's 95% interval from the noncentral t distribution, as the report gives it."""
    return cell.get("d_z_ci_low"), cell.get("d_z_ci_high")


def draw_effects(fig: Figure, data: dict) -> None:
    """d_z per row with its noncentral-t 95% interval, and zero marked."""
    ax = fig.subplots()
    if empty_state(fig, ax, data):
        return
    left_out(fig, ax, data)
    rows = data["rows"]
    for y, row in enumerate(rows):
        cell = row[data["comparison"]]
        if cell["suppressed"] or cell["d_z"] is None:
            note = (suppressed_note(fig, cell["reason"], 8, 0.3) if cell["suppressed"]
                    else gettext("no spread"))
            ax.text(0.05, y, note, va="center", fontsize=8, color="#444444")
            continue
        low, high = dz_interval(cell)
        if low is not None:
            ax.plot([low, high], [y, y], color=PHASE_COLOURS["post"], linewidth=2)
        ax.scatter(cell["d_z"], y, color=PHASE_COLOURS["post"], s=40, zorder=3)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(rows)), [labelled(fig, r["label"], f" (n={r['n']})", 9, 0.35)
                                      for r in rows], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel(fitted(fig, gettext("Cohen's d_z with its %(level)d%% interval (noncentral t)",
                                      level=95), 10,
                         0.55))
    title(fig, data["title"])
    ax.grid(axis="x", color="#eeeeee")


def describe_effects(data: dict) -> TextAlternative:
    """d_z and its interval per row."""
    rows = []
    for row in data["rows"]:
        cell = row[data["comparison"]]
        if cell["suppressed"]:
            rows.append([row["label"], gettext("suppressed"), "", "", ""])
            continue
        low, high = dz_interval(cell)
        rows.append([row["label"], cell["n"], fmt_number(cell["d_z"]), fmt_number(low),
                     fmt_number(high)])
    compared = COMPARISON_TITLES[data["comparison"]]
    columns = [gettext("row"), "n", "d_z", gettext("interval low"), gettext("interval high")]
    if not data["rows"]:
        said = " ".join(filter(None, (data.get("empty") or gettext("Nothing to show yet."),
                                      data.get("note"))))
        return TextAlternative(data["title"], said, columns, [])
    note = f" {data['note']}" if data.get("note") else ""
    return TextAlternative(data["title"], gettext(
        "Effect sizes for %(comparison)s, per row, each with its 95%% interval from the "
        "noncentral t distribution.", comparison=compared) + note, columns, rows,
        english_labels=data.get("named", False))


# --- progress: completions and submissions per week ---------------------------------------

def draw_progress(fig: Figure, data: dict) -> None:
    """Activities completed and assessments submitted per week."""
    ax = fig.subplots()
    weeks = [w["week"] for w in data["weeks"]]
    xs = range(len(weeks))
    ax.bar([x - 0.2 for x in xs], [w["completions"] for w in data["weeks"]], width=0.4,
           color=PHASE_COLOURS["post"], label=gettext("activities completed"))
    ax.bar([x + 0.2 for x in xs], [w["submissions"] for w in data["weeks"]], width=0.4,
           color=PHASE_COLOURS["pre"], label=gettext("self-assessments submitted"))
    ax.set_xticks(list(xs), weeks, rotation=45, ha="right", fontsize=7)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(gettext("per week"))
    ax.legend(fontsize=8)
    title(fig, data["title"])


def describe_progress(data: dict) -> TextAlternative:
    """Completions and submissions per week."""
    rows = [[w["week"], w["completions"], w["submissions"]] for w in data["weeks"]]
    total = sum(w["completions"] for w in data["weeks"])
    return TextAlternative(data["title"], ngettext(
        "%(total)d activities completed over %(num)d week.",
        "%(total)d activities completed over %(num)d weeks.", len(rows), total=total),
        [gettext("week starting"), gettext("completions"), gettext("submissions")], rows)


# --- engagement: who submitted each self-assessment and completed each module -----------

#: The most rows (cohorts or groups) the engagement chart draws beside each other; with more,
#: it draws their total (the table beside it has every row).
MOST_ENGAGEMENT_ROWS = 6


def draw_engagement(fig: Figure, data: dict) -> None:
    """The share of each row's people who did each thing, a bar per row (cohort or group)
    for each self-assessment and module; a suppressed share is hatched and says so."""
    ax = fig.subplots()
    if empty_state(fig, ax, data):
        return
    rows, figures = data["rows"], data["figures"]
    height = 0.8 / len(rows)
    for index, row in enumerate(rows):
        colour = ROW_COLOURS[index % len(ROW_COLOURS)]
        ys, shares, hatched = [], [], []
        for y, figure in enumerate(figures):
            cell = row["figures"][figure["key"]]
            offset = y - 0.4 + height * (index + 0.5)
            if cell["suppressed"] and cell.get("followed", True):
                hatched.append(offset)
            elif not cell["suppressed"] and cell["share"] is not None:
                ys.append(offset)
                shares.append(100 * cell["share"])
        ax.barh(ys, shares, height=height * 0.9, color=colour,
                label=labelled(fig, row["label"], f" (n={row['enrolled']})", 8, 0.3))
        if hatched:
            ax.barh(hatched, [100] * len(hatched), height=height * 0.9,
                    color=SUPPRESSED_COLOUR, hatch="//", edgecolor="white",
                    label=gettext("suppressed: too few people") if index == 0 else None)
    ax.set_yticks(range(len(figures)), [shortened(fig, f["title"], 8, 0.3) for f in figures],
                  fontsize=8)
    ax.set_ylim(len(figures) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel(fitted(fig, gettext("Per cent of the participants of each row"), 10, 0.55))
    ax.grid(axis="x", color="#eeeeee")
    columns = max(1, min(3, int(fig.get_figwidth() * fig.dpi // 260)))
    fig.legend(*ax.get_legend_handles_labels(), ncols=columns, loc="outside lower center",
               fontsize=8, frameon=False, **legend_note(fig, data))
    title(fig, data["title"])


def describe_engagement(data: dict) -> TextAlternative:
    """Each row's counts and shares, figure by figure."""
    columns = [gettext("row"), gettext("people"), *[f["title"] for f in data["figures"]]]
    rows = []
    for row in data["rows"]:
        cells = []
        for figure in data["figures"]:
            cell = row["figures"][figure["key"]]
            cells.append(gettext("not followed") if not cell.get("followed", True) else
                         gettext("suppressed") if cell["suppressed"] else
                         f"{cell['count']} ({100 * (cell['share'] or 0):.0f}%)")
        rows.append([row["label"], row["enrolled"], *cells])
    note = f" {data['note']}" if data.get("note") else ""
    modules = [index for index, figure in enumerate(data["figures"], start=2)
               if figure["key"].startswith("module:")]
    return TextAlternative(data["title"], gettext(
        "How many of each row's participants submitted each self-assessment and completed "
        "each module.") + note, columns, rows, english_columns=modules)


# --- profile: a participant's own answers against the cohort ------------------------------

PROFILE_OFFSETS = {"pre": -0.3, "then": 0.0, "post": 0.3}
YOUR_PHASE = {"pre": _l("your pre"), "then": _l("your then"), "post": _l("your post")}


def draw_profile(fig: Figure, data: dict) -> None:
    """Own pre, then and post per behaviour (side by side, never hiding each other), with
    the cohort's mean pre → post as a grey segment, "not applicable" said in its row, and
    each behaviour's statement beside its code where the chart has room."""
    ax = fig.subplots()
    rows = data["behaviours"]
    cohort = [(y, r["cohort"]) for y, r in enumerate(rows) if not r["cohort"]["suppressed"]]
    ax.hlines([y for y, _c in cohort], [c["mean_pre"] for _y, c in cohort],
              [c["mean_post"] for _y, c in cohort], color=COHORT_COLOUR, linewidth=3,
              alpha=0.35, label=gettext("cohort mean, pre → post"))
    for phase, marker in (("pre", "o"), ("then", "D"), ("post", "o")):
        points = [(r[phase], y + PROFILE_OFFSETS[phase]) for y, r in enumerate(rows)
                  if isinstance(r[phase], int)]
        # Not clipped: a marker of the first or last row may reach past the axes' edge.
        ax.scatter([p for p, _y in points], [y for _p, y in points], color=PHASE_COLOURS[phase],
                   marker=marker, s=16, zorder=3, label=str(YOUR_PHASE[phase]), clip_on=False)
    middle = (data["scale"][0] + data["scale"][-1]) / 2
    for y, row in enumerate(rows):
        said = not_applicable(row)
        if said:
            ax.text(middle, y, said, ha="center", va="center", fontsize=6.5, color="#444444",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5}, zorder=4)
    room = label_room(fig, 0.35) if fig.get_figwidth() * fig.dpi >= 600 else 0
    ax.set_yticks(range(len(rows)), [
        f"{r['code']} {short(r['statement'], room)}" if room and r.get("statement")
        else r["code"] for r in rows], fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(data["scale"][0] - 0.3, data["scale"][-1] + 0.3)
    ax.set_xticks(data["scale"], scale_ticks(fig, data), fontsize=7)
    ax.grid(axis="x", color="#eeeeee")
    columns = max(1, min(4, int(fig.get_figwidth() * fig.dpi // 150)))
    fig.legend(*ax.get_legend_handles_labels(), ncols=columns, loc="outside lower center",
               fontsize=7, frameon=False)
    title(fig, data["title"])


def not_applicable(row: dict) -> str:
    """"not applicable" (with the phases, when not all) for a row answered so."""
    phases = [phase for phase in ("pre", "then", "post") if row.get(phase) == "na"]
    if not phases:
        return ""
    given = [phase for phase in ("pre", "then", "post") if row.get(phase) is not None]
    if phases == given:
        return gettext("not applicable")
    return gettext("not applicable (%(phases)s)", phases=", ".join(phases))


def describe_profile(data: dict) -> TextAlternative:
    """Own answers and the cohort's means per behaviour."""
    rows, hidden = [], gettext("suppressed")
    for row in data["behaviours"]:
        cohort = row["cohort"]
        rows.append([row["code"], row["pre"], row["then"], row["post"],
                     hidden if cohort["suppressed"] else fmt_number(cohort["mean_pre"]),
                     hidden if cohort["suppressed"] else fmt_number(cohort["mean_post"])])
    raised = sum(1 for r in data["behaviours"] if isinstance(r["pre"], int)
                 and isinstance(r["post"], int) and r["post"] > r["pre"])
    return TextAlternative(data["title"], ngettext(
        "You rated yourself higher after the programme on %(raised)d of %(num)d behaviour.",
        "You rated yourself higher after the programme on %(raised)d of %(num)d behaviours.",
        len(rows), raised=raised),
        [gettext("behaviour"), gettext("your pre"), gettext("your then"), gettext("your post"),
         gettext("cohort mean pre"), gettext("cohort mean post")], rows)


DRAW = {"likert": draw_likert, "behaviours": draw_behaviours, "effects": draw_effects,
        "progress": draw_progress, "profile": draw_profile, "engagement": draw_engagement}
DESCRIBE = {"likert": describe_likert, "behaviours": describe_behaviours,
            "effects": describe_effects, "progress": describe_progress,
            "profile": describe_profile, "engagement": describe_engagement}
