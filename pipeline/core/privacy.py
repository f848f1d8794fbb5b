"""Personal data in free text: find and replace phone, ID and bank-card numbers, e-mail and IP
addresses, WeChat and QQ ids, licence plates, house numbers, and names.

Placeholders keep the kind (``[电话]``, ``[身份证号]``, ``[邮箱]``, ``[IP]``, ``[微信号]``, ``[QQ号]``,
``[银行卡号]``, ``[车牌]``, ``[门牌]``, ``[姓名]``) and never the value; callers count what was
replaced by kind. ``tests/data/pii/corpus.tsv`` holds the variants each rule must catch and the
plain text it must leave alone (recall and false positives per kind: ``tests/test_pii.py``). IP addresses in metadata columns are not kept at all: ingest turns them into a keyed hash
(SipHash, key derived from the raw files) that only serves duplicate detection and is dropped
by clean.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.core.textnorm import INVISIBLE, fold_traditional

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# digits as people write them: Arabic (full-width ones are folded by NFKC before this runs) and
# Chinese numerals read out one by one (一三八…, 幺 for 1, 〇/零 for 0)
_CN_DIGITS = {"〇": "0", "零": "0", "幺": "1", "一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5",
              "六": "6", "七": "7", "八": "8", "九": "9"}
_D = "[0-9〇零幺一二两三四五六七八九]"
_NOT_D = r"(?<![0-9〇零幺一二两三四五六七八九])"
_NOT_D_AFTER = r"(?![0-9〇零幺一二两三四五六七八九])"
_HEX = "[0-9A-Fa-f]{1,4}"
_TLD = r"(?:com|cn|net|org|edu|gov|info|io|me|co|top|xyz|hk|tw|mo|sg)"
_AT = r"(?:\s*(?:@|\(at\)|\[at\]|\{at\}|艾特|#)\s*|\s+at\s+)"
_DOT = r"(?:\s*(?:\.|。|，|,|\(dot\)|\[dot\]|点)\s*|\s+dot\s+)"
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_N = "[0-9〇零一二两三四五六七八九十]"        # a number in a house number (三号楼, 12栋)
_BUILDING = rf"(?:[A-Za-z甲乙丙丁]?{_N}{{1,3}}(?:号楼|号院|栋|幢|号|座)|[A-Za-z]座)"
_ROOM_NOT_COUNT = r"(?![0-9户人名家个元万米平辆台年月日天位条层%])"
# between the groups of a number read out or typed by hand: a dash, dot, space, comma or 、, and a
# filler word said between them (一三八，嗯，一二三四…)
_HS = r"[ \t\u3000]*"   # space inside a house number, never a line break
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")
_SEP = r"(?:[-./\s,，、]{0,3}(?:嗯|啊|呃|额|哦|那个|就是)?[-./\s,，、]{0,3})"


def _id18_ok(m: str) -> bool:
    d = digits(m[:-1]) + (m[-1] if m[-1] in "Xx" else digits(m[-1]))
    return len(d) == 18 and d[6:8] in ("18", "19", "20") and _id_date_ok(d)


# issuer prefixes of the cards used in China (UnionPay 62, Visa 4, Mastercard 51–55 and 2221–2720,
# Amex 34/37, JCB 35, Discover 60): a long number with a valid Luhn digit and another prefix is
# more likely a work-order or contract number (one in ten random numbers passes Luhn)
_CARD_PREFIX = re.compile(r"62|60|4|5[1-5]|3[457]|222[1-9]|22[3-9]|2[3-6]|27[01]|2720")


def digits(text: str) -> str:
    """The digits of a number however it was written (``一三八 0013-8000`` → ``13800138000``)."""
    return "".join(_CN_DIGITS.get(ch, ch) for ch in text if ch.isdigit() or ch in _CN_DIGITS)


def luhn_ok(number: str) -> bool:
    """The Luhn check of a bank card number (its digits)."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _id_date_ok(number: str) -> bool:
    """Month 01–12 and day 01–31 where a resident ID number (18 or 15 digits) has its birth date."""
    mmdd = number[10:14] if len(number) == 18 else number[8:12]
    return "01" <= mmdd[:2] <= "12" and "01" <= mmdd[2:] <= "31"


