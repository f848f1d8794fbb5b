"""``renewal init``: draft a questionnaire definition and a study file from the exports themselves.

Given one or more exports of the same survey (for example a 问卷星 export 按文本 and its 按序号
twin), :func:`draft` reads their headers and answers and writes ``questionnaire.yaml`` and
``study.yaml`` that ingest those same exports with no edit. What it cannot know it guesses, and
says so in comments marked ``CHECK`` (order of scale levels, codes of options never chosen,
constructs, reverse-worded items, roles).

How each question is recognised (``docs/init.md`` has the whole table):

* columns: question numbers and sub-labels from :mod:`pipeline.survey.io.headers` (WJX matrix rows
  after ``—``, by-code option columns ``第6题(…)``, Tencent ``题干:选项``, Qualtrics ``Q6_1``),
  SPSS 0/1 dummies and plain-table ``题干-选项`` columns grouped by their common stem;
* answers: ``┋`` joins a multi-select, ``→`` (or ``>``) a ranking, ``N分`` a numeric scale,
  ``省-市`` a region; numbers (with a unit such as 楼 or 年) a numeric item; a few short distinct
  texts a single choice; the rest open text;
* codes: from the by-code twin, row by row (matched on 序号), from SPSS value labels, or else
  assigned in the order of a recognised rating scale or of first appearance (CHECK);
* rating scales: option wordings such as 非常不满意 … 非常满意 (or 同意, 重要, 愿意, 了解 …) are
  ordered low → high and shared by every item that uses them; 不清楚/说不清/不适用 become the
  scale's ``missing``; 不愿透露/拒答 the item's ``missing``.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from pipeline.core.errors import InputError
from pipeline.core.privacy import redact
from pipeline.core.tables import RawTable, read_table
from pipeline.core.textnorm import canon, norm
from pipeline.survey.io import decode as dec
from pipeline.survey.io.headers import Column, detect_format, parse_columns
from pipeline.survey.questionnaire import RESERVED

FAMILY_NAMES = {"wjx": "问卷星 (WJX)", "tencent": "腾讯问卷 (Tencent)", "qualtrics": "Qualtrics",
                "spss": "SPSS .sav", "table": "plain table"}

# ---- vocabularies --------------------------------------------------------------------------
_POSITIVE = ("满意", "同意", "重要", "愿意", "了解", "支持", "符合", "方便", "赞成", "认同", "熟悉", "关注", "信任", "有效",
             "需要", "积极", "好")
_SCALE_NAMES = {"满意": "sat", "同意": "agree", "重要": "importance", "愿意": "willing", "了解": "know",
                "支持": "support", "符合": "fit", "方便": "convenient", "赞成": "approve", "认同": "identify",
                "熟悉": "familiar", "关注": "attention", "信任": "trust", "有效": "effective", "需要": "need",
                "积极": "active", "好": "good"}
_SCALE_MISSING = {"不清楚", "不知道", "说不清", "说不清楚", "不适用", "无法回答", "不好说", "无法判断", "没有接触", "不了解情况",
                  "无法评价", "不确定"}
_REFUSAL = {"不愿透露", "拒答", "拒绝回答", "不愿回答", "保密", "不方便透露", "不想回答"}
_FREQUENCY = ["从不", "很少", "有时", "经常", "总是"]
_EXCLUSIVE = re.compile(r"^(以上都没有|以上均没有|以上都不是|都没有|均没有|没有|无|以上皆无|没有以上困难|没有问题|没有明显问题|不清楚|以上都不需要)$")
_OTHER = re.compile(r"^其[他它]")
_OPEN_STEM = re.compile(r"建议|意见|原因|请说明|请注明|为什么|还有哪些|其他想法|看法|补充|描述")
_REGION = re.compile(r"^[\u4e00-\u9fff]{2,}-[\u4e00-\u9fff]{2,}(?:-[\u4e00-\u9fff]{1,})?$")
_NUMBER_UNIT = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*([\u4e00-\u9fff%a-zA-Z]{0,3})$")
_NOT_ANSWERED = dec._BLANK | dec._SKIP   # what ingest reads as blank or skipped
_RANK_TAIL = re.compile(r"\s*[(（](名次|排名|排序|rank)[)）]$", re.I)
_ROLE_STEMS = {
    "community": re.compile(r"(所在|居住|哪个|您的).{0,4}(小区|社区)|(小区|社区)(名称|名字)"),
    "overall": re.compile(r"总体|整体|综合|总的来说|总的来看"),
    "participated": re.compile(r"是否(参与|参加)|有没有(参与|参加)|(参与|参加)过"),
    "problems": re.compile(r"问题|困难|不足"),
}
_GROUP_STEM = re.compile(r"性别|年龄|收入|学历|文化程度|受教育|职业|户籍|户口|产权|住房性质|租|居住年限|住了多久|身份|婚姻|政治面貌|家庭人口")


@dataclass
class _File:
    path: Path
    table: RawTable
    family: str
    cols: list[Column]
    mode: str                 # text | code
    label: str                # how the file is named in comments
    ids: list[str] | None = None  # respondent id per row (for pairing twins)
    _answered: np.ndarray | None = None

    def answered_rows(self) -> np.ndarray:
        """Rows with at least one answer (a row of empty cells at the end of a table is not a respondent)."""
        if self._answered is None:
            ok = np.zeros(self.table.n_rows, bool)
            for c in self.cols:
                if c.meta is None and not c.dropped and c.header:
                    codes, uniq = self.table.factorize(c.index)
                    filled = np.array([u not in _NOT_ANSWERED for u in uniq], dtype=bool)
                    ok |= filled[codes] if len(uniq) else False
            self._answered = ok
        return self._answered


@dataclass
class _Question:
    key: str
    q: str | None
    stem: str
    family: str
    cols: dict[int, list[Column]] = field(default_factory=dict)  # file index -> columns
    header: str = ""          # the first column's header (for plain tables and SPSS)
    group_label: str = ""     # the stem of grouped plain-table / SPSS columns


@dataclass
class Drafted:
    """The drafted definition as plain data, plus the comments to write above each part."""

    title: str
    scales: dict[str, dict] = field(default_factory=dict)
    scale_notes: dict[str, list[str]] = field(default_factory=dict)
    items: list[dict] = field(default_factory=list)
    notes: list[list[str]] = field(default_factory=list)   # per item
    constructs: list[dict] = field(default_factory=list)
    roles: dict = field(default_factory=dict)
    role_notes: list[str] = field(default_factory=list)
    quality: dict = field(default_factory=dict)
    quality_notes: list[str] = field(default_factory=list)
    header_notes: list[str] = field(default_factory=list)


# ---- reading ----------------------------------------------------------------------------------
def _distinct(f: _File, c: Column) -> tuple[np.ndarray, list[str]]:
    codes, uniq = f.table.factorize(c.index)
    return codes, [dec.int_text(u) if f.mode == "code" else u for u in uniq]


def _answers(f: _File, c: Column) -> Counter:
    """Distinct answered values -> count (skips, blanks and by-code -2/-3 left out)."""
    codes, uniq = _distinct(f, c)
    counts = np.bincount(codes, minlength=len(uniq))
    out: Counter = Counter()
    for u, n in zip(uniq, counts):
        if n and u not in _NOT_ANSWERED and not (f.mode == "code" and u in ("-2", "-3")):
            out[u] += int(n)
    return out


def _row_values(f: _File, c: Column) -> list[str]:
    codes, uniq = _distinct(f, c)
    return [uniq[k] for k in codes]


def _file_mode(table: RawTable, family: str, cols: list[Column], requested: str) -> str:
    if requested == "wjx_code" or family == "spss":
        return "code"
    if requested in ("wjx_text", "tencent"):
        return "text"
    if family == "wjx" and any(c.opt_column for c in cols):
        return "code"
    if family in ("tencent",):
        return "text"
    numeric = total = 0
    for c in cols:
        if c.meta is not None or c.dropped or c.other_text or c.qnum is None and family == "wjx":
            continue
        _, uniq = table.factorize(c.index)
        for u in uniq:
            if u and u not in _NOT_ANSWERED:
                total += 1
                numeric += bool(re.match(r"^-?\d+(\.0+)?$", u))
    if family == "wjx" and total and numeric / total > 0.95:
        return "code"
    if family == "qualtrics":  # 'numeric values' export: most single-column questions hold bare numbers
        singles = [c for c in cols if c.meta is None and not c.dropped and c.qnum is not None and c.sub is None and not c.other_text]
        ints = 0
        for c in singles:
            _, uniq = table.factorize(c.index)
            vals = [u for u in uniq if u and u not in _NOT_ANSWERED]
            ints += bool(vals) and all(dec._INT.match(u) for u in vals)
        return "code" if singles and ints >= 0.6 * len(singles) else "text"
    return "text"


def _open(path: Path, requested: str) -> _File:
    table = read_table(path)
    family = detect_format(table, requested)
    cols = parse_columns(table, family)
    mode = _file_mode(table, family, cols, requested)
    ids = None
    rid = next((c for c in cols if c.meta == "respondent"), None)
    if rid is not None:
        codes, uniq = table.factorize(rid.index)
        ids = [dec.int_text(uniq[k]) for k in codes]
    kind = {"text": "by text", "code": "by code"}[mode]
    return _File(path, table, family, cols, mode, f"{path.name} ({FAMILY_NAMES[family]}, {kind})", ids)


# ---- grouping columns into questions ----------------------------------------------------------------
_GROUP_SPLIT = re.compile(r"^(.+?)\s*(?:[-－—:：_]|\s-\s)\s*([^-－—:：_]+)$")


def _questions(files: list[_File]) -> list[_Question]:
    qs: OrderedDict[str, _Question] = OrderedDict()
    for fi, f in enumerate(files):
        cols = [c for c in f.cols if c.meta is None and not c.dropped and c.header]
        if f.family in ("table", "spss"):
            _group_plain(f, cols)
        for c in cols:
            if c.qnum is not None:
                key = f"q{c.qnum}"
            elif c.header.upper().endswith("_NPS_GROUP"):
                continue
            else:
                key = "h:" + c.stem if c.stem and c.sub is not None else "h:" + c.header
            qu = qs.get(key)
            if qu is None:
                stem = c.stem or (f"第{c.qnum}题" if c.opt_column or c.other_text else
                                  (f.table.texts[c.index] if f.family == "spss" else c.header))
                qu = qs[key] = _Question(key, c.qnum, stem, f.family, header=c.header)
            if c.stem and (not qu.stem or qu.stem == f"第{c.qnum}题"):
                qu.stem = c.stem
            qu.cols.setdefault(fi, []).append(c)
    return list(qs.values())


def _group_plain(f: _File, cols: list[Column]) -> None:
    """Plain tables and SPSS: columns ``困难-老人``, ``困难-婴幼儿`` … (or SPSS ``Q6_1``, ``Q6_2``
    labelled ``题干：选项``) that share a stem become one question with sub-labels."""
    names = [f.table.texts[c.index] if f.family == "spss" else c.header for c in cols]
    stems: dict[str, list[int]] = {}
    parts: dict[int, tuple[str, str]] = {}
    for k, (c, name) in enumerate(zip(cols, names)):
        if c.qnum is not None:
            continue
        m = _GROUP_SPLIT.match(name)
        if m:
            stem = re.sub(r"^\d+[.、．]\s*", "", m.group(1)).strip()
            parts[k] = (stem, m.group(2).strip())
            stems.setdefault(stem, []).append(k)
    for stem, members in stems.items():
        if len(members) < 2:
            continue
        for k in members:
            c = cols[k]
            sub = parts[k][1]
            if re.search(r"(_?文本|_?text|说明|-TEXT)$", sub, re.I) or re.search(r"(_text|_TEXT)$", c.header):
                c.other_text = True
                sub = re.sub(r"(_?文本|_?text)$", "", sub, flags=re.I)
            c.stem, c.sub = stem, re.sub(r"（名次）|\(名次\)$", "", sub).strip()
    # an 'other' explanation column next to a group (其他说明) joins the group to its left
    for k, c in enumerate(cols):
        if c.sub is None and k > 0 and re.match(r"^其[他它].{0,3}(说明|注明|内容|请注明)$", names[k]) and cols[k - 1].sub is not None:
            c.stem, c.sub, c.other_text = cols[k - 1].stem, names[k], True


# ---- inference ---------------------------------------------------------------------------------
def _rating_rank(label: str) -> tuple[str, int] | None:
    """'非常满意' -> ('满意', 5); '比较不满意' -> ('满意', 2); '一般' -> ('', 3); None if no rating word."""
    s = canon(label)
    s = re.sub(r"^\d+[.、:)]?", "", s)
    if s in ("一般", "中立", "中等", "还行", "还可以", "无所谓", "说不上", "普通", "一般般"):
        return "", 3
    for pos in _POSITIVE:
        if pos not in s:
            continue
        head = s.replace(pos, "", 1)
        if head in ("非常不", "很不", "完全不", "极不", "特别不", "十分不", "非常不太"):
            return pos, 1
        if head in ("不", "不太", "比较不", "较不", "不大", "不怎么"):
            return pos, 2
        if head in ("一般", "基本"):
            return pos, 3
        if head in ("", "比较", "较", "还算", "基本上", "较为"):
            return pos, 4
        if head in ("非常", "很", "完全", "十分", "特别", "极其"):
            return pos, 5
    if s in _FREQUENCY:
        return "频率", _FREQUENCY.index(s) + 1
    return None


def _rating_scale(labels: list[str]) -> tuple[str, dict[str, int]] | None:
    """If every label (not counting no-answer labels) is a rating word of one kind, their ranks."""
    ranks: dict[str, int] = {}
    kinds = set()
    for lab in labels:
        if canon(lab) in _SCALE_MISSING or canon(lab) in _REFUSAL:
            continue
        r = _rating_rank(lab)
        if r is None:
            return None
        if r[0]:
            kinds.add(r[0])
        ranks[lab] = r[1]  # two spellings of one level (较满意, 比较满意) become a level and an alias
    if len(kinds) > 1 or len(set(ranks.values())) < 3:
        return None
    return (kinds.pop() if kinds else "rating"), ranks


def _natural_order(labels: list[str]) -> list[str]:
    """Options in the order a questionnaire prints them, as far as the labels tell: numbered
    ranges by their first number (以下 first, 以上 last), 男 before 女; else as first seen."""
    for pair in (("男", "女"), ("是", "否"), ("有", "没有"), ("愿意", "不愿意"), ("同意", "不同意"), ("参与过", "没有参与过"),
                 ("参加过", "没有参加过")):
        if set(labels) <= set(pair):
            return [x for x in pair if x in labels]
    nums = [re.search(r"\d+(?:\.\d+)?", lab.replace(",", "")) for lab in labels]
    if labels and all(nums):
        def key(k: int):
            lab = labels[k]
            tail = 1 if re.search(r"以上|及以上|或以上|以外|\+$", lab) else (-1 if re.search(r"以下|以内|不到|不足|及以下", lab) else 0)
            return float(nums[k].group(0)), tail, k
        return [labels[k] for k in sorted(range(len(labels)), key=key)]
    return list(labels)


def _pair_codes(text: _File, tcol: Column, code: _File, ccol: Column) -> dict[str, Counter]:
    """label -> Counter(code) from two exports of the same respondents."""
    tv, cv = _row_values(text, tcol), _row_values(code, ccol)
    if text.ids and code.ids and len(set(text.ids)) == len(text.ids):
        pos = {r: i for i, r in enumerate(code.ids)}
        pairs = [(tv[i], cv[pos[r]]) for i, r in enumerate(text.ids) if r in pos]
    elif len(tv) == len(cv):
        pairs = list(zip(tv, cv))
    else:
        return {}
    answered = [(t, c) for t, c in pairs if t not in _NOT_ANSWERED and c not in _NOT_ANSWERED]
    if not answered or any(not dec._INT.match(c) for _, c in answered) or \
            sum(t == c for t, c in answered) >= 0.9 * len(answered):
        return {}  # the 'code' export writes the answer itself (typed numbers, open text): no codes to learn
    out: dict[str, Counter] = {}
    for t, c in pairs:
        if t in _NOT_ANSWERED or not dec._INT.match(c) or c in ("-2", "-3"):
            continue
        label = t.split("〖", 1)[0]
        out.setdefault(label, Counter())[int(c)] += 1
    return out


class _Drafter:
    def __init__(self, files: list[_File]):
        self.files = files
        self.scales: dict[str, dict] = {}
        self.scale_sigs: dict[tuple, str] = {}
        self.scale_notes: dict[str, list[str]] = {}
        self.ids: set[str] = set()

    # -- helpers
    def text_file(self, qu: _Question) -> int | None:
        return next((fi for fi in qu.cols if self.files[fi].mode == "text"), None)

    def code_file(self, qu: _Question) -> int | None:
        return next((fi for fi in qu.cols if self.files[fi].mode == "code"), None)

    def new_id(self, base: str) -> str:
        base = re.sub(r"[^a-z0-9_]", "_", base.lower()).strip("_") or "item"
        if not base[0].isalpha():
            base = "q" + base
        i, out = 1, base
        while out in self.ids or out in RESERVED:   # metadata columns ingest adds
            i += 1
            out = f"{base}_{i}"
        self.ids.add(out)
        return out

    def item_id(self, qu: _Question) -> str:
        if qu.q is not None:
            return self.new_id(f"q{qu.q}")
        h = qu.header
        if re.match(r"^[A-Za-z][A-Za-z0-9_]*$", h) and "__" not in h:
            return self.new_id(h.lower())
        return self.new_id(f"v{len(self.ids) + 1}")

    # -- options and scales
    def options(self, labels_in_order: list[str], codes: dict[str, int] | None, notes: list[str],
                seen: Counter | None = None) -> tuple[list[dict], list[dict]]:
        """(options, item-missing) for a choice item from its labels (and codes when known)."""
        opts, miss = [], []
        used = set(codes.values()) if codes else set()
        nxt = 1
        for lab in labels_in_order:
            if codes and lab in codes:
                code = codes[lab]
            else:
                while nxt in used:
                    nxt += 1
                code, nxt = nxt, nxt + 1
                used.add(code)
            o = {"code": code, "label": lab}
            if canon(lab) in _REFUSAL:
                miss.append(o)
                continue
            if _OTHER.match(lab):
                o["other"] = True
            if _EXCLUSIVE.match(canon(lab)):
                o["exclusive"] = True
            opts.append(o)
        if not codes:
            notes.append("CHECK codes: assigned 1, 2, … in the order shown; give the codes your questionnaire uses")
        else:
            known = sorted(codes.values())
            gaps = [k for k in range(1, known[-1]) if k not in known] if known and known[0] >= 1 else []
            if gaps:
                notes.append(f"CHECK: code(s) {gaps} never chosen, so their wording is unknown: add those options")
        never = [o["label"] for o in opts if seen is not None and not seen.get(o["label"])]
        if never:
            notes.append(f"options never chosen in the export(s): {', '.join(never)}")
        return opts, miss

    def scale_for(self, kind: str, ranks: dict[str, int], codes: dict[str, int] | None,
                  missing_labels: list[str], notes: list[str]) -> str:
        """A shared named scale for a rating item (levels low -> high); other spellings of a
        level (较满意 beside 比较满意, 还行 beside 一般) become the scale's aliases."""
        if not codes:  # reuse a scale of the same kind already drafted, adding these spellings as aliases
            for name, sc in self.scales.items():
                level_rank = {}
                for x in sc["levels"]:
                    rr = _rating_rank(x["label"])
                    if rr is None or (rr[0] and rr[0] != kind):
                        level_rank = {}
                        break
                    level_rank[rr[1]] = x["label"]
                if not level_rank or not set(ranks.values()) <= set(level_rank):
                    continue
                known = {canon(x["label"]) for x in sc["levels"] + sc.get("missing", [])} | {canon(a) for a in sc.get("aliases", {})}
                new_alias = {lab: level_rank[r] for lab, r in ranks.items() if canon(lab) not in known}
                if new_alias:
                    sc.setdefault("aliases", {}).update(new_alias)
                have = sc.setdefault("missing", [])
                taken = {x["code"] for x in sc["levels"]} | {x["code"] for x in have}
                for lab in missing_labels:
                    if canon(lab) not in known:
                        have.append({"code": max(taken) + 1, "label": lab})
                        taken.add(max(taken) + 1)
                if not have:
                    del sc["missing"]
                return name
        by_rank: dict[int, list[str]] = {}
        for lab, r in ranks.items():
            by_rank.setdefault(r, []).append(lab)
        aliases: dict[str, str] = {}
        ranks = {}
        for r, labs in by_rank.items():
            usual = {f"非常不{kind}", f"比较不{kind}", f"不{kind}", "一般", kind, f"比较{kind}", f"非常{kind}"}
            main = sorted(labs, key=lambda x: (not (codes and x in codes), canon(x) not in usual, labs.index(x)))[0]
            ranks[main] = r
            aliases.update({x: main for x in labs if x != main})
        if aliases:
            notes.append("other spellings read as the same level: " + ", ".join(f"{a} = {b}" for a, b in aliases.items()))
        filled = []
        if not codes and kind in _SCALE_NAMES and len(set(ranks.values())) < 5:
            comparative = any(canon(lab).startswith(("比较", "较")) for lab in ranks)
            usual = {1: f"非常不{kind}", 2: (f"比较不{kind}" if comparative else f"不{kind}"), 3: "一般",
                     4: (f"比较{kind}" if comparative else kind), 5: f"非常{kind}"}
            for r, lab in usual.items():
                if r not in ranks.values():
                    ranks[lab] = r
                    filled.append(lab)
        levels = sorted(ranks, key=ranks.get)
        if filled:
            notes.append(f"CHECK: level(s) nobody chose were added with the usual wording: {', '.join(filled)}")
        if codes and all(lab in codes for lab in levels):
            lv = [{"code": codes[lab], "label": lab} for lab in levels]
            if [x["code"] for x in lv] != sorted(x["code"] for x in lv):
                notes.append("CHECK: the export's codes run against the wording of the scale (reverse-coded?)")
        else:
            lv = [{"code": ranks[lab], "label": lab} for lab in levels]
        used = {x["code"] for x in lv}
        ms = []
        for lab in missing_labels:
            c = codes.get(lab) if codes else None
            if c is None or c in used:
                c = max(used | {x["code"] for x in ms}) + 1
            ms.append({"code": c, "label": lab})
        sig = tuple((x["code"], x["label"]) for x in lv)
        if sig in self.scale_sigs:  # the same levels: one scale, its no-answer labels and aliases merged
            name = self.scale_sigs[sig]
            if aliases:
                known = {canon(x["label"]) for x in self.scales[name]["levels"] + self.scales[name].get("missing", [])}
                merged = self.scales[name].setdefault("aliases", {})
                merged.update({a: b for a, b in aliases.items() if canon(a) not in known})
            have = self.scales[name].setdefault("missing", [])
            taken = {x["code"] for x in lv} | {x["code"] for x in have}
            for m in ms:
                if all(canon(m["label"]) != canon(h["label"]) for h in have):
                    if m["code"] in taken:
                        m = {**m, "code": max(taken) + 1}
                    have.append(m)
                    taken.add(m["code"])
            if not have:
                del self.scales[name]["missing"]
            return name
        name = f"{_SCALE_NAMES.get(kind, 'rating')}{len(lv)}"
        k = 2
        while name in self.scales:
            name = f"{_SCALE_NAMES.get(kind, 'rating')}{len(lv)}_{k}"
            k += 1
        known = {canon(x["label"]) for x in lv + ms}
        aliases = {a: b for a, b in aliases.items() if canon(a) not in known}
        self.scales[name] = {"levels": lv, **({"missing": ms} if ms else {}), **({"aliases": aliases} if aliases else {})}
        self.scale_sigs[sig] = name
        ranks_seen = sorted(ranks.values())
        note = [f"levels ordered low → high from their wording ({' < '.join(levels)})"]
        if ranks_seen != list(range(1, len(ranks_seen) + 1)) or len(levels) < 5:
            note.append(f"CHECK: only {len(levels)} level(s) seen; add the levels nobody chose")
        self.scale_notes[name] = note
        return name

    def score_scale(self, values: list[int], offset: int, stem: str, notes: list[str]) -> str:
        lo = 0 if (offset == 1 or min(values) == 0 or "推荐" in stem or "0-10" in stem or "0～10" in stem) else 1
        hi = max(values)
        for top in (5, 7, 10, 100):
            if hi <= top:
                hi = top
                break
        if lo == 0 and hi < 10:
            hi = 10
        name = f"score{lo}_{hi}" + (f"_offset{offset}" if offset else "")
        if name not in self.scales:
            self.scales[name] = {"levels": [{"code": v, "label": f"{v}分"} for v in range(lo, hi + 1)],
                                 **({"export_offset": offset} if offset else {})}
            note = [f"a {lo}–{hi} score scale; answers are stored as the score itself"]
            if offset:
                note.append(f"the by-code export writes score + {offset} (问卷星 numbers the options of a {lo}–{hi} scale from 1)")
            self.scale_notes[name] = note
        return name

    # -- one question
    def draft(self, qu: _Question) -> tuple[dict, list[str]] | None:
        notes: list[str] = []
        ti, ci = self.text_file(qu), self.code_file(qu)
        base = ti if ti is not None else ci
        f = self.files[base]
        cols = qu.cols[base]
        others = [c for c in cols if c.other_text]
        subs = [c for c in cols if not c.other_text and c.sub is not None]
        mains = [c for c in cols if not c.other_text and c.sub is None]
        item: dict = {"id": self.item_id(qu)}
        if qu.q is not None:
            item["q"] = int(qu.q) if str(qu.q).isdigit() else qu.q
        elif f.family in ("table", "spss", "qualtrics"):
            item["match"] = {"column": qu.header}
        stem = qu.stem or qu.header
        # sub-columns without a stem: take the question text from the other file
        item["text"] = stem
        if subs:
            return self.draft_subs(qu, item, f, base, subs, others, mains, notes)
        if not mains:
            return None
        c = mains[0]
        seen = _answers(f, c)
        labels = list(seen)
        n_answered = sum(seen.values())
        code_pairs: dict[str, Counter] = {}
        if ti is not None and ci is not None:
            cc = [x for x in qu.cols[ci] if not x.other_text and x.sub is None]
            copt = [x for x in qu.cols[ci] if x.opt_column or (x.sub is not None and not x.other_text)]
            if cc and not copt:
                code_pairs = _pair_codes(self.files[ti], c, self.files[ci], cc[0])
            elif copt:  # by-code option columns of a multi or ranking item: their order gives the codes
                return self.draft_split(qu, item, ti, ci, c, copt, notes)
        if f.mode == "text" and any("┋" in u for u in labels) or (f.family in ("table",) and any("┋" in u or "|" in u for u in labels)):
            return self.draft_joined(qu, item, f, c, seen, "multi", "┋|" if f.family == "table" else "┋", notes, others)
        if any("→" in u for u in labels) or (f.family == "table" and sum(">" in u for u in labels) > len(labels) / 2):
            return self.draft_joined(qu, item, f, c, seen, "ranking", "→>", notes, others)
        if f.family == "qualtrics" and f.mode == "text" and any("," in u for u in labels) and _commas_are_joins(labels):
            return self.draft_joined(qu, item, f, c, seen, "multi", ",", notes, others)
        required = self.required(f, c)
        if not required:
            item["required"] = False
        # value labels (SPSS)
        vlab = f.table.value_labels.get(c.index, {})
        if f.family == "spss" and vlab and any(float(v) not in (0.0, 1.0) or len(vlab) > 2 for v in vlab):
            um = f.table.user_missing.get(c.index, ())
            answer_labels = [v for v in vlab if not any(lo <= v <= hi for lo, hi in um) and canon(vlab[v]) not in _REFUSAL | _SCALE_MISSING]
            observed = {float(u) for u in labels if re.match(r"^-?\d+(\.\d+)?$", u)}
            unlabelled = observed - set(vlab)
            if len(unlabelled) <= len(answer_labels) or not observed:
                return self.draft_labelled(qu, item, f, c, seen, vlab, notes)
            # a quantity whose value labels name only its no-answer codes (-99 不适用, -98 拒答)
            item["type"] = "numeric"
            miss = [{"code": int(v), "label": lab} for v, lab in sorted(vlab.items()) if float(v) not in observed - set(vlab)
                    and (any(lo <= v <= hi for lo, hi in um) or canon(lab) in _REFUSAL | _SCALE_MISSING)]
            if miss:
                item["missing"] = miss
            return item, notes
        if labels and all(dec._SCORE.match(u) for u in labels):
            vals = sorted(int(dec._SCORE.match(u).group(1)) for u in labels)
            offset = 0
            if code_pairs:
                diffs = Counter(cc.most_common(1)[0][0] - int(dec._SCORE.match(lab).group(1))
                                for lab, cc in code_pairs.items() if dec._SCORE.match(lab))
                offset = diffs.most_common(1)[0][0] if diffs else 0
            item["type"] = "likert"
            item["scale"] = self.score_scale(vals, offset, stem, notes)
            return item, notes
        codes = {lab: cnt.most_common(1)[0][0] for lab, cnt in code_pairs.items()} if code_pairs else None
        rating = _rating_scale(labels) if f.mode == "text" else None
        if rating and (len(rating[1]) >= 3):
            kind, ranks = rating
            miss = [lab for lab in labels if canon(lab) in _SCALE_MISSING]
            refusal = [lab for lab in labels if canon(lab) in _REFUSAL]
            item["type"] = "likert"
            item["scale"] = self.scale_for(kind, ranks, codes, miss, notes)
            if refusal:
                item["missing"] = [{"code": (codes or {}).get(lab, 90 + i), "label": lab} for i, lab in enumerate(refusal)]
            return item, notes
        if f.mode == "text":
            if labels and sum(n for u, n in seen.items() if _REGION.match(u)) >= 0.8 * n_answered:
                item["type"] = "region"
                return item, notes
            ints = [u for u in labels if re.match(r"^\d+$", u)]
            if ints and len(ints) == len(labels) and len(ints) >= 6 and max(int(u) for u in ints) <= 10 and \
                    ("0" in ints or re.search(r"可能|打分|评分|0-10|0～10|0到10", stem)):
                item["type"] = "likert"
                item["scale"] = self.score_scale(sorted(int(u) for u in ints), 0, stem, notes)
                notes.append("CHECK: read as a 0–10 score scale (bare numbers 0…10); if it is a count, make it numeric")
                return item, notes
            num = self.numeric(seen)
            if num is not None and not codes:
                item["type"] = "numeric"
                item.update(num)
                return item, notes
            if self.is_choice(seen, stem, f, codes is not None):
                item["type"] = "single"
                order = sorted(labels, key=lambda lab: (codes or {}).get(lab, 10 ** 6)) if codes else labels
                other_labels = [u.split("〖", 1)[0] for u in order]
                order = list(dict.fromkeys(other_labels))
                if not codes:
                    plain = [x for x in order if canon(x) not in _REFUSAL and canon(x) not in _SCALE_MISSING]
                    order = _natural_order(plain) + [x for x in order if x not in plain]
                item["options"], miss = self.options(order, codes, notes, Counter({k.split("〖", 1)[0]: v for k, v in seen.items()}))
                if any("〖" in u for u in labels):
                    for o in item["options"]:
                        if any(u.startswith(o["label"] + "〖") for u in labels):
                            o["other"] = True
                if others and not any(o.get("other") for o in item["options"]):
                    notes.append("CHECK: a fill-in column exists but no option looks like 其他; mark the 'other' option")
                if miss:
                    item["missing"] = miss
                return item, notes
            item["type"] = "open"
            item["required"] = False
            return item, notes
        # by code without a twin: numbers only
        ints = [u for u in labels if dec._INT.match(u)]
        if f.family == "wjx" and ints and len(ints) == len(labels) and max(int(u) for u in ints) == 11 and \
                min(int(u) for u in ints) >= 1 and (len(ints) >= 8 or re.search(r"可能|推荐|打分|评分", stem)):
            item["type"] = "likert"
            item["scale"] = self.score_scale([int(u) - 1 for u in ints], 1, stem, notes)
            notes.append("CHECK: codes 1…11 read as a 0–10 scale (问卷星 numbers its options from 1); "
                         "run init with the by-text export too to be sure")
            return item, notes
        if labels and len(ints) == len(labels) and len(ints) >= 6 and min(int(u) for u in ints) >= 0 and \
                max(int(u) for u in ints) <= 10 and ("0" in ints or "可能" in stem or "打分" in stem or "评分" in stem):
            item["type"] = "likert"
            item["scale"] = self.score_scale(sorted(int(u) for u in ints), 0, stem, notes)
            notes.append("CHECK: read as a 0–10 score scale (bare numbers 0…10); if it is a count, make it numeric")
            return item, notes
        if labels and len(ints) == len(labels) and len(labels) <= 12 and max(int(u) for u in ints) <= 20 and not self.numeric_stem(stem):
            item["type"] = "single"
            item["options"] = [{"code": int(u), "label": f"选项{int(u)}"} for u in sorted(ints, key=int)]
            notes.append("CHECK labels: a by-code export without its by-text twin (or value labels) gives codes only; "
                         "write each option's wording (or run init with the by-text export too)")
            return item, notes
        num = self.numeric(seen)
        if num is not None:
            item["type"] = "numeric"
            item.update(num)
            if ints and len(set(ints)) <= 12:
                notes.append("CHECK: bare numbers read as a quantity (the question asks how much/many); "
                             "if they are option codes, make it a single item with options")
            return item, notes
        item["type"] = "open"
        item["required"] = False
        return item, notes

    def numeric_stem(self, stem: str) -> bool:
        return bool(re.search(r"多少|几|年龄（岁）|岁数|面积|人数|年限|金额|元", stem))

    def is_choice(self, seen: Counter, stem: str, f: _File, paired: bool) -> bool:
        if paired:
            return True
        labels = list(seen)
        if not labels:
            return False
        # answers written as sentences, long ones, or ones carrying personal data are free text
        if any(len(u) > 20 or re.search(r"[，。！？；,.!?;]\S", u) or redact(u)[0] != u for u in labels):
            return False
        n = sum(seen.values())
        mean_len = sum(len(u) for u in labels) / len(labels)
        if _OPEN_STEM.search(stem) and mean_len > 6:
            return False
        if len(labels) <= 12 and mean_len <= 16 and (len(labels) <= max(2, 0.6 * n)):
            return True
        return len(labels) <= 15 and len(labels) <= 0.3 * n and mean_len <= 10

    def numeric(self, seen: Counter) -> dict | None:
        units: Counter = Counter()
        vals = []
        n = 0
        for u, k in seen.items():
            m = _NUMBER_UNIT.match(u.replace(",", "").replace(" ", ""))
            if not m:
                return None
            n += k
            vals.append(float(m.group(1)))
            if m.group(2):
                units[m.group(2)] += k
        if not vals or (len(set(vals)) <= 2 and not units and n > 5 and set(vals) <= {0.0, 1.0}):
            return None
        out: dict = {}
        if units:
            us = [u for u, _ in units.most_common()]
            out["unit"] = us[0] if len(us) == 1 else us
        return out

    def required(self, f: _File, c: Column) -> bool:
        """Required unless some respondent left it blank (skips do not count: logic excuses them)."""
        codes, uniq = _distinct(f, c)
        counts = np.bincount(codes[f.answered_rows()], minlength=len(uniq))
        return not any(n and u in ("", "(空)", "NULL") for u, n in zip(uniq, counts))

    # -- multi and ranking
    def draft_joined(self, qu, item, f: _File, c: Column, seen: Counter, kind: str, seps: str, notes, others):
        parts: Counter = Counter()
        has_other_fill = set()
        for u, n in seen.items():
            for p in re.split("[" + re.escape(seps) + "]", u):
                p = p.strip()
                if not p:
                    continue
                label = p.split("〖", 1)[0].strip()
                if "〖" in p:
                    has_other_fill.add(label)
                parts[label] += n
        order = list(parts)
        item["type"] = kind
        opts, miss = self.options(order, None, notes, parts)
        for o in opts:
            if o["label"] in has_other_fill:
                o["other"] = True
        item["options"] = opts + miss
        notes.append("CHECK: options in the order first seen; add options nobody chose")
        if not self.required(f, c):
            item["required"] = False
        return item, notes

    def draft_split(self, qu, item, ti: int, ci: int, tcol: Column, copt: list[Column], notes):
        """A by-text joined answer with by-code option columns: labels and codes from the columns."""
        cf = self.files[ci]
        ranking = any(re.match(r"^[2-9]$", u) for x in copt for u in _answers(cf, x))
        tf = self.files[ti]
        seen_text = _answers(tf, tcol)
        joined_rank = any("→" in u for u in seen_text)
        kind = "ranking" if (ranking or joined_rank) else "multi"
        item["type"] = kind
        opts = []
        for k, x in enumerate(copt, start=1):
            o = {"code": k, "label": x.sub}
            if _OTHER.match(x.sub or "") or any(u.split("〖", 1)[0].strip().endswith(x.sub) and "〖" in u for u in seen_text):
                if any("〖" in u for u in seen_text) or any(y.other_text for y in qu.cols[ci]):
                    o["other"] = True
            if kind == "multi" and _EXCLUSIVE.match(canon(x.sub or "")):
                o["exclusive"] = True
            chosen = sum(n for u, n in _answers(cf, x).items() if u not in ("0",))
            if not chosen:
                notes.append(f"option never chosen: {x.sub}")
            opts.append(o)
        item["options"] = opts
        if not self.required(tf, tcol):
            item["required"] = False
        return item, notes

    def draft_subs(self, qu, item, f: _File, base: int, subs: list[Column], others, mains, notes):
        # what do the sub-columns hold?
        per_col = [_answers(f, x) for x in subs]
        values = Counter()
        for s in per_col:
            values.update(s)
        labels = list(values)
        ints = [u for u in labels if re.match(r"^\d+$", u)]
        # the marks ingest reads as 'chosen' (dec.CHOSEN_MARKS, the option's text, 1) or 'not chosen' (0)
        marks_only = all({canon(dec.int_text(u)) for u in s} <= (dec.CHOSEN_MARKS | {canon(x.sub or ""), "0", "1"})
                         for s, x in zip(per_col, subs))
        if any(x.opt_column for x in subs) or (marks_only and all(len(s) <= 2 for s in per_col)):
            ranking = bool(ints) and max(int(u) for u in ints) > 1
            if any(x.opt_column for x in subs):
                ranking = any(re.match(r"^[2-9]$", u) for u in labels)
            item["type"] = "ranking" if ranking else "multi"
            item["options"] = []
            seen_other = any(x.other_text for x in qu.cols[base])
            for k, x in enumerate(subs, start=1):
                o = {"code": k, "label": _RANK_TAIL.sub("", x.sub or "").strip() or x.sub}
                if f.family in ("spss", "table") and x.header != x.sub:
                    o["column"] = x.header
                if seen_other and _OTHER.match(x.sub or ""):
                    o["other"] = True
                if not ranking and _EXCLUSIVE.match(canon(x.sub or "")):
                    o["exclusive"] = True
                if not per_col[k - 1] or set(per_col[k - 1]) <= {"0"}:
                    notes.append(f"option never chosen: {x.sub}")
                item["options"].append(o)
            if f.family in ("spss", "table"):
                if "q" not in item:
                    item["match"] = {"text": qu.stem} if qu.stem else {"column": subs[0].header}
                fill = [x for x in others if x.header]
                if fill:
                    item.setdefault("match", {})["other"] = fill[0].header
            filled = np.zeros(f.table.n_rows, bool)
            for x in subs:
                codes_x, uniq_x = _distinct(f, x)
                ok = np.array([u not in _NOT_ANSWERED and u != "0" and not (f.mode == "code" and u in ("-2", "-3"))
                               for u in uniq_x], dtype=bool)
                filled |= ok[codes_x] if len(uniq_x) else False
            none = f.answered_rows() & ~filled
            if none.any() and not any(x.opt_column for x in subs):
                item["required"] = False  # some respondents chose nothing (skipped, or not asked)
            if others and not any(o.get("other") for o in item["options"]):
                last = item["options"][-1] if item["options"] else None
                cand = next((o for o in item["options"] if _OTHER.match(o["label"])), last)
                if cand is not None:
                    cand["other"] = True
            return item, notes
        if ints and len(ints) == len(labels) and all(1 <= int(u) <= len(subs) for u in ints):
            item["type"] = "ranking"
            item["options"] = [{"code": k, "label": _RANK_TAIL.sub("", x.sub or "").strip() or x.sub,
                                **({"column": x.header} if f.family in ("spss", "table") and x.header != x.sub else {})}
                               for k, x in enumerate(subs, start=1)]
            return item, notes
        # a matrix: each sub-column a row rated on one scale
        item["type"] = "matrix"
        rows = []
        for k, x in enumerate(subs, start=1):
            r = {"id": self.new_id(f"{item['id']}_{k}"), "label": x.sub}
            if f.family in ("spss", "table") and x.header not in (r["id"],):
                r["column"] = x.header
            rows.append(r)
        item["rows"] = rows
        item.pop("match", None)
        if f.family in ("spss", "table") and "q" not in item:
            item["match"] = {"column": subs[0].header}
        code_pairs: dict[str, Counter] = {}
        ci = self.code_file(qu)
        if f.mode == "text" and ci is not None and ci != base:
            csubs = {canon(x.sub): x for x in qu.cols[ci] if x.sub is not None and not x.other_text}
            for x in subs:
                y = csubs.get(canon(x.sub))
                if y is not None:
                    for lab, cnt in _pair_codes(f, x, self.files[ci], y).items():
                        code_pairs.setdefault(lab, Counter()).update(cnt)
        codes = {lab: cnt.most_common(1)[0][0] for lab, cnt in code_pairs.items()} or None
        vlab = {}
        if f.family == "spss":
            for x in subs:
                vlab.update(f.table.value_labels.get(x.index, {}))
        if vlab:
            lab_codes = {lab: int(v) for v, lab in vlab.items()}
            rating = _rating_scale(list(lab_codes))
            user_missing = {lab for v, lab in vlab.items() if any(f.table.user_missing.get(x.index) and
                            any(lo <= v <= hi for lo, hi in f.table.user_missing[x.index]) for x in subs)}
            if rating:
                kind, ranks = rating
                miss = [lab for lab in lab_codes if canon(lab) in _SCALE_MISSING or lab in user_missing]
                ranks = {k: v for k, v in ranks.items() if k not in miss}
                item["scale"] = self.scale_for(kind, ranks, lab_codes, miss, notes)
                return item, notes
            item["options"] = [{"code": int(v), "label": lab} for v, lab in sorted(vlab.items())]
            return item, notes
        if labels and all(dec._SCORE.match(u) for u in labels):
            item["scale"] = self.score_scale(sorted(int(dec._SCORE.match(u).group(1)) for u in labels), 0, item["text"], notes)
            return item, notes
        rating = _rating_scale(labels) if f.mode == "text" else None
        if rating:
            kind, ranks = rating
            miss = [lab for lab in labels if canon(lab) in _SCALE_MISSING]
            item["scale"] = self.scale_for(kind, ranks, codes, miss, notes)
            return item, notes
        if f.mode == "code" and ints:
            item["options"] = [{"code": int(u), "label": f"选项{int(u)}"} for u in sorted(set(ints), key=int)]
            notes.append("CHECK labels: codes only (no by-text twin); write the scale's wording")
            return item, notes
        item["options"], miss = self.options(labels, codes, notes, values)
        if miss:
            item["missing"] = miss
        notes.append("CHECK: the rows' answers are not a rating scale this tool knows; check the order of the options")
        return item, notes

    def draft_labelled(self, qu, item, f: _File, c: Column, seen: Counter, vlab: dict, notes):
        """SPSS: options (or a rating scale) from the value labels; user-missing codes as missing."""
        um = f.table.user_missing.get(c.index, ())
        is_um = lambda v: any(lo <= v <= hi for lo, hi in um)
        answers = {int(v): lab for v, lab in sorted(vlab.items()) if not is_um(v)}
        missing = {int(v): lab for v, lab in sorted(vlab.items()) if is_um(v)}
        lab_codes = {lab: v for v, lab in answers.items()}
        if lab_codes and all(dec._SCORE.match(lab) for lab in lab_codes):
            offsets = {v - int(dec._SCORE.match(lab).group(1)) for lab, v in lab_codes.items()}
            if len(offsets) == 1:
                item["type"] = "likert"
                item["scale"] = self.score_scale(sorted(int(dec._SCORE.match(lab).group(1)) for lab in lab_codes),
                                                 offsets.pop(), item.get("text", ""), notes)
                if missing:
                    item["missing"] = [{"code": v, "label": lab} for v, lab in missing.items()]
                return item, notes
        rating = _rating_scale(list(lab_codes))
        item_missing = [{"code": v, "label": lab} for v, lab in missing.items()]
        extra_missing = [lab for lab in lab_codes if canon(lab) in _SCALE_MISSING | _REFUSAL]
        item_missing += [{"code": lab_codes[lab], "label": lab} for lab in extra_missing]
        if rating:
            kind, ranks = rating
            ranks = {k: v for k, v in ranks.items() if k not in extra_missing}
            item["type"] = "likert"
            item["scale"] = self.scale_for(kind, ranks, lab_codes, [], notes)
        else:
            item["type"] = "single"
            item["options"] = [{"code": v, "label": lab} for v, lab in answers.items() if lab not in extra_missing]
            for o in item["options"]:
                if _OTHER.match(o["label"]):
                    o["other"] = True
        if item_missing:
            item["missing"] = item_missing
            notes.append("missing codes from the SPSS file (user-missing and no-answer labels): "
                         + ", ".join(f"{m['code']} {m['label']}" for m in item_missing))
        unlabelled = sorted({int(float(u)) for u in seen if re.match(r"^-?\d+(\.0+)?$", u)} - set(answers) - set(missing))
        unlabelled = [v for v in unlabelled if not is_um(v)]
        if unlabelled:
            notes.append(f"CHECK: codes without a value label in the file: {unlabelled}")
            for v in unlabelled:
                (item.setdefault("options", []) if "options" in item else item.setdefault("missing", [])).append(
                    {"code": v, "label": f"代码{v}"})
        return item, notes


