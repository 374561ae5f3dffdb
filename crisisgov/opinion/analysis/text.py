"""The text layer of public-opinion intake: normalise, identify the language, redact personal
data, fingerprint near-duplicates and find place names. No Django, so the 500 messages/s
pipeline, the benchmarks and the evaluation can use it alone.

Decisions (see also the docstrings):
- Emoji become a space in `normalise`: a post with an added 😂 is the same post for
  fingerprints, language and embeddings. `emoji_in` keeps them for whoever wants them.
- Redaction tokens are neutral (`[PHONE]`, `[ID]`, `[EMAIL]`, `[ADDRESS]`, `[CARD]`), whatever the
  language: the redacted text fingerprints and embeds the same however its language was guessed,
  and a page can translate the token when it shows it.
- An 18-digit number shaped like an ID (a real province code and birth date) whose check digit
  is wrong is still masked, as kind `id_suspect`: it is most likely a mistyped ID number, and
  17 right digits with a birth date are personal. Only kind `id_number` counts as an ID.
- Bank card numbers are masked too (kind `bank_card`), though the issue does not list them:
  fraud reports quote them.
- Chinese addresses are masked from the house number on ("中山路[ADDRESS]"): the street or
  estate name stays, because hot spots need it and it names no household.
- Near-duplicates are within 8 bits of SimHash (NEAR_DUPLICATE_DISTANCE, measured on the rumor
  dataset): precision first, since collapsing two different posts would hide one.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import opencc

# --- normalise ---------------------------------------------------------------------------------

# Zero-width and bidirectional controls (used to dodge keyword filters), variation selectors, the
# keycap mark (so "1️⃣" is "1"), tag characters, lone surrogates and C0/C1 controls other than
# whitespace (which the final split collapses).
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x9f\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufe00-\ufe0f\u20e3\ufffe\uffff\ud800-\udfff"
    "\U000e0000-\U000e007f\U000e0100-\U000e01ef]+"
)
# Pictographs, dingbats, symbols and arrows, flags and skin tones: runs collapse to one space.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2190-\u21ff\u2300-\u23ff\u25a0-\u27bf\u2b00-\u2bff"
    "\u3030\u303d\u3297\u3299\u00a9\u00ae\u203c\u2049]+"
)
# OpenCC's hk2s: Hong Kong variant characters (衞, 綫) to standard Traditional, then the
# Traditional -> Simplified character and phrase tables; on Taiwan text it does all that t2s
# does. Not the regional-vocabulary tables, which would rewrite words (計程車 -> 出租车).
_T2S = opencc.OpenCC("hk2s.json")


def normalise(text: str) -> str:
    """Canonical form of a message: controls and zero-width characters removed, emoji as a space,
    NFKC (full-width letters and digits become ASCII), Traditional -> Simplified Chinese,
    whitespace runs as one space, trimmed. Idempotent."""
    text = _INVISIBLE.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = _EMOJI.sub(" ", text)
        text = _T2S.convert(text)
    return " ".join(text.split())


def emoji_in(text: str) -> list[str]:
    """The emoji runs of a text, in order (normalise drops them)."""
    return _EMOJI.findall(text)


# --- language_of -------------------------------------------------------------------------------

_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_LETTER = re.compile(r"[^\W\d_]")
_LATIN_WORD = re.compile("[a-z\u00c0-\u024f]+(?:'[a-z]+)?")
# Not language: links, addresses, handles and our own redaction tokens.
_NOT_WORDS = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|@\w+|\[[A-Z_?]+\]")


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_EN_WORDS = _wordset(
    """a about after again all also am an and any are as at be because been before being but by
    can could did do does don't down during each few for from had has have having he her here
    him his how i i'm if in into is isn't it it's its just me more most my no not now of off on
    once only or other our out over own same she should so some such than that the their them
    then there these they this those through to too under until up very was we were what when
    where which while who why will with would you your yes please thanks thank help need news
    people city water power hospital police road traffic fire flood rain storm virus covid
    vaccine lockdown quarantine school food price prices rumor rumour fake true false official
    government today tomorrow yesterday still closed open free call home work want know said
    says going get got like think just really many much new old everyone anyone someone"""
)
# Common words of other Latin-script languages (Spanish, French, German, Italian, Portuguese,
# Dutch, Indonesian); words that are also English are dropped below.
_OTHER_LATIN_WORDS = (
    _wordset(
        """el la los las de del que y en un una es por con para se al lo como más pero sus ya este
        sí porque esta entre cuando muy sin sobre también hasta hay donde desde todo nos todos
        uno les ni otros eso ante ellos esto antes unos yo otro otra él hola gracias qué tal
        está estás buenos buenas señor le les des du et est une dans pour pas sur au avec ce il
        elle ne plus je nous vous sont bonjour merci mais où ça très c'est j'ai der die das und
        ist nicht ein eine zu den mit sich auf für im dem es von sie wir ich auch bitte danke
        hallo guten ja nein il di che è per sono gli della ciao grazie non os da em um não com
        são você obrigado olá de het een en van ik je niet dat yang dan di ini itu tidak untuk
        dengan ada saya"""
    )
    - _EN_WORDS
)


def language_of(text: str) -> str:
    """ "zh", "en", "other" (any other language, kept and marked) or "und" (no letters).

    By script share over meaningful units: Han characters count 1/1.5 of a word; a Latin text is
    English when it has at least as many common English words as other-language ones (accented
    words count for the other side), and a Latin text with no such word at all counts as English
    unless accented. Kana decides Japanese even among Han. Mixed zh/en: the majority wins, zh on
    a tie. Long texts are judged by their first 4,000 characters."""
    sample = _NOT_WORDS.sub(" ", unicodedata.normalize("NFKC", text[:4000])).lower()
    han = len(_HAN.findall(sample))
    kana = len(_KANA.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    words = _LATIN_WORD.findall(sample)
    latin_letters = sum(map(len, words))
    other_letters = len(_LETTER.findall(sample)) - han - kana - hangul - latin_letters
    if han + kana + hangul + latin_letters + other_letters == 0:
        return "und"
    japanese = kana >= 2 and kana * 5 >= han + kana
    zh_units = 0.0 if japanese else han / 1.5
    other_units = (han / 1.5 if japanese else 0) + kana / 2 + hangul / 2 + other_letters / 5
    latin_units = len(words)
    if zh_units >= latin_units and zh_units >= other_units:
        return "zh"
    if other_units > latin_units:
        return "other"
    english = sum(w in _EN_WORDS for w in words)
    foreign = sum(w in _OTHER_LATIN_WORDS or not w.isascii() for w in words)
    return "en" if english >= foreign else "other"


# --- redact ------------------------------------------------------------------------------------

# Same-length folding, so a match in the folded text is at the same offsets in the original:
# full-width ASCII, the ideographic space, dashes and circled or mathematical digits.
_FOLD: dict[int, str] = {0x3000: " "}
for _block in (
    range(0xFF01, 0xFF5F),
    range(0x2460, 0x2500),
    range(0x2776, 0x2794),
    range(0x1D7CE, 0x1D800),
    range(0x2010, 0x2016),
    (0x2212, 0xFE58, 0xFE63),
):
    for _cp in _block:
        _folded = unicodedata.normalize("NFKC", chr(_cp))
        if len(_folded) == 1 and _folded.isascii():
            _FOLD[_cp] = _folded
for _cp in range(0x2010, 0x2016):
    _FOLD[_cp] = "-"
_FOLD[0x2212] = "-"
_FOLD_TABLE = str.maketrans(_FOLD)
# Phone numbers spelt in Chinese numerals ("一三八零零一三八零零零"), a common filter dodge.
_NUMERAL_TABLE = str.maketrans("零〇一幺二两三四五六七八九", "0011223456789")

# One optional separator between digits: a dash or dot (spaced or not), one or two spaces, or an
# invisible character left in.
_SEP = "(?:[ \u00a0]?[\\-.][ \u00a0]?|[ \u00a0\u200b-\u200d\u2060\ufeff]{1,2})?"
_D = "[0-9]"
_MOBILE = re.compile(
    rf"(?<![0-9])(?:(?:\+|00){_SEP}86{_SEP}|\(\+?86\){_SEP})?1{_SEP}[3-9](?:{_SEP}{_D}){{9}}(?![0-9])"
)
_LANDLINE = re.compile(
    rf"(?<![0-9])(?:(?:(?:\+|00)86{_SEP}(?:\(0\){_SEP})?\(?[1-9][0-9]{{1,2}}\)?)|\(0[1-9][0-9]{{1,2}}\)|"
    rf"0[1-9][0-9]{{1,2}}){_SEP}[2-9][0-9]{{2,3}}{_SEP}[0-9]{{4}}(?![0-9])"
)
# A mobile number grouped 3-4-4 by a slash, underscore, comma or dot (the same one twice):
# "138/1234/5678", "138_1234_5678", "138，1234，5678". Only in that grouping: thousands
# separators group by three and dates by two, so neither is taken for a phone number.
_MOBILE_GROUPED = re.compile(
    r"(?<![0-9])(?:(?:\+|00)?86[ \-]?)?1[3-9][0-9]\s?([/_,.])\s?[0-9]{4}\s?\1\s?[0-9]{4}(?![0-9])"
)
# Bank cards: 15 to 19 digits passing the Luhn check, and either UnionPay's 62 or a word saying
# it is a card just before (one order number in ten passes Luhn by chance).
_CARD = re.compile(rf"(?<![0-9])[3-6](?:{_SEP}{_D}){{14,18}}(?![0-9])")
_CARD_CUE = re.compile(r"卡|账号|账户|card|account|visa|mastercard", re.IGNORECASE)
# A local number without its area code only right after a word saying it is a phone number.
_CUE_LOCAL = re.compile(
    r"(?:电话|手机|座机|号码|联系方式|热线|致电|拨打|tel|phone|call|mobile)[^0-9]{0,6}?"
    r"(?<![0-9])([2-9][0-9]{2,3}[ \-]?[0-9]{4})(?![0-9])",
    re.IGNORECASE,
)
_ID18 = re.compile(rf"(?<![0-9])[1-9](?:{_SEP}{_D}){{16}}{_SEP}[0-9Xx](?![0-9])")
_ID15 = re.compile(r"(?<![0-9])[1-9][0-9]{14}(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_NUM = "[0-9一二三四五六七八九十百零〇两]+"
_BUILDING = rf"{_NUM}(?:号楼|栋|幢|座|号院)"
_UNIT = rf"{_NUM}单元"
_ROOM = rf"{_NUM}(?:室|号房|户|房)?"
_ZH_STREET_ADDRESS = re.compile(
    rf"[\u4e00-\u9fff](?<![知报味难频说一街])(?:路|街|大道|道|巷|胡同|弄)"
    rf"\s?({_NUM}(?:-{_NUM})?号(?:院)?(?:\s?{_BUILDING})?(?:\s?{_UNIT})?(?:\s?{_NUM}(?:室|号房|户))?)"
)
# A household inside an estate: building plus unit and/or room, or right after the estate name.
_ZH_DWELLING = re.compile(
    rf"(?:(?<=小区|花园|公寓|家园|新村|社区|大厦)|(?<=[苑府城湾庭园村]))\s?({_BUILDING}"
    rf"(?:\s?{_UNIT})?(?:\s?{_ROOM})?)"
    rf"|({_BUILDING}\s?(?:{_UNIT}(?:\s?{_ROOM})?|{_NUM}(?:室|号房|户)|[0-9]{{3,4}}(?![0-9])))"
)
_EN_SKIP = (
    r"(?!(?:the|on|in|at|of|a|an|to|and|or|for|by|from|with|near|more|hours?|minutes?|days?"
    r"|people|years?)\b)"
)
_EN_STREET_ADDRESS = re.compile(
    rf"(?<![\w.])\d{{1,5}}[A-Za-z]?,?\s+(?:{_EN_SKIP}[A-Za-z][A-Za-z'\-]*\s+){{1,3}}"
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl)"
    r"\b\.?",
    re.IGNORECASE,
)
_EN_ROOM = re.compile(
    r"\b(?:Room|Rm|Flat|Apt|Apartment|Unit|Suite|Building|Bldg|Block|Tower)\.?\s*(?:No\.?\s*)?#?"
    r"\d+[A-Za-z]?(?:\s*,?\s*(?:Room|Rm|Flat|Apt|Apartment|Unit|Suite|Building|Bldg|Block|Tower)"
    r"\.?\s*(?:No\.?\s*)?#?\d+[A-Za-z]?)*",
    re.IGNORECASE,
)
_TOKEN = {
    "phone": "[PHONE]",
    "id_number": "[ID]",
    "id_suspect": "[ID]",
    "email": "[EMAIL]",
    "address": "[ADDRESS]",
    "bank_card": "[CARD]",
}
# When spans overlap, the longer wins; on equal length, this order.
_PRIORITY = ("email", "id_number", "id_suspect", "bank_card", "phone", "address")

# GB 11643-1999 (ISO 7064 MOD 11-2) check character; the same routine as
# crisisgov/directory/idnumber.py::check_character, copied because apps may not import each other.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_PROVINCES = _wordset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 "
    "71 81 82 83 91"
)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def id_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _plausible_birth(yyyymmdd: str) -> bool:
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])
    return 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month - 1]


@dataclass(frozen=True, slots=True)
class Redacted:
    """A text with personal data replaced by tokens; spans are (kind, start, end) in the text
    that was given to `redact`."""

    text: str
    kinds: frozenset[str] = frozenset()
    spans: tuple[tuple[str, int, int], ...] = field(default=())


def _id_kind(digits: str) -> str | None:
    """ "id_number", "id_suspect" (ID-shaped, wrong check digit) or None (not an ID)."""
    if digits[:2] not in _PROVINCES:
        return None
    if len(digits) == 15:
        return "id_number" if _plausible_birth("19" + digits[6:12]) else None
    if not _plausible_birth(digits[6:14]):
        return None
    return "id_number" if id_check_character(digits[:17]) == digits[17].upper() else "id_suspect"


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _find(folded: str) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    for m in _ID18.finditer(folded):
        kind = _id_kind(re.sub(r"[^0-9Xx]", "", m.group()))
        if kind:
            found.append((kind, m.start(), m.end()))
    for m in _ID15.finditer(folded):
        if _id_kind(m.group()):
            found.append(("id_number", m.start(), m.end()))
    for m in _CARD.finditer(folded):
        digits = re.sub(r"[^0-9]", "", m.group())
        cued = digits.startswith("62") or _CARD_CUE.search(
            folded, max(0, m.start() - 12), m.start()
        )
        if cued and _luhn_valid(digits):
            found.append(("bank_card", m.start(), m.end()))
    for pattern in (_MOBILE, _MOBILE_GROUPED, _LANDLINE):
        found += [("phone", m.start(), m.end()) for m in pattern.finditer(folded)]
    found += [("phone", m.start(1), m.end(1)) for m in _CUE_LOCAL.finditer(folded)]
    numerals = folded.translate(_NUMERAL_TABLE)
    if numerals != folded:
        found += [("phone", m.start(), m.end()) for m in _MOBILE.finditer(numerals)]
    found += [("email", m.start(), m.end()) for m in _EMAIL.finditer(folded)]
    for m in _ZH_STREET_ADDRESS.finditer(folded):
        found.append(("address", m.start(1), m.end(1)))
    for m in _ZH_DWELLING.finditer(folded):
        group = 1 if m.group(1) else 2
        found.append(("address", m.start(group), m.end(group)))
    for pattern in (_EN_STREET_ADDRESS, _EN_ROOM):
        found += [("address", m.start(), m.end()) for m in pattern.finditer(folded)]
    return found


def _without_overlaps(found: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Within each run of overlapping spans the longest wins (on equal length, _PRIORITY)."""
    kept: list[tuple[str, int, int]] = []
    cluster: list[tuple[str, int, int]] = []
    cluster_end = -1
    for span in sorted(found, key=lambda s: s[1]) + [("", 1 << 62, 1 << 62)]:
        if cluster and span[1] >= cluster_end:
            ranked = sorted(cluster, key=lambda s: (s[1] - s[2], _PRIORITY.index(s[0]), s[1]))
            chosen: list[tuple[str, int, int]] = []
            for kind, start, end in ranked:
                if all(end <= s or start >= e for _, s, e in chosen):
                    chosen.append((kind, start, end))
            kept += sorted(chosen, key=lambda s: s[1])
            cluster = []
        cluster.append(span)
        cluster_end = max(cluster_end, span[2]) if len(cluster) > 1 else span[2]
    return kept


