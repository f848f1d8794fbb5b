"""Seeded generator of the fictional demo survey: twin 问卷星 (WJX) exports, by text and by code.

The demo study is fictional: residents of the six old communities of the imaginary 青河区 answer
``questionnaires/renewal_satisfaction.yaml``. Question numbers, texts, options, matrix rows,
scales and the quality thresholds are all read from that YAML (with ``yaml.safe_load``; the
``pipeline`` package is not used). This module adds only the response model below and WJX's way
of writing answers (see ``../shared/FORMATS.md`` and ``README.md`` next to this file).

Response model of a genuine respondent (all draws from one ``np.random.default_rng(seed)``,
vectorised over respondents)
----------------------------------------------------------------------------------------------
Background
    Community shares of the sample differ from the household counts (disproportionate sample).
    Age skews old; owners are commoner among the old; years lived depend on age and tenure;
    income falls with age and renting; 7% prefer not to say their income.
Satisfaction
    Construct k has a latent score ``L_k = mu_k + community_k + g + 0.1 (age - 3) + u_k`` with
    a halo ``g ~ N(0, 0.6²)`` shared by all constructs and ``u_k ~ N(0, 0.8²)``. A matrix cell is
    ``L_k + row offset + N(0, 0.9²)`` cut into the five levels (Cronbach's alpha about .8-.9).
    纺织厂宿舍 and 铁路新村 have no professional property company: management effect -1.0 and
    -0.9 (process gets 40% of it); 梧桐里小区 and 红星苑 are best managed (+0.9, +0.8). About 2%
    of cells are 不清楚, mostly in the ageing matrix and above all for 加装电梯.
Overall satisfaction
    ``0.15 L_infrastructure + 0.10 L_environment + 0.10 L_ageing + 0.40 L_management
    + 0.32 L_process + N(0, 0.35²)``, cut into five levels: management and process drive it.
Importance
    Means 4.45 (infrastructure), 4.35 (management), 3.9 (environment), 3.55 + 0.15 (age - 3)
    (ageing), 3.5 (process), plus a personal tendency and noise, rounded to 1..5.
Participation
    ``z = -0.5 + 1.2 owner - 1.0 renter + 0.04 (years - 15) + 0.2 [age >= 60]``;
    P(participated) = logistic(z); stages, channels and meetings attended rise with z.
    Willingness to participate rises with participation and process satisfaction.
Willingness to pay
    Ordered score falling 0.35 per age band, -0.9 for renters, rising with income; the amount
    (asked unless 不愿意) rises with income.
Problems and priorities
    改造资金不足 (55%) and 改造后缺乏长效管理 (more where management is poor) are named most;
    各方协调不畅 and 信息公开不够 rise as process satisfaction falls; 没有明显问题 (exclusive)
    comes from satisfied residents. Priorities: top 3 by Gumbel-max sampling of option weights.
Durations
    Lognormal with median about 420 s, redrawn below 1.25 x the speeder threshold of the YAML
    (``max(min_seconds, median_fraction x 420)``), so no genuine respondent is near it.

Planted bad rows (``bad_rows=True``) follow ``PLANTED_RATES``; see ``README.md`` for the table.
Run ``python examples/demo/generate.py --out examples/demo/raw`` (``make demo`` does).
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
QUESTIONNAIRE = HERE.parents[1] / "questionnaires" / "renewal_satisfaction.yaml"

# ---- how WJX writes things -----------------------------------------------------------------
SKIPPED_TEXT, BLANK_TEXT = "(跳过)", "(空)"
SKIPPED_CODE, UNRANKED_CODE = -3, -2
MULTI_SEP, RANK_SEP = "┋", "→"
TRAILING_SPACE_Q = (2, 6, 19)  # question numbers whose headers WJX writes with a trailing space
POINT_SCALES = ("imp5",)  # matrices whose by-text cells read "4分"
OTHER_TEXT_COLUMN = ("problems",)  # multi items whose by-code export has a fill-in text column
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# ---- the fictional field work --------------------------------------------------------------
FIELD_START = np.datetime64("2024-05-06T00:00:00", "s")
FIELD_DAYS = 21
HOUR_WEIGHTS = np.array([0, 0, 0, 0, 0, 0, 0, 2, 4, 6, 7, 6, 4, 3, 4, 5, 6, 6, 5, 7, 9, 8, 5, 2], float)
MEDIAN_SECONDS = 420
DURATION_SIGMA = 0.45
IP_FIRST_OCTETS = (27, 36, 39, 42, 49, 58, 59, 60, 61, 101, 106, 110, 111, 112, 113, 114, 115, 116,
                   117, 118, 119, 120, 121, 122, 123, 124, 125, 139, 171, 175, 180, 182, 183, 202,
                   210, 211, 218, 219, 220, 221, 222, 223)
IP_LOCATIONS = {"山东-济南": .85, "山东-青岛": .03, "山东-泰安": .02, "山东-德州": .02, "北京-北京": .02,
                "上海-上海": .02, "江苏-南京": .02, "广东-深圳": .02}
HUKOU = {"山东-济南": .72, "山东-德州": .04, "山东-泰安": .04, "山东-聊城": .03, "山东-淄博": .03,
         "山东-济宁": .02, "河北-沧州": .01, "河南-商丘": .01, BLANK_TEXT: .10}

# ---- response model (see the module docstring) ---------------------------------------------
# community option key: (share of the sample, households, management effect, other constructs)
COMMUNITY = {
    "wutongli": (.19, 1480, .9, .2),
    "jianshe": (.17, 960, .1, 0.),
    "fangzhi": (.16, 420, -1.0, -.2),
    "heping": (.18, 1150, 0., .1),
    "hongxing": (.15, 680, .8, .1),
    "tielu": (.15, 330, -.9, -.2),
}
AGE_SHARE = (.07, .16, .26, .28, .23)
OWNER_BY_AGE = (.35, .55, .75, .85, .88)
OWNER_YEARS_CAP = (8, 20, 35, 45, 55)
LATENT_MEAN = {"infrastructure": .35, "environment": .25, "ageing": -.25, "management": 0., "process": -.15}
ROW_OFFSET = {"sat_water": .2, "sat_greening": .2, "sat_parking": -.4, "sat_elevator": -.5,
              "sat_elderly_care": -.2, "sat_fee_disclosure": -.3}
SAT_CUTS = (-1.5, -.6, .4, 1.5)
DONT_KNOW_RATE = {"default": .01, "ageing": .06, "sat_elevator": .11}  # construct or row id
DRIVERS = {"infrastructure": .15, "environment": .10, "ageing": .10, "management": .40, "process": .32}
OVERALL_CUTS = (-1.0, -.4, .35, 1.1)
IMPORTANCE_MEAN = {"infrastructure": 4.45, "environment": 3.9, "ageing": 3.55, "management": 4.35, "process": 3.5}
STAGE_RATE = {"consultation": .7, "design": .25, "supervision": .3, "acceptance": .25, "management": .2}
CHANNEL_RATE = {"council": .35, "survey": .5, "visit": .35, "online": .45, "noticeboard": .25, "other": .04}
PROBLEM_RATE = {"funding": .55, "coordination": .22, "information": .25, "participation": .2,
                "management": .42, "construction": .2, "facilities": .25, "other": .03}
PRIORITY_WEIGHT = {"elevator": 1.0, "parking": .9, "drainage": .8, "greening": .5, "ageing": .6, "property": .6}
CHANNEL_OTHER = ("楼道长微信群", "找居委会反映", "业主大会", "社区网格员上门", "打12345热线", "楼栋长转达")
PROBLEM_OTHER = ("施工扰民严重", "楼道堆物没人管", "停车收费不合理", "电梯维保费用分摊不明确", "工期拖得太长",
                 "外墙保温脱落")
SUGGESTIONS = (
    "希望尽快加装电梯，老人上下楼太不方便", "停车位太少，晚上回来经常没地方停", "建议引入专业的物业公司",
    "物业费收支要定期公开", "改造前应该多听听居民的意见", "施工期间噪音太大，希望合理安排时间",
    "希望增加老年人活动场地和座椅", "雨天小区门口积水严重，排水要彻底解决", "楼道灯经常坏，报修后很久才修",
    "希望小区里多种些树，增加绿化", "电动车充电桩不够用，乱拉电线很危险", "改造资金的使用情况应该向居民公示",
    "希望社区食堂能办起来，方便老人吃饭", "外墙保温做得不错，但楼道里还是老样子", "垃圾分类点位设置不合理",
    "希望改造后有人长期管理，别修完就不管了", "健身器材老化了，建议更换", "单元门禁经常坏，安全有隐患",
    "希望多开居民议事会，让大家参与决策", "下水管道老化，经常堵塞", "小区路面坑洼，晚上走路不安全",
    "建议在小区里设置无障碍坡道", "线路改造后用电稳定多了，感谢", "加装电梯的费用希望政府多补贴一些",
    "租户也应该有表达意见的渠道", "希望物业服务再规范一些", "公示栏的信息更新太慢", "希望保留小区原来的老树",
    "整体改得不错，希望继续保持", "晾晒的地方太少了", "消防通道被车占用，需要管理",
    "希望施工队文明施工，及时清理建筑垃圾", "燃气管道改造后安全多了", "夜间照明不足，有的角落很黑",
    "希望居委会多上门听听老人的想法", "改造方案应该提前公示，让大家都知道", "楼顶漏水问题一直没解决",
    "希望增加快递柜", "小区大门口的交通秩序需要整治", "希望成立业主委员会",
)
SUGGESTION_BLANK = .6
PHONE_TEXT = "有问题可以打我电话"
N_PHONES = 3

# ---- planted bad rows ----------------------------------------------------------------------
PLANTED_RATES = {"speeder": .05, "duplicate_answers": .02, "duplicate_ip": .01, "straightlining": .03,
                 "attention_check": .02}  # share of n_genuine
OUT_OF_RANGE = (("household_size", 40), ("years_lived", 95), ("household_size", 40))
SPEEDER_SECONDS = (30, 90)
SAME_IP_DELAY = (60, 540)  # seconds after the genuine row whose IP is shared
DUPLICATE_DELAY = (1800, 2 * 86400)


@dataclass
class Demo:
    """The two twin exports of the same respondents and the list of planted bad rows."""

    by_text: pd.DataFrame
    by_code: pd.DataFrame
    planted: pd.DataFrame  # respondent (序号), rules (';'-joined, quality.order), first_rule


class _Spec:
    """The parts of the questionnaire YAML the generator needs."""

    def __init__(self, path: Path) -> None:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        self.items: list[dict] = doc["items"]
        self.item = {it["id"]: it for it in self.items}
        self.scales: dict = doc["scales"]
        self.constructs: list[dict] = doc["constructs"]
        self.quality: dict = doc["quality"]
        self.matrices = [it for it in self.items if it["type"] == "matrix"]
        att = self.quality["attention"][0]
        self.attention_row, self.attention_pass = att["item"], att["passes"][0]
        sl = self.quality["straightlining"]
        self.min_blocks = sl["min_blocks"]
        names = sl.get("blocks") or [m["id"] for m in self.matrices if len(m["rows"]) >= sl["min_items"]]
        # rows compared for straight-lining; attention rows left out, which only makes more
        # blocks count as straight (a row straight with them is straight without them)
        self.blocks = [[r["id"] for r in self.item[b]["rows"] if r["id"] != self.attention_row] for b in names]
        self.missing = [o["code"] for s in self.scales.values() for o in s.get("missing", [])]
        sp = self.quality["speeders"]
        self.speed_limit = max(sp.get("min_seconds") or 0, (sp.get("median_fraction") or 0) * MEDIAN_SECONDS)
        self.order: list[str] = self.quality["order"]

    def codes(self, item_id: str) -> np.ndarray:
        return np.array([o["code"] for o in self.item[item_id]["options"]])

    def code(self, item_id: str, label: str) -> int:
        return next(o["code"] for o in self.item[item_id]["options"] if o["label"] == label)

    def keys(self, item_id: str) -> list[str]:
        return [o.get("key") for o in self.item[item_id]["options"]]

    def levels(self, scale: str) -> np.ndarray:
        return np.array([o["code"] for o in self.scales[scale]["levels"]])


Answers = dict[str, np.ndarray]  # item or matrix-row id -> codes; "<id>:other" -> fill-in text


# ---- small vectorised helpers --------------------------------------------------------------
def _logistic(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _cut(x: np.ndarray, cuts: tuple[float, ...], codes: np.ndarray) -> np.ndarray:
    """Ordinal codes of a latent score: below cuts[0] -> codes[0], ..."""
    return codes[np.searchsorted(np.asarray(cuts), x)]


def _choice(rng: np.random.Generator, weights: dict, n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), float)
    return keys[rng.choice(len(keys), n, p=p / p.sum())]


def _lookup(values: np.ndarray, mapping: dict[int, object]) -> np.ndarray:
    """Map small integer codes through a dict with one table lookup (KeyError on unknown codes)."""
    lo = min(mapping)
    table = np.full(max(mapping) - lo + 1, None, dtype=object)
    for k, v in mapping.items():
        table[k - lo] = v
    out = table[values - lo]
    if (out == None).any():  # noqa: E711 - elementwise comparison
        raise KeyError(f"codes without a label: {sorted(set(values[out == None].tolist()))}")  # noqa: E711
    return out


def _numbers(rng: np.random.Generator, values: np.ndarray, unit: str) -> np.ndarray:
    """Fill-in text of numbers as residents type them: mostly '12', some '12年', a few '１２'."""
    style = rng.choice(3, len(values), p=[.83, .12, .05])
    uniq, inv = np.unique(values.astype(np.int64) * 3 + style, return_inverse=True)
    forms = []
    for k in uniq.tolist():
        number, form = divmod(k, 3)
        forms.append((str(number), f"{number}{unit}", str(number).translate(FULL_WIDTH))[form])
    return np.array(forms, dtype=object)[inv]