def _commas_are_joins(labels: list[str]) -> bool:
    parts = Counter(p.strip() for u in labels for p in u.split(","))
    whole = set(labels)
    joined = [u for u in labels if "," in u]
    return bool(joined) and sum(1 for p in parts if p in whole) >= 0.5 * len(parts)


# ---- roles, constructs, quality ---------------------------------------------------------------------
def _roles(items: list[dict], notes: list[str]) -> tuple[dict, list[dict]]:
    roles: dict = {}
    groups = []
    for it in items:
        t, text = it["type"], it.get("text", "")
        if t == "single" and "community" not in roles and (_ROLE_STEMS["community"].search(text) or
                                                           sum(bool(re.search(r"(小区|社区|苑|园|里|村|花园|公寓)$", o["label"]))
                                                               for o in it.get("options", [])) >= max(2, 0.6 * len(it.get("options", [])))):
            roles["community"] = it["id"]
            continue
        if t == "likert" and "overall" not in roles and _ROLE_STEMS["overall"].search(text) and "满意" in text:
            roles["overall"] = it["id"]
            continue
        if t == "single" and "participated" not in roles and _ROLE_STEMS["participated"].search(text):
            yes = next((o["code"] for o in it.get("options", []) if re.match(r"^(是|有|参与过|参加过|参与了|参加了|参与|参加)", o["label"])), None)
            if yes is not None:
                roles["participated"] = it["id"]
                roles["participated_yes"] = yes
                continue
        if t == "multi" and "problems" not in roles and _ROLE_STEMS["problems"].search(text):
            roles["problems"] = it["id"]
            continue
        if t == "ranking" and "priorities" not in roles:
            roles["priorities"] = it["id"]
            continue
        if t == "numeric" and "weight" not in roles and re.search(r"权重|weight", text, re.I):
            roles["weight"] = it["id"]
            continue
        if t in ("single",) and _GROUP_STEM.search(text):
            groups.append(it["id"])
    if "community" in roles:  # communities are compared like any other group (the district reader's first question)
        groups.insert(0, roles["community"])
    if groups:
        roles["groups"] = groups
    constructs = []
    for it in items:
        if it["type"] == "matrix" and it.get("scale", "").startswith(("sat", "agree")):  # importance rates, not a construct
            cid = f"c_{it['id']}"
            constructs.append({"id": cid, "label": {"zh": _short(it.get("text", "") or it["id"])}})
            it["construct"] = cid
    # a plain table or SPSS file has no matrices: a run of 3+ rating items on one scale is one block
    run: list[dict] = []
    for it in items + [{"type": "end", "id": ""}]:
        fits = (it["type"] == "likert" and it["id"] != roles.get("overall") and
                it.get("scale", "").startswith(("sat", "agree")) and "construct" not in it)
        if fits and (not run or run[-1].get("scale") == it.get("scale")):
            run.append(it)
            continue
        if len(run) >= 3:
            cid = f"c_{run[0]['id']}"
            constructs.append({"id": cid, "label": {"zh": f"{_short(run[0].get('text', ''))}等{len(run)}项"}})
            for x in run:
                x["construct"] = cid
        run = [it] if fits else []
    if roles:
        notes.append("CHECK roles: guessed from the question texts and options; remove a wrong one, add a missing one")
    if constructs:
        notes.append("CHECK constructs: one per rating matrix, labelled by its question; split, merge or rename "
                     "them as your conceptual model says, and mark reverse-worded rows with reverse: true")
    return roles, constructs


