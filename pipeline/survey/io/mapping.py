"""Matching export columns to the questionnaire's items.

Each item finds its column(s) by question number (``q``), a piece of question text
(``match.text``), an exact header (``match.column`` or the item id itself in a plain table) or a
Qualtrics export name. An item that matches no column, an item that matches two columns where
it needs one, a column claimed by two items and a sub-column that is not one of the item's
options or rows are errors naming the file and the column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.core.errors import InputError
from pipeline.core.tables import RawTable
from pipeline.core.textnorm import canon, norm
from pipeline.survey.io.headers import Column
from pipeline.survey.questionnaire import Item, Questionnaire


@dataclass
class ItemPlan:
    item: Item
    main: Column | None = None
    options: dict[int, Column] = field(default_factory=dict)   # option code -> column
    rows: dict[str, Column] = field(default_factory=dict)      # matrix row id -> column
    other: Column | None = None                                # fill-in of the 'other' option

    def columns(self) -> list[Column]:
        out = [self.main] if self.main else []
        out += list(self.options.values()) + list(self.rows.values())
        return out + ([self.other] if self.other else [])


def _candidates(item: Item, cols: list[Column], family: str) -> list[Column]:
    m = item.match
    if family in ("table", "spss"):
        names = {item.id, *(r.id for r in item.rows or []), *_own_columns(item)}
        if m and m.column:
            names.add(norm(m.column))
        if m and m.other:
            names.add(norm(m.other))
        prefix = item.id + "__"
        direct = [c for c in cols if c.meta is None and (c.header in names or c.header.startswith(prefix)
                                                          or c.header == item.id + "_other")]
        if direct:
            return direct
    if family == "qualtrics":
        name = (m.qualtrics if m and m.qualtrics else (f"Q{item.q}" if item.q is not None else None))
        if name:
            qn = name[1:] if name.startswith("Q") else name
            return [c for c in cols if c.qnum == qn]
    if m and m.column:
        exact = [c for c in cols if c.meta is None and c.header == norm(m.column)]
        if exact:
            return exact
    out = [c for c in cols if c.meta is None and c.qnum is not None]
    if item.q is not None:
        out = [c for c in out if c.qnum == str(item.q)]
    if m and m.text:
        t = canon(m.text)
        qnums = {c.qnum for c in out if t in canon(c.stem) or t in canon(c.header)}
        out = [c for c in out if c.qnum in qnums]  # with the by-code option columns of those questions
    elif item.q is None:
        return []
    return out


def _own_columns(item: Item) -> set[str]:
    """Headers named in the definition for single options (SPSS dummies) and matrix rows."""
    return {norm(x.column) for x in (item.options or []) + (item.rows or []) if x.column}


def plan_items(q: Questionnaire, table: RawTable, cols: list[Column], family: str) -> list[ItemPlan]:
    plans: list[ItemPlan] = []
    owner: dict[int, str] = {}
    for item in q.items:
        cands = _candidates(item, cols, family)
        where = f"item '{item.id}'" + (f" (question {item.q})" if item.q is not None else "")
        if not cands:
            raise InputError(f"{where} matches no column of the export", file=table.path,
                             hint="check 'q' or 'match' in the questionnaire definition")
        plan = ItemPlan(item)
        own = _own_columns(item)
        direct_table = family in ("table", "spss") and any(
            c.header in (item.id, *(r.id for r in item.rows or [])) or c.header in own or c.header.startswith(item.id + "__")
            for c in cands)
        if direct_table:
            _plan_direct(q, plan, cands, table)
        else:
            _plan_numbered(q, plan, cands, table, where)
        for c in plan.columns():
            if c.index in owner:
                raise InputError(f"column matches two items: '{owner[c.index]}' and '{item.id}'",
                                 file=table.path, column=c.header, row=table.first_data_row - 1)
            owner[c.index] = item.id
        plans.append(plan)
    return plans


def _plan_direct(q: Questionnaire, plan: ItemPlan, cands: list[Column], table: RawTable) -> None:
    item = plan.item
    by_header = {c.header: c for c in cands}
    if item.type == "matrix":
        for r in item.rows or []:
            name = norm(r.column) if r.column else r.id
            if name not in by_header:
                raise InputError(f"matrix row '{r.id}' of item '{item.id}' matches no column (expected '{name}')", file=table.path)
            plan.rows[r.id] = by_header[name]
        return
    plan.other = by_header.get(norm(item.match.other)) if item.match and item.match.other else None
    plan.other = plan.other or by_header.get(item.id + "_other")
    main_name = norm(item.match.column) if item.match and item.match.column and norm(item.match.column) in by_header else item.id
    per_option = any(o.column for o in q.options_of(item))
    if item.type in ("multi", "ranking") and (per_option or main_name not in by_header):
        for o in q.options_of(item):
            name = norm(o.column) if o.column else f"{item.id}__{o.col_key}"
            c = by_header.get(name)
            if c is None:
                raise InputError(f"option '{o.label}' of item '{item.id}' has no column '{name}'", file=table.path)
            plan.options[o.code] = c
        return
    if main_name not in by_header:
        raise InputError(f"item '{item.id}' matches no column", file=table.path)
    plan.main = by_header[main_name]


def _plan_numbered(q: Questionnaire, plan: ItemPlan, cands: list[Column], table: RawTable, where: str) -> None:
    item = plan.item
    others = [c for c in cands if c.other_text]
    subs = [c for c in cands if not c.other_text and c.sub is not None]
    mains = [c for c in cands if not c.other_text and c.sub is None]
    if len(others) > 1:
        raise InputError(f"two fill-in columns match {where}: '{others[0].header}' and '{others[1].header}'",
                         file=table.path, column=others[1].header)
    plan.other = others[0] if others else None
    if len(mains) > 1:
        raise InputError(f"two columns match {where}: '{mains[0].header}' and '{mains[1].header}'",
                         file=table.path, column=mains[1].header, hint="give 'match' to tell them apart")
    if item.type == "matrix":
        rows = {canon(r.label): r for r in item.rows or []}
        for c in subs:
            r = rows.get(canon(c.sub))
            if r is None and c.bare:
                continue  # an unrelated unnumbered column after the matrix: left unmapped
            if r is None:
                raise InputError(f"column is not one of the rows of matrix {where} "
                                 f"(rows: {', '.join(x.label for x in item.rows or [])})", file=table.path, column=c.header)
            if r.id in plan.rows:
                raise InputError(f"two columns match row '{r.label}' of {where}", file=table.path, column=c.header)
            plan.rows[r.id] = c
        missing = [r.label for r in item.rows or [] if r.id not in plan.rows]
        if missing:
            raise InputError(f"matrix {where}: no column for row(s) {missing}", file=table.path)
        if mains:
            raise InputError(f"column without a row label matches matrix {where}", file=table.path, column=mains[0].header)
        return
    if item.type in ("multi", "ranking") and subs:
        opts = {canon(o.label): o for o in q.options_of(item)}
        for c in subs:
            o = opts.get(canon(c.sub))
            if o is None:
                raise InputError(f"column is not one of the options of {where}", file=table.path, column=c.header,
                                 hint="add the option to the definition")
            if o.code in plan.options:
                raise InputError(f"two columns match option '{o.label}' of {where}", file=table.path, column=c.header)
            plan.options[o.code] = c
        missing = [o.label for o in q.options_of(item) if o.code not in plan.options]
        if missing:
            raise InputError(f"{where}: no column for option(s) {missing}", file=table.path)
        if mains:
            plan.main = mains[0]  # Qualtrics-style summary column next to option columns: unused
        return
    if subs:
        raise InputError(f"column with a sub-label matches {where}, which is a {item.type} item",
                         file=table.path, column=subs[0].header, hint="is the item a matrix or multi-select?")
    if not mains:
        raise InputError(f"{where} matches no column of the export", file=table.path)
    plan.main = mains[0]
