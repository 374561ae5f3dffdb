"""A seeded synthetic corpus of messages with personal data and its gold spans, for measuring
`text.redact` (the issue's target: recall at least 0.99 for phone and ID numbers).

Each sample mixes one to three pieces of personal data, written the many ways people write them
(spaced, dashed, +86/0086, full-width digits, zero-width characters inside, Chinese numerals,
lower-case x, 15-digit legacy IDs), in zh and en sentences, with decoys that must stay: dates,
times, amounts, order and tracking numbers, 18-digit numbers that are not IDs, hotline numbers.
Gold spans follow `text.redact`'s conventions (a zh address from the house number on). The
corpus is made by the same hands as the redactor, so it measures coverage of the formats listed
here, not of formats nobody thought of.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from crisisgov.opinion.analysis.text import id_check_character


@dataclass(frozen=True, slots=True)
class Sample:
    text: str
    pii: tuple[tuple[str, int, int], ...]  # (kind, start, end)
    language: str


_MOBILE_PREFIXES = [
    *range(130, 140),
    145,
    147,
    150,
    151,
    152,
    153,
    155,
    156,
    157,
    158,
    159,
    166,
    *range(170, 179),
    *range(180, 190),
    191,
    195,
    198,
    199,
]
_AREA_CODES = [
    "010",
    "020",
    "021",
    "022",
    "023",
    "024",
    "025",
    "027",
    "028",
    "029",
    "0371",
    "0411",
    "0512",
    "0571",
    "0591",
    "0731",
    "0755",
    "0769",
    "0851",
    "0898",
    "0716",
]
_ID_AREAS = [
    "420106",
    "420102",
    "110101",
    "310104",
    "440305",
    "510107",
    "330106",
    "320102",
    "370202",
    "120101",
    "500103",
    "610113",
    "230102",
    "350203",
    "430104",
    "650102",
]
_FULL = str.maketrans("0123456789-+()", "０１２３４５６７８９－＋（）")
_ZH_NUMERALS = str.maketrans("0123456789", "零一二三四五六七八九")
_SURNAMES = ["张", "王", "李", "刘", "陈", "杨", "黄", "赵", "周", "吴"]
_EN_NAMES = ["Li Wei", "Zhang Min", "Tom", "Anna", "Mr Chen", "Ms Wang"]
_STREETS = [
    "中山路",
    "解放大道",
    "和平街",
    "友谊路",
    "沿江大道",
    "民主路",
    "黄鹤楼街",
    "青年路",
    "建设巷",
    "南京路",
    "武珞路",
    "光谷大道",
]
_ESTATES = ["阳光小区", "幸福花园", "金色家园", "东湖新村", "碧桂园", "万科城", "翠苑", "锦绣公寓"]
_EN_STREETS = [
    "Baker Street",
    "Zhongshan Road",
    "Jiefang Avenue",
    "Oak Lane",
    "Park Road",
    "Riverside Drive",
    "Station St",
    "Heping Ave",
]
_DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "sina.com", "outlook.com", "whu.edu.cn"]


def _mobile(rng: random.Random) -> str:
    digits = f"{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
    style = rng.randrange(14)
    a, b, c = digits[:3], digits[3:7], digits[7:]
    return [
        digits,
        digits,
        digits,
        f"{a} {b} {c}",
        f"{a}-{b}-{c}",
        f"{a} {digits[3:]}",
        f"+86{digits}",
        f"+86 {a} {b} {c}",
        f"+86-{a}-{b}-{c}",
        f"0086{digits}",
        f"(+86){digits}",
        digits.translate(_FULL),
        f"{a}-{b}-{c}".translate(_FULL),
        f"{a}\u200b{b}\u200b{c}",
    ][style]


def _landline(rng: random.Random) -> str:
    area = rng.choice(_AREA_CODES)
    local = f"{rng.randrange(2, 10)}{rng.randrange(10**7):07d}"
    if len(area) == 4 and rng.random() < 0.4:
        local = local[:7]
    head, tail = local[:-4], local[-4:]
    return [
        f"{area}-{local}",
        f"({area}){local}",
        f"{area} {head} {tail}",
        f"{area}{local}",
        f"+86 {area[1:]} {head} {tail}",
        f"{area}-{local}".translate(_FULL),
    ][rng.randrange(6)]


def _birth(rng: random.Random) -> dt.date:
    return dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(31000))


def _id_number(rng: random.Random, *, wrong_check: bool = False) -> str:
    first17 = f"{rng.choice(_ID_AREAS)}{_birth(rng):%Y%m%d}{rng.randrange(1000):03d}"
    check = id_check_character(first17)
    if wrong_check:
        check = rng.choice([c for c in "0123456789X" if c != check])
    number = first17 + check
    style = rng.randrange(8)
    if style == 0 and number.endswith("X"):
        return number[:-1] + "x"
    if style == 1:
        return f"{number[:6]} {number[6:14]} {number[14:]}"
    if style == 2:
        return number.translate(_FULL).replace("X", "Ｘ")
    if style == 3 and not wrong_check:
        return f"{rng.choice(_ID_AREAS)}{_birth(rng):%y%m%d}{rng.randrange(1000):03d}"  # 15 digits
    return number


def _email(rng: random.Random) -> str:
    user = rng.choice(["zhang.wei", "liming88", "wh_citizen", "anna.k", "helpme2020", "chen-li"])
    if rng.random() < 0.3:
        user = str(rng.randrange(10**5, 10**10))
    return f"{user}@{rng.choice(_DOMAINS)}"


def _zh_address(rng: random.Random) -> tuple[str, str]:
    """(the place name that stays, the part that is masked)."""
    if rng.random() < 0.5:
        number = f"{rng.randrange(1, 400)}号"
        if rng.random() < 0.6:
            number += (
                f"{rng.randrange(1, 30)}栋{rng.randrange(1, 6)}单元{rng.randrange(101, 2300)}室"
            )
        return rng.choice(_STREETS), number
    building = rng.choice(["栋", "幢", "号楼"])
    unit = f"{rng.randrange(1, 6)}单元" if rng.random() < 0.7 else ""
    return rng.choice(
        _ESTATES
    ), f"{rng.randrange(1, 40)}{building}{unit}{rng.randrange(101, 2300)}室"


def _en_address(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.randrange(1, 999)} {rng.choice(_EN_STREETS)}"
    return f"Room {rng.randrange(101, 2300)}, Building {rng.randrange(1, 30)}"


_ZH_DECOYS = [
    "2023-11-28",
    "11月28日",
    "13:45",
    "3月5号",
    "金额13800元",
    "¥1,380.00",
    "订单号2023112812345678",
    "快递单号SF1234567890123",
    "热线12345",
    "第3批",
    "共计138人",
    "编号20231128000123456789",
    "工号10086",
    "价格上涨了20%",
    "1号线",
    "110报警",
    "去年GDP增长5.2%",
    "凌晨2点",
    "4.5级地震",
]
_EN_DECOYS = [
    "on 2023-11-28",
    "at 13:45",
    "order #2023112812345678",
    "about 1,380 yuan",
    "line 2",
    "hotline 12345",
    "tracking SF1234567890123",
    "ref 20231128000123456789",
    "room temperature 25",
    "3 hours on the street",
    "in 2020",
    "Covid-19",
    "about 500 people",
]
_ZH_FRAMES = {
    "phone": [
        "我的手机号是{}，有事联系",
        "联系电话：{}",
        "请拨打{}咨询",
        "有人打电话{}冒充社区",
        "电话{}（白天）",
        "号码{}，李先生",
        "回电{}谢谢",
        "{}",
        "手机 {} 微信同号",
        "【求助】联系人{}",
    ],
    "id_number": ["身份证号{}", "身份证：{}", "证件号码 {} 请核实", "我的身份证号码是{}，", "{}"],
    "email": ["邮箱{}", "请发邮件到{}", "联系邮箱：{}。"],
}
_EN_FRAMES = {
    "phone": [
        "Call me at {}.",
        "My number is {}",
        "contact: {}",
        "phone {} (day)",
        "{} is my cell",
        "Please ring {}, thanks",
        "mobile:{}",
    ],
    "id_number": ["My ID number is {}", "ID: {}", "ID card {} please check", "{}"],
    "email": ["Email me at {}", "contact {} for help", "mail: {}."],
}


def _piece(rng: random.Random, kind: str, language: str) -> tuple[str, str, str]:
    """(text before the value, value, text after it) and the gold kind in `kind`'s place."""
    if kind == "phone":
        value = _mobile(rng) if rng.random() < 0.75 else _landline(rng)
        if language == "zh" and rng.random() < 0.04:
            value = f"{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10**8):08d}".translate(
                _ZH_NUMERALS
            )
    elif kind == "id_number":
        value = _id_number(rng)
    else:
        value = _email(rng)
    frames = (_ZH_FRAMES if language == "zh" else _EN_FRAMES)[kind]
    before, after = rng.choice(frames).split("{}")
    return before, value, after