@dataclass(frozen=True)
class Rule:
    """One kind of personal data: the pattern, an optional check of the match, and the group
    that is replaced (``v``: the value after a keyword such as 微信/QQ; else the whole match)."""
    kind: str
    placeholder: str
    pattern: re.Pattern
    check: Callable[[str], bool] | None = None


def _rule(kind: str, placeholder: str, pattern: str, check=None, flags: int = 0) -> Rule:
    return Rule(kind, placeholder, re.compile(pattern, flags), check)


# The rules, most specific first: where two matches overlap, the longer wins, then the earlier
# rule. Choices (see docs/interviews.md, "Redaction"): a building alone (3号楼加装了电梯) is not a
# dwelling and stays; public service numbers (12345, 110, 95598) and work-order numbers stay; an
# 18-digit ID number is redacted whether or not its check digit is right (a mistyped ID is still
# someone's ID), and so is a 15-digit one with a valid birth date.
RULES: tuple[Rule, ...] = (
    _rule("email", "[邮箱]", r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    _rule("email", "[邮箱]", rf"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*[A-Za-z0-9]{_AT}[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)*?"
                            rf"{_DOT}{_TLD}(?![A-Za-z])", flags=re.I),
    _rule("id_number", "[身份证号]", r"(?<![0-9A-Za-z])[1-9]\d{5}[ -]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                                  r"[ -]?\d{3}[0-9Xx](?![0-9A-Za-z])"),
    # an 18-character ID however it is written: grouped by spaces, hyphens, dots or commas
    # (3101 0519 8003 0312 34, 310105-19800312-3456) or read out in Chinese numerals
    _rule("id_number", "[身份证号]", rf"{_NOT_D}[1-9一二三四五六七八九](?:[ \-.,，]?{_D}){{16}}[ \-.,，]?[0-9Xx〇零一二三四五六七八九](?![0-9A-Za-z])",
          check=_id18_ok),
    _rule("id_number", "[身份证号]", r"(?<![0-9A-Za-z])[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z])",
          check=lambda m: _id_date_ok(m)),
    _rule("bank_card", "[银行卡号]", r"(?<![0-9])[1-9]\d{3}(?:[ \-,，]?\d{4}){3}(?:[ \-,，]?\d{1,3})?(?![0-9])",
          check=lambda m: 16 <= len(digits(m)) <= 19 and luhn_ok(digits(m)) and bool(_CARD_PREFIX.match(digits(m)))),
    _rule("ip", "[IP]", r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?::\d{2,5})?(?![\d.])"),
    _rule("ip", "[IP]", rf"(?:(?<=[vV]6:)|(?<![0-9A-Za-z])(?<![0-9A-Fa-f]:))(?:(?:{_HEX}:){{7}}{_HEX}|(?:{_HEX}:){{1,7}}:(?:{_HEX}(?::{_HEX}){{0,5}})?)"
                       r"(?:%[0-9A-Za-z]+)?(?![0-9A-Za-z:])",
          check=lambda m: any(c.isdigit() for c in m) and m.count(":") >= 2),
    _rule("mobile", "[电话]", rf"{_NOT_D}(?:(?:\+|00)?86[- ]?|\(\+?86\)[- ]?|（\+?86）)?\(?[1一幺]{_D}{_D}\)?{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}{_NOT_D_AFTER}",
          check=lambda m: digits(m)[-11:-9] in {f"1{i}" for i in "3456789"}),
    # every digit apart (1 3 8 1 2 3 4 5 6 7 8) or in other groups (1381-234-5678, 1381，2345，678,
    # 138/1234/5678); not an amount with thousands separators (13,000,000,000)
    _rule("mobile", "[电话]", rf"{_NOT_D}[1一幺](?:[-. /,，]?{_D}){{10}}{_NOT_D_AFTER}",
          check=lambda m: digits(m)[:2] in {f"1{i}" for i in "3456789"} and not _THOUSANDS.fullmatch(m)),
    _rule("landline", "[电话]", r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})[-–— ]?\d{3,4}[-–— ]?\d{4}(?:\s*(?:转|-|ext\.?)\s*\d{1,5})?(?!\d)"),
    _rule("landline", "[电话]", r"(?<!\d)[48]00(?:[-–— ]?\d){7}(?!\d)"),
    _rule("landline", "[电话]", r"(?:电话|座机|固话|热线|号码|拨打|拨|打|联系方式|联系电话|联系|tel|Tel|TEL)(?:号码|是|为)?[:：\s(（]{0,3}"
                               r"(?P<v>\d{3,4}[- ]?\d{4}(?:\s*转\s*\d{1,5})?)(?!\d)"),
    _rule("wechat", "[微信号]", r"wxid_[A-Za-z0-9]{6,}"),
    _rule("wechat", "[微信号]", r"(?<![A-Za-z0-9_])(?:微\s*信\s*(?:号码|号|搜索|搜|id|ID)?\s*(?:号|号码)?|威信|[vV]信|[vV][xX]|[wW][xX]|weixin|wechat|WeChat|加我|加[vV])"
                               r"(?:号|我)?(?:[:：]|是|为)?\s*(?:id|ID)?\s*[:：]?\s*"
                               r"(?P<v>[A-Za-z][-_A-Za-z0-9]{4,19}|1[3-9]\d{9})(?![-_A-Za-z0-9])"),
    _rule("qq", "[QQ号]", rf"(?:QQ|qq|Qq|扣扣|企鹅号|Q号)(?:号码|号|联系)?(?:[:：,，]|是|为)?\s*(?P<v>[1-9一二三四五六七八九幺](?:\s?{_D}){{4,10}})"
                         rf"{_NOT_D_AFTER}"),
    _rule("plate", "[车牌]", rf"[{_PROVINCES}]\s?[A-HJ-NP-Z][-·•・.\s]?(?:[A-HJ-NP-Z0-9]|[〇零一二三四五六七八九]){{5,6}}(?![A-Za-z0-9])",
          check=lambda m: any(c.isdigit() or c in _CN_DIGITS for c in m[1:])),
    # house numbers (no line break inside: the next line is another speaker's turn)
    _rule("address", "[门牌]", rf"{_BUILDING}{_HS}(?:{_N}{{1,2}}|[东西南北中]){_HS}(?:单元|门){_HS}{_N}{{1,2}}{_HS}(?:楼|层){_HS}[东西南北中]?[户边侧]"),
    _rule("address", "[门牌]", rf"{_BUILDING}{_HS}(?:{_N}{{1,2}}|[东西南北中]){_HS}(?:单元|门){_HS}(?:{_N}{{1,2}}{_HS}(?:楼|层){_HS})?{_N}{{3,4}}{_HS}(?:室|号|户)?{_ROOM_NOT_COUNT}"),
    _rule("address", "[门牌]", rf"(?:{_BUILDING}|(?<![0-9]){_N}{{1,2}}{_HS}单元){_HS}(?:{_N}{{1,2}}{_HS}(?:楼|层){_HS})?{_N}{{3,4}}{_HS}(?:室|号|房)?{_ROOM_NOT_COUNT}"),
    _rule("address", "[门牌]", r"(?<![\d/])\d{1,2}(?:[-—–/]|#\s?)\d{1,2}[-—–/]\d{3,4}(?:室)?(?![\d\-—–/])"),
    _rule("address", "[门牌]", rf"{_BUILDING}[-—–]{_HS}{_N}{{1,2}}{_HS}单元[-—–]?{_HS}{_N}{{3,4}}{_HS}(?:室|号)?"),
    # 平房, 胡同, 城中村: the street stays, the number goes (帽儿胡同[门牌], 和平村5组23号 → 和平村[门牌])
    _rule("address", "[门牌]", r"(?:胡同|巷|弄|里|村|屯|庄)[ \t]*(?P<v>\d{1,4}[ \t]*号(?:院)?"
                               r"(?:[ \t]*\d{1,3}[ \t]*排[ \t]*\d{1,3}[ \t]*号)?)(?![楼栋幢座0-9])"),
    _rule("address", "[门牌]", r"(?<!\d)\d{1,3}[ \t]*组[ \t]*\d{1,4}[ \t]*号"),
    _rule("address", "[门牌]", r"(?<!\d)\d{1,3}[ \t]*号院[ \t]*\d{1,3}[ \t]*排[ \t]*\d{1,3}[ \t]*号"),
    _rule("address", "[门牌]", r"(?<!\d)\d{3,4}[ \t]*房间"),
    _rule("address", "[门牌]", r"(?:住在|家住|住|家在)[ \t]*(?P<v>\d{1,2}-\d{3,4})(?!\d)"),
    _rule("address", "[门牌]", r"(?<![\d#])\d{1,3}#[ \t]?(?:楼[ \t]?)?\d{3,4}(?:室)?(?![\d#])"),
    _rule("address", "[门牌]", rf"(?<![0-9]){_N}{{1,3}}{_HS}(?:栋|幢|号楼|座){_HS}\d{{1,2}}[-—–]\d{{3,4}}(?:室)?(?!\d)"),
    # a lane address (长乐路123弄4号, 45弄6号302室): the road name stays, the lane and number go
    _rule("address", "[门牌]", rf"(?<![0-9〇零一二两三四五六七八九十]){_N}{{1,4}}{_HS}弄{_HS}(?:{_N}{{1,2}}{_HS}支弄{_HS})?{_N}{{1,4}}{_HS}号"
                               rf"(?:{_HS}(?:楼{_HS})?{_N}{{1,4}}{_HS}(?:室|号))?"),
    _rule("address", "[门牌]", rf"(?<![0-9〇零一二两三四五六七八九十])(?:{_N}{{3,4}}|\d{{3,4}}){_HS}(?:室|号房)"),
    _rule("address", "[门牌]", rf"门牌(?:号码|号)?(?:是|为|[:：])?{_HS}(?P<v>{_N}{{2,4}}(?:室|号)?)"),
)

# every placeholder (the tokenizer drops them)
PLACEHOLDERS: tuple[str, ...] = tuple(dict.fromkeys(r.placeholder for r in RULES)) + ("[姓名]",)


def id_checksum_ok(s: str) -> bool:
    """GB 11643 check digit of an 18-character resident ID number."""
    if len(s) != 18 or not s[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(s[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == s[17].upper()


# Short forms of names: surname + title or kinship term (杜主任, 冯书记, 孔总, 洪大爷) and 老/小 +
# surname (老张). Common single-character surnames that are not also function words (于, 和, 向…
# are left out of the generic list; a roster's surnames are always included).
COMMON_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
                   "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
                   "覃武戴莫孔汤洪")
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "令狐", "司徒",
                     "端木", "西门", "南宫", "夏侯", "宇文", "轩辕", "闻人", "钟离", "澹台", "公冶", "太史", "申屠",
                     "濮阳", "百里", "呼延", "万俟", "独孤", "拓跋", "完颜", "赫连", "第五", "梁丘", "左丘", "东郭",
                     "鲜于", "仲孙", "司空", "单于", "段干", "公羊", "谷梁", "巫马", "乐正", "壤驷", "漆雕", "颛孙")
TITLES = ("总经理", "副主任", "副书记", "老师傅", "主任", "书记", "经理", "大爷", "大妈", "阿姨", "师傅", "老师", "主管",
          "大姐", "大哥", "科长", "所长", "站长", "队长", "组长", "楼长", "会长", "局长", "处长", "院长", "老板",
          "教授", "医生", "律师", "支书", "社长", "奶奶", "爷爷", "婆婆", "伯伯", "叔叔", "阿婆", "老太", "会计",
          "先生", "女士", "小姐", "太太", "大叔", "大娘", "大婶", "姨(?![妈父])", "师奶", "姑娘", "同学",
          "生(?![活产态日意命气长成病效前死存])", "太(?![阳多好极过平空子久快慢大小高低远近少了])",
          "伯(?![伯])",
          "姐(?![妹])", "哥(?![们])", "嫂", "婶", "叔", "工(?![作程人资地期厂具业])",
          "总(?![体是共之结算量数计价额规理部监站归计的])",
          "老(?![师太板人家婆公头百姓年汉乡区小旧楼房屋的了是说])")
# 老/小 + surname is not a name before these (小程序, 老黄历, 小区, 老人…)
_NOT_AFTER_SHORT = "层区孩人伙序历牛菜醋干库湖鼠将兵卒"
# …and is one after a character that ends a word before a name (的老张, 听老韦说)
_BEFORE_SHORT = "的是和跟找给问叫让被对说把向同与听请像帮替陪喊等"


def surname(name: str) -> str:
    """The surname of a Chinese full name (two characters for the common compound surnames)."""
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]


def short_name_pattern(surnames: str | list[str] = COMMON_SURNAMES) -> re.Pattern:
    """Surname + title (冯书记, 孔总) or 老/小 + surname (老张), for the given surnames."""
    alt = "|".join(sorted({re.escape(s) for s in surnames}, key=len, reverse=True))
    titles = "|".join(TITLES)
    return re.compile(rf"(?P<s1>{alt})(?:{titles})|(?:(?<![\u4e00-\u9fff])|(?<=[{_BEFORE_SHORT}]))[老小阿](?P<s2>{alt})"
                      rf"(?![{_NOT_AFTER_SHORT}])")


# between the characters of a name: nothing, or up to two spaces, tabs, a line break or a middle dot
_NAME_SEP = "[\\s·•・‧･.]{0,2}"
_NAME_DOTS = re.compile("[\\s·•・‧･.]")


def name_key(name: str) -> str:
    """How a name is compared: traditional folded to simplified, spaces and middle dots removed,
    Latin letters in lower case (阿依古丽·买买提, 阿依古丽 买买提 and 阿依古麗買買提 are one name;
    LXW, lxw and L.X.W. are one set of initials)."""
    return _NAME_DOTS.sub("", fold_traditional(name)).lower()


@functools.lru_cache(maxsize=8)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern | None:
    """One alternation of all names (as :func:`name_key` gives them), longest first (one scan per
    text, not one per name), matched against folded text. A name of Chinese characters also
    matches with spaces, a line break or middle dots between its characters (洪 振 邦,
    阿依古丽·买买提); Latin initials or names in any case, with dots or spaces between the letters
    (lxw, L.X.W.), never inside a longer word."""
    if not names:
        return None

    def spaced(n: str) -> str:
        if len(n) > 1 and all("\u3400" <= ch <= "\u9fff" for ch in n):
            return _NAME_SEP.join(re.escape(ch) for ch in n)
        if n.isascii() and n.isalpha():
            return "(?<![A-Za-z])(?i:" + "[.\\s]{0,2}".join(re.escape(ch) for ch in n) + r"\.?)(?![A-Za-z])"
        return re.escape(n)

    return re.compile("|".join(spaced(n) for n in sorted(names, key=lambda n: (-len(n), n))))


INTERVIEWER_CODE = "访谈者"  # an interviewer's own name or initials become [姓名:访谈者]
# roster columns that hold people's names, and the interviewer's: recognised by their header
# (compared without spaces, in lower case), so that 姓名, 姓  名, 受访人, Full Name, respondent_name
# and 访谈人, Interviewer Name are all found; a header about a place or an organisation is not
_INTERVIEWER_HEADER = re.compile(r"interviewer|访谈人|访谈员|访谈者|访问员|采访人|采访者|调查员|调研员|访员|主访|记录人|"
                                 r"记录员|调查人|调研人")
# a header about a person: a name (姓名, 真名, 化名, 实名, 称呼, name), the person interviewed
# (受访…, 被访…, 访谈对象, participant, respondent, interviewee) or someone else on the roster
_NAME_HEADER = re.compile(r"name|姓名|名字|真名|化名|实名|称呼|^姓$|^名$|受访|被访|访谈对象|调查对象|对象姓|participant|"
                          r"respondent|interviewee|person|^联系人|^户主|^业主|^住户|介绍人|陪同人|家属|^居民$")
_NOT_PERSON_HEADER = re.compile(r"community|小区|社区|street|街道|district|区县|project|项目|org|单位名|company|公司|"
                                r"file|文件|building|楼栋|code|编码|编号|^id$|_id$|role|角色|type|类型|nick|数量|人数|count")


def name_columns(columns) -> tuple[list[str], list[str]]:
    """The roster columns that hold names and those that hold interviewers' names, by header
    (compared in simplified characters, without spaces, in lower case)."""
    from pipeline.core.textnorm import fold_traditional

    names, interviewers = [], []
    for c in columns:
        h = fold_traditional(re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(c))).lower())
        if h == "informant":
            continue
        if _INTERVIEWER_HEADER.search(h):
            interviewers.append(c)
        elif ((_NAME_HEADER.search(h) and not _NOT_PERSON_HEADER.search(re.sub(r"[(（][^)）]*[)）]", "", h)))
              or re.search(r"nick|昵称|外号|小名|绰号|别名", h)):
            names.append(c)
    return names, interviewers


