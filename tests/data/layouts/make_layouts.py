"""Generate questionnaire-platform export fixtures for one invented survey.

Survey: 老旧小区加装电梯居民意见调查 (14 questions), 40 invented respondents.
Every file in this folder except this script is written by it; run

    /work/main/.venv/bin/python tests/data/layouts/make_layouts.py

from the repository root (or anywhere: paths are relative to this file).
Deterministic: a fixed seed, no clock, no network.  All people, phone numbers,
IP addresses, nicknames and ids are invented.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import string
from pathlib import Path

import pandas as pd
import pyreadstat
from openpyxl import Workbook

SEED = 20240517
OUT = Path(__file__).resolve().parent
N = 40

# ---------------------------------------------------------------------------
# Questionnaire definition
# ---------------------------------------------------------------------------
Q = {
    1: "您的性别",
    2: "您的年龄段",
    3: "您所在的小区",
    4: "您家住在第几层？",
    5: "您的家庭月收入",
    6: "您家里是否有以下困难？",
    7: "您对目前以下方面的满意程度",
    8: "您向邻居推荐加装电梯的可能性有多大？",
    9: "如果加装电梯，您是否愿意出资？",
    10: "您愿意承担的金额是多少？",
    11: "请对以下顾虑按严重程度排序",
    12: "您对加装电梯工作有什么意见和建议？",
    13: "您对目前加装电梯工作的总体满意度",
    14: "您的住房性质",
}
GENDER = ["男", "女"]
AGE = ["18-29岁", "30-44岁", "45-59岁", "60-69岁", "70岁及以上"]
COMMUNITY = ["梧桐里小区", "新华一村", "红星苑", "民乐新村"]
INCOME = ["5000元以下", "5000-9999元", "10000-19999元", "20000元及以上", "不愿透露"]
INCOME_REFUSAL = 5
# Q6 options in display order (key, label).  'none' is exclusive.
DIFF = [
    ("old", "家中有行动不便的老人"),
    ("baby", "家中有婴幼儿需推婴儿车"),
    ("heavy", "经常需要搬运重物上下楼"),
    ("other", "其他(请注明)"),
    ("none", "以上都没有"),
]
DIFF_LABEL = dict(DIFF)
DIFF_KEYS = [k for k, _ in DIFF]
# Qualtrics choice ids: "其他" was added after "以上都没有" and dragged above it.
QX_DIFF_ID = {"old": 1, "baby": 2, "heavy": 3, "none": 4, "other": 5}
MATRIX_ROWS = ["出行便利", "楼道环境", "采光通风", "邻里关系", "物业服务"]
MATRIX_COLS = ["非常不满意", "不满意", "一般", "满意", "非常满意", "不清楚"]
DONT_KNOW = 6  # position of 不清楚 in MATRIX_COLS (1-based)
NPS_LABELS = [f"{i}分" for i in range(11)]
WILLING = ["愿意", "不愿意", "看情况"]
UNWILLING = 2
AMOUNT = ["1万元以下", "1万-2万元", "2万-3万元", "3万元以上"]
CONCERNS = ["费用分摊", "噪音", "采光", "施工周期"]
OVERALL = ["非常不满意", "不满意", "一般", "满意", "非常满意"]
HOUSING = ["自有产权房", "公房租赁", "租住私房"]

# ---------------------------------------------------------------------------
# Respondents
# ---------------------------------------------------------------------------
SPEEDERS = (8, 23)
STRAIGHT = 14
SHARED_IP = (11, 29)
DUP_OF = (17, 18)  # 18 is an exact re-submission of 17
EXCLUSIVE_BREAK = 26
REFUSERS = (2, 9, 21, 33)
DONT_KNOW_CELLS = {2: [5], 12: [3], 30: [4, 5]}  # respondent -> matrix rows (1-based)
PARTIAL_RANKERS = {2: 2, 12: 3, 27: 2}  # respondent -> number of concerns ranked
OTHER_TEXT = {3: "家里有人腿脚刚做过手术", 15: "本人有心脏病，爬楼喘", 31: "快递外卖都送不上楼"}

FIXED_COMMENTS = {
    1: "希望政府多补贴一些，老人爬楼太难了",
    5: "尽快装吧",
    6: "我是3号楼的王秀英，家里老伴腿不好，有进展请联系我，电话13812345678",
    10: "费用怎么分，要公开透明, 低层住户的补偿也要说清楚",
    13: "一楼采光本来就差，装了电梯更暗，不同意",
    16: "希望物业牵头",
    19: "联系人：陈建华 159 0000 1234，我们单元已经有8户签字同意",
    22: "无",
    24: "电梯要装就装好一点的\n别用便宜货，后期维保谁负责要先讲好",
    28: "同意加装",
    30: "不了解具体政策，希望居委会开个说明会",
    35: "有问题打我电话18600005678，姓刘",
    37: "施工期间注意噪音，家里有高考生",
    39: "没意见",
}
GENERIC_COMMENTS = [
    "支持加装电梯",
    "希望早日开工",
    "补贴政策要宣传到位",
    "低层住户的意见也要尊重",
    "施工时间不要太长",
    "费用分摊方案要合理",
]

NICKS = [
    "阳光大叔", "平安是福", "老张", "静待花开", "知足常乐", "小雨", "木子", "开心就好",
    "海阔天空", "A梧桐里-3号楼", "晴天", "随缘", "家和万事兴", "淡定", "Lily", "小王同学",
    "岁月静好", "明天会更好", "荷塘月色", "陈师傅", "一帆风顺", "微笑", "春暖花开", "老李",
    "心安", "Tommy", "花开富贵", "小鱼儿", "向日葵", "稻香", "云淡风轻", "大海",
    "好运连连", "金秋", "清风", "王阿姨", "石头", "橙子", "暖暖", "笑口常开",
]


def _ip(rng: random.Random) -> str:
    prefix = rng.choice(["101.88", "180.169", "116.236", "58.247", "222.66", "114.85", "223.104", "183.192"])
    return f"{prefix}.{rng.randint(1, 254)}.{rng.randint(1, 254)}"


def make_respondents() -> list[dict]:
    rng = random.Random(SEED)
    # Submission times: 40 sorted instants in the field period, >= 4 min apart.
    start = dt.datetime(2024, 5, 13, 8, 0, 0)
    while True:
        offs = sorted(rng.randint(0, 7) * 86400 + rng.randint(0, 14 * 3600 + 1800) for _ in range(N))
        if all(b - a >= 240 for a, b in zip(offs, offs[1:])):
            break
    used_ips: set[str] = set()
    people = []
    for i in range(1, N + 1):
        r: dict = {"id": i}
        r["submit"] = start + dt.timedelta(seconds=offs[i - 1])
        r["duration"] = int(min(900, max(75, rng.lognormvariate(5.3, 0.45))))
        ip = _ip(rng)
        while ip in used_ips:
            ip = _ip(rng)
        used_ips.add(ip)
        r["ip"] = ip
        r["region"] = rng.choices([("上海", "上海"), ("江苏", "苏州"), ("浙江", "杭州")], [34, 3, 3])[0]
        mobile = rng.random() < 0.85
        r["source"] = "手机提交" if mobile else "链接"
        r["source_detail"] = ("微信" if rng.random() < 0.8 else "直接访问") if mobile else "直接访问"
        r["mobile"] = mobile
        r["gender"] = rng.choice([1, 2])
        r["age"] = rng.choices([1, 2, 3, 4, 5], [2, 5, 9, 14, 10])[0]
        r["community"] = rng.randint(1, 4)
        r["floor"] = rng.randint(1, 7)
        r["floor_text"] = rng.choice(["{}", "{}", "{}楼", "{}层", "{}楼"]).format(r["floor"])
        r["income"] = rng.choices([1, 2, 3, 4], [3, 5, 3, 1])[0]
        # difficulties (never empty: required question)
        d = [k for k, p in (("old", 0.5), ("baby", 0.15), ("heavy", 0.35)) if rng.random() < p]
        r["diff"] = d if d else ["none"]
        r["diff_other"] = ""
        # matrix: around 3, no straight lines
        while True:
            m = [min(5, max(1, round(rng.gauss(2.8 if k < 3 else 3.4, 1.0)))) for k in range(5)]
            if len(set(m)) > 1:
                break
        r["matrix"] = m
        # willingness depends on floor
        if r["floor"] <= 2:
            r["willing"] = rng.choices([1, 2, 3], [1, 6, 3])[0]
        elif r["floor"] >= 5:
            r["willing"] = rng.choices([1, 2, 3], [7, 1, 2])[0]
        else:
            r["willing"] = rng.choices([1, 2, 3], [4, 2, 4])[0]
        base = {1: 8.5, 2: 3.0, 3: 6.0}[r["willing"]]
        r["nps"] = int(min(10, max(0, round(rng.gauss(base, 1.4)))))
        if r["willing"] == UNWILLING:
            r["amount"] = None
        else:
            hi = min(4, max(1, r["floor"] - 2))
            r["amount"] = rng.randint(1, hi)
        conc = CONCERNS[:]
        rng.shuffle(conc)
        if r["floor"] <= 2 and "采光" in conc:  # ground floors worry about light first
            conc.remove("采光")
            conc.insert(0, "采光")
        r["rank"] = conc
        r["comment"] = rng.choice(GENERIC_COMMENTS) if rng.random() < 0.35 else ""
        r["overall"] = min(5, max(1, round(rng.gauss(3.2, 0.9))))
        r["housing"] = rng.choices([1, 2, 3], [7, 3, 1])[0]
        r["nick"] = NICKS[i - 1]
        r["openid"] = "o" + "".join(rng.choice(string.ascii_letters + string.digits + "-_") for _ in range(27))
        r["qx_id"] = "R_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(15))
        r["lat"] = round(31.2304 + rng.uniform(-0.08, 0.08), 4)
        r["lon"] = round(121.4737 + rng.uniform(-0.08, 0.08), 4)
        r["ua_kind"] = rng.randint(0, 3) if mobile else 4
        people.append(r)

    P = {r["id"]: r for r in people}

    # ---- respondents 1-3: hand-written so the README can state them ----
    P[1].update(gender=2, age=4, community=1, floor=6, floor_text="6楼", income=2,
                diff=["old", "heavy"], diff_other="", matrix=[2, 1, 3, 4, 3], nps=9,
                willing=1, amount=2, rank=["费用分摊", "施工周期", "噪音", "采光"],
                comment=FIXED_COMMENTS[1], overall=4, housing=1, duration=312,
                ip="183.192.16.69", region=("上海", "上海"), source="手机提交", source_detail="微信", mobile=True)
    P[2].update(gender=1, age=3, community=2, floor=1, floor_text="1", income=INCOME_REFUSAL,
                diff=["none"], diff_other="", matrix=[4, 4, 2, 5, DONT_KNOW], nps=2,
                willing=UNWILLING, amount=None, rank=["采光", "噪音"],
                comment="", overall=2, housing=1, duration=187,
                source="手机提交", source_detail="直接访问", mobile=True)
    P[3].update(gender=2, age=2, community=3, floor=5, floor_text="5层", income=3,
                diff=["baby", "other"], diff_other=OTHER_TEXT[3], matrix=[2, 2, 3, 4, 2], nps=7,
                willing=3, amount=1, rank=["费用分摊", "噪音", "施工周期", "采光"],
                comment="", overall=3, housing=1, duration=245,
                source="链接", source_detail="直接访问", mobile=False)
    P[3]["ua_kind"] = 4

    # ---- planted cases ----
    P[8].update(duration=41, matrix=[3, 4, 3, 4, 5], nps=5, comment="")
    P[23].update(duration=55, matrix=[1, 2, 1, 3, 2], comment="")
    P[STRAIGHT].update(matrix=[3, 3, 3, 3, 3], duration=164, nps=5, overall=3)
    shared = "117.136.8.42"
    for rid in SHARED_IP:
        P[rid]["ip"] = shared
        P[rid]["region"] = ("上海", "上海")
        P[rid]["source"], P[rid]["source_detail"], P[rid]["mobile"] = "手机提交", "微信", True
        P[rid]["ua_kind"] = 0 if rid == SHARED_IP[0] else 2
    P[SHARED_IP[0]].update(gender=1, age=4, community=4, floor=6, floor_text="6", willing=1, amount=3,
                           nps=10, matrix=[1, 2, 3, 4, 4], overall=4)
    P[SHARED_IP[1]].update(gender=2, age=2, community=2, floor=2, floor_text="2楼", willing=UNWILLING,
                           amount=None, nps=3, matrix=[4, 3, 4, 4, 3], overall=2)
    P[EXCLUSIVE_BREAK].update(diff=["old", "none"], diff_other="")
    for rid in REFUSERS:
        P[rid]["income"] = INCOME_REFUSAL
    for rid, rows in DONT_KNOW_CELLS.items():
        for row in rows:
            P[rid]["matrix"][row - 1] = DONT_KNOW
    for rid, k in PARTIAL_RANKERS.items():
        P[rid]["rank"] = P[rid]["rank"][:k]
    for rid, text in OTHER_TEXT.items():
        if "other" not in P[rid]["diff"]:
            d = [x for x in P[rid]["diff"] if x != "none"] + ["other"]
            P[rid]["diff"] = [k for k in DIFF_KEYS if k in d]
        P[rid]["diff_other"] = text
    for rid, text in FIXED_COMMENTS.items():
        P[rid]["comment"] = text
    P[13].update(floor=1, floor_text="1楼", willing=UNWILLING, amount=None, nps=1, overall=1)
    P[30]["comment"] = FIXED_COMMENTS[30]

    # ---- consistency: skip logic, ranking order, exclusivity ----
    for r in people:
        if r["willing"] == UNWILLING:
            r["amount"] = None
        elif r["amount"] is None:
            r["amount"] = 1
        r["diff"] = [k for k in DIFF_KEYS if k in r["diff"]]
        if r["id"] != EXCLUSIVE_BREAK and "none" in r["diff"] and len(r["diff"]) > 1:
            r["diff"].remove("none")
        if "other" not in r["diff"]:
            r["diff_other"] = ""

    # ---- exact duplicate: 18 re-submits 17 three seconds later ----
    a, b = (P[x] for x in DUP_OF)
    keep = {k: b[k] for k in ("id", "nick", "openid", "qx_id")}
    b.clear()
    b.update(json.loads(json.dumps(a, default=str)))
    b.update(keep)
    b["submit"] = a["submit"] + dt.timedelta(seconds=3)
    b["duration"] = a["duration"] + 3
    b["diff"] = list(a["diff"])
    b["matrix"] = list(a["matrix"])
    b["rank"] = list(a["rank"])
    b["region"] = tuple(a["region"])
    b["nick"], b["openid"] = a["nick"], a["openid"]  # same WeChat user

    # make sure nobody else is a speeder or a straight-liner
    for r in people:
        if r["id"] not in SPEEDERS:
            assert r["duration"] >= 60, r["id"]
        if r["id"] != STRAIGHT:
            vals = [v for v in r["matrix"] if v != DONT_KNOW]
            assert len(set(vals)) > 1, r["id"]
    ips = [r["ip"] for r in people]
    for ip in set(ips):
        holders = [r["id"] for r in people if r["ip"] == ip]
        assert len(holders) == 1 or tuple(holders) in (SHARED_IP, DUP_OF), holders
    return people


UAS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.48(0x18003030) NetType/WIFI Language/zh_CN",
    "Mozilla/5.0 (Linux; Android 13; V2241A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/111.0.5563.116 Mobile Safari/537.36 XWEB/1110005 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64",
    "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00; HMSCore 6.13.0.302) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.5.302 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
]


def started(r: dict) -> dt.datetime:
    return r["submit"] - dt.timedelta(seconds=r["duration"])


def nps_group(v: int) -> str:
    return "Promoter" if v >= 9 else ("Passive" if v >= 7 else "Detractor")


def nps_group_code(v: int) -> int:
    return 3 if v >= 9 else (2 if v >= 7 else 1)


# ---------------------------------------------------------------------------
# 问卷星 (WJX)
# ---------------------------------------------------------------------------
WJX_HEAD = {
    1: "1、您的性别 ",
    2: "2、您的年龄段(单选题 *必答)",
    3: "3、您所在的小区",
    4: "4、您家住在第几层？(填空题 *必答)",
    5: "5、您的家庭月收入 ",
    6: "6、您家里是否有以下困难？(多选题 *必答)",
    7: "7、您对目前以下方面的满意程度(矩阵单选题 *必答)",
    8: "8、您向邻居推荐加装电梯的可能性有多大？",
    9: "9、如果加装电梯，您是否愿意出资？ ",
    10: "10、您愿意承担的金额是多少？",
    11: "11、请对以下顾虑按严重程度排序(排序题 *必答)",
    12: "12、您对加装电梯工作有什么意见和建议？",
    13: "13、您对目前加装电梯工作的总体满意度 ",
    14: "14、您的住房性质",
}
WJX_META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]


def wjx_time(t: dt.datetime) -> str:
    return f"{t.year}/{t.month}/{t.day} {t:%H:%M:%S}"


def wjx_meta(r: dict) -> list:
    prov, city = r["region"]
    return [r["id"], wjx_time(r["submit"]), f"{r['duration']}秒", r["source"], r["source_detail"],
            f"{r['ip']}({prov}-{city})"]


def write_xlsx(path: Path, header: list, rows: list[list]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.properties.created = wb.properties.modified = FIXED_STAMP
    buf = io.BytesIO()
    wb.save(buf)
    _freeze_zip(buf.getvalue(), path)


FIXED_STAMP = dt.datetime(2024, 5, 21, 9, 0, 0)


def _freeze_zip(data: bytes, path: Path) -> None:
    """Rewrite an xlsx with fixed member times and document dates, so reruns give identical bytes."""
    import re
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-05-21T09:00:00Z", body)
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 5, 21, 9, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, body)
    path.write_bytes(out.getvalue())


def write_wjx(people: list[dict]) -> None:
    # --- by text ---
    head = WJX_META + [WJX_HEAD[i] for i in range(1, 7)]
    head += [WJX_HEAD[7] + "—" + MATRIX_ROWS[0]] + MATRIX_ROWS[1:]
    head += [WJX_HEAD[i] for i in range(8, 15)]
    rows = []
    for r in people:
        diff = []
        for k in r["diff"]:
            diff.append(DIFF_LABEL[k] + (f"〖{r['diff_other']}〗" if k == "other" else ""))
        row = wjx_meta(r) + [
            GENDER[r["gender"] - 1], AGE[r["age"] - 1], COMMUNITY[r["community"] - 1], r["floor_text"],
            INCOME[r["income"] - 1], "┋".join(diff),
        ]
        row += [MATRIX_COLS[v - 1] for v in r["matrix"]]
        row += [
            NPS_LABELS[r["nps"]], WILLING[r["willing"] - 1],
            "(跳过)" if r["amount"] is None else AMOUNT[r["amount"] - 1],
            "→".join(r["rank"]), r["comment"] or "(空)", OVERALL[r["overall"] - 1], HOUSING[r["housing"] - 1],
        ]
        rows.append(row)
    write_xlsx(OUT / "wjx_text.xlsx", head, rows)

    # --- by code ---
    head = WJX_META + [WJX_HEAD[i] for i in range(1, 6)]
    head += [f"第6题({lab})" for _, lab in DIFF] + ["6、(其他(请注明):)"]
    head += [WJX_HEAD[7] + "—" + MATRIX_ROWS[0]] + MATRIX_ROWS[1:]
    head += [WJX_HEAD[i] for i in (8, 9, 10)]
    head += [f"第11题({c})" for c in CONCERNS]
    head += [WJX_HEAD[i] for i in (12, 13, 14)]
    rows = []
    for r in people:
        row = wjx_meta(r) + [r["gender"], r["age"], r["community"], r["floor_text"], r["income"]]
        row += [1 if k in r["diff"] else 0 for k in DIFF_KEYS]
        row += [r["diff_other"] if "other" in r["diff"] else "(空)"]
        row += list(r["matrix"])
        row += [r["nps"] + 1, r["willing"], -3 if r["amount"] is None else r["amount"]]
        row += [r["rank"].index(c) + 1 if c in r["rank"] else -2 for c in CONCERNS]
        row += [r["comment"] or "(空)", r["overall"], r["housing"]]
        rows.append(row)
    write_xlsx(OUT / "wjx_code.xlsx", head, rows)


# ---------------------------------------------------------------------------
# 腾讯问卷 (Tencent Survey)
# ---------------------------------------------------------------------------
TX_META = ["编号", "开始答题时间", "结束答题时间", "答题时长", "地理位置国家和地区", "地理位置省", "地理位置市",
           "自定义字段", "用户类型", "用户标识", "昵称", "IP", "UA", "Referrer"]


def tx_time(t: dt.datetime) -> str:
    return t.strftime("%d-%b-%Y %H:%M:%S")  # C locale month abbreviations


def write_tencent(people: list[dict]) -> None:
    h = {i: f"{i}.{Q[i]}" for i in Q}
    head = TX_META + [h[i] for i in range(1, 6)]
    for k, lab in DIFF:
        head.append(f"{h[6]}:{lab}")
        if k == "other":
            head.append(f"{h[6]}:{lab}_填空1")
    head += [f"{h[7]}:{row}" for row in MATRIX_ROWS]
    head += [h[8], h[9], h[10]]
    head += [f"{h[11]}:{c}" for c in CONCERNS]
    head += [h[12], h[13], h[14]]
    lines = []
    for r in people:
        prov, city = r["region"]
        row = [r["id"], tx_time(started(r)), tx_time(r["submit"]), r["duration"], "中国", prov, city, "",
               "微信" if r["source_detail"] == "微信" else "匿名用户",
               r["openid"] if r["source_detail"] == "微信" else "",
               r["nick"] if r["source_detail"] == "微信" else "",
               r["ip"], UAS[r["ua_kind"]],
               "https://wj.qq.com/s2/14820357/5c1e/" if r["source_detail"] != "微信" else ""]
        row += [GENDER[r["gender"] - 1], AGE[r["age"] - 1], COMMUNITY[r["community"] - 1], r["floor_text"],
                INCOME[r["income"] - 1]]
        for k, lab in DIFF:
            row.append(lab if k in r["diff"] else "")
            if k == "other":
                row.append(r["diff_other"])
        row += [MATRIX_COLS[v - 1] for v in r["matrix"]]
        row += [r["nps"], WILLING[r["willing"] - 1], "" if r["amount"] is None else AMOUNT[r["amount"] - 1]]
        row += [r["rank"].index(c) + 1 if c in r["rank"] else "" for c in CONCERNS]
        row += [r["comment"], OVERALL[r["overall"] - 1], HOUSING[r["housing"] - 1]]
        lines.append(row)

    def fmt(cells):  # every cell quoted, trailing comma, as the platform writes it
        return ",".join('"' + str(c).replace('"', '""') + '"' for c in cells) + ",\n"

    text = fmt(head) + "".join(fmt(row) for row in lines)
    (OUT / "tencent.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))


# ---------------------------------------------------------------------------
# Qualtrics
# ---------------------------------------------------------------------------
QX_QID = {1: "QID1", 2: "QID2", 3: "QID3", 4: "QID17", 5: "QID4", 6: "QID5", 7: "QID6", 8: "QID7",
          9: "QID8", 10: "QID9", 11: "QID10", 12: "QID11", 13: "QID12", 14: "QID18"}
QX_DIFF_ORDER = ["old", "baby", "heavy", "other", "none"]  # display order


def qx_columns(style: str) -> list[tuple[str, str, str]]:
    """(export name, question-text row, import-id row) for the question columns.

    style: 'current' (JSON ImportId, ' - ' joiner), '2016' (python-dict ImportId, '-' joiner),
    'legacy' (no third row, '-' joiner).
    """
    if style == "current":
        def imp(qid, **extra):
            return json.dumps({"ImportId": qid, **extra}, ensure_ascii=False, separators=(",", ":"))
        sep, sel, txt = " - ", " - Selected Choice", " - Text"
    else:
        def imp(qid, **extra):
            d = {"ImportId": qid, **extra}
            return "{" + ", ".join(f"'{k}': '{v}'" for k, v in d.items()) + "}"
        sep, sel, txt = "-", "", "-TEXT"
    cols = []
    for i in range(1, 15):
        qid = QX_QID[i]
        if i in (4, 12):
            cols.append((f"Q{i}", Q[i], imp(f"{qid}_TEXT")))
        elif i == 6:
            for k in QX_DIFF_ORDER:
                c = QX_DIFF_ID[k]
                if style == "current":
                    cols.append((f"Q6_{c}", f"{Q[6]}{sel}{sep}{DIFF_LABEL[k]}", imp(qid, choiceId=str(c))))
                else:
                    cols.append((f"Q6_{c}", f"{Q[6]}{sep}{DIFF_LABEL[k]}", imp(f"{qid}_{c}")))
                if k == "other":
                    cols.append((f"Q6_{c}_TEXT", f"{Q[6]}{sep}{DIFF_LABEL[k]}{txt}", imp(f"{qid}_{c}_TEXT")))
        elif i == 7:
            for j, row in enumerate(MATRIX_ROWS, 1):
                cols.append((f"Q7_{j}", f"{Q[7]}{sep}{row}", imp(f"{qid}_{j}")))
        elif i == 8:
            cols.append(("Q8", Q[8], imp(qid)))
            cols.append(("Q8_NPS_GROUP", f"{Q[8]}{sep}Group", imp(f"{qid}_NPS_GROUP")))
        elif i == 11:
            for j, c in enumerate(CONCERNS, 1):
                cols.append((f"Q11_{j}", f"{Q[11]}{sep}{c}", imp(f"{qid}_{j}")))
        else:
            cols.append((f"Q{i}", Q[i], imp(qid)))
    return cols


def qx_answers(r: dict, numeric: bool, partial_upto: int | None = None) -> list:
    """Answer cells in qx_columns order.  numeric=True gives recode values (legacy default)."""
    out = []

    def lab(options, v):
        return v if numeric else options[v - 1]

    for i in range(1, 15):
        if partial_upto is not None and i > partial_upto:
            n = {6: 6, 7: 5, 8: 2, 11: 4}.get(i, 1)
            out += [""] * n
            continue
        if i == 1:
            out.append(lab(GENDER, r["gender"]))
        elif i == 2:
            out.append(lab(AGE, r["age"]))
        elif i == 3:
            out.append(lab(COMMUNITY, r["community"]))
        elif i == 4:
            out.append(r["floor_text"])
        elif i == 5:
            out.append(lab(INCOME, r["income"]))
        elif i == 6:
            for k in QX_DIFF_ORDER:
                chosen = k in r["diff"]
                out.append((1 if numeric else DIFF_LABEL[k]) if chosen else "")
                if k == "other":
                    out.append(r["diff_other"] if chosen else "")
        elif i == 7:
            out += [lab(MATRIX_COLS, v) for v in r["matrix"]]
        elif i == 8:
            out.append(r["nps"])
            out.append(nps_group_code(r["nps"]) if numeric else nps_group(r["nps"]))
        elif i == 9:
            out.append(lab(WILLING, r["willing"]))
        elif i == 10:
            out.append("" if r["amount"] is None else lab(AMOUNT, r["amount"]))
        elif i == 11:
            out += [r["rank"].index(c) + 1 if c in r["rank"] else "" for c in CONCERNS]
        elif i == 12:
            out.append(r["comment"])
        elif i == 13:
            out.append(lab(OVERALL, r["overall"]))
        elif i == 14:
            out.append(lab(HOUSING, r["housing"]))
    return out


def qx_time(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def extra_qualtrics_rows(people: list[dict]) -> tuple[list[dict], dict]:
    """Two preview rows (made by the researcher before launch) and one partial response."""
    rng = random.Random(SEED + 1)
    previews = []
    for n, (when, dur) in enumerate([(dt.datetime(2024, 5, 12, 16, 3, 11), 64), (dt.datetime(2024, 5, 12, 16, 9, 40), 51)]):
        p = json.loads(json.dumps(people[4 + n], default=str))
        p.update(id=f"preview{n + 1}", submit=when, duration=dur, ip="",
                 qx_id="R_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(15)),
                 lat=31.2989, lon=121.5015, comment="测试" if n == 0 else "", region=("上海", "上海"))
        p["diff"], p["matrix"], p["rank"] = list(people[4 + n]["diff"]), [3, 4, 2, 4, 3], list(CONCERNS)
        previews.append(p)
    partial = json.loads(json.dumps(people[19], default=str))
    partial.update(id="partial", submit=dt.datetime(2024, 5, 16, 21, 47, 5), duration=118,
                   ip="223.104.5.77", gender=2, age=5, community=4, floor=4, floor_text="4",
                   income=1, diff=["old"], diff_other="", lat=31.2611, lon=121.4358,
                   qx_id="R_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(15)))
    partial["matrix"], partial["rank"] = list(people[19]["matrix"]), list(people[19]["rank"])
    return previews, partial


def write_qualtrics(people: list[dict]) -> None:
    previews, partial = extra_qualtrics_rows(people)

    # ---------------- current (3 header rows) ----------------
    meta = [
        ("StartDate", "Start Date", {"ImportId": "startDate", "timeZone": "Asia/Shanghai"}),
        ("EndDate", "End Date", {"ImportId": "endDate", "timeZone": "Asia/Shanghai"}),
        ("Status", "Response Type", {"ImportId": "status"}),
        ("IPAddress", "IP Address", {"ImportId": "ipAddress"}),
        ("Progress", "Progress", {"ImportId": "progress"}),
        ("Duration (in seconds)", "Duration (in seconds)", {"ImportId": "duration"}),
        ("Finished", "Finished", {"ImportId": "finished"}),
        ("RecordedDate", "Recorded Date", {"ImportId": "recordedDate", "timeZone": "Asia/Shanghai"}),
        ("ResponseId", "Response ID", {"ImportId": "_recordId"}),
        ("RecipientLastName", "Recipient Last Name", {"ImportId": "recipientLastName"}),
        ("RecipientFirstName", "Recipient First Name", {"ImportId": "recipientFirstName"}),
        ("RecipientEmail", "Recipient Email", {"ImportId": "recipientEmail"}),
        ("ExternalReference", "External Data Reference", {"ImportId": "externalDataReference"}),
        ("LocationLatitude", "Location Latitude", {"ImportId": "locationLatitude"}),
        ("LocationLongitude", "Location Longitude", {"ImportId": "locationLongitude"}),
        ("DistributionChannel", "Distribution Channel", {"ImportId": "distributionChannel"}),
        ("UserLanguage", "User Language", {"ImportId": "userLanguage"}),
    ]
    qcols = qx_columns("current")
    rows = [
        [m[0] for m in meta] + [c[0] for c in qcols],
        [m[1] for m in meta] + [c[1] for c in qcols],
        [json.dumps(m[2], separators=(",", ":")) for m in meta] + [c[2] for c in qcols],
    ]

    def cur_row(r, status="IP Address", progress=100, finished="True", channel="anonymous", recorded=None,
                partial_upto=None):
        end = r["submit"]
        return [qx_time(started(r)), qx_time(end), status, r["ip"], progress, r["duration"], finished,
                qx_time(recorded or end), r["qx_id"], "", "", "", "", f"{r['lat']:.4f}", f"{r['lon']:.4f}",
                channel, "ZH-S"] + qx_answers(r, numeric=False, partial_upto=partial_upto)

    for p in previews:
        rows.append(cur_row(p, status="Survey Preview", channel="preview"))
    for r in people:
        rows.append(cur_row(r))
    # partial: started 16 May, abandoned after Q5, closed and recorded a week later
    rows.append(cur_row(partial, progress=40, finished="False",
                        recorded=dt.datetime(2024, 5, 23, 21, 47, 12), partial_upto=5))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    (OUT / "qualtrics_current.csv").write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))

    # ---------------- 2016 "Insights" (3 rows, python-dict ImportId) ----------------
    meta16 = [("ResponseID", "responseId"), ("ResponseSet", "responseSetId"), ("IPAddress", "ipAddress"),
              ("StartDate", "startDate"), ("EndDate", "endDate"),
              ("RecipientLastName", "panel-RecipientLastName"), ("RecipientFirstName", "panel-RecipientFirstName"),
              ("RecipientEmail", "panel-RecipientEmail"), ("ExternalDataReference", "panel-ExternalDataReference"),
              ("Finished", "finished"), ("Status", "status")]
    tail16 = [("LocationLatitude", "Location-LocationLatitude"), ("LocationLongitude", "Location-LocationLongitude"),
              ("LocationAccuracy", "Location-LocationAccuracy")]
    qcols = qx_columns("2016")
    rows = [
        [m[0] for m in meta16] + [c[0] for c in qcols] + [t[0] for t in tail16],
        [m[0] for m in meta16] + [c[1] for c in qcols] + [t[0] for t in tail16],
        [f"{{'ImportId': '{m[1]}'}}" for m in meta16] + [c[2] for c in qcols] + [f"{{'ImportId': '{t[1]}'}}" for t in tail16],
    ]
    for r in people:
        rows.append([r["qx_id"], "Default Response Set", r["ip"], qx_time(started(r)), qx_time(r["submit"]),
                     "", "", "", "", 1, 0] + qx_answers(r, numeric=False) + [f"{r['lat']:.4f}", f"{r['lon']:.4f}", -1])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    (OUT / "qualtrics_2016.csv").write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))

    # ---------------- legacy (V1..V10, 2 header rows, numeric recode values) ----------------
    legacy_meta = ["ResponseID", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress", "IPAddress",
                   "Status", "StartDate", "EndDate", "Finished"]
    qcols = qx_columns("legacy")
    tail = ["LocationLatitude", "LocationLongitude", "LocationAccuracy"]
    rows = [
        [f"V{i}" for i in range(1, 11)] + [c[0] for c in qcols] + tail,
        legacy_meta + [c[1] for c in qcols] + tail,
    ]
    for r in people:
        rows.append([r["qx_id"], "Default Response Set", "Anonymous", "", "", r["ip"], 0,
                     qx_time(started(r)), qx_time(r["submit"]), 1] + qx_answers(r, numeric=True)
                    + [f"{r['lat']:.4f}", f"{r['lon']:.4f}", -1])
    text = "".join(",".join(_csv_cell(c) for c in row) + ",\n" for row in rows)  # trailing comma
    (OUT / "qualtrics_legacy.csv").write_bytes(text.encode("utf-8"))


def _csv_cell(c) -> str:
    s = str(c)
    if any(ch in s for ch in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s


# ---------------------------------------------------------------------------
# SPSS
# ---------------------------------------------------------------------------
def write_spss(people: list[dict]) -> None:
    cols: dict[str, list] = {}
    labels: dict[str, str] = {}
    vlabels: dict[str, dict] = {}
    missing: dict[str, list] = {}

    def add(name, label, values, value_labels=None, miss=None):
        cols[name] = values
        labels[name] = label
        if value_labels:
            vlabels[name] = value_labels
        if miss:
            missing[name] = miss

    add("id", "答卷编号", [r["id"] for r in people])
    add("submit_time", "提交答卷时间", [r["submit"] for r in people])
    add("duration", "所用时间（秒）", [r["duration"] for r in people])
    add("ip", "来自IP", [r["ip"] for r in people])
    add("Q1", "1. " + Q[1], [r["gender"] for r in people], {1: "男", 2: "女"})
    add("Q2", "2. " + Q[2], [r["age"] for r in people], {i: v for i, v in enumerate(AGE, 1)})
    add("Q3", "3. " + Q[3], [r["community"] for r in people], {i: v for i, v in enumerate(COMMUNITY, 1)})
    add("Q4", "4. " + Q[4] + "（层）", [r["floor"] for r in people])
    inc_lab = {i: v for i, v in enumerate(INCOME[:4], 1)}
    inc_lab[-9] = "不愿透露（拒答）"
    add("Q5", "5. " + Q[5], [-9 if r["income"] == INCOME_REFUSAL else r["income"] for r in people],
        inc_lab, miss=[-9])
    for n, (k, lab) in enumerate(DIFF, 1):
        add(f"Q6_{n}", f"6. {Q[6]}：{lab}", [1 if k in r["diff"] else 0 for r in people], {0: "未选", 1: "选中"})
    add("Q6_4_text", f"6. {Q[6]}：其他(请注明)_文本", [r["diff_other"] for r in people])
    mlab = {i: v for i, v in enumerate(MATRIX_COLS[:5], 1)}
    mlab[-1] = "不清楚"
    for j, row in enumerate(MATRIX_ROWS, 1):
        add(f"Q7_{j}", f"7. {Q[7]}：{row}", [-1 if v == DONT_KNOW else v for v in (r["matrix"][j - 1] for r in people)],
            mlab, miss=[-1])
    add("Q8", "8. " + Q[8], [r["nps"] for r in people], {i: f"{i}分" for i in range(11)})
    add("Q9", "9. " + Q[9], [r["willing"] for r in people], {i: v for i, v in enumerate(WILLING, 1)})
    alab = {i: v for i, v in enumerate(AMOUNT, 1)}
    alab[-99] = "不适用（第9题选不愿意，逻辑跳过）"
    alab[-98] = "漏答"
    add("Q10", "10. " + Q[10], [-99 if r["amount"] is None else r["amount"] for r in people], alab,
        miss=[{"lo": -99, "hi": -90}])
    for j, c in enumerate(CONCERNS, 1):
        add(f"Q11_{j}", f"11. {Q[11]}：{c}（名次）",
            [float(r["rank"].index(c) + 1) if c in r["rank"] else float("nan") for r in people])
    add("Q12", "12. " + Q[12], [r["comment"] for r in people])
    add("Q13", "13. " + Q[13], [r["overall"] for r in people], {i: v for i, v in enumerate(OVERALL, 1)})
    add("Q14", "14. " + Q[14], [r["housing"] for r in people], {i: v for i, v in enumerate(HOUSING, 1)})
    df = pd.DataFrame(cols)
    for c in df.columns:
        if c not in ("ip", "Q6_4_text", "Q12", "submit_time"):
            df[c] = df[c].astype("float64")
    measure = {c: "nominal" for c in df.columns}
    measure.update({c: "scale" for c in ("id", "duration", "Q4", "Q8")})
    measure.update({c: "ordinal" for c in ["Q2", "Q5", "Q10", "Q13"] + [f"Q7_{j}" for j in range(1, 6)]
                    + [f"Q11_{j}" for j in range(1, 5)]})
    pyreadstat.write_sav(df, OUT / "spss.sav", file_label="老旧小区加装电梯居民意见调查",
                         column_labels=[labels[c] for c in df.columns], variable_value_labels=vlabels,
                         missing_ranges=missing, variable_measure=measure)
    # the header stores the creation date and time (bytes 92..108); pin them for reproducible bytes
    raw = bytearray((OUT / "spss.sav").read_bytes())
    assert raw[:4] == b"$FL2"
    raw[92:101] = b"21 May 24"
    raw[101:109] = b"09:00:00"
    (OUT / "spss.sav").write_bytes(bytes(raw))


# ---------------------------------------------------------------------------
# Hand-made GBK CSV
# ---------------------------------------------------------------------------
FW = str.maketrans("0123456789", "０１２３４５６７８９")


def write_plain(people: list[dict]) -> None:
    head = ["编号", "调查日期", "用时（秒）", "IP", "性别", "年龄段 ", "小区", "楼层", "家庭月收入",
            "困难-老人", "困难-婴幼儿", "困难-搬重物", "困难-其他", "其他说明", "困难-都没有",
            "出行便利", "楼道环境", "采光通风", "邻里关系", "物业服务",
            "推荐可能性(0-10)", "是否愿意出资", "愿意承担金额", "顾虑排序", "意见建议", "总体满意度", "住房性质"]
    rng = random.Random(SEED + 2)
    rows = [head]
    for r in people:
        floor = str(r["floor"])
        if r["id"] in (4, 12, 27, 36):
            floor = floor.translate(FW)
        if r["id"] in (7, 20):
            floor += "楼"
        nps = str(r["nps"])
        if r["id"] in (5, 21, 33):
            nps = nps.translate(FW)
        gender = GENDER[r["gender"] - 1]
        if r["id"] in (6, 25):
            gender = " " + gender
        if r["id"] == 31:
            gender = gender + " "
        sat = [MATRIX_COLS[v - 1] for v in r["matrix"]]
        if r["id"] == 9:
            sat[1] = sat[1] + " "
        row = [r["id"], f"{r['submit'].year}/{r['submit'].month}/{r['submit'].day}", r["duration"], r["ip"],
               gender, AGE[r["age"] - 1], COMMUNITY[r["community"] - 1], floor, INCOME[r["income"] - 1]]
        for k, _ in DIFF:
            row.append("√" if k in r["diff"] else "")
            if k == "other":
                row.append(r["diff_other"])
        row += sat
        row += [nps, WILLING[r["willing"] - 1], "/" if r["amount"] is None else AMOUNT[r["amount"] - 1],
                ">".join(r["rank"]), r["comment"], OVERALL[r["overall"] - 1], HOUSING[r["housing"] - 1]]
        rows.append(row)
    rows.append([""] * len(head))  # the blank row Excel keeps at the end of the used range
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    (OUT / "plain_gbk.csv").write_bytes(buf.getvalue().encode("gbk"))
    del rng


# ---------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------
def canonical(r: dict) -> dict:
    return {
        "Q1": GENDER[r["gender"] - 1],
        "Q2": AGE[r["age"] - 1],
        "Q3": COMMUNITY[r["community"] - 1],
        "Q4": r["floor"],
        "Q5": INCOME[r["income"] - 1],
        "Q6": [DIFF_LABEL[k] for k in r["diff"]],
        "Q6_other": r["diff_other"] or None,
        "Q7": {row: (None if v == DONT_KNOW else v) for row, v in zip(MATRIX_ROWS, r["matrix"])},
        "Q8": r["nps"],
        "Q9": WILLING[r["willing"] - 1],
        "Q10": None if r["amount"] is None else AMOUNT[r["amount"] - 1],
        "Q11": list(r["rank"]),
        "Q12": r["comment"] or None,
        "Q13": r["overall"],
        "Q14": HOUSING[r["housing"] - 1],
    }


def raw_cells_xlsx(path: Path, ids: list[int]) -> list[dict]:
    df = pd.read_excel(path, dtype=object, engine="openpyxl")
    out = []
    for i in ids:
        row = df[df["序号"] == i].iloc[0]
        out.append({k: v for k, v in row.items() if k not in WJX_META})
    return out


def write_readme(people: list[dict]) -> None:
    P = {r["id"]: r for r in people}
    first3 = [P[i] for i in (1, 2, 3)]
    canon = {i: canonical(P[i]) for i in (1, 2, 3)}
    L = []
    a = L.append
    a("# Layout fixtures: 老旧小区加装电梯居民意见调查\n")
    a(f"Written by `make_layouts.py` (seed {SEED}; run `.venv/bin/python tests/data/layouts/make_layouts.py`).")
    a("Everything is invented (survey, 40 respondents, names, phone numbers, IPs, nicknames, ids). "
      "Each file is the same 40 respondents, in the same order (respondent id = row order = WJX 序号 = "
      "Tencent 编号 = SPSS `id` = plain `编号`; Qualtrics rows are matched by `ResponseId`, table below). "
      "This README is regenerated with the files, so the values quoted here are the values in the files.\n")

    a("## The questionnaire\n")
    a("| # | text | type | options (code = position, 1-based, unless said) |")
    a("|---|---|---|---|")
    a(f"| Q1 | {Q[1]} | single | {' / '.join(GENDER)} |")
    a(f"| Q2 | {Q[2]} | single | {' / '.join(AGE)} |")
    a(f"| Q3 | {Q[3]} | single | {' / '.join(COMMUNITY)} |")
    a(f"| Q4 | {Q[4]} | fill-in (number as typed: `5`, `5楼`, `5层`) | decoded: integer floor |")
    a(f"| Q5 | {Q[5]} | single | {' / '.join(INCOME)} (5 = refusal) |")
    a(f"| Q6 | {Q[6]} | multi, display order | {' / '.join(lab for _, lab in DIFF)}; `其他(请注明)` has a fill-in; `以上都没有` is exclusive |")
    a(f"| Q7 | {Q[7]} | matrix single, rows {'、'.join(MATRIX_ROWS)} | {' / '.join(MATRIX_COLS)} (1–5 = scale value; 6 = 不清楚 = no scale value) |")
    a(f"| Q8 | {Q[8]} | 0–10 scale (NPS) | option texts `0分`…`10分`; decoded value 0–10 |")
    a(f"| Q9 | {Q[9]} | single | {' / '.join(WILLING)} |")
    a(f"| Q10 | {Q[10]} | single, **skipped by logic when Q9 = 不愿意** | {' / '.join(AMOUNT)} |")
    a(f"| Q11 | {Q[11]} | ranking (partial ranking allowed) | {' / '.join(CONCERNS)} |")
    a(f"| Q12 | {Q[12]} | open text, optional | |")
    a(f"| Q13 | {Q[13]} | single, 5-point | {' / '.join(OVERALL)} (1–5) |")
    a(f"| Q14 | {Q[14]} | single | {' / '.join(HOUSING)} |")
    a("")

    dup_a, dup_b = DUP_OF

    def flat(c):
        out = {}
        for k, v in c.items():
            if isinstance(v, dict):
                out.update({f"{k} {x}": y for x, y in v.items()})
            else:
                out[k] = v
        return out

    fa, fb = flat(canonical(P[SHARED_IP[0]])), flat(canonical(P[SHARED_IP[1]]))
    same = [k for k in fa if fa[k] == fb[k]]
    same_shared = f"on {', '.join(same)} ({len(same)} of {len(fa)} decoded items equal)"
    a("## Planted cases (respondent ids)\n")
    a("| case | ids | how it shows |")
    a("|---|---|---|")
    a(f"| speeders (< 60 s) | {SPEEDERS[0]}, {SPEEDERS[1]} | {P[SPEEDERS[0]]['duration']} s and {P[SPEEDERS[1]]['duration']} s; every other respondent ≥ 60 s (min {min(r['duration'] for r in people if r['id'] not in SPEEDERS)} s) |")
    a(f"| straight-liner | {STRAIGHT} | Q7 all five rows `一般` (3); nobody else has five equal Q7 answers |")
    a(f"| shared carrier IP, different people | {SHARED_IP[0]}, {SHARED_IP[1]} | both `{P[SHARED_IP[0]]['ip']}` (mobile-carrier NAT), different times and devices, answers differ except " + same_shared + ": must NOT be flagged as duplicates |")
    a(f"| exact duplicate submission | {dup_b} duplicates {dup_a} | identical answers (incl. Q12 text) and IP, submitted 3 s later, duration +3 s; only the row id / time / Qualtrics ResponseId differ |")
    a(f"| exclusivity violated | {EXCLUSIVE_BREAK} | Q6 = `家中有行动不便的老人` + `以上都没有` |")
    a(f"| income refusal 不愿透露 | {', '.join(map(str, REFUSERS))} | Q5 option 5 (SPSS: -9, user-missing) |")
    a("| 不清楚 in matrix | " + ", ".join(f"{k} (row {'/'.join(MATRIX_ROWS[x - 1] for x in v)})" for k, v in DONT_KNOW_CELLS.items())
      + " | option 6 (SPSS: -1, user-missing) |")
    a(f"| Q10 logic skip | {', '.join(str(r['id']) for r in people if r['amount'] is None)} | all Q9 = 不愿意 |")
    a(f"| Q6 其他 + fill-in | {', '.join(str(k) for k in OTHER_TEXT)} | fill-in texts: " + "; ".join(f"{k}: `{v}`" for k, v in OTHER_TEXT.items()) + " |")
    a("| partial ranking | " + ", ".join(f"{k} ({v} of 4)" for k, v in PARTIAL_RANKERS.items()) + " | unranked concerns: WJX code -2, others blank / NaN |")
    a(f"| Q12 blank | {', '.join(str(r['id']) for r in people if not r['comment'])} | WJX `(空)`; others empty |")
    a("| personal data in Q12 | 6, 19, 35 | names + mobile numbers (`13812345678`; `159 0000 1234` with spaces; `18600005678`) |")
    a("| Q12 with line break / ASCII comma | 24 / 10 | CSV quoting must hold |")
    a("| Qualtrics-only extra rows | `preview1`, `preview2`, `partial` | see qualtrics_current.csv |")
    a("")

    a("## Files\n")
    a("| file | layout facts reproduced | planted cases / notes |")
    a("|---|---|---|")
    a("| `wjx_text.xlsx` | 问卷星 按文本: sheet `Sheet1`, one header row; metadata 序号, 提交答卷时间 (`2024/5/13 15:17:58`, month and day not zero-padded, stored as text), 所用时间 (`312秒`), 来源 (`手机提交`/`链接`), 来源详情 (`微信`/`直接访问`), 来自IP (`183.192.16.69(上海-上海)`); headers `1、题干` with trailing spaces on Q1/Q5/Q9/Q13 and type suffixes `(单选题 *必答)`, `(填空题 *必答)`, `(多选题 *必答)`, `(排序题 *必答)` on Q2/Q4/Q6/Q11; Q6 joined with `┋`, fill-in as `其他(请注明)〖text〗`; matrix first column `7、您对目前以下方面的满意程度(矩阵单选题 *必答)—出行便利` then bare row labels, cells = option text; Q8 = option text `7分`; Q11 `A→B→C→D` (partial rankings shorter); Q10 `(跳过)`; Q12 `(空)`; Q4 typed text (`6楼`, `5层`, `1`) | all cases; all cells are strings except 序号 |")
    a("| `wjx_code.xlsx` | 按序号 twin, same rows and metadata, same question headers; single choice = code 1..k (ints); Q6 as `第6题(option)` 0/1 columns in display order plus a text column `6、(其他(请注明):)` holding the fill-in (`(空)` when 其他 not chosen); matrix codes 1..6 (6 = 不清楚); Q8 = WJX option code 1..11 (`0分` = 1, so decoded = code − 1); Q10 skip = -3; Q11 one column `第11题(concern)` per concern with its rank, -2 = not ranked; Q12 text, `(空)` when blank; Q4 typed text | all cases |")
    a("| `tencent.csv` | 腾讯问卷: UTF-8 with BOM, every cell double-quoted, **every line ends with a trailing comma** (so readers see one extra unnamed empty column), LF line ends; metadata `编号, 开始答题时间, 结束答题时间 (17-May-2024 14:20:39), 答题时长 (seconds), 地理位置国家和地区, 地理位置省, 地理位置市, 自定义字段 (empty), 用户类型 (`微信`/`匿名用户`), 用户标识 (openid, WeChat only), 昵称 (WeChat only), IP, UA, Referrer`; headers `1.题干`; Q6 one column per option `6.题干:option`, cell = option text when chosen, empty when not; fill-in column `6.题干:其他(请注明)_填空1`; matrix `7.题干:row`; Q8 bare number; Q11 one column per concern `11.题干:concern` with the rank, empty when unranked; skips and blanks empty | all cases; nicknames/openids are personal data (17/18 share them: same WeChat user) |")
    a("| `qualtrics_current.csv` | UTF-8 BOM, CRLF, 3 header rows: export names (`StartDate, EndDate, Status, IPAddress, Progress, Duration (in seconds), Finished, RecordedDate, ResponseId, RecipientLastName, RecipientFirstName, RecipientEmail, ExternalReference, LocationLatitude, LocationLongitude, DistributionChannel, UserLanguage`, then `Q1…Q14`), labels row (`Start Date`, `Response Type`, …; questions as text, `stem - row` for Q7/Q11, `stem - Selected Choice - option` for Q6, `stem - option - Text` for the fill-in, `stem - Group` for NPS group), ImportId row `{\"ImportId\":\"QID1\"}` (`{\"ImportId\":\"startDate\",\"timeZone\":\"Asia/Shanghai\"}`, `{\"ImportId\":\"QID5\",\"choiceId\":\"1\"}`, `{\"ImportId\":\"QID17_TEXT\"}`); answers as choice text; Status `IP Address` / `Survey Preview`, Finished `True`/`False`; Q6 split columns **Q6_1, Q6_2, Q6_3, Q6_5, Q6_5_TEXT, Q6_4** (choice ids ≠ display order: 其他 is id 5 shown 4th, 以上都没有 is id 4 shown last), cell = choice text when chosen; Q8 number 0–10 plus `Q8_NPS_GROUP` (`Promoter`/`Passive`/`Detractor`); Q11_1..Q11_4 ranks; skips/blanks empty; QIDs not equal to Q numbers (Q4 = QID17, Q5 = QID4, …, Q14 = QID18) | 43 data rows: 2 `Survey Preview` rows first (`DistributionChannel=preview`, empty IP, before field start), the 40 respondents, then 1 unfinished response (`Finished=False`, `Progress=40`, only Q1–Q5 answered, RecordedDate a week after EndDate) that belongs to none of the 40 |")
    a("| `qualtrics_2016.csv` | older Insights layout, UTF-8 BOM, 3 header rows: `ResponseID, ResponseSet, IPAddress, StartDate, EndDate, RecipientLastName, RecipientFirstName, RecipientEmail, ExternalDataReference, Finished, Status`, questions, then `LocationLatitude, LocationLongitude, LocationAccuracy` at the end; row 2 repeats the metadata names and gives question text (`stem-row`, `stem-option`, `stem-option-TEXT`); row 3 single-quoted python-dict style `{'ImportId': 'QID1'}`, `{'ImportId': 'QID5_1'}`; Finished `1`, Status `0`; answers as choice text, same columns and split as current | 40 rows, all cases |")
    a("| `qualtrics_legacy.csv` | legacy export: UTF-8 (no BOM), LF, **trailing comma on every line**, two header rows: `V1…V10, Q1, Q2, Q3, Q4, Q5, Q6_1, …, LocationLatitude, LocationLongitude, LocationAccuracy` then `ResponseID, ResponseSet, Name, ExternalDataReference, EmailAddress, IPAddress, Status, StartDate, EndDate, Finished` + question text; Name `Anonymous`, Status 0, Finished 1; **answers are numeric recode values** (codebook = option positions in the table above; Q7 不清楚 = 6; Q8 = 0–10; Q8_NPS_GROUP 1 = Detractor, 2 = Passive, 3 = Promoter; Q6_x = 1 or empty; Q10 empty when skipped) | 40 rows, all cases; a reader must not average Q7 code 6 |")
    a("| `spss.sav` | pyreadstat-written SPSS: file label, variable labels = question text, value labels on every choice item, measure levels; vars `id, submit_time (DATETIME), duration, ip, Q1…Q5, Q6_1…Q6_5 (0/1 dummies in display order: 老人, 婴幼儿, 重物, 其他, 以上都没有), Q6_4_text, Q7_1…Q7_5, Q8, Q9, Q10, Q11_1…Q11_4 (rank, sysmis = not ranked), Q12, Q13, Q14`; user-missing: Q5 {-9 = 不愿透露}, Q7_1…Q7_5 {-1 = 不清楚}, Q10 range -99..-90 (-99 = logic skip, label exists for -98 漏答 but unused) | 40 rows, all cases |")
    a("| `plain_gbk.csv` | hand-typed in Excel and saved as CSV (GBK, CRLF, minimal quoting); Chinese headers, `年龄段 ` with a trailing space; labels as text; `调查日期` 2024/5/13; Q6 as `√` / empty per option plus `其他说明`; Q8 typed numbers, full-width `５` for ids 5, 21, 33; Q4 as number, full-width for 4, 12, 27, 36 and `N楼` for 7, 20; stray spaces in 性别 (6, 25 leading; 31 trailing) and in 楼道环境 for 9; Q10 skip typed as `/`; Q11 typed `费用分摊>噪音>…`; blank Q12 empty; **last line is a row of empty cells (only commas)** | 40 respondents + 1 blank row; all cases (speed from `用时（秒）`, IP from `IP`) |")
    a("")

    a("## Qualtrics ResponseId ↔ respondent id\n")
    a("| id | ResponseId | | id | ResponseId |")
    a("|---|---|---|---|---|")
    for i in range(1, 21):
        a(f"| {i} | {P[i]['qx_id']} | | {i + 20} | {P[i + 20]['qx_id']} |")
    previews, partial = extra_qualtrics_rows(people)
    a(f"\nExtra rows in `qualtrics_current.csv` only: preview1 `{previews[0]['qx_id']}`, preview2 `{previews[1]['qx_id']}`, partial `{partial['qx_id']}`.\n")

    a("## Expected decoded answers, respondents 1–3\n")
    a("Decoded = meaning, identical in every file (scale questions as their own values: Q8 `7分` = 7, "
      "Q7/Q13 as 1–5; `None` = no answer: logic skip, blank, 不清楚). Q6 lists chosen options in display order.\n")
    a("| question | respondent 1 | respondent 2 | respondent 3 |")
    a("|---|---|---|---|")
    for q in canon[1]:
        def show(v):
            if isinstance(v, dict):
                return ", ".join(f"{k}={'None' if x is None else x}" for k, x in v.items())
            if isinstance(v, list):
                return " / ".join(v) if v else "[]"
            return "None" if v is None else str(v)
        a(f"| {q} | " + " | ".join(show(canon[i][q]) for i in (1, 2, 3)) + " |")
    a("")
    a("Metadata of respondents 1–3 (all files that carry it):\n")
    a("| id | submitted | duration | IP | 来源 / 来源详情 |")
    a("|---|---|---|---|---|")
    for r in first3:
        a(f"| {r['id']} | {qx_time(r['submit'])} | {r['duration']} s | {r['ip']} ({'-'.join(r['region'])}) | {r['source']} / {r['source_detail']} |")
    a("")
    a("### How respondents 1–3 are written in each file\n")
    a("Cells exactly as stored (strings unless the file has typed numbers), per file, for the questions whose "
      "representation differs between files.\n")

    # WJX text / code: read back
    for fname in ("wjx_text.xlsx", "wjx_code.xlsx"):
        cells = raw_cells_xlsx(OUT / fname, [1, 2, 3])
        a(f"**{fname}**\n")
        a("| column | 1 | 2 | 3 |")
        a("|---|---|---|---|")
        for col in cells[0]:
            a(f"| `{col}` | " + " | ".join(f"`{c[col]!s}`".replace("|", "\\|") for c in cells) + " |")
        a("")

    def csv_table(fname, header_rows, encoding, id_of, label_row=0, skip_cols=()):
        raw = (OUT / fname).read_bytes().decode(encoding)
        rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
        head = rows[label_row]
        body = rows[header_rows:]
        pick = [next(x for x in body if id_of(x, head) == want) for want in ("1", "2", "3")]
        a(f"**{fname}** (header rows: {header_rows})\n")
        a("| column | 1 | 2 | 3 |")
        a("|---|---|---|---|")
        for j, name in enumerate(head):
            if name in skip_cols or name == "":
                continue
            a(f"| `{name}` | " + " | ".join("`" + (x[j] if j < len(x) else "") .replace("\n", "\\n").replace("|", "\\|") + "`" for x in pick) + " |")
        a("")

    qx_to_id = {r["qx_id"]: str(r["id"]) for r in people}
    csv_table("tencent.csv", 1, "utf-8", lambda x, h: x[0], skip_cols=TX_META)
    csv_table("qualtrics_current.csv", 3, "utf-8", lambda x, h: qx_to_id.get(x[h.index("ResponseId")]),
              skip_cols=["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                         "RecordedDate", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                         "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage"])
    csv_table("qualtrics_2016.csv", 3, "utf-8", lambda x, h: qx_to_id.get(x[0]),
              skip_cols=["ResponseSet", "IPAddress", "StartDate", "EndDate", "RecipientLastName", "RecipientFirstName",
                         "RecipientEmail", "ExternalDataReference", "Finished", "Status", "LocationLatitude",
                         "LocationLongitude", "LocationAccuracy"])
    csv_table("qualtrics_legacy.csv", 2, "utf-8", lambda x, h: qx_to_id.get(x[0]),
              skip_cols=[f"V{i}" for i in range(2, 11)] + ["LocationLatitude", "LocationLongitude", "LocationAccuracy"])
    csv_table("plain_gbk.csv", 1, "gbk", lambda x, h: x[0], skip_cols=["调查日期", "用时（秒）", "IP"])

    df, meta = pyreadstat.read_sav(OUT / "spss.sav", user_missing=True)
    a("**spss.sav** (read with `pyreadstat.read_sav(..., user_missing=True)`; without `user_missing=True` the -9/-1/-99 cells read as NaN)\n")
    a("| variable | 1 | 2 | 3 |")
    a("|---|---|---|---|")
    for c in df.columns:
        if c in ("submit_time", "duration", "ip"):
            continue
        vals = []
        for i in (1, 2, 3):
            v = df.loc[df["id"] == i, c].iloc[0]
            lab = meta.variable_value_labels.get(c, {}).get(v)
            vals.append(f"`{v}`" + (f" ({lab})" if lab is not None and c != "id" else ""))
        a(f"| `{c}` | " + " | ".join(x.replace("\n", "\\n") for x in vals) + " |")
    a("")

    a("## What I was not sure about in the real formats\n")
    for line in UNSURE:
        a(f"- {line}")
    a("")
    (OUT / "README.md").write_text("\n".join(L), encoding="utf-8")


UNSURE = [
    "WJX 0–10 scale: I assumed the question's options are the texts `0分`…`10分`, that 按文本 writes that option text and 按序号 writes the option position 1..11 (so `0分` = 1). A real NPS/量表题 may instead write the bare score or the score itself as the code.",
    "WJX 按序号: the separate fill-in column `6、(其他(请注明):)` and the `(空)` it holds when 其他 is not chosen are my guess; the real 800-respondent sample has no such column at all (its 其他 text is lost in the code export). Ranking columns named `第11题(concern)` like multi-select columns is also a guess.",
    "WJX headers: a real export is normally consistent (all type suffixes or none); the mix here was asked for. Sheet name `Sheet1` assumed.",
    "Tencent: the value written in a chosen multi-select cell (here the option text; it may be `1`), the fill-in column name (`:其他(请注明)_填空1`), the rank cells of a ranking question, the 用户类型 values (`微信`/`匿名用户`) and the LF line ends are guesses; the trailing comma and all-quoted cells follow a real export.",
    "Qualtrics current: answers as choice text with split multi-select columns holding the choice text; `Selected Choice`/`Text`/`Group` labels in English (account language English, survey Chinese); timezone Asia/Shanghai (real exports often carry the account's zone, e.g. America/Denver). Rank cells for unranked items left empty (Qualtrics drag-and-drop normally ranks everything).",
    "Qualtrics 2016: the ImportId form for split multi-select columns (`QID5_1`) and the `-` joiner in row 2 are guesses; choice-text answers were an export option then, numeric was common.",
    "Qualtrics legacy: the `stem-option-TEXT` label wording and Q8_NPS_GROUP existing in legacy exports are guesses; the V1..V10 names, two header rows and trailing comma follow a real file.",
    "SPSS: this is a generic researcher-made .sav (pyreadstat), not a platform's SPSS export; its codes (-9, -1, -99) differ from the CSV/XLSX option codes on purpose.",
]


def main() -> None:
    people = make_respondents()
    write_wjx(people)
    write_tencent(people)
    write_qualtrics(people)
    write_spss(people)
    write_plain(people)
    write_readme(people)
    for f in sorted(OUT.iterdir()):
        print(f.name, f.stat().st_size)


if __name__ == "__main__":
    main()