def _short(text: str) -> str:
    """A construct label from its matrix stem: 请问您对小区以下基础设施改造后的状况是否满意 → 小区基础设施."""
    t = text.strip("：:？?，,。 ")
    lead = re.compile(r"^(请问|请您|请|评价|您是否同意|是否同意|您|对于|对|目前|现在|关于)")
    while lead.search(t):
        t = lead.sub("", t, count=1)
    t = re.sub(r"(以下|下列|如下)(各|几个)?(方面|项目|内容)?", "", t)
    while lead.search(t):
        t = lead.sub("", t, count=1)
    t = re.sub(r"(改造后|改造以后|目前|现在)?的?(状况|情况|表现|工作)?(是否|有多)?(满意|满意程度|满意度|评价|打分|的评价)$", "", t)
    t = re.sub(r"的?(说法|描述|看法)$", "", t).strip("：:？?，,的 ")
    return (t or "满意度")[:24]


def _quality(files: list[_File], items: list[dict]) -> tuple[dict, list[str]]:
    notes: list[str] = []
    q: dict = {}
    has_duration = any(c.meta == "duration_s" or (c.meta in ("started_at",) and any(x.meta == "submitted_at" for x in f.cols))
                       for f in files for c in f.cols)
    if has_duration:
        q["speeders"] = {"median_fraction": 0.33}
        notes.append("speeders: under a third of the median completion time (a common rule; give min_seconds if you "
                     "piloted the questionnaire and know the least plausible time)")
    if any(c.meta == "ip" for f in files for c in f.cols):
        q["duplicates"] = {"same_ip_window_minutes": 30, "same_ip_min_agreement": 0.9}
        notes.append("duplicate_ip: the same IP within 30 min AND ≥ 90% identical answers (mobile carriers put many "
                     "phones behind one IP, so an IP alone is not one person)")
    optional = sum(1 for it in items if it.get("required") is False)
    notes.append(f"completeness: every required item answered; {optional} item(s) drafted as required: false "
                 "(left blank by someone, or open text)")
    return q, notes