def name_like_columns(roster, skip=()) -> list[str]:
    """Roster columns whose values are mostly people's names (Chinese of 2–4 characters starting
    with a surname), whatever their header says: a roster whose name column is headed in a way
    :func:`name_columns` does not know still has its names redacted."""
    out = []
    for c in roster.columns:
        if c in skip or str(c).strip().lower() in ("informant", "role", "community", "gender", "date", "age_band"):
            continue
        values = [unicodedata.normalize("NFKC", v).strip() for v in roster[c].tolist() if isinstance(v, str) and v.strip()]
        if values and sum(_looks_like_name(_CELL_SPLIT.split(v)[0]) for v in values) >= max(2, 0.6 * len(values)):
            out.append(c)
    return out


# in a roster cell: separators between several names or a name and a note (洪振邦（老洪）,
# 龚建华、龚太太, 李明/LM, 何俊杰-物业经理, 何俊杰：物业经理, 洪振邦 老洪)
_CELL_SPLIT = re.compile(r"[、,，/;；|()（）\[\]【】:：\-—–~～]+|\s+")
_NICK_LABEL = re.compile(r"^(?:外号|小名|昵称|绰号|又名|别名|乳名|aka)")
_TITLE_SUFFIX = re.compile("(?:" + "|".join(t for t in TITLES if "(" not in t) + ")$")
# labels that start an interviewer's turn, and an informant's, in a transcript (never a name)
INTERVIEWER_LABELS = frozenset({"访谈者", "访谈员", "采访者", "调研者", "调研员", "主持人", "访问员", "问", "Q", "I", "记者"})
RESPONDENT_LABELS = frozenset({"受访者", "被访者", "答", "A", "回答"})
_LABELS = INTERVIEWER_LABELS | RESPONDENT_LABELS


