"""Seeded generator of the fictional demo survey: twin 问卷星 (WJX) exports, by text and by code.

The demo study is fictional: residents of the six old communities of the imaginary 青河区 answer
``pipeline/data/questionnaires/renewal_satisfaction.yaml``. Question numbers, texts, options, matrix rows,
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
    ``z = -1.0 + 1.2 owner - 1.0 renter + 0.04 (years - 15) + 0.2 [age >= 60]``;
    P(participated) = logistic(z); stages, channels and meetings attended rise with z.
    Willingness to participate rises with participation and process satisfaction.
Willingness to pay
    Ordered score falling 0.45 per age band, -0.7 for renters, rising with income; the amount
    (asked unless 不愿意) rises with income.
Problems and priorities
    改造资金不足 (55%) and 改造后缺乏长效管理 (more where management is poor) are named most;
    各方协调不畅 and 信息公开不够 rise as process satisfaction falls; 没有明显问题 (exclusive)
    comes from satisfied residents. Priorities: top 3 by Gumbel-max sampling of option weights.
Durations
    Lognormal with median about 420 s, redrawn below 1.25 x the speeder threshold of the YAML
    (``max(min_seconds, median_fraction x 420)``), so no genuine respondent is near it.

Planted bad rows (``bad_rows=True``, shares of ``n_genuine`` in ``PLANTED_RATES``)
------------------------------------------------------------------------------------
5% speeders (30-90 s, random answers), 2% exact copies of an earlier genuine row, 1% fresh
respondents sharing a genuine row's IP 1-9 minutes later, 3% straight-liners (half all 4s, half
all 5s, which also fail the attention check), 2% failed attention checks and three out-of-range
numbers. Each fails only the rules it is planted for; ``_verify`` asserts it on every call.
See ``README.md`` for the table.
Run ``python examples/demo/generate.py --out examples/demo/raw`` (``make demo`` does).
"""

from __future__ import annotations

import argparse
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml
from openpyxl import Workbook

from pipeline.core.resources import QUESTIONNAIRES
from pipeline.core.stage import fixed_zip

HERE = Path(__file__).resolve().parent
QUESTIONNAIRE = QUESTIONNAIRES / "renewal_satisfaction.yaml"

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
LOGNORMAL_MEDIAN = 405  # redrawing the shortest durations lifts the median to about 420 s
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
YEARS_CAP = (8, 20, 35, 45, 55)  # by age band; owners 1..cap+1 years, renters and others fewer
LATENT_MEAN = {"infrastructure": .35, "environment": .25, "ageing": -.25, "management": 0., "process": -.15}
ROW_OFFSET = {"sat_water": .2, "sat_greening": .2, "sat_parking": -.4, "sat_elevator": -.5,
              "sat_elderly_care": -.2, "sat_fee_disclosure": -.3}
SAT_CUTS = (-1.5, -.6, .4, 1.5)
DONT_KNOW_RATE = {"default": .01, "ageing": .06, "sat_elevator": .11}  # construct or row id
DRIVERS = {"infrastructure": .15, "environment": .10, "ageing": .10, "management": .40, "process": .32}
OVERALL_CUTS = (-1.25, -.6, .2, 1.0)
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
PHONE_PREFIXES = ("138", "139", "158", "186", "135")
N_PHONES = 3
RANK_TOP = 3  # everyone ranks three priorities
OTHER_FILLS = {"part_channels": CHANNEL_OTHER, "problems": PROBLEM_OTHER}
SKIPS = (("part_stages", "participated", "否"), ("part_channels", "participated", "否"),
         ("pay_amount", "willing_pay", "不愿意"))  # (item, asked unless this item, has this label)

# ---- planted bad rows ----------------------------------------------------------------------
PLANTED_RATES = {"speeder": .05, "duplicate_answers": .02, "duplicate_ip": .01, "straightlining": .03,
                 "attention_check": .02}  # share of n_genuine