# ---- writing ------------------------------------------------------------------------------------
def _flow(obj) -> str:
    """One YAML flow value (quoted where YAML needs it: a label with a comma or colon stays a label)."""
    text = yaml.safe_dump([obj], allow_unicode=True, default_flow_style=True, sort_keys=False, width=10 ** 6).strip()
    return text[1:-1]


def _comment(lines: list[str], indent: str = "") -> str:
    return "".join(f"{indent}# {ln}\n" for ln in lines)


def render_questionnaire(d: Drafted, sources: list[str]) -> str:
    out = [
        "# Questionnaire definition drafted by `renewal init` from:",
        *[f"#   {s}" for s in sources],
        "# It reads these exports as they are. Before analysing, read every comment marked CHECK:",
        "# the drafter guessed those parts (docs/init.md says how; docs/questionnaire.md has every key).",
        *[f"# {n}" for n in d.header_notes],
    ]
    out.append("id: drafted")
    out.append(f"title: {_flow({'zh': d.title, 'en': ''})}  # CHECK: the survey's title (used in the report)")
    out.append("version: 1")
    if d.scales:
        out.append("scales:")
        for name, sc in d.scales.items():
            out.append(_comment(d.scale_notes.get(name, []), "  ").rstrip("\n"))
            out.append(f"  {_flow(name)}:")
            for k, v in sc.items():
                out.append(f"    {k}: {_flow(v)}")
    if d.constructs:
        out.append("constructs:")
        for c in d.constructs:
            out.append(f"  - {_flow(c)}")
    out.append("items:")
    for it, notes in zip(d.items, d.notes):
        head = [f"{it.get('q', '')} {it.get('text', '')}".strip() + f"  [{it['type']}]"] + notes
        out.append(_comment(head, "  ").rstrip("\n"))
        if it["type"] == "matrix":
            first = True
            for k, v in it.items():
                if k == "rows":
                    out.append("    rows:")
                    out.extend(f"      - {_flow(r)}" for r in v)
                else:
                    out.append(f"  {'- ' if first else '  '}{k}: {_flow(v)}")
                first = False
        else:
            out.append(f"  - {_flow(it)}")
    if d.roles:
        out.append(_comment(d.role_notes).rstrip("\n"))
        out.append(f"roles: {_flow(d.roles)}")
    out.append(_comment(d.quality_notes).rstrip("\n"))
    out.append(f"quality: {_flow(d.quality)}" if d.quality else "quality: {}")
    return "\n".join(x for x in out if x != "") + "\n"