def _looks_like_name(part: str) -> bool:
    """A part of a roster cell that is a name or a nickname: Chinese of 2–4 characters starting
    with a surname (or 老/小/阿 + surname), or Latin letters (initials, pinyin)."""
    if part.isascii():
        return part.replace(".", "").isalpha()
    if not (2 <= len(part) <= 4 and all("\u3400" <= ch <= "\u9fff" for ch in part)):
        return False
    core = part[1:] if part[0] in "老小阿" and len(part) >= 2 else part
    return core[:2] in COMPOUND_SURNAMES or core[:1] in COMMON_SURNAMES or core[:1] in _MORE_SURNAMES


# surnames beyond the common list, for recognising names inside roster cells only
_MORE_SURNAMES = set("邝庞闵聂柯欧卜伍樊殷乔靳单匡彭甘祁侯房裴鲁韩邱耿简邬宁迟温左包葛童颜霍车施毕牛焦梅蒙"
                     "饶花凌管柴翟滕谷阮柳卓屠辛廉巩鞠麦喻关宗桑翁岳丛苗边向于和郎贝景胥容全冉")


# the roster's key columns under the headers researchers write (compared without spaces, in
# lower case, after NFKC); used only when the canonical column is absent and one header matches
ROSTER_HEADERS = {
    "informant": ("受访者编号", "受访者代码", "受访人编号", "访谈对象编号", "被访者编号", "编号", "代码", "informant_id",
                  "informant_code", "id", "code"),
    "role": ("身份", "角色", "受访者身份", "受访者类型", "主体类型", "类别", "类型", "stakeholder"),
    "community": ("小区", "所在小区", "社区", "所在社区", "项目小区", "estate", "neighbourhood", "neighborhood"),
}