OUT_OF_RANGE = (("household_size", 40), ("years_lived", 95), ("household_size", 40))
SPEEDER_SECONDS = (30, 90)
SAME_IP_DELAY = (60, 540)  # seconds after the genuine row whose IP is shared
NAT_PAIRS = 6  # pairs of genuine respondents behind one carrier IP (different people, both kept)
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
        self.attention_scale = next(m["scale"] for m in self.matrices
                                    if any(r["id"] == self.attention_row for r in m["rows"]))
        sl = self.quality["straightlining"]
        self.min_blocks, self.min_items = sl["min_blocks"], sl["min_items"]
        # rows compared for straight-lining; attention rows left out, which only makes more
        # blocks count as straight (a row straight with them is straight without them)
        blocks = [[r["id"] for r in m["rows"] if r["id"] != self.attention_row]
                  for m in self.matrices if m["id"] in (sl.get("blocks") or [m["id"]])]
        self.blocks = [rows for rows in blocks if len(rows) >= self.min_items]
        self.missing = [o["code"] for s in self.scales.values() for o in s.get("missing", [])]
        sp = self.quality["speeders"]
        self.speed_limit = max(sp.get("min_seconds") or 0, (sp.get("median_fraction") or 0) * MEDIAN_SECONDS)
        self.order: list[str] = self.quality["order"]

    def answers(self, item_id: str) -> list[dict]:
        """The answers a respondent can give: the options, then the item's no-answer options (不愿透露)."""
        return self.item[item_id]["options"] + self.item[item_id].get("missing", [])

    def codes(self, item_id: str) -> np.ndarray:
        return np.array([o["code"] for o in self.answers(item_id)])

    def code(self, item_id: str, label: str) -> int:
        return next(o["code"] for o in self.answers(item_id) if o["label"] == label)

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