_MAY_HAVE_PII = re.compile("[0-9\uff10-\uff19@\uff20零〇一幺二两三四五六七八九十①-⓿❶-➓]")


def redact(text: str, *, mask_suspect_ids: bool = True) -> Redacted:
    """Mask phone numbers (mobiles with any spacing, +86/0086, landlines with area code, a local
    number after "电话"/"phone"), ID numbers (18 digits with a valid check digit, 15-digit legacy;
    ID-shaped with a wrong check digit as `id_suspect`), bank cards (Luhn), emails and street
    addresses. Robust to full-width digits and invisible characters inside numbers; dates, amounts
    and order numbers are left alone. mask_suspect_ids=False leaves ID-shaped numbers with a wrong
    check digit."""
    if not _MAY_HAVE_PII.search(text):
        return Redacted(text)
    spans = _without_overlaps(_find(text.translate(_FOLD_TABLE)))
    if not mask_suspect_ids:
        spans = [span for span in spans if span[0] != "id_suspect"]
    if not spans:
        return Redacted(text)
    pieces, cursor = [], 0
    for kind, start, end in spans:
        pieces += [text[cursor:start], _TOKEN[kind]]
        cursor = end
    pieces.append(text[cursor:])
    return Redacted("".join(pieces), frozenset(k for k, _, _ in spans), tuple(spans))