def canonical_roster_headers(df):
    """``informant``, ``role`` and ``community`` found under a Chinese (or other common) header."""
    import unicodedata

    key = {c: re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(c))).lower() for c in df.columns}
    rename = {}
    for canon, aliases in ROSTER_HEADERS.items():
        if canon in df.columns:
            continue
        found = [c for c in df.columns if key[c] in aliases and c not in rename]
        if len(found) == 1:
            rename[found[0]] = canon
    return df.rename(columns=rename)


def names_from_roster(roster, extra: list[str] | None = None) -> dict[str, str]:
    """Every name to redact → the code its placeholder carries: the names of the roster's name
    columns (:data:`NAME_COLUMNS`) → the informant code; its interviewer columns → ``访谈者``;
    ``extra`` (a names list) → no code. A cell may hold several names or a name and a nickname
    (``洪振邦（老洪）``, ``龚建华、龚太太``, ``李明/LM``): each part of two characters or more is a
    name. A Chinese name of three characters or more also gives its given name alone (振邦), and
    a name written with a middle dot each of its parts."""
    names: dict[str, str] = {}

    def add(value, code: str) -> None:
        if not isinstance(value, str):
            return
        text = unicodedata.normalize("NFKC", value).strip()
        parts = _CELL_SPLIT.split(text)
        for i, part in enumerate([text] + (parts if len(parts) > 1 else [])):
            part, nick = _NICK_LABEL.subn("", part.strip())
            if len(part) >= 4 and _TITLE_SUFFIX.search(part):  # 何俊杰先生 → 何俊杰
                part = _TITLE_SUFFIX.sub("", part)
            if len(part) < 2 or part in _LABELS or (i and not nick and not _looks_like_name(part)):
                continue  # a part of a cell that is a note (物业经理), not a name
            names.setdefault(part, code)
            dotted = [p for p in re.split(r"[·•・‧･.]+", part) if len(p) >= 2]
            if len(dotted) > 1:
                for p in dotted:
                    names.setdefault(p, code)
            elif len(part) >= 3 and all("\u3400" <= ch <= "\u9fff" for ch in part):
                given = part[len(surname(part)):]
                if len(given) >= 2:
                    names.setdefault(given, code)

    if roster is not None:
        roster = canonical_roster_headers(roster)
        name_cols, interviewer_cols = name_columns(roster.columns)
        name_cols += [c for c in name_like_columns(roster, skip=set(name_cols) | set(interviewer_cols))]
        codes = roster["informant"].astype(str).tolist() if "informant" in roster.columns else [""] * len(roster)
        for c in name_cols:
            for value, code in zip(roster[c].tolist(), codes):
                add(value, code)
        for c in interviewer_cols:
            for value in roster[c].tolist():
                add(value, INTERVIEWER_CODE)
    for line in extra or []:
        add(line, "")
    return names


