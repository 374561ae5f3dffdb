"""A generated population with known truth for measuring record linkage.

`make_linkage_set(people=…, seed=…)` draws a city's residents (common Chinese surnames, one- or
two-character given names, a few foreign residents with romanised names, households that share
an address, a phone and sometimes a birthday for twins) and copies them into three departmental
datasets the way real registers differ:

* health (clinics): district-first addresses with 号楼 and 室, most IDs, romanised names for
  foreign residents as "Given Surname";
* community (grid registration): full-width digits, 栋 instead of 号楼, no district, and foreign
  names written "SURNAME Given";
* testing (test sites): the short "building-unit-room" form, and sometimes a Chinese resident's
  name in pinyin only ("Wang Wei" or "Wei Wang").

Every copy gets independent noise: 30% missing ID numbers, a wrong or homophone character in
the name, swapped day and month or one wrong digit in the birth date, missing or changed
phones, moves, and a few duplicates inside one dataset. The truth (record key → person) is kept
so that the tests and the benchmark can count exactly which links are right.

The ID number and phone of a record reach linkage only as keyed blind indexes (HMAC), as the
platform stores them; the key here is a fixed test key.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from crisisgov.exchange.linkage import PersonRecord

_INDEX_KEY = b"linkage-test-blind-index-key"

SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 5.2), ("李", 5.1), ("张", 4.9), ("刘", 3.9), ("陈", 3.1), ("杨", 2.2), ("黄", 1.9),
    ("赵", 1.5), ("吴", 1.4), ("周", 1.4), ("徐", 1.1), ("孙", 1.1), ("马", 1.0), ("朱", 1.0),
    ("胡", 0.9), ("郭", 0.9), ("何", 0.8), ("林", 0.8), ("高", 0.8), ("罗", 0.7), ("郑", 0.7),
    ("梁", 0.6), ("谢", 0.6), ("宋", 0.5), ("唐", 0.5), ("许", 0.5), ("韩", 0.5), ("冯", 0.5),
    ("邓", 0.5), ("曹", 0.5), ("彭", 0.4), ("曾", 0.4), ("肖", 0.4), ("田", 0.4), ("董", 0.4),
    ("袁", 0.4), ("潘", 0.4), ("于", 0.4), ("蒋", 0.4), ("蔡", 0.3), ("余", 0.3), ("杜", 0.3),
    ("叶", 0.3), ("程", 0.3), ("苏", 0.3), ("魏", 0.3), ("吕", 0.3), ("丁", 0.3), ("任", 0.3),
    ("沈", 0.3), ("姚", 0.3), ("卢", 0.3), ("姜", 0.3), ("崔", 0.3), ("钟", 0.3), ("谭", 0.3),
    ("陆", 0.2), ("汪", 0.2), ("范", 0.2), ("金", 0.2), ("石", 0.2), ("廖", 0.2), ("贾", 0.2),
    ("夏", 0.2), ("韦", 0.2), ("付", 0.2), ("方", 0.2), ("白", 0.2), ("邹", 0.2), ("孟", 0.2),
    ("熊", 0.2), ("秦", 0.2), ("邱", 0.2), ("江", 0.2), ("尹", 0.2), ("薛", 0.2), ("闫", 0.2),
    ("段", 0.2), ("雷", 0.2), ("侯", 0.2), ("龙", 0.2), ("史", 0.2), ("陶", 0.1), ("黎", 0.1),
    ("贺", 0.1), ("顾", 0.1), ("毛", 0.1), ("郝", 0.1), ("龚", 0.1), ("邵", 0.1), ("万", 0.1),
    ("钱", 0.1), ("严", 0.1), ("覃", 0.1), ("武", 0.1), ("戴", 0.1), ("莫", 0.1), ("孔", 0.1),
    ("欧阳", 0.05), ("上官", 0.01), ("司马", 0.01), ("诸葛", 0.005),
)  # fmt: skip
# Readings of the surnames and given-name characters, for the records that carry a Chinese
# name romanised. Written out here rather than taken from pypinyin, so that the test data do
# not share the linkage code's idea of how a character reads.
_READING = re.compile(r"([\u4e00-\u9fff])([a-z]+)")
SURNAME_PINYIN = dict(
    _READING.findall(
        "王wang 李li 张zhang 刘liu 陈chen 杨yang 黄huang 赵zhao 吴wu 周zhou 徐xu 孙sun 马ma "
        "朱zhu 胡hu 郭guo 何he 高gao 林lin 罗luo 郑zheng 梁liang 谢xie 宋song 唐tang 许xu "
        "韩han 冯feng 邓deng 曹cao 彭peng 曾zeng 肖xiao 田tian 董dong 袁yuan 潘pan 于yu "
        "蒋jiang 蔡cai 余yu 杜du 叶ye 程cheng 苏su 魏wei 吕lv 丁ding 任ren 沈shen 姚yao 卢lu "
        "姜jiang 崔cui 钟zhong 谭tan 陆lu 汪wang 范fan 金jin 石shi 廖liao 贾jia 夏xia 韦wei "
        "付fu 方fang 白bai 邹zou 孟meng 熊xiong 秦qin 邱qiu 江jiang 尹yin 薛xue 闫yan 段duan "
        "雷lei 侯hou 龙long 史shi 陶tao 黎li 贺he 顾gu 毛mao 郝hao 龚gong 邵shao 万wan 钱qian "
        "严yan 覃qin 武wu 戴dai 莫mo 孔kong"
    )
) | {"欧阳": "ouyang", "上官": "shangguan", "司马": "sima", "诸葛": "zhuge"}

GIVEN = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国志文博晨轩睿哲豪泽航铭皓毅峰成"
    "锋海东亮兵荣坤彬翔鸿瑞鸣芳娜敏静丽艳娟霞秀燕玲桂丹萍红梅琳婷雪慧颖倩洁琴云莉欣怡佳悦雨涵萱"
    "诗梓馨思彤月晶璐蕾薇瑶琪岚淑珍凤兰英子一嘉安乐可心天新语若清"
)

# Characters read alike (same toneless pinyin): the clerk who hears a name writes one of these.
HOMOPHONES: tuple[str, ...] = (
    "伟玮炜韦薇", "静婧靖晶菁", "丽莉俐立利", "娜那纳", "敏民闽", "杰洁婕捷", "军君均钧俊峻骏",
    "明铭鸣", "华桦骅", "芳方舫", "红宏鸿洪", "林琳霖麟临", "燕艳雁彦", "玲铃龄凌", "涛韬滔",
    "磊蕾垒", "勇永咏泳", "超潮朝", "刚钢纲", "平萍苹", "辉慧惠晖", "鹏朋", "飞菲霏非",
    "鑫欣新馨心", "波博柏", "宇雨语羽玉", "浩昊皓豪", "凯楷锴", "健建剑", "帆凡", "旭栩",
    "龙隆", "阳洋杨扬", "志智", "文雯", "晨辰", "轩萱宣", "睿瑞", "哲喆", "峰锋丰枫", "成诚",
    "东冬", "兵冰", "荣蓉", "彬斌", "翔祥", "娟鹃", "梅玫眉", "婷亭", "颖影莹英", "琴芹勤",
    "云芸", "佳嘉家", "悦月越", "涵晗寒", "梓子紫", "思丝", "彤桐", "璐露路", "瑶遥",
    "琪琦淇棋", "岚兰蓝", "珍真贞", "清青晴", "毅怡艺一",
)  # fmt: skip
_HOMOPHONE_OF = {ch: group for group in HOMOPHONES for ch in group}
GIVEN_PINYIN = dict(
    _READING.findall(
        "伟wei 强qiang 磊lei 军jun 勇yong 杰jie 涛tao 斌bin 超chao 明ming 刚gang 平ping 辉hui "
        "鹏peng 华hua 飞fei 鑫xin 波bo 宇yu 浩hao 凯kai 健jian 俊jun 帆fan 旭xu 宁ning 龙long "
        "林lin 阳yang 建jian 国guo 志zhi 文wen 博bo 晨chen 轩xuan 睿rui 哲zhe 豪hao 泽ze "
        "航hang 铭ming 皓hao 毅yi 峰feng 成cheng 锋feng 海hai 东dong 亮liang 兵bing 荣rong "
        "坤kun 彬bin 翔xiang 鸿hong 瑞rui 鸣ming 芳fang 娜na 敏min 静jing 丽li 艳yan 娟juan "
        "霞xia 秀xiu 燕yan 玲ling 桂gui 丹dan 萍ping 红hong 梅mei 琳lin 婷ting 雪xue 慧hui "
        "颖ying 倩qian 洁jie 琴qin 云yun 莉li 欣xin 怡yi 佳jia 悦yue 雨yu 涵han 萱xuan 诗shi "
        "梓zi 馨xin 思si 彤tong 月yue 晶jing 璐lu 蕾lei 薇wei 瑶yao 琪qi 岚lan 淑shu 珍zhen "
        "凤feng 兰lan 英ying 子zi 一yi 嘉jia 安an 乐le 可ke 心xin 天tian 新xin 语yu 若ruo "
        "清qing"
    )
)
# A homophone written by mistake is romanised like the character it stands for.
GIVEN_PINYIN |= {
    ch: GIVEN_PINYIN[known]
    for group in HOMOPHONES
    for known in group[:1]
    for ch in group
    if ch not in GIVEN_PINYIN
}
FOREIGN_GIVEN = (
    "James", "John", "Robert", "Michael", "David", "William", "Thomas", "Daniel", "Peter",
    "Mary", "Emma", "Olivia", "Sophia", "Sarah", "Anna", "Laura", "Grace", "Minjun", "Hiroshi",
    "Yuki", "Anh", "Linh", "Ivan", "Olga", "Ahmed", "Fatima", "Carlos", "Maria",
)  # fmt: skip
FOREIGN_SURNAMES = (
    "Smith", "Johnson", "Brown", "Miller", "Wilson", "Taylor", "Martin", "White", "Clark",
    "Kim", "Park", "Lee", "Tanaka", "Sato", "Nguyen", "Tran", "Petrov", "Ivanova", "Khan",
    "Ali", "Garcia", "Lopez", "Schmidt", "Dubois", "Rossi", "Silva",
)  # fmt: skip

DISTRICTS: tuple[tuple[str, str], ...] = (
    ("滨湖区", "420102"), ("云溪区", "420103"), ("望江区", "420104"), ("清源区", "420105"),
    ("长乐区", "420106"), ("安澜区", "420107"), ("桂湖区", "420111"), ("梧桐区", "420112"),
)  # fmt: skip
PLACES = (
    "青山", "和平", "长丰", "白沙", "东湖", "南湖", "桃园", "柳林", "花桥", "石桥", "新华",
    "民主", "建设", "友谊", "胜利", "光明", "幸福", "团结", "红旗", "文昌", "紫阳", "凤凰",
    "龙泉", "金桥", "银湖", "翠柳", "梅岭", "竹林", "松涛", "荷塘", "清河", "北湖", "西园",
)  # fmt: skip
ROADS = ("路", "街", "大道")
ESTATES = ("花园", "小区", "苑", "家园", "新村")

DATASETS = ("health", "community", "testing")
# Share of the city that appears in each dataset.
COVERAGE = {"health": 0.8, "community": 0.9, "testing": 0.75}


@dataclass(frozen=True, slots=True)
class Address:
    district: str
    area_code: str
    road: str
    number: int
    estate: str
    building: int
    unit: int
    room: int


@dataclass(frozen=True, slots=True)
class Person:
    number: int
    surname: str
    given: str
    foreign: bool
    date_of_birth: date
    national_id: str
    phone: str | None
    address: Address


@dataclass(frozen=True)
class LinkageSet:
    """Records of all datasets, shuffled, and the person each record is really about."""

    records: list[PersonRecord]
    truth: dict[str, int]
    # What was done to each record: no_id, mis_keyed_id, typo, homophone, romanised,
    # given_first (name written given name first), dob_swapped, dob_digit, no_phone,
    # new_phone, moved, no_address, duplicate.
    noise: dict[str, frozenset[str]]

    def true_pairs(self) -> set[tuple[str, str]]:
        """Every unordered pair of records about the same person, as (smaller key, larger key)."""
        by_person: dict[int, list[str]] = defaultdict(list)
        for key, person in self.truth.items():
            by_person[person].append(key)
        return {
            (a, b) if a < b else (b, a)
            for keys in by_person.values()
            for a, b in itertools.combinations(keys, 2)
        }


def blind(value: str, context: str) -> str:
    """The platform's blind index shape: HMAC-SHA256 of the normalised value, truncated."""
    return hmac.new(_INDEX_KEY, f"{context}\x00{value}".encode(), hashlib.sha256).hexdigest()[:40]