# --- near duplicates ---------------------------------------------------------------------------

_MASK64 = (1 << 64) - 1
# Retweet markers say nothing about the content: "转发微博：", "RT @someone:", "//@某人:".
_REPOST = re.compile(r"^(?:(?:转发(?:微博)?|转|rt)\s*(?:@\S+?)?\s*[:：]?\s*)+|//@[^:：]{1,30}[:：]")
_NOT_SHINGLED = re.compile(r"[\W_]+")


# Shingles recur across messages (the same words, the same rumor): caching their hashes halves
# the cost of a fingerprint.
@functools.lru_cache(maxsize=1 << 16)
def _shingle_hash(shingle: str) -> bytes:
    return hashlib.blake2b(shingle.encode(), digest_size=8).digest()


def simhash(text: str) -> int:
    """64-bit SimHash of the character 3-grams of the normalised, lower-cased text without
    punctuation, spaces or retweet markers; signed, so it fits a BigIntegerField. Deterministic
    across processes and machines (BLAKE2b, not hash()). A retweet, added emoji or punctuation
    and Traditional characters give the same fingerprint; one changed character moves it by
    about 5-12 bits (fewer for longer posts), a different message by about 32."""
    body = _NOT_SHINGLED.sub("", _REPOST.sub("", normalise(text).lower()))
    if not body:
        return 0
    shingles = {body[i : i + 3] for i in range(max(1, len(body) - 2))}
    digests = b"".join(map(_shingle_hash, shingles))
    # One row of 64 bits per shingle; a fingerprint bit is set where most shingles set it.
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8), bitorder="little")
    votes = bits.reshape(len(shingles), 64).sum(axis=0, dtype=np.int64)
    packed = np.packbits(votes * 2 > len(shingles), bitorder="little")
    return int.from_bytes(packed.tobytes(), "little", signed=True)


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & _MASK64).bit_count()