class Names:
    """Names to redact (name → code, '' for none), prepared once for many texts: the keys
    (:func:`name_key`), one pattern of all names, the short forms of their surnames and which
    surname belongs to exactly one coded person."""

    def __init__(self, names: dict[str, str] | None = None, *, common_surnames: bool = True) -> None:
        self.codes: dict[str, str] = {}
        for k, v in (names or {}).items():
            if (key := name_key(k)) and not self.codes.get(key):
                self.codes[key] = v
        self.pattern = _names_pattern(tuple(sorted(self.codes)))
        by_surname: dict[str, set[str]] = {}
        for name, code in self.codes.items():
            if len(name) >= 2 and "\u3400" <= name[0] <= "\u9fff":
                by_surname.setdefault(surname(name), set()).add(code)
        self.surname_codes = {s: next(iter(c)) for s, c in by_surname.items() if len(c) == 1 and "" not in c}
        surnames = (list(COMMON_SURNAMES) + list(COMPOUND_SURNAMES) if common_surnames else []) + sorted(by_surname)
        self.short = short_name_pattern(surnames) if surnames else None

    def __len__(self) -> int:
        return len(self.codes)


def find_spans(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, placeholder) of every match of :data:`RULES` in ``text`` (overlaps kept)."""
    spans = []
    for rule in RULES:
        for m in rule.pattern.finditer(text):
            a, b = m.span("v") if "v" in rule.pattern.groupindex else m.span()
            if rule.check is not None and not rule.check(text[a:b]):
                continue
            spans.append((a, b, rule.kind, rule.placeholder))
    return spans


def redact_spans(text: str, names: dict[str, str] | Names | None = None, short_names: re.Pattern | None = None,
                 surname_codes: dict[str, str] | None = None
                 ) -> tuple[str, list[tuple[str, int, int, int, int]]]:
    """Replace personal data (:data:`RULES`), and names (name → informant code, '' for none) with
    ``[姓名:R03]`` or ``[姓名]``; with ``short_names`` (:func:`short_name_pattern`) also short forms, as
    ``[姓名:R03]`` when ``surname_codes`` maps the surname to one informant, else ``[姓名]``
    (kind ``name_short``). Returns the new text and, for each placeholder, (kind, start, end) in the new
    text and (source_start, source_end) of what it replaced in the input.

    Where matches overlap, full names and numbers come before short forms of names (老洪振邦 is
    ``老[姓名:R01]``, not ``[姓名:R01]振邦``), then the longer match, then the earlier."""
    folded = fold_traditional(text)  # same length: every offset below is an offset in `text`
    spans: list[tuple[int, int, str, str]] = find_spans(folded)
    if names is not None and not isinstance(names, Names):
        names = Names(names, common_surnames=False)
    if names is not None and names.pattern is not None:
        for m in names.pattern.finditer(folded):
            code = names.codes.get(name_key(m.group(0)), "")
            spans.append((m.start(), m.end(), "name", f"[姓名:{code}]" if code else "[姓名]"))
    if short_names is not None:
        for m in short_names.finditer(folded):
            code = (surname_codes or {}).get(m.group("s1") or m.group("s2"), "")
            spans.append((m.start(), m.end(), "name_short", f"[姓名:{code}]" if code else "[姓名]"))
    chosen: list[tuple[int, int, str, str]] = []
    starts: list[int] = []   # the chosen spans are disjoint: kept sorted, each new one is checked
    ends: list[int] = []     # against its two neighbours only (linear in the text, not quadratic)
    for sp in sorted(spans, key=lambda s: (s[2] == "name_short", -(s[1] - s[0]), s[0])):
        i = bisect.bisect_right(starts, sp[0])
        if (i and ends[i - 1] > sp[0]) or (i < len(starts) and starts[i] < sp[1]):
            continue
        chosen.append(sp)
        starts.insert(i, sp[0])
        ends.insert(i, sp[1])
    chosen.sort()
    out, placed, pos, shift = [], [], 0, 0
    for start, end, kind, ph in chosen:
        out.append(text[pos:start])
        out.append(ph)
        placed.append((kind, start + shift, start + shift + len(ph), start, end))
        shift += len(ph) - (end - start)
        pos = end
    out.append(text[pos:])
    return "".join(out), placed


@functools.lru_cache(maxsize=1)
def _common_short_names() -> re.Pattern:
    return short_name_pattern(list(COMMON_SURNAMES) + list(COMPOUND_SURNAMES))


def redact(text: str, names: Names | None = None) -> tuple[str, dict[str, int]]:
    """Return the text with personal data (:data:`RULES`), the study's known ``names`` (its
    roster and names list, when it has interviews) and short forms of names with a common surname
    (王主任, 老李) replaced, and counts by kind (open survey answers, labels, file names)."""
    if not text:
        return text, {}
    text = INVISIBLE.sub("", text)  # a zero-width space must not hide a number
    if names is not None and len(names):
        new, placed = redact_spans(text, names, names.short, names.surname_codes)
    else:
        new, placed = redact_spans(text, short_names=_common_short_names())
    counts: dict[str, int] = {}
    for kind, *_ in placed:
        counts[kind] = counts.get(kind, 0) + 1
    return new, counts