def _check_digit(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def _national_id(area: str, born: date, serial: int) -> str:
    first17 = f"{area}{born:%Y%m%d}{serial % 1000:03d}"
    return first17 + _check_digit(first17)


def _phone(rng: random.Random) -> str:
    return rng.choice(("13", "15", "17", "18", "19")) + f"{rng.randrange(10**9):09d}"


def _address(rng: random.Random) -> Address:
    district, code = rng.choice(DISTRICTS)
    return Address(
        district=district,
        area_code=code,
        road=rng.choice(PLACES) + rng.choice(ROADS),
        number=rng.randrange(1, 400),
        estate=rng.choice(PLACES) + rng.choice(ESTATES),
        building=rng.randrange(1, 30),
        unit=rng.randrange(1, 7),
        room=rng.randrange(1, 33) * 100 + rng.randrange(1, 5),
    )


_SURNAME_WEIGHTS = list(itertools.accumulate(w for _, w in SURNAMES))


def _given(rng: random.Random) -> str:
    # About 60% of people born since the 1980s have two-character given names; older people
    # more often one. A fixed share is close enough for linkage.
    return "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.35 else 2))


def _people(count: int, rng: random.Random) -> list[Person]:
    """Residents in households: members share an address, children the father's surname and
    often a parent's phone; one household in forty has twins born the same day."""
    people: list[Person] = []
    start = date(1930, 1, 1)
    while len(people) < count:
        address = _address(rng)
        foreign = rng.random() < 0.03
        family = (
            rng.choice(FOREIGN_SURNAMES)
            if foreign
            else rng.choices([s for s, _ in SURNAMES], cum_weights=_SURNAME_WEIGHTS)[0]
        )
        size = rng.choice((1, 2, 2, 3, 3, 3, 4, 5))
        head_born = start + timedelta(days=rng.randrange(0, 365 * 75))
        family_phone = _phone(rng)
        twins_at = rng.randrange(2, size) if size >= 4 and rng.random() < 0.1 else None
        child_born = head_born + timedelta(days=365 * 25 + rng.randrange(0, 365 * 12))
        for member in range(size):
            if member == 0:
                born, surname = head_born, family
            elif member == 1:
                born = head_born + timedelta(days=rng.randrange(-1500, 1500))
                surname = (
                    family
                    if foreign
                    else rng.choices([s for s, _ in SURNAMES], cum_weights=_SURNAME_WEIGHTS)[0]
                )
            else:
                surname = family
                if member != twins_at:
                    child_born = child_born + timedelta(days=rng.randrange(300, 3000))
                born = child_born
            if born > date(2024, 12, 31):
                break  # the household's younger children are not born yet
            given = rng.choice(FOREIGN_GIVEN) if foreign else _given(rng)
            child = member >= 2
            phone = None if rng.random() < 0.08 else (
                family_phone if child and rng.random() < 0.5 else _phone(rng)
            )  # fmt: skip
            number = len(people)
            people.append(
                Person(
                    number=number,
                    surname=surname,
                    given=given,
                    foreign=foreign,
                    date_of_birth=born,
                    national_id=_national_id(address.area_code, born, number),
                    phone=phone,
                    address=address,
                )
            )
    return people[:count]


# --- noise --------------------------------------------------------------------------------------


def _typo_given(given: str, rng: random.Random, tags: set[str]) -> str:
    """One wrong character: a homophone (what a clerk hears) or any other character."""
    at = rng.randrange(len(given))
    char = given[at]
    if char in _HOMOPHONE_OF and rng.random() < 0.6:
        new = rng.choice([c for c in _HOMOPHONE_OF[char] if c != char])
        tags.add("homophone")
    else:
        new = rng.choice([c for c in GIVEN if c != char])
        tags.add("typo")
    return given[:at] + new + given[at + 1 :]


def _romanised(person: Person, given: str) -> tuple[str, str]:
    surname = SURNAME_PINYIN[person.surname].capitalize()
    return surname, "".join(GIVEN_PINYIN[c] for c in given).capitalize()


def _name(person: Person, dataset: str, rng: random.Random, tags: set[str]) -> str | None:
    if rng.random() < 0.01:
        tags.add("no_name")
        return None
    given = person.given
    if person.foreign:
        if rng.random() < 0.03:
            given = given[:-1] + chr(ord(given[-1]) + 1)  # a misspelt last letter
            tags.add("typo")
        if dataset == "community":
            return f"{person.surname.upper()} {given}"  # the passport's order
        if dataset == "testing" and rng.random() < 0.5:
            return f"{person.surname} {given}"
        tags.add("given_first")
        return f"{given} {person.surname}"
    if rng.random() < 0.05:
        given = _typo_given(given, rng, tags)
    if dataset == "testing" and rng.random() < 0.03:
        # A Chinese resident's name taken from a passport or a foreign-language form.
        tags.add("romanised")
        surname, given_py = _romanised(person, given)
        if rng.random() < 0.5:
            tags.add("given_first")
            return f"{given_py} {surname}"
        return f"{surname} {given_py}"
    return person.surname + given


def _date_of_birth(born: date, rng: random.Random, tags: set[str]) -> date | None:
    roll = rng.random()
    if roll < 0.01:
        tags.add("no_dob")
        return None
    if roll < 0.03 and born.day <= 12 and born.day != born.month:
        tags.add("dob_swapped")
        return born.replace(month=born.day, day=born.month)
    if roll < 0.045:
        text = list(f"{born:%Y%m%d}")
        at = rng.choice((3, 6, 7))  # the year's last digit or the day: what gets mistyped
        text[at] = rng.choice([d for d in "0123456789" if d != text[at]])
        try:
            wrong = date(int("".join(text[:4])), int("".join(text[4:6])), int("".join(text[6:])))
        except ValueError:
            return born
        tags.add("dob_digit")
        return wrong
    return born


_FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def _render_address(a: Address, dataset: str, rng: random.Random) -> str:
    if dataset == "health":
        return f"{a.district}{a.road}{a.number}号{a.estate}{a.building}号楼{a.unit}单元{a.room}室"
    if dataset == "community":
        text = f"{a.road}{a.number}号{a.estate}{a.building}栋{a.unit}单元{a.room}"
        return text.translate(_FULL_WIDTH) if rng.random() < 0.7 else text
    return f"{a.district} {a.estate} {a.building}-{a.unit}-{a.room}"


def _copy(
    person: Person, dataset: str, key: str, rng: random.Random, tags: set[str]
) -> PersonRecord:
    national_id = person.national_id
    if rng.random() < 0.003:
        # A mis-keyed ID number: another valid-looking number, sometimes a twin's.
        national_id = national_id[:14] + f"{(int(national_id[14:17]) + 1) % 1000:03d}" + "X"
        tags.add("mis_keyed_id")
    id_index = None
    if rng.random() < 0.3:
        tags.add("no_id")
    else:
        id_index = blind(national_id, "national_id")
    phone = person.phone
    if phone is not None and rng.random() < 0.05:
        phone = _phone(rng)  # a new number since another dataset collected the old one
        tags.add("new_phone")
    if rng.random() < 0.25:
        phone = None
    if phone is None:
        tags.add("no_phone")
    address = person.address
    if rng.random() < 0.08:
        address = _address(rng)
        tags.add("moved")
    shown = None if rng.random() < 0.05 else _render_address(address, dataset, rng)
    if shown is None:
        tags.add("no_address")
    return PersonRecord(
        key=key,
        id_index=id_index,
        name=_name(person, dataset, rng, tags),
        date_of_birth=_date_of_birth(person.date_of_birth, rng, tags),
        phone_index=None if phone is None else blind(phone, "phone"),
        phone_tail=None if phone is None else phone[-4:],
        address=shown,
        # A form without an address may still have the area picked from a list.
        area_code=address.area_code if shown is not None or rng.random() < 0.5 else None,
    )


def make_linkage_set(*, people: int, seed: int) -> LinkageSet:
    """Records of `people` residents copied into three datasets with noise, and the truth."""
    rng = random.Random(seed)
    residents = _people(people, rng)
    records: list[PersonRecord] = []
    truth: dict[str, int] = {}
    noise: dict[str, frozenset[str]] = {}
    for dataset in DATASETS:
        serial = 0
        for person in residents:
            if rng.random() >= COVERAGE[dataset]:
                continue
            # A few people are registered twice in the same dataset (two visits, two clerks).
            copies = 2 if rng.random() < 0.02 else 1
            for _ in range(copies):
                key = f"{dataset}:{serial:06d}"
                serial += 1
                tags = {"duplicate"} if copies == 2 else set()
                records.append(_copy(person, dataset, key, rng, tags))
                truth[key] = person.number
                noise[key] = frozenset(tags)
    rng.shuffle(records)
    return LinkageSet(records=records, truth=truth, noise=noise)