# Chosen on the rumor dataset's 872 statements and paraphrases (380k pairs of different messages,
# 3,500 copies with one edit): at 8 bits no two different messages collide (one pair of genuine
# paraphrases does) and 79% of copies with one character changed are caught (all retweets,
# emoji and punctuation edits are at 0). At 12 recall is 92% but random collisions start, and
# in an index of 100k messages they would merge different posts.
NEAR_DUPLICATE_DISTANCE = 8


def near_duplicate(a: int, b: int, max_distance: int = NEAR_DUPLICATE_DISTANCE) -> bool:
    """Two fingerprints of the same post (a retweet, an added emoji, one character changed)."""
    return hamming(a, b) <= max_distance


class NearDuplicateIndex:
    """Finds a stored fingerprint within max_distance bits without comparing it with them all
    (multi-index hashing, Norouzi et al. 2012): the 64 bits are cut into three bands of 22, 21 and
    21 bits; two fingerprints within max_distance differ in some band by at most
    max_distance // 3 bits (pigeonhole), so a lookup probes each band's table at its value and
    its neighbours within that radius (232 probes a band at the default distance) and compares
    only what it finds there: about 30 fingerprints in an index of 100k. Exact, not
    probabilistic."""

    _BANDS = ((0, 22), (22, 21), (43, 21))  # (lowest bit, width)

    def __init__(self, max_distance: int = NEAR_DUPLICATE_DISTANCE) -> None:
        self.max_distance = max_distance
        radius = max_distance // len(self._BANDS)
        self._flips = [
            [
                sum(1 << bit for bit in bits)
                for r in range(radius + 1)
                for bits in itertools.combinations(range(width), r)
            ]
            for _, width in self._BANDS
        ]
        self._tables: list[dict[int, list[tuple[int, Any, int]]]] = [{} for _ in self._BANDS]
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @classmethod
    def _band_values(cls, fingerprint: int) -> list[int]:
        unsigned = fingerprint & _MASK64
        return [unsigned >> low & ((1 << width) - 1) for low, width in cls._BANDS]

    def probes(self, fingerprint: int) -> list[list[int]]:
        """Per band, the values a fingerprint within max_distance may hold there (its own and
        its neighbours within the radius): what a database table of (band, value) rows is
        looked up with, so the database finds the same candidates as this index."""
        return [
            [value ^ flip for flip in flips]
            for value, flips in zip(self._band_values(fingerprint), self._flips, strict=True)
        ]

    @classmethod
    def band_values(cls, fingerprint: int) -> list[int]:
        """The fingerprint's value in each band (what a database row of a band stores)."""
        return cls._band_values(fingerprint)

    def add(self, key: Any, fingerprint: int) -> None:
        for table, value in zip(self._tables, self._band_values(fingerprint), strict=True):
            table.setdefault(value, []).append((self._count, key, fingerprint))
        self._count += 1

    def find(self, fingerprint: int) -> Any | None:
        """The key of the closest stored fingerprint within max_distance (the earliest added on a
        tie), or None."""
        best: tuple[int, int, Any] | None = None
        values = self._band_values(fingerprint)
        for table, value, flips in zip(self._tables, values, self._flips, strict=True):
            for flip in flips:
                bucket = table.get(value ^ flip)
                if bucket is None:
                    continue
                for order, key, stored in bucket:
                    distance = hamming(fingerprint, stored)
                    if distance <= self.max_distance and (
                        best is None or (distance, order) < best[:2]
                    ):
                        best = (distance, order, key)
        return None if best is None else best[2]


