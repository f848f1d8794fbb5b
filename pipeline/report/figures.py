"""Figures of the report (PNG, zh or en), drawn from the tables the stages write.

Every figure function takes DataFrames (as read from the stages' CSVs) and ``lang`` ("zh" or
"en") and returns a :class:`matplotlib.figure.Figure`; :func:`save_png` writes one and
:func:`render_all` writes every figure whose input tables exist under a study's output folder.

The font, sizes and style are in :mod:`pipeline.report.plotting`, reading the stages' tables in
:mod:`pipeline.report.tables`.

**Font.** Chinese is set in Noto Sans CJK SC (SIL Open Font Licence), the copy shipped inside the
``mplfonts`` wheel that ``make`` installs, never a font of the system: the result does not depend
on the machine, and no glyph is missing (no tofu boxes). The file is registered with
:meth:`matplotlib.font_manager.FontManager.addfont` on first use (nothing happens at import; mplfonts'
own helpers, which copy fonts into matplotlib's installation and rewrite an rc file, are not used)
and selected through :func:`matplotlib.rc_context` by its family name, so a figure built here keeps
its font even when saved outside the context. The same font sets the English figures, so the
two versions look alike and a Chinese term in an English figure (topic terms) still renders.

**Backend.** Figures are :class:`~matplotlib.figure.Figure` objects on an Agg canvas, never pyplot,
so nothing here touches pyplot's global figure list or backend.

**Size.** 16 cm wide (a single figure on an A4 page with 2.5 cm margins), 200 dpi; text is 8–9 pt
at that size. **Determinism.** PNGs are written without a ``Software`` tag and ``svg.hashsalt`` is
fixed, so rendering the same tables twice gives identical bytes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipeline.interviews.roles import ROLE_LABELS, role_label
from pipeline.report.plotting import (
    GRID,
    INK,
    check_lang,
    declutter,
    diverging_colours,
    is_cjk,
    new_figure,
    overlap,
    pct_axis,
    rgba,
    row_label,
    save_png,
    style,
    text_colour,
    tr,
    wrap_label,
)
from pipeline.report.tables import find_questionnaire, read_table

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from pipeline.survey.questionnaire import Questionnaire


# (importance high, performance high) quadrants of IPA; the table's quadrant_zh wins when given.
QUADRANTS: dict[str, tuple[str, str]] = {
    "concentrate here": ("重点改进区", "Concentrate here"),
    "keep up the good work": ("继续保持区", "Keep up the good work"),
    "low priority": ("次要改进区", "Low priority"),
    "possible overkill": ("过度供给区", "Possible overkill"),
}
_QUADRANT_CORNER = {  # x = performance, y = importance
    "concentrate here": ("left", "top"),
    "keep up the good work": ("right", "top"),
    "low priority": ("left", "bottom"),
    "possible overkill": ("right", "bottom"),
}
_QUADRANT_COLOUR = {
    "concentrate here": "#b2182b",
    "keep up the good work": "#2166ac",
    "low priority": "#6f6f6f",
    "possible overkill": "#d6850c",
}


# ---- font and style ---------------------------------------------------------------------------


# ---- small helpers ----------------------------------------------------------------------------


# ---- questionnaire → tables the figures take --------------------------------------------------

def likert_items(questionnaire: Questionnaire, include_overall: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(items, scale) for :func:`likert_diverging` from a questionnaire.

    items: one row per Likert item of each construct, in questionnaire order, with ``item``,
    ``label_zh``, ``label_en``, ``group``, ``group_zh``, ``group_en``; the overall-satisfaction
    item (``roles.overall``) follows as its own group when it uses the same scale.
    scale: ``code``, ``label_zh``, ``label_en`` of that scale's levels (low → high).
    """
    q = questionnaire
    idx = q.item_index
    row_label = {r.id: r.label for it in q.items for r in it.rows or []}
    rows, scale_name = [], None
    for c in q.constructs:
        for i in q.construct_items(c.id):
            it = idx[i]
            if it.type != "likert":
                continue
            scale_name = scale_name or it.scale
            if it.scale != scale_name:
                continue
            label = row_label.get(i, it.text)
            rows.append({"item": i, "label_zh": label, "label_en": it.en or i, "group": c.id,
                         "group_zh": c.label.zh, "group_en": c.label.en or c.id})
    ov = q.roles.overall
    if include_overall and ov and ov in idx and (scale_name is None or idx[ov].scale == scale_name):
        it = idx[ov]
        scale_name = scale_name or it.scale
        rows.append({"item": ov, "label_zh": "总体满意度", "label_en": "Overall satisfaction",
                     "group": "overall", "group_zh": "总体评价", "group_en": "Overall"})
    items = pd.DataFrame(rows, columns=["item", "label_zh", "label_en", "group", "group_zh", "group_en"])
    levels = q.scales[scale_name].levels if scale_name in q.scales else []
    scale = pd.DataFrame([{"code": o.code, "label_zh": o.label, "label_en": o.en or o.label} for o in levels],
                         columns=["code", "label_zh", "label_en"])
    return items, scale


def option_labels(questionnaire: Questionnaire, item_id: str | None) -> dict[str, tuple[str, str]]:
    """Option key (column suffix) and code → (zh, en) label of a choice item."""
    if not questionnaire or not item_id or item_id not in questionnaire.item_index:
        return {}
    it = questionnaire.item_index[item_id]
    out: dict[str, tuple[str, str]] = {}
    for o in questionnaire.options_of(it):
        out[o.col_key] = (o.label, o.en or o.label)
        out[str(o.code)] = (o.label, o.en or o.label)
    return out


# ---- 1. Likert items: diverging stacked bars --------------------------------------------------


def likert_shares(frequencies: pd.DataFrame, items: Sequence[str], codes: Sequence[int]) -> pd.DataFrame:
    """Percent of each scale level among an item's answers on the scale (items × codes)."""
    f = frequencies[frequencies["item"].isin(items)].copy()
    if "is_missing" in f:
        f = f[~f["is_missing"].astype(str).str.lower().isin(["true", "1"])]
    f["value"] = pd.to_numeric(f["value"], errors="coerce")
    f = f[f["value"].isin(list(codes))]
    n = f.pivot_table(index="item", columns="value", values="n", aggfunc="sum", fill_value=0)
    n = n.reindex(index=list(items), columns=list(codes), fill_value=0).astype(float)
    tot = n.sum(axis=1).replace(0, np.nan)
    return n.div(tot, axis=0).mul(100).fillna(0.0)


