"""The look of every figure: the bundled CJK font (Noto Sans CJK SC from the ``mplfonts`` wheel,
registered on first use, never a system font), matplotlib settings, sizes, deterministic PNGs,
label wrapping and placement. The figures themselves are in :mod:`pipeline.report.figures`."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


FONT_FILE = "NotoSansCJKsc-Regular.otf"



FONT_FAMILY = "Noto Sans CJK SC"



CM = 1 / 2.54



WIDTH_CM = 16.0



DPI = 200



LANGS = ("zh", "en")



INK = "#222222"



GRID = "#d9d9d9"



class FontNotFound(RuntimeError):
    """The bundled CJK font is not installed (the ``mplfonts`` package is missing)."""



def font_path() -> Path:
    """Noto Sans CJK SC inside the installed ``mplfonts`` wheel (found without importing it)."""
    spec = importlib.util.find_spec("mplfonts")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        p = Path(loc) / "fonts" / FONT_FILE
        if p.is_file():
            return p
    raise FontNotFound(f"{FONT_FILE} not found: install the 'mplfonts' package (pip install -r requirements.lock)")



@functools.cache
def register_font() -> Path:
    """Make the bundled font known to matplotlib's font manager (once per process).

    Adding a font file to the process's font list is the only state this changes. Should a font
    of the system carry the same family name, the bundled file is moved ahead of it so that
    the name resolves to the bundled file.
    """
    from matplotlib import font_manager as fm

    path = font_path()
    fmgr = fm.fontManager
    if not any(Path(e.fname) == path for e in fmgr.ttflist):
        fmgr.addfont(str(path))
    found = Path(fm.findfont(fm.FontProperties(family=FONT_FAMILY), fallback_to_default=False))
    if found != path:
        ours = [e for e in fmgr.ttflist if Path(e.fname) == path]
        fmgr.ttflist[:] = ours + [e for e in fmgr.ttflist if Path(e.fname) != path]
        fmgr._findfont_cached.cache_clear()
    return path



def rc(base_size: float = 9.0) -> dict[str, Any]:
    """rcParams of the report's figures (registers the font)."""
    register_font()
    small = base_size - 1
    return {
        "font.family": [FONT_FAMILY],
        "font.sans-serif": [FONT_FAMILY],
        "font.size": base_size,
        "axes.titlesize": base_size,
        "axes.titleweight": "normal",  # the bundled font has one weight: no faux bold
        "axes.labelsize": base_size,
        "xtick.labelsize": small,
        "ytick.labelsize": small,
        "legend.fontsize": small,
        "legend.title_fontsize": small,
        "figure.titlesize": base_size + 1,
        "axes.unicode_minus": False,
        "text.parse_math": False,  # a '$' in a label is text, not mathtext
        "text.color": INK,
        "axes.labelcolor": INK,
        "axes.edgecolor": "#555555",
        "axes.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "xtick.color": "#555555",
        "ytick.color": "#555555",
        "xtick.labelcolor": INK,
        "ytick.labelcolor": INK,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.major.size": 3,
        "ytick.major.size": 3,
        "legend.frameon": False,
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "svg.hashsalt": "renewal-pipeline",
        "svg.fonttype": "path",
        "path.simplify": True,
        "figure.constrained_layout.h_pad": 0.04,
        "figure.constrained_layout.w_pad": 0.04,
    }



@contextlib.contextmanager
def style() -> Iterator[None]:
    """The report's rcParams for the duration of a ``with`` block (restored afterwards)."""
    import matplotlib

    with matplotlib.rc_context(rc()):
        yield