# --- places ------------------------------------------------------------------------------------


def _trie_pattern(names: Iterable[str]) -> str:
    """A regex matching any of the names, longest first at each position: a trie of alternations,
    so a thousand-name gazetteer costs about as much as a short one."""
    trie: dict[str, Any] = {}
    for name in names:
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # a name ends here: try the longer names first, then stop
            return "(?:" + body + ")?"
        return body

    return pattern(trie)


class Gazetteer:
    """Area names (zh and en, e.g. "武昌区", "Wuchang District", "Wuchang") to area ids, with a
    matcher compiled once. Longest match wins ("Wuchang District" over "Wuchang"); English names
    match whole words only, case-insensitively; names are normalised like messages. With depths
    (area id -> depth in the area tree), the deeper areas come first in the result."""

    def __init__(self, names: Mapping[str, int], depths: Mapping[int, int] | None = None) -> None:
        self._ids: dict[str, int] = {}
        for name, area_id in names.items():
            key = normalise(name).lower()
            if key:
                self._ids[key] = area_id
        self._depths = dict(depths or {})
        han = [n for n in self._ids if _HAN.search(n)]
        latin = [n for n in self._ids if not _HAN.search(n)]
        self._han = re.compile(_trie_pattern(han)) if han else None
        self._latin = (
            re.compile(rf"(?<![a-z0-9])(?:{_trie_pattern(latin)})(?![a-z0-9])") if latin else None
        )

    def find(self, normalised_text: str) -> list[int]:
        lowered = normalised_text.lower()
        hits: list[tuple[int, int]] = []
        for matcher in (self._han, self._latin):
            if matcher is not None:
                hits += [(m.start(), self._ids[m.group()]) for m in matcher.finditer(lowered)]
        ordered: list[int] = []
        for _, area_id in sorted(hits):
            if area_id not in ordered:
                ordered.append(area_id)
        if self._depths:
            ordered.sort(key=lambda a: -self._depths.get(a, 0))  # stable: text order within a depth
        return ordered


