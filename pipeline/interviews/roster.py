"""The roster of informants: reading it, the informant codes, and the case variables that may
leave the pipeline (an explicit allow-list; nothing personal)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

from pipeline.core.errors import InputError
from pipeline.core.privacy import canonical_roster_headers
from pipeline.core.textnorm import normalise_text as normalise
from pipeline.interviews.redaction import redact_text

# roster column names that hold personal data (checked case-insensitively, after NFKC)
PERSONAL_COLUMN = re.compile(
    r"phone|mobile|^tel|telephone|e-?mail|wechat|weixin|^wx|^qq|address|addr|street_?no|house_?no|"
    r"id_?(card|no|number)|identity|passport|bank|card_?no|plate|birth|^name|_name$|full_?name|"
    r"interviewer|coder|recorder|"
    r"电话|手机|联系|座机|邮箱|微信|身份|证件|住址|地址|门牌|户号|房号|姓名|名字|银行|卡号|车牌|出生|生日|"
    r"访谈者|访谈员|访问员|调查员|采访者|记录员|编码员", re.I)


def case_table(roster: pd.DataFrame, variables: list[str], path: Path, names: dict[str, str]) -> pd.DataFrame:
    """The roster's ``informant`` column and the allowed case ``variables``, checked: a variable
    must be a roster column, its name must not look personal (:data:`PERSONAL_COLUMN`) and no
    value may hold personal data (a phone, ID or bank-card number, an e-mail, a roster name) —
    any of these is an :class:`InputError` (the value itself is never printed)."""
    for v in variables:
        if v == "informant":
            continue
        if v not in roster.columns:
            raise InputError(f"case variable '{v}' is not a roster column (columns: {list(roster.columns)})",
                             file=path, key="interviews.case_variables")
        if PERSONAL_COLUMN.search(unicodedata.normalize("NFKC", str(v))):
            raise InputError(f"roster column '{v}' looks like personal data and cannot be a case variable; "
                             "it stays out of every output", file=path, column=v, key="interviews.case_variables",
                             hint="rename the column if it holds no personal data")
        for i, value in enumerate(roster[v].tolist()):
            if value is None or (isinstance(value, float) and value != value):
                continue
            text = normalise(str(value))
            _, placed = redact_text(text, names)
            if placed:
                raise InputError(f"roster column '{v}' holds personal data ({placed[0][0]}); it cannot be a case "
                                 "variable", file=path, row=i + 2, column=v, key="interviews.case_variables")
    cols = ["informant"] + [v for v in dict.fromkeys(variables) if v != "informant"]
    return roster[cols]


def read_roster(path: Path) -> pd.DataFrame:
    from pipeline.core.tables import read_frame

    df = canonical_roster_headers(read_frame(path))
    if "informant" not in df.columns:
        raise InputError("the roster needs an 'informant' column", file=path, row=1, hint=f"columns: {list(df.columns)}")
    blank = df["informant"].isna() | (df["informant"].astype(str).str.strip() == "")
    if blank.any():
        raise InputError("a roster row has no informant code", file=path, row=int(blank.to_numpy().argmax()) + 2,
                         column="informant")
    dup = df["informant"][df["informant"].duplicated()]
    if len(dup):
        raise InputError("informant code appears twice in the roster", file=path, column="informant", value=dup.iloc[0],
                         row=int(dup.index[0]) + 2)
    if "role" in df.columns:  # roles as the researcher writes them (居委会, 社区居委会, Residents' committee) → ids
        from pipeline.interviews.roles import canonical_role

        raw = df["role"].astype(object)
        mapped = raw.map(canonical_role)
        df = df.assign(role=mapped.where(mapped.notna(), raw))
        df.attrs["roles_unknown"] = sorted({str(v) for v, m in zip(raw, mapped) if pd.isna(m) and isinstance(v, str) and v})
        df.attrs["roles_mapped"] = {str(v): m for v, m in zip(raw, mapped) if pd.notna(m) and v != m}
    return df


def check_codes(roster: pd.DataFrame, names: dict[str, str], path: Path) -> None:
    """Informant codes travel into every output, so none may be or hold personal data (a phone
    or ID number, a name on the roster)."""
    for i, code in enumerate(roster["informant"].astype(str)):
        _, placed = redact_text(normalise(code), names)
        if placed:
            raise InputError(f"an informant code holds personal data ({placed[0][0] if placed else 'name'}); "
                             "codes reach every output: use codes such as R01, J02", file=path, row=i + 2,
                             column="informant")