def likert_diverging(frequencies: pd.DataFrame, items: pd.DataFrame, scale: pd.DataFrame | None = None,
                     lang: str = "zh") -> Figure:
    """Diverging stacked bars of Likert items grouped by construct.

    Parameters
    ----------
    frequencies : stats/frequencies.csv (``item``, ``value``, ``label``, ``n``, ``is_missing``).
    items : ``item``, ``label_zh``, ``label_en`` and optionally ``group``, ``group_zh``, ``group_en``
        (see :func:`likert_items`); drawn in this order, one panel per group.
    scale : ``code``, ``label_zh``, ``label_en`` (low → high). Default: the codes and labels found
        in ``frequencies`` for these items.

    Shares are of the answers on the scale (missing and "don't know" left out). The neutral level
    (middle of an odd scale) straddles 0; levels below it go left, above it right.
    """
    check_lang(lang)
    with style():
        items = items.reset_index(drop=True)
        if "group" not in items:
            items = items.assign(group="")
        items["group"] = items["group"].fillna("").astype(str)
        title_col = f"group_{lang}" if f"group_{lang}" in items else "group_zh" if "group_zh" in items else None
        titles = {g: (str(items.loc[items["group"] == g, title_col].iloc[0]) if title_col else "")
                  for g in dict.fromkeys(items["group"])}
        titles = {g: ("" if t in ("nan", "None", "<NA>") else t) for g, t in titles.items()}
        if scale is None or scale.empty:
            f = frequencies[frequencies["item"].isin(items["item"])]
            f = f[pd.to_numeric(f["value"], errors="coerce").notna()]
            lab = f.assign(code=pd.to_numeric(f["value"]).astype(int)).drop_duplicates("code").sort_values("code")
            scale = pd.DataFrame({"code": lab["code"], "label_zh": lab["label"], "label_en": lab["label"]})
        codes = [int(c) for c in scale["code"]]
        levels = [row_label(r, lang, r["code"]) for _, r in scale.iterrows()]
        k = len(codes)
        shares = likert_shares(frequencies, items["item"].tolist(), codes)
        colours = diverging_colours(k)
        mid = k // 2
        neutral = k % 2 == 1
        neg = shares.iloc[:, :mid].sum(axis=1)
        left = -(neg + (shares.iloc[:, mid] / 2 if neutral else 0))
        right = left + shares.sum(axis=1)
        lim = max(float((-left).max()), float(right.max()), 1.0)
        lim = min(100.0, np.ceil((lim + 2) / 10) * 10)

        groups = list(dict.fromkeys(items["group"]))
        sizes = [int((items["group"] == g).sum()) for g in groups]
        row_cm, head_cm = 0.52, 0.75
        has_titles = any(titles.values())
        height = sum(sizes) * row_cm + len(groups) * (head_cm if has_titles else 0.25) + 2.6
        fig = new_figure(height)
        axes = fig.subplots(len(groups), 1, sharex=True,
                            gridspec_kw={"height_ratios": [s + (0.9 if has_titles else 0.3) for s in sizes]})
        axes = np.atleast_1d(axes)
        width = 13 if lang == "zh" else 26
        handles = None
        for ax, g in zip(axes, groups):
            sub = items[items["group"] == g]
            y = np.arange(len(sub))
            start = left.loc[sub["item"]].to_numpy()
            bars = []
            for j in range(k):
                w = shares.loc[sub["item"], codes[j]].to_numpy()
                b = ax.barh(y, w, left=start, height=0.72, color=colours[j], edgecolor="white",
                            linewidth=0.5, label=levels[j])
                bars.append(b)
                for yy, x0, ww in zip(y, start, w):
                    if ww >= 7:
                        ax.text(x0 + ww / 2, yy, f"{ww:.0f}", ha="center", va="center", fontsize=8,
                                color=text_colour(rgba(colours[j])))
                start = start + w
            handles = handles or bars
            ax.set_yticks(y, [wrap_label(row_label(r, lang, r["item"]), width) for _, r in sub.iterrows()])
            ax.set_ylim(len(sub) - 0.5, -0.5 - (0.15 if has_titles else 0))
            ax.axvline(0, color="#555555", lw=0.7, zorder=0.5)  # hidden behind the neutral bar
            ax.tick_params(axis="y", length=0)
            ax.spines["left"].set_visible(False)
            ax.set_xlim(-lim, lim)
            ax.xaxis.grid(True, color=GRID, lw=0.5)
            ax.set_axisbelow(True)
            if titles[g]:
                ax.set_title(titles[g], loc="left", pad=3)
            if ax is not axes[-1]:
                ax.tick_params(axis="x", length=0)
                ax.spines["bottom"].set_visible(False)
        pct_axis(axes[-1], "x", absolute=True)
        axes[-1].set_xlabel(tr(lang, "占有效回答的比例（%）；“" + levels[mid] + "”居中" if neutral else "占有效回答的比例（%）",
                               "Share of valid answers (%)" + (f"; '{levels[mid]}' centred" if neutral else "")))
        fig.legend(handles, levels, loc="outside upper center", ncol=k, handlelength=1.2, handleheight=0.9,
                   columnspacing=1.0, borderaxespad=0.2)
    return fig


# ---- 2. importance–performance analysis ------------------------------------------------------