def places_in_text(text: str, gazetteer: Gazetteer | Mapping[str, int]) -> list[int]:
    """Ids of the areas named in the text, in order of first mention (deeper first when the
    Gazetteer knows depths), each once. Build a Gazetteer once when calling this often."""
    if not isinstance(gazetteer, Gazetteer):
        gazetteer = Gazetteer(gazetteer)
    return gazetteer.find(normalise(text))


# --- evaluation --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RedactionScore:
    kind: str
    gold: int
    found: int  # gold spans overlapped by a predicted span of the same kind
    predicted: int
    correct: int  # predicted spans overlapping a gold span of the same kind

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0


def _spans(text: str, items: Iterable[Any]) -> list[tuple[str, int, int]]:
    """Gold items as spans: (kind, start, end), {"kind", "start", "end"} or {"kind", "text"} (the
    text's first occurrence after the previous item of that text)."""
    spans = []
    searched_from: dict[str, int] = {}
    for item in items:
        if isinstance(item, Mapping) and "start" not in item:
            value = item["text"]
            start = text.find(value, searched_from.get(value, 0))
            if start < 0:
                raise ValueError(f"pii text {value!r} does not occur in {text[:40]!r}")
            searched_from[value] = start + len(value)
            spans.append((item["kind"], start, start + len(value)))
        elif isinstance(item, Mapping):
            spans.append((item["kind"], int(item["start"]), int(item["end"])))
        else:
            kind, start, end = item
            spans.append((kind, int(start), int(end)))
    return spans