def samples(count: int = 2400, seed: int = 6) -> list[Sample]:
    """`count` samples, about half zh and half en, the same for the same seed."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        language = "zh" if rng.random() < 0.55 else "en"
        parts: list[tuple[str, str | None]] = []  # (text, gold kind or None)
        if rng.random() < 0.6:
            decoys = _ZH_DECOYS if language == "zh" else _EN_DECOYS
            parts.append((rng.choice(decoys) + ("，" if language == "zh" else ", "), None))
        for _ in range(rng.randrange(1, 4)):
            roll = rng.random()
            if roll < 0.45:
                kind = "phone"
            elif roll < 0.8:
                kind = "id_number"
            elif roll < 0.88:
                kind = "email"
            elif roll < 0.97:
                kind = "address"
            else:
                kind = "id_suspect"
            if kind == "address":
                if language == "zh":
                    place, masked = _zh_address(rng)
                    parts += [
                        (rng.choice(["住在", "家住", "地址：", "我在"]) + place, None),
                        (masked, "address"),
                    ]
                else:
                    parts += [("I live at ", None), (_en_address(rng), "address")]
            elif kind == "id_suspect":
                parts += [
                    ("身份证号" if language == "zh" else "ID ", None),
                    (_id_number(rng, wrong_check=True), "id_suspect"),
                ]
            else:
                before, value, after = _piece(rng, kind, language)
                parts += [(before, None), (value, kind), (after, None)]
            parts.append(("，" if language == "zh" else "; ", None))
        if rng.random() < 0.4:
            decoys = _ZH_DECOYS if language == "zh" else _EN_DECOYS
            parts.append((rng.choice(decoys), None))
        if rng.random() < 0.2:
            name = rng.choice(_SURNAMES) + "女士" if language == "zh" else rng.choice(_EN_NAMES)
            parts.append((" " + name, None))
        text, pii, cursor = "", [], 0
        for piece, kind in parts:
            if kind:
                pii.append((kind, cursor, cursor + len(piece)))
            text += piece
            cursor += len(piece)
        made.append(Sample(text, tuple(pii), language))
    return made