def ipa_plot(ipa: pd.DataFrame, lang: str = "zh", importance_type: str | None = None) -> Figure:
    """Importance–performance quadrant plot (x: performance, y: importance).

    ``ipa`` is stats/ipa.csv; with several ``importance_type`` rows the stated importance is drawn
    unless ``importance_type`` names another. Dashed lines are the cut-points; quadrant names
    come from ``quadrant_zh`` (zh) or ``quadrant`` (en).
    """
    check_lang(lang)
    from matplotlib.transforms import Bbox

    d = ipa
    if "importance_type" in d and d["importance_type"].nunique() > 1:
        kinds = list(dict.fromkeys(d["importance_type"]))
        kind = importance_type or ("stated" if "stated" in kinds else kinds[0])
        d = d[d["importance_type"] == kind]
    elif importance_type and "importance_type" in d:
        d = d[d["importance_type"] == importance_type]
    if d.empty:
        raise ValueError(f"no IPA rows for importance_type={importance_type!r}")
    d = d.dropna(subset=["performance", "importance"]).reset_index(drop=True)
    if d.empty:
        from pipeline.core.errors import CannotCompute

        raise CannotCompute("no attribute has both an importance and a performance score")
    kind = str(d["importance_type"].iloc[0]) if "importance_type" in d else "stated"
    pc = float(d["performance_cut"].iloc[0]) if "performance_cut" in d else float(d["performance"].mean())
    ic = float(d["importance_cut"].iloc[0]) if "importance_cut" in d else float(d["importance"].mean())
    names = {q: (zh if lang == "zh" else en) for q, (zh, en) in QUADRANTS.items()}
    if lang == "zh" and "quadrant_zh" in d:
        names.update({q: z for q, z in zip(d["quadrant"], d["quadrant_zh"]) if isinstance(z, str) and z})

    with style():
        fig = new_figure(11.5)
        ax = fig.add_subplot()
        x, y = d["performance"].to_numpy(float), d["importance"].to_numpy(float)

        def limits(v, cut):
            lo, hi = min(v.min(), cut), max(v.max(), cut)
            span = max(hi - lo, 1e-6)
            return lo - 0.35 * span, hi + 0.35 * span

        ax.set_xlim(*limits(x, pc))
        ax.set_ylim(*limits(y, ic))
        ax.axvline(pc, color="#777777", lw=0.8, ls=(0, (4, 3)), zorder=1)
        ax.axhline(ic, color="#777777", lw=0.8, ls=(0, (4, 3)), zorder=1)
        quad = d["quadrant"] if "quadrant" in d else [None] * len(d)
        quad = [
            q if q in QUADRANTS else
            ("keep up the good work" if ii >= ic and pp >= pc else "concentrate here" if ii >= ic else
             "possible overkill" if pp >= pc else "low priority")
            for q, pp, ii in zip(quad, x, y)
        ]
        ax.scatter(x, y, s=34, c=[_QUADRANT_COLOUR[q] for q in quad], zorder=4, edgecolors="white", linewidths=0.6)

        corner_texts = []
        for q, (ha, va) in _QUADRANT_CORNER.items():
            t = ax.text(0.015 if ha == "left" else 0.985, 0.975 if va == "top" else 0.025, names[q],
                        transform=ax.transAxes, ha=ha, va=va, fontsize=9,
                        color=_QUADRANT_COLOUR[q], alpha=0.85, zorder=2)
            corner_texts.append(t)

        width = 10 if lang == "zh" else 22
        labels = []
        for i, row in d.iterrows():
            lab = wrap_label(row_label(row, lang, row["attribute"]), width)
            a = ax.annotate(lab, (x[i], y[i]), xytext=(6, 0), textcoords="offset points", ha="left",
                            va="center", fontsize=8.5, color=INK, zorder=5, annotation_clip=False,
                            bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
            a.set_in_layout(False)
            labels.append(a)

        def scale(col: str) -> str:
            """', 1–5' when every attribute's mean is on that range; '' when unknown or mixed."""
            vals = {str(v) for v in d[col].fillna("")} if col in d else set()
            return f"，{vals.pop()}" if len(vals) == 1 and "" not in vals else ""

        ps, is_ = scale("performance_scale"), scale("importance_scale")
        ax.set_xlabel(tr(lang, f"表现（满意度均值{ps}）", f"Performance (mean satisfaction{ps.replace('，', ', ')})"))
        if kind == "stated":
            ax.set_ylabel(tr(lang, f"重要性（陈述重要性均值{is_}）",
                             f"Importance (mean stated importance{is_.replace('，', ', ')})"))
        elif kind.startswith("derived_corr"):
            ax.set_ylabel(tr(lang, "重要性（与总体满意度的相关系数 r）", "Derived importance (r with overall satisfaction)"))
        else:
            ax.set_ylabel(tr(lang, "重要性（总体满意度的标准化回归系数）", "Derived importance (standardised β on overall satisfaction)"))
        ax.spines["top"].set_visible(True)
        ax.spines["right"].set_visible(True)
        fig.draw_without_rendering()
        r = fig.canvas.get_renderer()
        pts = ax.transData.transform(np.column_stack([x, y]))
        obstacles = [t.get_window_extent(r) for t in corner_texts]
        obstacles += [Bbox.from_extents(px - 6, py - 6, px + 6, py + 6) for px, py in pts]
        declutter(fig, ax, labels, obstacles)
        # a thin leader line for a label moved away from its point
        for a, (px, py) in zip(labels, np.column_stack([x, y])):
            ox, oy = a.xyann
            if abs(oy) > 5:
                b = a.get_window_extent(r)
                tx = b.x0 if a.get_horizontalalignment() == "left" else b.x1
                ty = (b.y0 + b.y1) / 2
                end = ax.transData.inverted().transform((tx, ty))
                ax.plot([px, end[0]], [py, end[1]], color="#999999", lw=0.5, zorder=3)
    return fig


# ---- 3. satisfaction index by community ------------------------------------------------------

def satisfaction_by_community(by_community: pd.DataFrame, overall: pd.DataFrame | None = None,
                              lang: str = "zh", weighting: str = "equal") -> Figure:
    """Satisfaction index (0–100) of each community with its 95% CI, highest first.

    ``by_community`` is stats/satisfaction_by_community.csv; ``overall`` (stats/satisfaction_index.csv)
    adds the whole sample's index (row ``weighting``, else the first row) as a dashed line with its
    CI as a band.
    """
    check_lang(lang)
    d = by_community.sort_values(["index", "community"], ascending=[False, True], kind="stable").reset_index(drop=True)
    ref = None
    if overall is not None and not overall.empty:
        o = overall[overall["weighting"] == weighting] if "weighting" in overall else overall
        ref = (o if not o.empty else overall).iloc[0]
    with style():
        fig = new_figure(len(d) * 0.75 + 3.0)
        ax = fig.add_subplot()
        y = np.arange(len(d))
        idx = d["index"].to_numpy(float)
        lo = d["ci95_low"].to_numpy(float)
        hi = d["ci95_high"].to_numpy(float)
        if ref is not None:
            ax.axvspan(float(ref["ci95_low"]), float(ref["ci95_high"]), color="#e8e8e8", lw=0, zorder=0)
            ax.axvline(float(ref["index"]), color="#555555", lw=0.9, ls=(0, (4, 3)), zorder=1)
            ax.annotate(tr(lang, f"全样本 {float(ref['index']):.1f}", f"All respondents {float(ref['index']):.1f}"),
                        (float(ref["index"]), 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=8, color="#444444")
        ax.errorbar(idx, y, xerr=[idx - lo, hi - idx], fmt="o", ms=5, color="#2166ac", ecolor="#2166ac",
                    elinewidth=1.2, capsize=3, capthick=1.0, zorder=3)
        for yy, v, h in zip(y, idx, hi):
            ax.text(h, yy, f"  {v:.1f}", va="center", ha="left", fontsize=8, color=INK)
        ticks = []
        for _, row in d.iterrows():
            name = row_label(row, lang, row["community"])
            n = row.get("n")
            ticks.append(f"{name} (n={int(n)})" if n is not None and pd.notna(n) else name)
        ax.set_yticks(y, ticks)
        ax.set_ylim(len(d) - 0.5, -0.7)
        vals = np.concatenate([lo, hi] + ([[float(ref["ci95_low"]), float(ref["ci95_high"])]] if ref is not None else []))
        span = max(vals.max() - vals.min(), 5)
        ax.set_xlim(vals.min() - 0.08 * span, vals.max() + 0.18 * span)
        ax.xaxis.grid(True, color=GRID, lw=0.5)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(tr(lang, "满意度指数（0–100），点为估计值，横线为95%置信区间",
                         "Satisfaction index (0–100): estimate and 95% confidence interval"))
    return fig


# ---- 4. participation by stage --------------------------------------------------------------

def participation_by_stage(stages: pd.DataFrame, lang: str = "zh",
                           labels: Mapping[str, tuple[str, str]] | None = None) -> Figure:
    """Share of all respondents who took part in each stage, with Wilson 95% CIs.

    ``stages`` is stats/participation_stages.csv (``stage``, ``n``, ``pct_of_all``, ``ci95_low``,
    ``ci95_high``), drawn in its order (the order of the process); ``labels`` maps a stage id
    to its (zh, en) label (see :func:`option_labels`), else the id is shown.
    """
    check_lang(lang)
    labels = labels or {}
    d = stages.reset_index(drop=True)
    with style():
        fig = new_figure(8.5)
        ax = fig.add_subplot()
        x = np.arange(len(d))
        p = d["pct_of_all"].to_numpy(float)
        lo, hi = d["ci95_low"].to_numpy(float), d["ci95_high"].to_numpy(float)
        ax.bar(x, p, width=0.62, color="#67a9cf", edgecolor="#2166ac", linewidth=0.6, zorder=2)
        ax.errorbar(x, p, yerr=[p - lo, hi - p], fmt="none", ecolor="#333333", elinewidth=0.9, capsize=3,
                    capthick=0.9, zorder=3)
        for xx, v, h, n in zip(x, p, hi, d["n"] if "n" in d else [None] * len(d)):
            txt = f"{v:.1f}%" + (f"\n(n={int(n)})" if n is not None and pd.notna(n) else "")
            ax.text(xx, h + 1.0, txt, ha="center", va="bottom", fontsize=8, linespacing=1.1)
        width = 8 if lang == "zh" else 14
        names = []
        for s in d["stage"].astype(str):
            zh_en = labels.get(s)
            names.append(wrap_label(zh_en[0 if lang == "zh" else 1] if zh_en else s, width))
        ax.set_xticks(x, names)
        ax.tick_params(axis="x", length=0)
        ax.set_ylim(0, max(float(hi.max()) * 1.25 + 4, 10))
        pct_axis(ax, "y")
        ax.yaxis.grid(True, color=GRID, lw=0.5)
        ax.set_axisbelow(True)
        ax.set_ylabel(tr(lang, "占全部受访者的比例（%）", "Share of all respondents (%)"))
        ax.set_xlabel(tr(lang, "改造环节（误差线为Wilson 95%置信区间）", "Stage of the renovation (error bars: Wilson 95% CI)"))
    return fig


def multi_choice(rows: pd.DataFrame, lang: str = "zh") -> Figure:
    """One multi-select item: the share of respondents choosing each option (stats/multi_response.csv
    rows of the item: ``label`` (and ``label_en`` for English), ``n_responses``, ``pct_of_cases``),
    largest first."""
    check_lang(lang)
    d = rows[rows["option"].astype(str) != "total"] if "option" in rows else rows
    d = d.sort_values("pct_of_cases", ascending=True, kind="stable")
    if d.empty:
        from pipeline.core.errors import CannotCompute

        raise CannotCompute("no option of this item was chosen")
    with style():
        fig = new_figure(max(3.0, 0.42 * len(d) + 1.2))
        ax = fig.add_subplot()
        y = np.arange(len(d))
        v = d["pct_of_cases"].to_numpy(float)
        ax.barh(y, v, height=0.62, color="#67a9cf", edgecolor="#2166ac", linewidth=0.6, zorder=2)
        for yy, vv, n in zip(y, v, d["n_responses"]):
            ax.text(vv + 0.8, yy, f"{vv:.1f}%（{int(n)}）" if lang == "zh" else f"{vv:.1f}% ({int(n)})",
                    va="center", fontsize=8)
        names = d["label_en"] if lang == "en" and "label_en" in d else d["label"]
        clean = [re.sub(r"[【(（〖\[]\s*(请注明|请说明|请填写|注明)[^】)）〗\]]*[】)）〗\]]", "", str(x)).strip() for x in names]
        ax.set_yticks(y, [wrap_label(x, 14 if lang == "zh" else 24) for x in clean])
        ax.set_xlim(0, max(float(v.max()) * 1.25, 10))
        pct_axis(ax, "x")
        ax.xaxis.grid(True, color=GRID, lw=0.5)
        ax.set_axisbelow(True)
        ax.set_xlabel(tr(lang, "选择该项的受访者占作答者的比例（%）", "Share of respondents choosing the option (%)"))
    return fig


# ---- 4b. structural paths and simple slopes --------------------------------------------------

def _stars(p: float) -> str:
    return "***" if p < .001 else "**" if p < .01 else "*" if p < .05 else ""


def path_diagram(estimates: pd.DataFrame, fit: pd.DataFrame | None = None, lang: str = "zh",
                 names: Mapping[str, tuple[str, str]] | None = None) -> Figure:
    """The structural part of one SEM (stats/sem_estimates.csv rows of one analysis): latent
    variables as ellipses, observed ones as boxes, laid out left to right by their place in the
    paths; arrows carry the standardised coefficient with significance stars (* p < .05,
    ** < .01, *** < .001; dashed when not significant); R² under each outcome; the fit indices
    below. ``names`` maps a variable to its (zh, en) label (default: ``lhs_zh``/``rhs_zh``)."""
    from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch

    check_lang(lang)
    kind = estimates["kind"] if "kind" in estimates else estimates["op"].map({"~": "regression"})
    reg = estimates[kind == "regression"]
    if reg.empty:
        from pipeline.core.errors import CannotCompute

        raise CannotCompute("the model has no structural path")
    latent = set(estimates.loc[kind == "loading", "lhs"])
    label = dict(names or {})
    for _, r in estimates.iterrows():
        for v, z in ((r["lhs"], r.get("lhs_zh")), (r["rhs"], r.get("rhs_zh"))):
            label.setdefault(v, (str(z) if pd.notna(z) else v, v))
    nodes = list(dict.fromkeys(list(reg["rhs"]) + list(reg["lhs"])))
    depth = {v: 0 for v in nodes}
    for _ in nodes:   # longest path from a source: the column of each variable
        for _, r in reg.iterrows():
            depth[r["lhs"]] = max(depth[r["lhs"]], depth[r["rhs"]] + 1)
    cols: dict[int, list[str]] = {}
    for v in nodes:
        cols.setdefault(depth[v], []).append(v)
    ncol = max(cols) + 1
    nrow = max(len(c) for c in cols.values())
    pos = {}
    for c, vs in cols.items():
        for k, v in enumerate(vs):
            # one column: centred; a middle column is raised so arrows round it do not cross it
            y = (nrow - 1) / 2 - k + (len(vs) - 1) / 2 - (nrow - 1) / 2 if len(vs) > 1 else (
                0.9 if 0 < c < ncol - 1 else 0.0)
            pos[v] = (c * 3.2, y * 1.6)
    r2 = dict(zip(reg["lhs"], reg["r2_lhs"])) if "r2_lhs" in reg else {}
    with style():
        fig = new_figure(4.2 + 1.6 * max(nrow - 1, 0) + (1.0 if ncol > 2 else 0.0))
        ax = fig.add_subplot()
        ax.set_axis_off()
        w, h0 = 2.1, 0.85
        for v, (x, y) in pos.items():
            text = wrap_label(label[v][0] if lang == "zh" else label[v][1], 8 if lang == "zh" else 14)
            h = max(h0, 0.3 * (text.count("\n") + 1) + 0.35)   # a long question gets a taller node
            if v in latent:
                ax.add_patch(Ellipse((x, y), w, h, facecolor="#eaf2fa", edgecolor="#2166ac", lw=1.1, zorder=2))
            else:
                ax.add_patch(FancyBboxPatch((x - w / 2 + 0.08, y - h / 2 + 0.08), w - 0.16, h - 0.16,
                                            boxstyle="square,pad=0.08", facecolor="#f4f4f4", edgecolor="#444444",
                                            lw=1.0, zorder=2))
            ax.text(x, y, text, ha="center", va="center", fontsize=8.5, zorder=3)
            if v in r2 and pd.notna(r2[v]):
                ax.text(x, y - h / 2 - 0.12, f"R² = {float(r2[v]):.2f}", ha="center", va="top", fontsize=8,
                        color="#555555")
        for _, r in reg.iterrows():
            (x0, y0), (x1, y1) = pos[r["rhs"]], pos[r["lhs"]]
            sig = pd.notna(r["p_val"]) and float(r["p_val"]) < .05
            rad = 0.0
            if abs(y0 - y1) < 1e-9 and abs(x1 - x0) > 3.3:   # skips a column: bend below the middle node
                rad = 0.35
            sx, ex = x0 + w / 2 * (1 if x1 > x0 else -1) * 0.98, x1 - w / 2 * (1 if x1 > x0 else -1) * 0.98
            arrow = FancyArrowPatch((sx, y0), (ex, y1),
                                    connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>", mutation_scale=11,
                                    lw=1.2, color="#222222" if sig else "#888888", ls="-" if sig else (0, (4, 3)),
                                    zorder=1, shrinkA=0, shrinkB=0)
            ax.add_patch(arrow)
            # a quadratic Bézier's midpoint lies half-way to its control point (rad × chord from the chord)
            mx, my = (sx + ex) / 2, (y0 + y1) / 2 - (rad * abs(ex - sx) / 2 if rad else 0)
            ax.text(mx, my + (0.0 if rad else 0.12), f"{float(r['std_all']):.2f}{_stars(float(r['p_val']))}",
                    ha="center", va="bottom" if not rad else "center", fontsize=8.5,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"}, zorder=4)
        xs = [p[0] for p in pos.values()]
        ys = [p[1] for p in pos.values()]
        ax.set_xlim(min(xs) - 1.4, max(xs) + 1.4)
        ax.set_ylim(min(ys) - 1.5, max(ys) + 0.8)
        ax.set_aspect("equal")
        if fit is not None and len(fit):
            f = fit.iloc[0]
            line = (f"χ²({int(f['df'])}) = {float(f['chi2']):.2f}, CFI = {float(f['cfi']):.3f}, "
                    f"TLI = {float(f['tli']):.3f}, RMSEA = {float(f['rmsea']):.3f}, SRMR = {float(f['srmr']):.3f}, "
                    f"n = {int(f['n'])}")
            ax.text(0.5, 0.0, line, transform=ax.transAxes, ha="center", va="bottom", fontsize=8, color="#444444")
    return fig


def simple_slopes(slopes: pd.DataFrame, lang: str = "zh", x_label: str = "", y_label: str = "",
                  w_label: str = "") -> Figure:
    """One moderation (stats/moderation_simple_slopes.csv rows of one analysis): the predicted
    outcome from x = mean − 1 SD to mean + 1 SD at each level of the moderator, the line's slope
    and its significance in the legend."""
    check_lang(lang)
    d = slopes.reset_index(drop=True)
    names = {"mean − 1 SD": ("均值 − 1 SD", "mean − 1 SD"), "mean": ("均值", "mean"),
             "mean + 1 SD": ("均值 + 1 SD", "mean + 1 SD")}
    with style():
        fig = new_figure(8.5)
        ax = fig.add_subplot()
        colours = ["#92c5de", "#4393c3", "#053061"] if len(d) == 3 else ["#92c5de", "#053061"]
        for (_, r), c, ls in zip(d.iterrows(), colours, ["--", "-", "-."]):
            lev = names.get(str(r["w_level"]), (str(r["w_level"]), str(r["w_level"])))
            lev = lev[0] if lang == "zh" else lev[1]
            lab = (f"{w_label} {lev}（{float(r['w_value']):.1f}）：斜率 {float(r['slope']):.2f}{_stars(float(r['p_val']))}"
                   if lang == "zh" else
                   f"{w_label} {lev} ({float(r['w_value']):.1f}): slope {float(r['slope']):.2f}{_stars(float(r['p_val']))}")
            ax.plot([r["x_low"], r["x_high"]], [r["y_at_x_low"], r["y_at_x_high"]], color=c, ls=ls, lw=1.8,
                    marker="o", ms=4, label=lab.strip())
        ax.set_xticks([float(d["x_low"].iloc[0]), float(d["x_high"].iloc[0])],
                      [tr(lang, f"低（均值 − 1 SD）\n{float(d['x_low'].iloc[0]):.2f}", f"low (mean − 1 SD)\n{float(d['x_low'].iloc[0]):.2f}"),
                       tr(lang, f"高（均值 + 1 SD）\n{float(d['x_high'].iloc[0]):.2f}", f"high (mean + 1 SD)\n{float(d['x_high'].iloc[0]):.2f}")])
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.yaxis.grid(True, color=GRID, lw=0.5)
        ax.set_axisbelow(True)
        rising = float(d["y_at_x_high"].mean()) >= float(d["y_at_x_low"].mean())
        ax.legend(fontsize=8, frameon=False, loc="lower right" if rising else "upper right")
    return fig


# ---- 5. codes × stakeholder roles -------------------------------------------------------------

def _code_order(codes: Sequence[str], codebook: pd.DataFrame | None) -> list[str]:
    seen = list(dict.fromkeys(str(c) for c in codes))
    if codebook is None or codebook.empty:
        return seen
    book = [str(c) for c in codebook["code"]]
    return [c for c in book if c in seen] + [c for c in seen if c not in book]


def _code_labels(codebook: pd.DataFrame | None, fallback: pd.DataFrame | None, lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for src in (fallback, codebook):
        if src is None or src.empty or "code" not in src:
            continue
        for _, r in src.drop_duplicates("code").iterrows():
            if any(k in r and pd.notna(r[k]) for k in ("label_zh", "label_en")):
                out[str(r["code"])] = row_label(r, lang, r["code"])
    return out


def _heatmap(ax, m: np.ndarray, cmap: str, vmax: float, fmt, mask: np.ndarray | None = None):
    from matplotlib import colormaps

    cm = colormaps[cmap]
    data = np.ma.masked_array(m, mask=mask if mask is not None else np.zeros_like(m, dtype=bool))
    im = ax.imshow(data, cmap=cm, vmin=0, vmax=vmax, aspect="auto", interpolation="nearest")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if mask is not None and mask[i, j]:
                continue
            s = fmt(m[i, j])
            if s:
                ax.text(j, i, s, ha="center", va="center", fontsize=8,
                        color=text_colour(cm(min(m[i, j] / vmax, 1.0) if vmax else 0)))
    ax.set_xticks(np.arange(m.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(m.shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", lw=0.8)
    ax.tick_params(which="both", length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    return im


def code_role_heatmap(code_by_role: pd.DataFrame, codebook: pd.DataFrame | None = None, lang: str = "zh",
                      roles: Sequence[str] | None = None) -> Figure:
    """Share of each stakeholder role's informants (columns) who mention a code (rows), in %.

    ``code_by_role`` is coding/code_by_role.csv; ``codebook`` (coding/codebook.csv) gives the row
    order, the labels and the themes (separated by lines). Every codebook code gets a row (a code
    nobody mentioned shows 0); roles follow :data:`pipeline.interviews.roles.ROLE_LABELS`' order, others after.
    """
    check_lang(lang)
    d = code_by_role.copy()
    d["code"], d["role"] = d["code"].astype(str), d["role"].astype(str)
    codes = _code_order(list(codebook["code"]) if codebook is not None and not codebook.empty else d["code"], codebook)
    codes += [c for c in _code_order(d["code"], codebook) if c not in codes]
    present = list(dict.fromkeys(d["role"]))
    if roles is None:
        roles = [r for r in ROLE_LABELS if r in present] + sorted(r for r in present if r not in ROLE_LABELS)
    m = (d.pivot_table(index="code", columns="role", values="pct_informants", aggfunc="max")
         .reindex(index=codes, columns=list(roles)).fillna(0.0).to_numpy(float))
    n_role = d.drop_duplicates("role").set_index("role")["informants_in_role"] if "informants_in_role" in d else {}
    labels = _code_labels(codebook, d, lang)
    width = 14 if lang == "zh" else 26
    with style():
        fig = new_figure(len(codes) * (0.52 if lang == "zh" else 0.62) + 4.2)
        ax = fig.add_subplot()
        im = _heatmap(ax, m, "Blues", 100.0, lambda v: f"{v:.0f}" if v > 0 else "")
        cols = []
        for r in roles:
            n = n_role.get(r) if hasattr(n_role, "get") else None
            cols.append(wrap_label(role_label(r, lang), 9 if lang == "en" else 6)
                        + (f"\n(n={int(n)})" if n is not None and pd.notna(n) else ""))
        ax.set_xticks(np.arange(len(roles)), cols)
        ax.xaxis.set_ticks_position("top")
        ax.set_yticks(np.arange(len(codes)), [wrap_label(labels.get(c, c), width) for c in codes])
        if codebook is not None and "theme" in codebook:
            themes = codebook.drop_duplicates("code").set_index("code")["theme"].astype(str)
            tlab = codebook.drop_duplicates("theme").set_index("theme")
            th = [themes.get(c, "") for c in codes]
            starts = [i for i in range(len(th)) if i == 0 or th[i] != th[i - 1]]
            for k, s in enumerate(starts):
                e = starts[k + 1] if k + 1 < len(starts) else len(th)
                if s > 0:
                    ax.axhline(s - 0.5, color="#333333", lw=1.0)
                t = th[s]
                if t in tlab.index:
                    key = "theme_zh" if lang == "zh" and "theme_zh" in tlab else None
                    name = str(tlab.loc[t, key]) if key else t.replace("_", " ").capitalize()
                else:
                    name = t
                vertical = is_cjk(name)  # CJK: one character above the other, upright
                ax.annotate("\n".join(name) if vertical else name, (1.0, (s + e - 1) / 2),
                            xycoords=("axes fraction", "data"), xytext=(4, 0), textcoords="offset points",
                            rotation=0 if vertical else -90, ha="left", va="center", fontsize=8,
                            color="#444444", linespacing=1.0)
        cb = fig.colorbar(im, ax=ax, location="bottom", shrink=0.5, aspect=30, pad=0.02)
        cb.set_label(tr(lang, "提及该编码的受访者占该角色受访者的比例（%）",
                        "Informants of the role who mention the code (%)"), fontsize=8)
        cb.outline.set_visible(False)
        cb.ax.tick_params(labelsize=8, length=2)
    return fig


# ---- 6. code co-occurrence ------------------------------------------------------------------

def cooccurrence_heatmap(cooccurrence: pd.DataFrame, codebook: pd.DataFrame | None = None, lang: str = "zh") -> Figure:
    """Segments coded with both codes of a pair: the lower triangle of the code × code matrix.

    ``cooccurrence`` is coding/cooccurrence.csv (``code_a``, ``code_b``, ``segments``); codes follow
    the codebook's order (codes in no pair are left out). Each code's name stands at the end of
    its row, which is also the head of its column (a "staircase"), so long names need no rotated
    axis labels. Pairs that never co-occur are light grey.
    """
    check_lang(lang)
    from matplotlib import colormaps
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import MaxNLocator

    d = cooccurrence.copy()
    d["code_a"], d["code_b"] = d["code_a"].astype(str), d["code_b"].astype(str)
    d = d[d["code_a"] != d["code_b"]]
    codes = _code_order(list(d["code_a"]) + list(d["code_b"]), codebook)
    if len(codes) < 2:
        raise ValueError("co-occurrence needs at least two codes")
    pos = {c: i for i, c in enumerate(codes)}
    n = len(codes)
    full = np.zeros((n, n))
    for a, b, v in zip(d["code_a"], d["code_b"], pd.to_numeric(d["segments"], errors="coerce").fillna(0)):
        i, j = pos[a], pos[b]
        full[i, j] = full[j, i] = max(full[i, j], float(v))
    m = full[1:, :-1]  # rows: codes 2..n; columns: codes 1..n-1
    k = n - 1
    lower = np.tril(np.ones((k, k), dtype=bool))
    labels = _code_labels(codebook, None, lang)
    vmax = max(float(m.max()), 1.0)
    with style():
        fig = new_figure((k + 1) * (0.55 if lang == "zh" else 0.5) + (1.2 if k >= 8 else 2.4))
        ax = fig.add_subplot()
        cmap = colormaps["OrRd"].with_extremes(bad=(0, 0, 0, 0))
        im = ax.imshow(np.ma.masked_array(m, mask=~lower | (m <= 0)), cmap=cmap, vmin=0, vmax=vmax,
                       aspect="equal", interpolation="nearest", zorder=1)
        for r in range(k):
            for c in range(r + 1):
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="#f0f0f0", edgecolor="none", zorder=0))
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="white", lw=0.8, zorder=2))
                if m[r, c] > 0:
                    ax.text(c, r, f"{m[r, c]:.0f}", ha="center", va="center", fontsize=8, zorder=3,
                            color=text_colour(cmap(m[r, c] / vmax)))
        for i, code in enumerate(codes):  # name of code i: end of row i-1, head of column i
            ax.text(i - 0.4, i - 1, labels.get(code, code), ha="left", va="center", fontsize=8, color=INK,
                    clip_on=False, zorder=3)
        ax.set_xlim(-0.5, k - 0.5)
        ax.set_ylim(k - 0.5, -1.5)
        ax.set_axis_off()
        label = tr(lang, "同时编码两个编码的片段数", "Segments coded with both codes")

        def style_cb(cb):
            cb.outline.set_visible(False)
            cb.ax.tick_params(labelsize=8, length=2)
            cb.locator = MaxNLocator(integer=True, nbins=6)
            cb.update_ticks()

        placed = False
        if k >= 8:  # the empty upper-right corner, unless the first names reach into it
            cax = ax.inset_axes([0.62, 0.9, 0.36, 0.03])
            cb = fig.colorbar(im, cax=cax, orientation="horizontal")
            cb.set_label(label, fontsize=8, labelpad=2)
            cax.xaxis.set_label_position("top")
            style_cb(cb)
            fig.draw_without_rendering()
            r = fig.canvas.get_renderer()
            cbox = cax.get_tightbbox(r)
            placed = not any(overlap(t.get_window_extent(r), cbox, 2.0)[1] for t in ax.texts)
            if not placed:
                cb.remove()
        if not placed:
            cb = fig.colorbar(im, ax=ax, location="bottom", shrink=0.5, aspect=25, pad=0.03,
                              fraction=0.3 if k < 8 else 0.05)
            cb.set_label(label, fontsize=8)
            style_cb(cb)
    return fig


# ---- 7. topic terms -------------------------------------------------------------------------

def topic_terms(terms: pd.DataFrame, topics: pd.DataFrame | None = None, lang: str = "zh",
                model: str | None = None, top_n: int = 8) -> Figure:
    """Top terms of each topic of one model (small multiples of horizontal bars).

    ``terms`` is topics/topic_terms.csv (``model``, ``topic``, ``rank``, ``term``, ``weight``);
    ``model`` defaults to NMF, else LDA, else the first; ``topics`` (topics/topics.csv) adds each
    topic's share of the text to its panel title.
    """
    check_lang(lang)
    models = list(dict.fromkeys(terms["model"].astype(str))) if "model" in terms else [""]
    if model is None:
        model = "nmf" if "nmf" in models else "lda" if "lda" in models else models[0]
    d = terms[terms["model"].astype(str) == model] if "model" in terms else terms
    if d.empty:
        raise ValueError(f"no topic terms for model {model!r}")
    d = d.sort_values(["topic", "rank"], kind="stable")
    ids = list(dict.fromkeys(d["topic"]))
    share = {}
    if topics is not None and not topics.empty and "share_overall" in topics:
        t = topics[topics["model"].astype(str) == model] if "model" in topics else topics
        share = dict(zip(t["topic"], t["share_overall"]))
    k = len(ids)
    ncol = 2 if k <= 4 else 3 if k <= 9 else 4
    nrow = int(np.ceil(k / ncol))
    vmax = float(d.groupby("topic").head(top_n)["weight"].max())
    with style():
        fig = new_figure(nrow * (0.36 * top_n + 1.2) + 1.0)
        axes = np.atleast_1d(fig.subplots(nrow, ncol, sharex=True)).ravel()
        for ax, tid in zip(axes, ids):
            sub = d[d["topic"] == tid].head(top_n)
            y = np.arange(len(sub))
            ax.barh(y, sub["weight"].to_numpy(float), height=0.7, color="#4c8fc0", zorder=2)
            ax.set_yticks(y, [str(s) for s in sub["term"]])
            ax.set_ylim(top_n - 0.5, -0.6)
            ax.tick_params(axis="y", length=0, pad=2)
            ax.spines["left"].set_visible(False)
            ax.xaxis.grid(True, color=GRID, lw=0.5)
            ax.set_axisbelow(True)
            ax.set_xlim(0, vmax * 1.08)
            title = tr(lang, f"主题 {tid}", f"Topic {tid}")
            if tid in share and pd.notna(share[tid]):
                title += tr(lang, f"（占文本 {100 * float(share[tid]):.0f}%）", f" ({100 * float(share[tid]):.0f}% of text)")
            ax.set_title(title, loc="left", fontsize=8.5, pad=3)
            ax.tick_params(axis="x", labelsize=8)
        for ax in axes[k:]:
            ax.set_visible(False)
        for ax in axes[max(0, k - ncol):k]:
            ax.xaxis.set_tick_params(labelbottom=True)
        name = {"nmf": "NMF", "lda": "LDA"}.get(model, model)
        fig.supxlabel(tr(lang, f"词在主题中的权重（{name}，主题内权重和为1）",
                         f"Term weight in the topic ({name}; weights of a topic sum to 1)"), fontsize=9)
    return fig


# ---- all figures of a study -----------------------------------------------------------------


CAPTIONS: dict[str, tuple[str, str]] = {
    "likert_satisfaction": (
        "各维度满意度题项的回答分布（占有效回答的百分比；“一般”居中，左侧为不满意，右侧为满意；“不清楚”与缺失不计）",
        "Answers to the satisfaction items by construct (% of valid answers; neutral centred, dissatisfied "
        "to the left, satisfied to the right; 'don't know' and missing answers left out)"),
    "ipa_stated": (
        "重要性—表现分析（IPA）：各维度的满意度均值与陈述重要性均值；虚线为两者的均值切分点",
        "Importance–performance analysis: mean satisfaction and mean stated importance of each construct; "
        "dashed lines are the cut-points (means)"),
    "ipa_derived": (
        "重要性—表现分析（IPA，推导重要性）：各维度的满意度均值与其和总体满意度的相关；虚线为切分点",
        "Importance–performance analysis with derived importance (correlation with overall satisfaction); "
        "dashed lines are the cut-points"),
    "satisfaction_by_community": (
        "各小区满意度指数（0–100，等权重）及95%置信区间；虚线与灰带为全样本指数及其置信区间",
        "Satisfaction index (0–100, equal construct weights) by community with 95% confidence intervals; "
        "the dashed line and grey band are the whole sample's index and its interval"),
    "participation_by_stage": (
        "参与各改造环节的受访者占全部受访者的比例（误差线为Wilson 95%置信区间）",
        "Respondents who took part in each stage of the renovation, as a share of all respondents "
        "(error bars: Wilson 95% confidence intervals)"),
    "code_role_heatmap": (
        "各类访谈对象中提及各编码的比例（%，占该类访谈对象人数）",
        "Share of each stakeholder group's informants who mention each code (%)"),
    "cooccurrence_heatmap": (
        "编码共现：同一访谈片段中同时出现两个编码的次数",
        "Code co-occurrence: interview segments coded with both codes"),
    "topic_terms": (
        "访谈文本主题模型：各主题权重最高的{n}个词（{model}）",
        "Topic model of the interviews: the {n} highest-weighted terms of each topic ({model})"),
}


def _var_label(q, v: str, lang: str) -> str:
    """A construct's or item's short label for axis titles and diagram nodes."""
    from pipeline.report.survey import var_name

    return var_name(q, v, lang == "zh")


def render_all(study_out_dir: Path, dest: Path, lang: str = "zh",
               questionnaire: Questionnaire | str | Path | None = None,
               skipped: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Write every figure whose input tables exist under ``study_out_dir`` as ``dest/<name>_<lang>.png``.

    ``questionnaire`` (object or path) gives item, scale and stage labels; by default it is found
    through the stages' manifests (see :func:`find_questionnaire`); without it the Likert figure is
    left out and stage ids label the participation figure.

    Returns ``[{"name", "file", "caption_zh", "caption_en"}, ...]`` in figure order, ``file`` being
    the path written. A figure the tables cannot give (:class:`~pipeline.core.errors.CannotCompute`, e.g.
    no IPA attribute with both importance and performance) is left out, its reason in ``skipped``.
    """
    from pipeline.core.errors import CannotCompute
    from pipeline.survey.questionnaire import load_questionnaire

    check_lang(lang)
    out = Path(study_out_dir)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if isinstance(questionnaire, (str, Path)):
        questionnaire = load_questionnaire(questionnaire)
    q = questionnaire if questionnaire is not None else find_questionnaire(out)

    def tab(rel: str) -> pd.DataFrame | None:
        return read_table(out / rel)

    results: list[dict[str, str]] = []

    def emit(name: str, make, caption: tuple[str, str]) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r  figure {len(results) + 1}: {name:<28}")
            sys.stderr.flush()
        try:
            fig = make()
        except CannotCompute as e:
            if skipped is not None:
                skipped[name] = str(e)
            return
        path = save_png(fig, dest / f"{name}_{lang}.png")
        results.append({"name": name, "file": str(path), "caption_zh": caption[0], "caption_en": caption[1]})

    freq = tab("stats/frequencies.csv")
    if freq is not None and q is not None:
        items, scale = likert_items(q)
        items = items[items["item"].isin(set(freq["item"]))]
        if not items.empty:
            emit("likert_satisfaction", lambda: likert_diverging(freq, items, scale, lang), CAPTIONS["likert_satisfaction"])

    ipa = tab("stats/ipa.csv")
    if ipa is not None:
        kinds = list(dict.fromkeys(ipa["importance_type"])) if "importance_type" in ipa else ["stated"]
        for kind in kinds:
            name = "ipa_stated" if kind == "stated" else "ipa_derived"
            cap = CAPTIONS[name]
            if kind not in ("stated", "derived_correlation"):
                cap = (cap[0].replace("与其和总体满意度的相关", "与其对总体满意度的标准化回归系数"),
                       cap[1].replace("correlation with overall satisfaction", "standardised regression coefficient"))
                name = f"ipa_{kind}"
            emit(name, lambda kind=kind: ipa_plot(ipa, lang, importance_type=kind), cap)

    comm = tab("stats/satisfaction_by_community.csv")
    if comm is not None:
        emit("satisfaction_by_community",
             lambda: satisfaction_by_community(comm, tab("stats/satisfaction_index.csv"), lang),
             CAPTIONS["satisfaction_by_community"])

    stages = tab("stats/participation_stages.csv")
    if stages is not None:
        labels = option_labels(q, q.roles.participation_stages) if q is not None else {}
        emit("participation_by_stage", lambda: participation_by_stage(stages, lang, labels), CAPTIONS["participation_by_stage"])

    multi = tab("stats/multi_response.csv")
    if multi is not None and len(multi):
        skip = {q.roles.participation_stages} if q is not None else set()
        for item in [i for i in dict.fromkeys(multi["item"]) if i not in skip][:6]:
            rows = multi[multi["item"] == item].copy()
            if q is not None and item in q.item_index:  # English option labels from the questionnaire
                en = {f"{item}__{o.col_key}": (o.en or o.label) for o in q.options_of(q.item_index[item])}
                rows["label_en"] = [en.get(o, lab) for o, lab in zip(rows["option"], rows["label"])]
            text = (q.item_index[item].text if q is not None and item in q.item_index else item) or item
            emit(f"multi_{item}", lambda rows=rows: multi_choice(rows, lang),
                 (f"多选题“{text}”各选项的选择比例（占作答者的百分比，括号内为人数）",
                  f"Multiple choice '{text}': share of respondents choosing each option (n in brackets)"))

    sem_est = tab("stats/sem_estimates.csv")
    if sem_est is not None and len(sem_est):
        sem_fit = tab("stats/sem_fit.csv")
        for i, part in sem_est.groupby("analysis", sort=True):
            fit = sem_fit[sem_fit["analysis"] == i] if sem_fit is not None else None
            label = str(part["label"].iloc[0])
            names = {v: (_var_label(q, v, "zh"), _var_label(q, v, "en"))
                     for v in set(part["lhs"]) | set(part["rhs"])} if q is not None else None
            emit(f"sem_path_{int(i) + 1}", lambda part=part, fit=fit, names=names: path_diagram(part, fit, lang, names),
                 (f"结构方程模型路径图：{label}（标准化系数；* p < .05，** p < .01，*** p < .001，虚线为不显著；测量部分从略）",
                  f"Path diagram: {label} (standardised coefficients; * p < .05, ** p < .01, *** p < .001, dashed: "
                  "not significant; measurement part not shown)"))
    slopes = tab("stats/moderation_simple_slopes.csv")
    if slopes is not None and len(slopes) and "y_at_x_low" in slopes:
        for i, part in slopes.groupby("analysis", sort=True):
            label = str(part["label"].iloc[0])
            xl, wl, yl = (_var_label(q, str(part[k].iloc[0]), lang) for k in ("x", "w", "y"))
            emit(f"moderation_slopes_{int(i) + 1}",
                 lambda part=part, xl=xl, wl=wl, yl=yl: simple_slopes(part, lang, xl, yl, wl),
                 (f"调节效应的简单斜率：{label}（自变量取均值 ± 1 个标准差时的预测值）",
                  f"Simple slopes: {label} (predicted outcome at the predictor's mean ± 1 SD)"))

    codebook = tab("coding/codebook.csv")
    cbr = tab("coding/code_by_role.csv")
    if cbr is not None:
        emit("code_role_heatmap", lambda: code_role_heatmap(cbr, codebook, lang), CAPTIONS["code_role_heatmap"])
    cooc = tab("coding/cooccurrence.csv")
    if cooc is not None:
        emit("cooccurrence_heatmap", lambda: cooccurrence_heatmap(cooc, codebook, lang), CAPTIONS["cooccurrence_heatmap"])

    terms = tab("topics/topic_terms.csv")
    if terms is not None:
        topics = tab("topics/topics.csv")
        models = list(dict.fromkeys(terms["model"].astype(str))) if "model" in terms else [""]
        model = "nmf" if "nmf" in models else "lda" if "lda" in models else models[0]
        top_n = 8
        zh, en = CAPTIONS["topic_terms"]
        mname = {"nmf": "NMF", "lda": "LDA"}.get(model, model)
        emit("topic_terms", lambda: topic_terms(terms, topics, lang, model=model, top_n=top_n),
             (zh.format(n=top_n, model=mname), en.format(n=top_n, model=mname)))

    return results