def _text_and_gold(sample: Any) -> tuple[str, list[tuple[str, int, int]]]:
    if isinstance(sample, Mapping):
        return sample["text"], _spans(sample["text"], sample.get("pii", ()))
    return sample.text, _spans(sample.text, sample.pii)


def redaction_recall(samples: Iterable[Any]) -> dict[str, RedactionScore]:
    """Recall and precision of `redact` per kind, and over all kinds as "all" (any mask hides the
    data). A gold span counts as found when a predicted span of its kind overlaps it. Samples are
    mappings {"text", "pii": [{"kind", "start", "end"}]} or objects with .text and .pii."""
    tallies: dict[str, list[int]] = {}

    def tally(kind: str, column: int) -> None:
        tallies.setdefault(kind, [0, 0, 0, 0])[column] += 1

    def overlaps(
        span: tuple[str, int, int], others: list[tuple[str, int, int]], same: bool
    ) -> bool:
        return any((not same or k == span[0]) and s < span[2] and span[1] < e for k, s, e in others)

    for sample in samples:
        text, gold = _text_and_gold(sample)
        predicted = list(redact(text).spans)
        for span in gold:
            tally(span[0], 0)
            tally("all", 0)
            if overlaps(span, predicted, same=True):
                tally(span[0], 1)
            if overlaps(span, predicted, same=False):
                tally("all", 1)
        for span in predicted:
            tally(span[0], 2)
            tally("all", 2)
            if overlaps(span, gold, same=True):
                tally(span[0], 3)
            if overlaps(span, gold, same=False):
                tally("all", 3)
    return {kind: RedactionScore(kind, *counts) for kind, counts in sorted(tallies.items())}


def decoys_masked(samples: Iterable[Mapping[str, Any]]) -> dict[str, tuple[int, int]]:
    """Per kind of decoy (dates, amounts, order numbers: a sample's "not_pii" items, as
    {"kind", "text"}): (how many `redact` masked, even partly; how many there were)."""
    counts: dict[str, list[int]] = {}
    for sample in samples:
        text = sample["text"]
        predicted = redact(text).spans
        for kind, start, end in _spans(text, sample.get("not_pii", ())):
            tally = counts.setdefault(kind, [0, 0])
            tally[0] += any(s < end and start < e for _, s, e in predicted)
            tally[1] += 1
    return {kind: (masked, total) for kind, (masked, total) in sorted(counts.items())}