def render_study(name: str, questionnaire: str, files: list[str], twins: list[str], fmt: str) -> str:
    lines = [
        "# Study file drafted by `renewal init`. Run: renewal run --study <this file>  (or make all STUDY=<this file>)",
        f"name: {_flow(name)}",
        f"questionnaire: {_flow(questionnaire)}",
        "survey:",
        f"  files: {_flow(files)}",
        f"  format: {fmt}",
    ]
    if twins:
        lines.insert(5, "  # the same respondents exported again (by code / by text); used to draft the codes, not read twice:")
        lines.insert(6, "  #   " + ", ".join(twins))
    lines += [
        "  # population: households.csv   # community, households: turns on survey weights (docs/study.md)",
        "seed: 20240501",
        "# interviews:                     # add transcripts for a mixed-methods study (docs/interviews.md)",
        "#   dir: transcripts/",
        "#   roster: transcripts/informants.csv",
    ]
    return "\n".join(lines) + "\n"


# ---- the command ---------------------------------------------------------------------------------------
def _title(files: list[_File]) -> str:
    for f in files:
        m = re.match(r"^\d+_(?:按文本|按序号|按分数)_(.+?)_\d+_\d+$", f.path.stem)
        if m:
            return m.group(1)
    return "问卷调查"


def _twins(files: list[_File]) -> list[int]:
    """Indices of files that repeat the respondents of an earlier file (a by-code twin)."""
    out = []
    for i, f in enumerate(files):
        for j in range(i):
            g = files[j]
            if f.family == g.family and f.mode != g.mode and f.table.n_rows == g.table.n_rows and (
                    f.ids is None or g.ids is None or f.ids == g.ids):
                out.append(i)
                break
    return out