def _strings(table: list[str], idx: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``table[idx]`` as a pandas string array, built by one Arrow take (fast at 1M rows)."""
    return pd.array(pa.array(table, type=pa.large_string()).take(pa.array(idx)), dtype="str")


def _lookup(values: np.ndarray, mapping: dict[int, str]) -> pd.api.extensions.ExtensionArray:
    """Labels of small integer codes (KeyError on a code without one)."""
    lo, hi = min(mapping), max(mapping)
    known = np.array([k in mapping for k in range(lo, hi + 2)])  # the last slot: out of range
    idx = np.where((values < lo) | (values > hi), hi + 1 - lo, values - lo)
    if not known[idx].all():
        raise KeyError(f"codes without a label: {sorted(set(values[~known[idx]].tolist()))}")
    return _strings([mapping.get(k, "") for k in range(lo, hi + 1)], idx)


def _numbers(rng: np.random.Generator, values: np.ndarray, unit: str) -> np.ndarray:
    """Fill-in text of numbers as residents type them: mostly '12', some '12年', a few '１２'."""
    style = rng.choice(3, len(values), p=[.83, .12, .05])
    uniq, inv = np.unique(values.astype(np.int64) * 3 + style, return_inverse=True)
    forms = []
    for k in uniq.tolist():
        number, form = divmod(k, 3)
        forms.append((str(number), f"{number}{unit}", str(number).translate(FULL_WIDTH))[form])
    return np.array(forms, dtype=object)[inv]


def _multi(rng: np.random.Generator, spec: _Spec, item_id: str, prob: np.ndarray) -> Answers:
    """0/1 answers of a multi item drawn with per-option probabilities ``prob`` (n, options).

    An exclusive option, when drawn, is the only one kept; a row choosing nothing gets its most
    probable non-exclusive option. The other-option fill-in (if any) goes to ``"<item>:other"``.
    """
    opts = spec.item[item_id]["options"]
    n = len(prob)
    chosen = rng.random(prob.shape) < prob
    exclusive = np.array([bool(o.get("exclusive")) for o in opts])
    if exclusive.any():
        chosen = np.where(chosen[:, exclusive].any(1)[:, None], exclusive[None, :], chosen)
    none = np.flatnonzero(~chosen.any(1))
    chosen[none, np.argmax(np.where(exclusive, -1, prob[none]), 1)] = True
    out = {item_id: chosen.astype(np.int64)}
    other = [j for j, o in enumerate(opts) if o.get("other")]
    if other:
        fill = np.full(n, "", dtype=object)
        has = chosen[:, other[0]]
        texts = np.array(OTHER_FILLS[item_id], dtype=object)
        fill[has] = texts[rng.integers(0, texts.size, has.sum())]
        out[f"{item_id}:other"] = fill
    return out


def _ranking(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Ranks 1..RANK_TOP (others UNRANKED_CODE) drawn without replacement by Gumbel-max."""
    n, k = weights.shape
    top = np.argsort(-(np.log(weights) + rng.gumbel(size=(n, k))), axis=1)[:, :RANK_TOP]
    ranks = np.full((n, k), UNRANKED_CODE, dtype=np.int64)
    np.put_along_axis(ranks, top, np.broadcast_to(np.arange(1, RANK_TOP + 1), top.shape), axis=1)
    return ranks


def _suggestions(rng: np.random.Generator, n: int) -> np.ndarray:
    """Open answers: 60% left blank, the rest one or two sentences from SUGGESTIONS."""
    pool = np.array(SUGGESTIONS, dtype=object)
    first = rng.integers(0, len(pool), n)
    second = (first + rng.integers(1, len(pool), n)) % len(pool)
    sep = np.array(["，", "；", "。"], dtype=object)[rng.integers(0, 3, n)]
    text = np.where(rng.random(n) < .35, pool[first] + sep + pool[second], pool[first])
    return np.where(rng.random(n) < SUGGESTION_BLANK, BLANK_TEXT, text).astype(object)


def _add_phone_numbers(rng: np.random.Generator, text: np.ndarray) -> None:
    """Write a fictional mobile number into N_PHONES open answers (for the redaction step)."""
    for i in rng.choice(len(text), min(N_PHONES, len(text)), replace=False):
        number = f"{PHONE_TEXT}{rng.choice(PHONE_PREFIXES)}{rng.integers(0, 10 ** 8):08d}"
        text[i] = number if text[i] == BLANK_TEXT else f"{text[i]}，{number}"


def _apply_skips(spec: _Spec, a: Answers) -> None:
    """WJX logic skips: the skipped item is -3 (every option column of a multi)."""
    for item_id, condition, label in SKIPS:
        skip = a[condition] == spec.code(condition, label)
        a[item_id][skip] = SKIPPED_CODE
        if f"{item_id}:other" in a:
            a[f"{item_id}:other"][skip] = ""


# ---- respondents -----------------------------------------------------------------------------
def _genuine(rng: np.random.Generator, spec: _Spec, n: int) -> Answers:
    """Answers of n genuine respondents under the model of the module docstring."""
    a: Answers = {}
    params = np.array([COMMUNITY[k] for k in spec.keys("community")])
    ci = rng.choice(len(params), n, p=params[:, 0] / params[:, 0].sum())
    a["community"] = spec.codes("community")[ci]
    mgmt, other = params[ci, 2], params[ci, 3]
    a["gender"] = spec.codes("gender")[(rng.random(n) < .55).astype(int)]
    age = rng.choice(len(AGE_SHARE), n, p=AGE_SHARE)  # 0 = youngest band
    old = age >= 3  # 60 and over
    a["age_band"] = spec.codes("age_band")[age]
    u, p_own = rng.random(n), np.array(OWNER_BY_AGE)[age]
    tenure = (u >= p_own).astype(int) + (u >= p_own + .8 * (1 - p_own))  # owner, renter, other
    owner, renter = tenure == 0, tenure == 1
    a["tenure"] = spec.codes("tenure")[tenure]
    cap = np.array(YEARS_CAP)[age]
    short = np.minimum(np.where(renter, rng.geometric(.3, n) - 1, rng.geometric(.15, n)), cap)
    years = np.where(owner, 1 + np.round(cap * rng.beta(2.2, 1.6, n)), short).astype(np.int64)
    a["years_lived"] = _numbers(rng, years, spec.item["years_lived"]["unit"])
    size_p = np.where(old[:, None], [.18, .42, .18, .12, .06, .03, .01], [.08, .2, .32, .22, .12, .05, .01])
    size = 1 + np.minimum((rng.random(n)[:, None] > np.cumsum(size_p, 1)).sum(1), size_p.shape[1] - 1)
    a["household_size"] = _numbers(rng, size, spec.item["household_size"]["unit"])
    income_cuts = (-.9, 0, .75, 1.45)
    income = np.searchsorted(income_cuts, rng.normal(0, 1, n) - .35 * old + .3 * owner - .2 * renter)  # 0..4
    refused = rng.random(n) < .07
    stated = spec.codes("income_band")[spec.codes("income_band") != spec.code("income_band", "不愿透露")]
    a["income_band"] = np.where(refused, spec.code("income_band", "不愿透露"), stated[income])
    income = np.where(refused, 2, income)
    a["hukou_region"] = _choice(rng, HUKOU, n)

    halo = rng.normal(0, .6, n)
    latent = {}
    for c in spec.constructs:
        k = c["id"]
        effect = mgmt if k == "management" else .4 * mgmt if k == "process" else other
        latent[k] = LATENT_MEAN[k] + effect + halo + .1 * (age - 2) + rng.normal(0, .8, n)
    importance_of = {c["importance"]: c["id"] for c in spec.constructs}
    tendency = rng.normal(0, .35, n)
    for m in spec.matrices:
        scale = spec.scales[m["scale"]]
        levels = spec.levels(m["scale"])
        for r in m["rows"]:
            if r["id"] == spec.attention_row:
                a[r["id"]] = np.full(n, spec.attention_pass)
            elif m.get("construct"):
                k = r.get("construct", m["construct"])
                cell = _cut(latent[k] + ROW_OFFSET.get(r["id"], 0) + rng.normal(0, .9, n), SAT_CUTS, levels)
                rate = DONT_KNOW_RATE.get(r["id"], DONT_KNOW_RATE.get(k, DONT_KNOW_RATE["default"]))
                a[r["id"]] = np.where(rng.random(n) < rate, scale["missing"][0]["code"], cell)
            else:
                k = importance_of[r["id"]]
                mean = IMPORTANCE_MEAN[k] + (.15 * (age - 2) if k == "ageing" else 0)
                value = np.round(mean + tendency + rng.normal(0, .55, n))
                a[r["id"]] = np.clip(value, levels.min(), levels.max()).astype(np.int64)
    overall = sum(w * latent[k] for k, w in DRIVERS.items()) + rng.normal(0, .35, n)
    a["overall_sat"] = _cut(overall, OVERALL_CUTS, spec.levels(spec.item["overall_sat"]["scale"]))

    z = -1.0 + 1.2 * owner - 1.0 * renter + .04 * (years - 15) + .2 * old
    took_part = rng.random(n) < _logistic(z)
    a["participated"] = np.where(took_part, spec.code("participated", "是"), spec.code("participated", "否"))
    for item_id, rates in (("part_stages", STAGE_RATE), ("part_channels", CHANNEL_RATE)):
        base = np.array([_logit(rates[k]) for k in spec.keys(item_id)])
        slope = .5 if item_id == "part_stages" else .3
        a |= _multi(rng, spec, item_id, _logistic(base + slope * z[:, None]))
    frequency = spec.codes("part_frequency")
    meetings = _cut(.8 * z + rng.normal(0, 1, n), (-.8, .6, 1.8), frequency)
    a["part_frequency"] = np.where(took_part, meetings, frequency[0])  # non-participants: 从未参加
    process = latent["process"] - LATENT_MEAN["process"]
    a["willing_participate"] = _cut(.9 * took_part + .3 * process + .2 * owner + rng.normal(0, .9, n),
                                    (-1.2, -.5, .4, 1.4), spec.levels(spec.item["willing_participate"]["scale"]))
    pay = 1.0 - .45 * age - .7 * renter + .25 * (income - 2) + .15 * latent["management"] + rng.normal(0, 1, n)
    willing = spec.code("willing_pay", "愿意")
    pay_codes = np.array([spec.code("willing_pay", lab) for lab in ("不愿意", "视情况而定", "愿意")])
    a["willing_pay"] = _cut(pay, (-.6, .5), pay_codes)
    a["pay_amount"] = _cut(.55 * (income - 2) + .4 * (a["willing_pay"] == willing) + rng.normal(0, .8, n),
                           (-.6, .5, 1.4), spec.codes("pay_amount"))

    shift = {"coordination": -.9 * process, "information": -.6 * process, "participation": -.4 * process,
             "management": -.9 * mgmt, "facilities": -.4 * (latent["ageing"] - LATENT_MEAN["ageing"])}
    opts = spec.item["problems"]["options"]
    prob = np.stack([_logistic(-3.2 + 1.2 * (a["overall_sat"] - 3)) if o.get("exclusive")
                     else _logistic(_logit(PROBLEM_RATE[o["key"]]) + shift.get(o["key"], 0) + np.zeros(n))
                     for o in opts], 1)
    a |= _multi(rng, spec, "problems", prob)
    weight = {k: np.full(n, w) for k, w in PRIORITY_WEIGHT.items()}
    weight["elevator"] += .8 * old + .3 * (latent["ageing"] < LATENT_MEAN["ageing"])
    weight["parking"] += .4 * (age <= 1)
    weight["drainage"] += .3 * (latent["infrastructure"] < LATENT_MEAN["infrastructure"])
    weight["ageing"] += .5 * old
    weight["property"] += 1.2 * np.clip(-mgmt, 0, None)
    a["priorities"] = _ranking(rng, np.stack([weight[k] for k in spec.keys("priorities")], 1))
    a["suggestions"] = _suggestions(rng, n)
    _apply_skips(spec, a)
    return a


def _random(rng: np.random.Generator, spec: _Spec, n: int) -> Answers:
    """Answers clicked at random (speeders), respecting skips and passing the attention check."""
    a: Answers = {}
    for it in spec.items:
        i, t = it["id"], it["type"]
        if t in ("single", "likert"):
            a[i] = rng.choice(spec.codes(i) if "options" in it else spec.levels(it["scale"]), n)
        elif t == "numeric":
            a[i] = _numbers(rng, rng.integers(it["min"], it["max"], n, endpoint=True), it["unit"])
        elif t == "region":
            a[i] = _choice(rng, HUKOU, n)
        elif t == "open":
            a[i] = np.full(n, BLANK_TEXT, dtype=object)
        elif t == "matrix":
            for r in it["rows"]:
                a[r["id"]] = rng.choice(spec.levels(it["scale"]), n)
        elif t == "multi":
            a |= _multi(rng, spec, i, np.full((n, len(it["options"])), .3))
        elif t == "ranking":
            a[i] = _ranking(rng, np.ones((n, len(it["options"]))))
    a[spec.attention_row] = np.full(n, spec.attention_pass)
    _apply_skips(spec, a)
    return a


def _straight_lines(spec: _Spec, a: Answers, idx: np.ndarray | slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
    """Straight-lining of rows ``idx``: (flagged, straight blocks).

    A block is straight when its answered (not 不清楚) rows all carry one code; a row is
    flagged when straight in ``min_blocks`` blocks, or in every eligible block (at least
    ``min_items`` answered) when fewer are eligible. This errs towards flagging, so a row not
    flagged here is not flagged by a stricter reader either.
    """
    straight, eligible = [], []
    for rows in spec.blocks:
        v = np.stack([a[r][idx] for r in rows], 1)
        missing = np.isin(v, spec.missing)
        straight.append(np.where(missing, 99, v).min(1) == np.where(missing, -99, v).max(1))
        eligible.append((~missing).sum(1) >= spec.min_items)
    straight = np.stack(straight, 1)
    n_straight = straight.sum(1)
    flagged = (n_straight >= np.minimum(spec.min_blocks, np.stack(eligible, 1).sum(1))) & (n_straight >= 1)
    return flagged, straight


def _break_straight_lines(rng: np.random.Generator, spec: _Spec, a: Answers, who: np.ndarray) -> None:
    """Move one cell of a straight block one level down (up from the lowest) until no row in
    ``who`` is flagged for straight-lining."""
    idx = np.flatnonzero(who)
    while idx.size:
        flagged, straight = _straight_lines(spec, a, idx)
        idx, straight = idx[flagged], straight[flagged]
        block = np.argmax(rng.random((idx.size, len(spec.blocks))) * straight, 1)
        for b, rows in enumerate(spec.blocks):
            sel = idx[block == b]
            cell = rng.integers(0, len(rows), sel.size)
            for j, r in enumerate(rows):
                i = sel[cell == j]
                a[r][i] = np.where(a[r][i] <= 1, 2, a[r][i] - 1)


def _take(a: Answers, idx: np.ndarray) -> Answers:
    return {k: v[idx] for k, v in a.items()}


def _concat(parts: list[Answers]) -> Answers:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


# ---- metadata ----------------------------------------------------------------------------------
def _submit_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after FIELD_START: fewer answers as the weeks go by, mostly daytime and evening."""
    day_w = .92 ** np.arange(FIELD_DAYS)
    day = rng.choice(FIELD_DAYS, n, p=day_w / day_w.sum())
    hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return day * 86400 + hour * 3600 + rng.integers(0, 3600, n)


def _durations(rng: np.random.Generator, n: int, floor: float) -> np.ndarray:
    d = rng.lognormal(np.log(LOGNORMAL_MEDIAN), DURATION_SIGMA, n)
    while (low := d < floor).any():
        d[low] = rng.lognormal(np.log(LOGNORMAL_MEDIAN), DURATION_SIGMA, low.sum())
    return np.round(d).astype(np.int64)


def _ips(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct public-looking IPv4 addresses with WJX's '(省-市)' suffix."""
    first = np.array(IP_FIRST_OCTETS, dtype=np.int64)
    ints = np.empty(0, dtype=np.int64)
    while ints.size < n:
        m = n - ints.size
        draw = (first[rng.integers(0, first.size, m)] << 24 | rng.integers(0, 1 << 16, m) << 8
                | rng.integers(1, 255, m))
        ints = np.concatenate([ints, draw])
        ints = ints[np.sort(np.unique(ints, return_index=True)[1])]
    octets = [pd.Series(ints >> s & 255).astype(str) for s in (24, 16, 8, 0)]
    ip = octets[0] + "." + octets[1] + "." + octets[2] + "." + octets[3] + "(" + _choice(rng, IP_LOCATIONS, n) + ")"
    return ip.to_numpy(dtype=object)


def _metadata(ids: np.ndarray, seconds: np.ndarray, duration: np.ndarray, ip: np.ndarray,
              rng: np.random.Generator) -> dict[str, object]:
    """WJX's metadata columns; submission times are seconds after FIELD_START."""
    stamp = np.datetime_as_string(FIELD_START + seconds.astype("timedelta64[s]"), unit="s")
    n = len(ids)
    mobile = rng.random(n) < .9
    wechat = rng.random(n) < np.where(mobile, .9, .3)
    return {
        "序号": ids,
        "提交答卷时间": pd.Series(stamp).str.replace("-", "/").str.replace("T", " ").array,
        "所用时间": (pd.Series(duration).astype(str) + "秒").array,
        "来源": _strings(["链接", "手机提交"], mobile.astype(np.int64)),
        "来源详情": _strings(["直接访问", "微信"], wechat.astype(np.int64)),
        "来自IP": ip,
    }


# ---- WJX rendering -------------------------------------------------------------------------
def _join_multi(codes: np.ndarray, opts: list[dict], fill: np.ndarray | None) -> pd.api.extensions.ExtensionArray:
    """By-text cell of a multi item: chosen labels joined with ┋, 其他【请注明】〖fill-in〗 last."""
    labels = [o["label"] for o in opts]
    other = [j for j, o in enumerate(opts) if o.get("other")]
    if other and other != [len(opts) - 1]:
        raise ValueError(f"the other option must be the last option (as WJX lists it); got {labels}")
    plain = len(opts) - len(other)
    table = [MULTI_SEP.join(lab for j, lab in enumerate(labels[:plain]) if b >> j & 1) for b in range(1 << plain)]
    idx = (codes[:, :plain] == 1) @ (1 << np.arange(plain))
    if other:  # rows with a fill-in point past the table, to their own strings
        has = np.flatnonzero(codes[:, other[0]] == 1)
        table += [f"{table[b]}{MULTI_SEP if b else ''}{labels[other[0]]}〖{f}〗" for b, f in zip(idx[has], fill[has])]
        idx[has] = (1 << plain) + np.arange(has.size)
    table.append(SKIPPED_TEXT)
    idx[codes[:, 0] == SKIPPED_CODE] = len(table) - 1
    return _strings(table, idx)


def _join_ranking(ranks: np.ndarray, labels: list[str]) -> pd.api.extensions.ExtensionArray:
    """By-text cell of a ranking item: labels in rank order joined with →."""
    k = len(labels)
    key = np.zeros(len(ranks), dtype=np.int64)
    for r in range(1, RANK_TOP + 1):
        at = ranks == r
        key = key * (k + 1) + np.where(at.any(1), at.argmax(1), k)
    names = labels + [""]
    table = []
    for code in range((k + 1) ** RANK_TOP):
        digits = [code // (k + 1) ** p % (k + 1) for p in reversed(range(RANK_TOP))]
        table.append(RANK_SEP.join(names[d] for d in digits if d < k) or BLANK_TEXT)
    return _strings(table, key)


def _render(spec: _Spec, a: Answers, meta: dict[str, object]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The by-text and by-code exports, with WJX's headers."""
    text, code = dict(meta), dict(meta)

    def put(target: dict, header: str, values: np.ndarray) -> None:
        if header in target:
            raise ValueError(f"two columns would be headed '{header}'")
        target[header] = values

    for it in spec.items:
        i, t, q = it["id"], it["type"], it["q"]
        head = f"{q}、{it['text']}" + (" " if q in TRAILING_SPACE_Q else "")
        if t in ("single", "likert"):
            scale = spec.scales.get(it.get("scale"), {})
            opts = (it.get("options") or scale["levels"] + scale.get("missing", [])) + it.get("missing", [])
            put(text, head, _lookup(a[i], {**{o["code"]: o["label"] for o in opts}, SKIPPED_CODE: SKIPPED_TEXT}))
            put(code, head, a[i])
        elif t in ("numeric", "region", "open"):
            put(text, head, a[i])
            put(code, head, a[i])
        elif t == "matrix":
            scale = spec.scales[it["scale"]]
            points = it["scale"] in POINT_SCALES
            labels = {o["code"]: f"{o['code']}分" if points else o["label"]
                      for o in scale["levels"] + scale.get("missing", [])}
            for n_row, r in enumerate(it["rows"]):
                header = f"{q}、{it['text']}—{r['label']}" if n_row == 0 else r["label"]
                put(text, header, _lookup(a[r["id"]], labels))
                put(code, header, a[r["id"]])
        elif t in ("multi", "ranking"):
            opts = it["options"]
            joined = (_join_multi(a[i], opts, a.get(f"{i}:other")) if t == "multi"
                      else _join_ranking(a[i], [o["label"] for o in opts]))
            put(text, head, joined)
            for j, o in enumerate(opts):
                put(code, f"第{q}题({o['label']})", a[i][:, j])
            if i in OTHER_TEXT_COLUMN:
                other = next(o for o in opts if o.get("other"))
                put(code, f"{q}、({other['label']}:)", a[f"{i}:other"])
    return pd.DataFrame(text), pd.DataFrame(code)


# ---- the demo ----------------------------------------------------------------------------------
def generate(n_genuine: int = 600, seed: int = 20240501, bad_rows: bool = True) -> Demo:
    """Twin WJX exports of ``n_genuine`` genuine respondents plus (``bad_rows``) planted bad rows.

    Bad rows are interleaved by submission time; 序号 runs 1..N over all rows in that order.
    ``planted`` lists every bad row with all the rules it was planted to fail.
    """
    spec = _Spec(QUESTIONNAIRE)
    rng = np.random.default_rng(seed)
    count = {rule: round(rate * n_genuine) if bad_rows else 0 for rule, rate in PLANTED_RATES.items()}
    n_range = len(OUT_OF_RANGE) if bad_rows else 0

    # pool: genuine | speeders | same-IP | straight-liners | attention failures | out of range
    genuine = _genuine(rng, spec, n_genuine)
    _add_phone_numbers(rng, genuine["suggestions"])
    fresh = ("duplicate_ip", "straightlining", "attention_check")
    pool = _concat([genuine, _random(rng, spec, count["speeder"]),
                    _genuine(rng, spec, sum(count[r] for r in fresh) + n_range)])
    segments = {"": n_genuine, "speeder": count["speeder"], **{r: count[r] for r in fresh}, "out_of_range": n_range}
    rules = np.repeat(np.array(list(segments), dtype=object), list(segments.values()))
    start = dict(zip(segments, np.cumsum([0, *segments.values()])))
    at = {r: np.arange(start[r], start[r] + k) for r, k in segments.items()}

    levels = spec.levels(spec.attention_scale)
    wrong = levels[levels != spec.attention_pass]
    pool[spec.attention_row][at["attention_check"]] = rng.choice(wrong, count["attention_check"])
    for i, (item_id, value) in zip(at["out_of_range"], OUT_OF_RANGE):
        pool[item_id][i] = str(value)
        if item_id == "years_lived":
            pool["age_band"][i] = spec.codes("age_band")[-1]
    _break_straight_lines(rng, spec, pool, rules != "straightlining")
    liners = at["straightlining"]
    flat = np.where(np.arange(liners.size) < liners.size // 2, spec.attention_pass, levels.max())
    for m in spec.matrices:
        for r in m["rows"]:
            pool[r["id"]][liners] = flat
    rules[liners[flat != spec.attention_pass]] = ";".join(
        r for r in spec.order if r in ("attention_check", "straightlining"))

    # a same-IP row shares the IP of a genuine neighbour (same community when there is one)
    community = pool["community"][:n_genuine]
    ip_of = np.array([rng.choice(np.flatnonzero(community == c) if (community == c).any() else n_genuine)
                      for c in pool["community"][at["duplicate_ip"]]], dtype=np.int64)
    # ... and is that neighbour submitting again with two answers changed (same IP, ~97% identical
    # answers). A second generator, so that the main stream, and with it every genuine row, is the
    # same as when these rows were fresh answers.
    rng2 = np.random.default_rng(seed + 1)
    again = _take(pool, ip_of)
    rows = [r["id"] for m in spec.matrices for r in m["rows"]
            if r["id"] != spec.attention_row]
    for k in range(ip_of.size):
        for r in rng2.choice(rows, 2, replace=False):
            v = int(again[r][k])
            again[r][k] = v + 1 if v < 5 else v - 1
    for key in pool:
        pool[key][at["duplicate_ip"]] = again[key]
    copy_of = rng.choice(n_genuine, count["duplicate_answers"], replace=False)
    answers = _concat([pool, _take(pool, copy_of)])
    rules = np.concatenate([rules, np.full(copy_of.size, "duplicate_answers", dtype=object)])
    copies = np.arange(len(rules) - copy_of.size, len(rules))
    n = len(rules)

    seconds = _submit_seconds(rng, n)
    seconds[at["duplicate_ip"]] = seconds[ip_of] + rng.integers(*SAME_IP_DELAY, ip_of.size, endpoint=True)
    seconds[copies] = seconds[copy_of] + rng.integers(*DUPLICATE_DELAY, copy_of.size)
    duration = _durations(rng, n, 1.25 * spec.speed_limit)
    duration[at["speeder"]] = rng.integers(*SPEEDER_SECONDS, count["speeder"], endpoint=True)
    ip = _ips(rng, n)
    ip[at["duplicate_ip"]] = ip[ip_of]
    # carrier NAT: genuine neighbours (in time) behind one mobile IP, answers of their own: kept
    by_time = np.argsort(seconds[:n_genuine], kind="stable")
    close = np.flatnonzero(np.diff(seconds[:n_genuine][by_time]) < 600)
    for j in rng2.choice(close, min(NAT_PAIRS, close.size), replace=False):
        ip[by_time[j + 1]] = ip[by_time[j]]

    order = np.lexsort((np.arange(n), seconds))
    answers, rules = _take(answers, order), rules[order]
    meta = _metadata(np.arange(1, n + 1), seconds[order], duration[order], ip[order], rng)
    by_text, by_code = _render(spec, answers, meta)
    _verify(spec, answers, by_code, duration[order], rules)
    bad = np.flatnonzero(rules != "")
    planted = pd.DataFrame({"respondent": bad + 1, "rules": rules[bad].astype(str),
                            "first_rule": [r.split(";")[0] for r in rules[bad]]})
    return Demo(by_text, by_code, planted)


def _verify(spec: _Spec, a: Answers, by_code: pd.DataFrame, duration: np.ndarray, rules: np.ndarray) -> None:
    """Every row fails exactly the rules it was planted for (and genuine rows none)."""
    codes, uniques = pd.factorize(rules)

    def planted(rule: str) -> np.ndarray:
        return np.array([rule in u.split(";") for u in uniques], dtype=bool)[codes]

    answers = by_code.iloc[:, 6:].copy()  # answers as a reader sees them: fill-in numbers parsed
    out = np.zeros(len(rules), bool)
    for it in spec.items:
        if it["type"] == "numeric":
            codes_i, texts = pd.factorize(a[it["id"]])
            parsed = pd.Series(texts).str.normalize("NFKC").str.removesuffix(it["unit"]).astype(int)
            value = parsed.to_numpy()[codes_i]
            out |= (value < it["min"]) | (value > it["max"])
            answers[next(c for c in answers.columns if c.startswith(f"{it['q']}、"))] = value
    assert (out == planted("out_of_range")).all()
    assert (answers.duplicated().to_numpy() == planted("duplicate_answers")).all()
    assert (~by_code["来自IP"].duplicated().to_numpy() | planted("duplicate_ip") | (rules == "")).all()
    assert (by_code["来自IP"].duplicated().to_numpy() | ~planted("duplicate_ip")).all()
    sp = spec.quality["speeders"]
    limit = max(sp.get("min_seconds") or 0, (sp.get("median_fraction") or 0) * np.median(duration))
    assert ((duration < limit) == planted("speeder")).all()
    assert ((a[spec.attention_row] != spec.attention_pass) == planted("attention_check")).all()
    assert (_straight_lines(spec, a)[0] == planted("straightlining")).all()


def households(path: Path = QUESTIONNAIRE) -> pd.DataFrame:
    """Fixed household counts of the six communities (the population for weights)."""
    spec = _Spec(path)
    opts = spec.item["community"]["options"]
    return pd.DataFrame({"community": [o["label"] for o in opts],
                         "households": [COMMUNITY[o["key"]][1] for o in opts]})


def write_xlsx(df: pd.DataFrame, path: str | Path) -> None:
    """One sheet, written in openpyxl's write-only mode: strings as strings, integers as
    integers; empty strings become empty cells."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append([str(c) for c in df.columns])
    columns = []
    for c in df.columns:
        values = df[c].tolist()
        if df[c].dtype.kind not in "iuf":
            values = [None if v == "" else v for v in values]
        columns.append(values)
    for row in zip(*columns):
        ws.append(row)
    # the same bytes on every run: fixed document dates and zip entry dates (the IP pseudonyms
    # are keyed by the export's hash, so a changing export would change them)
    stamp = datetime(2024, 5, 1)
    wb.properties.created = wb.properties.modified = stamp
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        entries = [(n, z.read(n)) for n in z.namelist()]
    fixed = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    entries = [(n, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + fixed, data) if n == "docProps/core.xml" else data)
               for n, data in entries]
    Path(path).write_bytes(fixed_zip(entries))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the fictional demo survey (twin WJX exports).")
    ap.add_argument("--out", type=Path, required=True, help="output folder, e.g. examples/demo/raw")
    ap.add_argument("--n", type=int, default=600, help="genuine respondents (default 600)")
    ap.add_argument("--seed", type=int, default=20240501)
    args = ap.parse_args(argv)
    demo = generate(args.n, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    write_xlsx(demo.by_text, args.out / "survey_by_text.xlsx")
    write_xlsx(demo.by_code, args.out / "survey_by_code.xlsx")
    demo.planted.to_csv(args.out / "planted_bad_rows.csv", index=False, encoding="utf-8-sig")
    households().to_csv(args.out / "households.csv", index=False, encoding="utf-8-sig")


if __name__ == "__main__":
    main()