def new_figure(height_cm: float, width_cm: float = WIDTH_CM) -> Figure:
    """A Figure on its own Agg canvas (no pyplot), constrained layout."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_cm * CM, height_cm * CM), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig



def save_png(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as a PNG at 200 dpi with no timestamp or software tag (byte-identical reruns)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with style():
        fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})
    return path



def png_bytes(fig: Figure) -> bytes:
    """The PNG :func:`save_png` would write, in memory."""
    import io

    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()



def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return lang



def tr(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en



def is_cjk(s: str) -> bool:
    return bool(re.search(r"[\u3000-\u9fff\uff00-\uffef]", s))



def wrap_label(s: str, width: int) -> str:
    """Wrap a label to lines of about ``width`` characters (CJK: characters; else: words)."""
    s = str(s)
    if len(s) <= width:
        return s
    if not is_cjk(s) or " " in s.strip():
        return "\n".join(textwrap.wrap(s, width, break_long_words=False, break_on_hyphens=False)) or s
    lines, rest = [], s
    while len(rest) > width:
        cut = width
        for k in range(width, max(width // 2, 1), -1):  # prefer a break after punctuation
            if rest[k - 1] in "/、，,;；与和及（(":
                cut = k if rest[k - 1] not in "（(" else k - 1
                break
        lines.append(rest[:cut])
        rest = rest[cut:]
    lines.append(rest)
    return "\n".join(lines)



def row_label(row: Mapping[str, Any] | pd.Series, lang: str, fallback: str) -> str:
    key = "label_zh" if lang == "zh" else "label_en"
    v = row.get(key) if hasattr(row, "get") else None
    if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
        v = row.get("label_zh") if lang == "en" else None
    if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
        return str(fallback)
    return str(v)



def text_colour(rgba: Sequence[float]) -> str:
    r, g, b = rgba[:3]
    return "white" if (0.299 * r + 0.587 * g + 0.114 * b) < 0.55 else INK



def pct_axis(ax, axis: str = "x", absolute: bool = False) -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: f"{abs(v) if absolute else v:.0f}%")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)



DIVERGING = {5: ["#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac"],
              4: ["#b2182b", "#ef8a62", "#67a9cf", "#2166ac"],
              3: ["#ef8a62", "#d9d9d9", "#67a9cf"]}



def diverging_colours(k: int) -> list:
    if k in DIVERGING:
        return DIVERGING[k]
    from matplotlib import colormaps

    cols = [colormaps["RdBu"](v) for v in np.linspace(0.08, 0.92, k)]
    if k % 2:
        cols[k // 2] = "#d9d9d9"
    return cols



def rgba(c) -> tuple[float, ...]:
    from matplotlib.colors import to_rgba

    return to_rgba(c)



def overlap(a, b, pad: float) -> tuple[float, float]:
    """Overlap (dx, dy) of two display boxes grown by ``pad`` (0 when apart)."""
    dx = min(a.x1, b.x1) - max(a.x0, b.x0) + pad
    dy = min(a.y1, b.y1) - max(a.y0, b.y0) + pad
    return (dx, dy) if dx > 0 and dy > 0 else (0.0, 0.0)



def declutter(fig: Figure, ax, labels: list, obstacles: Sequence = (), pad_px: float = 3.0, iters: int = 200) -> None:
    """Move point labels (annotations in offset points) so that they overlap neither each other,
    nor the ``obstacles`` (display-space Bboxes), nor the axes edges: a label that runs past the
    right edge goes to the left of its point; overlapping labels are pushed apart vertically.
    """
    from matplotlib.transforms import Bbox

    fig.draw_without_rendering()
    r = fig.canvas.get_renderer()
    axbox = ax.get_window_extent(r)
    px2pt = 72.0 / fig.dpi
    for a in labels:
        b = a.get_window_extent(r)
        if b.x1 > axbox.x1 - pad_px:
            x, y = a.xyann
            a.set_horizontalalignment("right")
            a.xyann = (-abs(x), y)
    obstacles = [Bbox(o) if not isinstance(o, Bbox) else o for o in obstacles]
    for _ in range(iters):
        boxes = [a.get_window_extent(r) for a in labels]
        shift = np.zeros(len(labels))
        for i in range(len(labels)):
            for j in range(i + 1, len(labels)):
                _, dy = overlap(boxes[i], boxes[j], pad_px)
                if dy:
                    up = i if (boxes[i].y0 + boxes[i].y1, -i) >= (boxes[j].y0 + boxes[j].y1, -j) else j
                    down = j if up == i else i
                    shift[up] += dy / 2
                    shift[down] -= dy / 2
            for o in obstacles:
                _, dy = overlap(boxes[i], o, pad_px)
                if dy:
                    up_dy = o.y1 - boxes[i].y0 + pad_px
                    down_dy = boxes[i].y1 - o.y0 + pad_px
                    shift[i] += up_dy if up_dy <= down_dy else -down_dy
            if boxes[i].y1 + shift[i] > axbox.y1 - pad_px:
                shift[i] = axbox.y1 - pad_px - boxes[i].y1
            if boxes[i].y0 + shift[i] < axbox.y0 + pad_px:
                shift[i] = axbox.y0 + pad_px - boxes[i].y0
        if not np.any(np.abs(shift) > 0.01):
            break
        for a, s in zip(labels, shift):
            x, y = a.xyann
            a.xyann = (x, y + 0.6 * s * px2pt)
