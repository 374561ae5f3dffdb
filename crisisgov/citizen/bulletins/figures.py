"""A bulletin's figures (protected, as published) and the draft texts written from them.

`figures_compute` reads the early-warning numbers of an area for a day and keeps only what the
small-count rule lets through (protection.py): the figures stored on a bulletin, served by the
API and shown on the page, never hold a protected count.
"""

from __future__ import annotations

import datetime as dt

from crisisgov.citizen.bulletins.protection import Cell, Rule, protect
from crisisgov.earlywarning.facade import case_numbers
from crisisgov.exchange.facade import small_count_rule

RULE_VERSION = "small-counts-1"
LEVELS = ("high", "medium", "low")


def _shown(cell: Cell) -> int | str | None:
    return cell.shown


def _as_of(last: tuple[dt.date, int] | None) -> dict | None:
    return None if last is None else {"date": last[0].isoformat(), "value": last[1]}


def _rt(mean: float | None, lower: float | None, upper: float | None) -> dict | None:
    if mean is None:
        return None
    return {
        "mean": round(mean, 2),
        "lower": None if lower is None else round(lower, 2),
        "upper": None if upper is None else round(upper, 2),
    }


def figures_compute(area_path: str, day: dt.date) -> dict:
    """The published figures of the area's bulletin for `day` (JSON-ready)."""
    threshold, label = small_count_rule()
    rule = Rule(threshold=threshold, label=label)
    numbers = case_numbers(area_path, day)
    protected = protect(rule, day, numbers.daily, [c.daily for c in numbers.children])
    districts = [
        {
            "code": child.code,
            "name_zh": child.name_zh,
            "name_en": child.name_en,
            "new": _shown(new),
            "cumulative": _shown(cumulative),
            "cumulative_as_of": _as_of(as_of),
            "level": child.level,
            "rt": _rt(child.rt_mean, child.rt_lower, child.rt_upper),
        }
        for child, (new, cumulative), as_of in zip(
            numbers.children, protected.children, protected.children_as_of, strict=True
        )
    ]
    return {
        "rule": RULE_VERSION,
        "small_count": threshold,
        "indicator": "confirmed-cases",
        "date": day.isoformat(),
        "area": {"code": numbers.code, "name_zh": numbers.name_zh, "name_en": numbers.name_en},
        "new": _shown(protected.new),
        "cumulative": _shown(protected.cumulative),
        "cumulative_as_of": _as_of(protected.cumulative_as_of),
        "daily": [{"date": d.isoformat(), "new": _shown(c)} for d, c in protected.daily],
        "districts": districts,
        "risk": {level: numbers.risk_counts.get(level, 0) for level in ("high", "medium")},
    }


# --- the draft texts ------------------------------------------------------------------------


def cell_text(value: object, language: str) -> str:
    """A figure as a reader sees it: the count, "<10" (zh "少于10"), or "—" when withheld."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return "少于10" if language != "en" and value == "<10" else value
    return str(value)


def _zh_count(value: object) -> str:
    return f"{cell_text(value, 'zh-hans')}例"


def _en_count(value: object, noun: str = "case") -> str:
    return f"{cell_text(value, 'en')} {noun}" + ("" if value == 1 else "s")


def _headline_zh(figures: dict) -> str:
    new, total = figures["new"], figures["cumulative"]
    parts = [
        f"新增确诊病例{_zh_count(new)}" if new is not None else "新增确诊病例总数暂不公布",
        f"累计报告确诊病例{_zh_count(total)}" if total is not None else "累计病例总数暂不公布",
    ]
    last = figures.get("cumulative_as_of")
    if total is None and last:
        day = dt.date.fromisoformat(last["date"])
        parts[1] += f"（截至{day.month}月{day.day}日累计{last['value']}例）"
    withheld = "（为保护个人信息，可推算出小数字的合计数不予公布）" if None in (new, total) else ""
    return "，".join(parts) + withheld + "。"


def _headline_en(figures: dict) -> str:
    new, total = figures["new"], figures["cumulative"]
    parts = [
        f"reported {_en_count(new, 'new confirmed case')}"
        if new is not None
        else "its total of new confirmed cases is withheld",
        f"{_en_count(total, 'confirmed case')} in total"
        if total is not None
        else "the cumulative total is withheld",
    ]
    last = figures.get("cumulative_as_of")
    if total is None and last:
        day = dt.date.fromisoformat(last["date"])
        parts[1] += f" ({last['value']} up to {en_date(day)})"
    hidden = None in (new, total)
    withheld = " (a total that would reveal a small count is not published)" if hidden else ""
    return "; ".join(parts) + withheld + "."


MONTHS = "January February March April May June July August September October November December"


def en_date(day: dt.date) -> str:
    """ "26 November 2026" whatever the process locale."""
    return f"{day.day} {MONTHS.split()[day.month - 1]} {day.year}"


def draft_texts(figures: dict) -> dict[str, str]:
    """Title and body in zh-Hans and en, written from the figures, for an official to edit."""
    day = dt.date.fromisoformat(figures["date"])
    area = figures["area"]
    risk = figures["risk"]
    with_cases = [d for d in figures["districts"] if d["new"] not in (0, None)]
    rts = [d for d in figures["districts"] if d["rt"]]
    top = max(rts, key=lambda d: d["rt"]["mean"], default=None)

    zh = [f"{day.year}年{day.month}月{day.day}日0—24时，{area['name_zh']}{_headline_zh(figures)}"]
    en = [f"On {en_date(day)}, {area['name_en']} {_headline_en(figures)}"]
    if with_cases:
        zh.append(
            "新增病例分布："
            + "，".join(f"{d['name_zh']}{_zh_count(d['new'])}" for d in with_cases)
            + "。"
        )
        en.append(
            "New cases by district: "
            + "; ".join(f"{d['name_en']} {cell_text(d['new'], 'en')}" for d in with_cases)
            + "."
        )
    zh.append(
        f"目前{area['name_zh']}共有高风险地区{risk['high']}个，中风险地区{risk['medium']}个。"
    )
    en.append(f"There are now {risk['high']} high-risk and {risk['medium']} medium-risk areas.")
    if top:
        rt = top["rt"]
        zh_ci = en_ci = ""
        if rt["lower"] is not None and rt["upper"] is not None:
            zh_ci = f"（95%可信区间{rt['lower']:.2f}—{rt['upper']:.2f}）"
            en_ci = f" (95% credible interval {rt['lower']:.2f}–{rt['upper']:.2f})"
        zh.append(f"{top['name_zh']}的有效再生数（Rt）估计为{rt['mean']:.2f}{zh_ci}。")
        en.append(
            "The effective reproduction number (Rt) is highest in "
            f"{top['name_en']}: {rt['mean']:.2f}{en_ci}."
        )
    zh.append("请广大市民做好个人防护，以官方发布的信息为准，不信谣、不传谣。")
    en.append("Please keep protecting yourself and others, and rely on official information only.")
    return {
        "title_zh": f"{area['name_zh']}疫情通报（{day.year}年{day.month}月{day.day}日）",
        "title_en": f"{area['name_en']} situation bulletin, {en_date(day)}",
        "body_zh": "\n\n".join(zh),
        "body_en": "\n\n".join(en),
    }