def draft(paths: list[Path], fmt: str = "auto") -> tuple[Drafted, list[_File], list[int]]:
    files = [_open(Path(p), fmt) for p in paths]
    # the by-text export leads (its labels), its by-code twin gives the codes
    twins = _twins(files)
    qs = _questions(files)
    dr = _Drafter(files)
    d = Drafted(title=_title(files))
    for qu in qs:
        got = dr.draft(qu)
        if got is None:
            continue
        item, notes = got
        d.items.append(item)
        d.notes.append(notes)
    if not d.items:
        raise InputError("found no question columns in the export(s)", file=paths[0],
                         hint="is this a questionnaire export? see docs/init.md for the layouts understood")
    d.scales, d.scale_notes = dr.scales, dr.scale_notes
    d.roles, d.constructs = _roles(d.items, d.role_notes)
    d.quality, d.quality_notes = _quality(files, d.items)
    d.header_notes = [f"{len(d.items)} items from {len(qs)} question(s); "
                      f"{sum(1 for n in d.notes if any('CHECK' in x for x in n))} item(s) with a CHECK note"]
    return d, files, twins


def run_init(paths: list[str], out: str, fmt: str = "auto", name: str | None = None, force: bool = False) -> dict:
    """Write ``out/questionnaire.yaml`` and ``out/study.yaml``; return a summary."""
    out_dir = Path(out)
    targets = [out_dir / "questionnaire.yaml", out_dir / "study.yaml"]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise InputError("already exists; init never overwrites a definition you may have edited", file=existing[0],
                         hint="choose another --out folder, or add --force to replace it")
    src = [Path(p) for p in paths]
    d, files, twins = draft(src, fmt)
    out_dir.mkdir(parents=True, exist_ok=True)
    rel = [_relative(p, out_dir) for p in src]
    labels = [f.label for f in files]
    targets[0].write_text(render_questionnaire(d, labels), encoding="utf-8")
    lead = [rel[i] for i in range(len(src)) if i not in twins]
    name = name or re.sub(r"[^\w\u4e00-\u9fff-]", "_", out_dir.resolve().name) or "study"
    targets[1].write_text(render_study(name, "questionnaire.yaml", lead, [rel[i] for i in twins], fmt), encoding="utf-8")
    return {"questionnaire": str(targets[0]), "study": str(targets[1]), "items": len(d.items),
            "checks": sum(1 for n in d.notes if any("CHECK" in x for x in n)), "files": labels,
            "twins": [rel[i] for i in twins]}


def _relative(p: Path, base: Path) -> str:
    import os

    try:
        return Path(os.path.relpath(p.resolve(), base.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return p.resolve().as_posix()


__all__ = ["draft", "run_init", "render_questionnaire", "norm"]
