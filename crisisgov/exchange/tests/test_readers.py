"""The file-reading layer of imports, on files shaped like real government uploads.

Every file is made here, in tmp_path, the way the software that makes it in the field would
(Excel's "Unicode text", a GBK export from an old system, openpyxl for workbooks), including the
hostile ones of the issue's "Bad input" list.
"""

from __future__ import annotations

import ast
import datetime
import io
import random
import re
import struct
import tracemalloc
import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest

from crisisgov.exchange import readers
from crisisgov.exchange.readers import (
    FileProblem,
    GiB,
    Limits,
    MiB,
    Row,
    RowProblem,
    TableReader,
    open_table,
)

# --- helpers ----------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(
    path: Path, **options: object
) -> tuple[TableReader, list[tuple[int, Row | RowProblem]]]:
    with open_table(path, filename=path.name, **options) as reader:  # type: ignore[arg-type]
        return reader, list(reader)


def problem_summary(rows: list[tuple[int, Row | RowProblem]]) -> list[tuple[int, object]]:
    """Rows as (number, dict) and problems as (number, (code, field)): exact and readable."""
    return [
        (number, (row.code, row.field) if isinstance(row, RowProblem) else row)
        for number, row in rows
    ]


def refuse(path: Path, **options: object) -> FileProblem:
    """The FileProblem that opening and reading `path` ends with."""
    with (
        pytest.raises(FileProblem) as caught,
        open_table(path, filename=path.name, **options) as reader,  # type: ignore[arg-type]
    ):
        list(reader)
    return caught.value


def xlsx(tmp_path: Path, name: str, rows: Sequence[Sequence[object]], **formats: str) -> Path:
    """A workbook as openpyxl writes it; `formats` maps a column letter to a number format."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "病例"
    for row in rows:
        sheet.append(row)
    for column, number_format in formats.items():
        for cell in sheet[column][1:]:
            cell.number_format = number_format
    path = tmp_path / name
    workbook.save(path)
    return path


def rewrite_member(path: Path, member: str, edit: object) -> None:
    """Rewrite one part of a zip (to put in what openpyxl cannot write, e.g. cached values)."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[member] = edit(parts[member].decode()).encode()  # type: ignore[operator]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


# --- the module itself ------------------------------------------------------------------------


def test_readers_module_imports_no_django() -> None:
    tree = ast.parse(Path(readers.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert "django" not in imported
    assert "crisisgov" not in imported


# --- encodings --------------------------------------------------------------------------------

CHINESE_ROWS = [
    ("张三", "110101199003071234", "北京市朝阳区建国路88号"),
    ("李四", "310101198512120021", "上海市浦东新区世纪大道100号（东门）"),
    ("欧阳娜娜", "44030419990101002X", "深圳市南山区科技园·南区"),
]


def test_gbk_csv_is_read_as_gb18030_with_exact_text(tmp_path: Path) -> None:
    text = "姓名,身份证号,住址\r\n" + "".join(f"{n},{i},{a}\r\n" for n, i, a in CHINESE_ROWS)
    reader, rows = read_all(write(tmp_path, "名单.csv", text.encode("gbk")))
    assert (reader.format, reader.encoding, reader.encoding_guessed) == ("csv", "gb18030", False)
    assert reader.header == ["姓名", "身份证号", "住址"]
    assert rows == [
        (2, {"姓名": "张三", "身份证号": "110101199003071234", "住址": "北京市朝阳区建国路88号"}),
        (
            3,
            {
                "姓名": "李四",
                "身份证号": "310101198512120021",
                "住址": "上海市浦东新区世纪大道100号（东门）",
            },
        ),
        (
            4,
            {
                "姓名": "欧阳娜娜",
                "身份证号": "44030419990101002X",
                "住址": "深圳市南山区科技园·南区",
            },
        ),
    ]


# Everyday characters and the rarer ones that names carry (outside GB2312, inside GBK), the case
# a statistical detector gets wrong: charset-normalizer alone calls "张三" Big5-HKSCS, and a list
# of rare-character names Korean (cp949).
COMMON = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
RARE = "喆堃昇珺玥瑄頔婳彧翀赟旻昊琰璟"
PLACES = ["北京市朝阳区", "上海市浦东新区", "广州市天河区", "武汉市江汉区", "成都市锦江区"]


def test_many_gbk_files_are_never_read_as_latin1_or_big5(tmp_path: Path) -> None:
    """200 generated GBK files, from one short name to a few hundred rows, rare names included."""
    rng = random.Random(20_200_123)
    wrong: list[tuple[int, str | None]] = []
    for case in range(200):
        row_count = rng.choice([1, 2, 3, 10, 300])
        rare_share = rng.choice([0.0, 0.3, 1.0])
        lines = ["姓名,住址"] if case % 2 else []  # half without an ASCII-only header
        for _ in range(row_count):
            pool = RARE if rng.random() < rare_share else COMMON
            name = rng.choice(COMMON) + "".join(rng.choice(pool) for _ in range(rng.randint(1, 2)))
            lines.append(f"{name},{rng.choice(PLACES)}{rng.randint(1, 999)}号")
        text = "\n".join(lines) + "\n"
        path = write(tmp_path, f"gbk{case}.csv", text.encode("gbk"))
        with open_table(path, filename=path.name) as reader:
            got = [reader.header, *[list(row.values()) for _, row in reader]]  # type: ignore[union-attr]
        if reader.encoding != "gb18030" or got != [line.split(",") for line in lines]:
            wrong.append((case, reader.encoding))
    assert wrong == []


def test_utf8_with_bom_has_no_bom_in_the_first_column_name(tmp_path: Path) -> None:
    data = "\ufeff身份证号,姓名\n110101199003071234,张三\n".encode()
    reader, rows = read_all(write(tmp_path, "bom.csv", data))
    assert (reader.encoding, reader.header) == ("utf-8-sig", ["身份证号", "姓名"])
    assert rows == [(2, {"身份证号": "110101199003071234", "姓名": "张三"})]


def test_excel_unicode_text_utf16_tab_separated(tmp_path: Path) -> None:
    # Excel's "Unicode Text (*.txt)": UTF-16 little-endian with a byte-order mark, tabs, CRLF.
    text = "姓名\t电话\r\n张三\t13800000000\r\n李四\t13900000000\r\n"
    reader, rows = read_all(write(tmp_path, "导出.txt", codecs_utf16le_bom(text)))
    assert (reader.encoding, reader.delimiter, reader.header) == ("utf-16", "\t", ["姓名", "电话"])
    assert rows == [
        (2, {"姓名": "张三", "电话": "13800000000"}),
        (3, {"姓名": "李四", "电话": "13900000000"}),
    ]


def codecs_utf16le_bom(text: str) -> bytes:
    return b"\xff\xfe" + text.encode("utf-16-le")


def test_utf16_without_a_byte_order_mark(tmp_path: Path) -> None:
    text = "姓名,电话\n张三,13800000000\n"
    reader, rows = read_all(write(tmp_path, "nobom.csv", text.encode("utf-16-le")))
    assert (reader.encoding, rows) == ("utf-16-le", [(2, {"姓名": "张三", "电话": "13800000000"})])


def test_utf8_whose_first_chinese_character_is_far_into_the_file(tmp_path: Path) -> None:
    # 9,000 ASCII rows (~250 KiB, far past any 64 KiB sample) before the first Chinese name.
    lines = ["id,name,phone"] + [f"{i},Zhang San {i},138{i:08d}" for i in range(9_000)]
    lines.append("9000,张三,13800009000")
    path = write(tmp_path, "late.csv", ("\n".join(lines) + "\n").encode())
    assert path.stat().st_size > 4 * readers._WINDOW
    reader, rows = read_all(path)
    assert reader.encoding == "utf-8"
    assert rows[-1] == (9_002, {"id": "9000", "name": "张三", "phone": "13800009000"})
    assert len(rows) == 9_001


def test_gbk_row_after_the_scanned_part_stops_with_its_line_not_mojibake(tmp_path: Path) -> None:
    lines = ["id,name"] + [f"{i},Zhang San {i}" for i in range(9_000)]
    data = ("\n".join(lines) + "\n").encode() + "9000,张三\n".encode("gbk") + b"9001,Li Si\n"
    path = write(tmp_path, "mixed.csv", data)
    limits = Limits(encoding_scan_bytes=64 * 1024)  # the file is ~170 KiB: the GBK row is beyond
    seen: list[int] = []
    with (
        pytest.raises(FileProblem) as caught,
        open_table(path, filename=path.name, limits=limits) as reader,
    ):
        assert reader.encoding == "utf-8"
        seen.extend(number for number, _ in reader)
    problem = caught.value
    assert problem.code == "encoding_error"
    assert problem.params["line"] == 9_002
    offset = data.index("张".encode("gbk"))
    assert problem.params["offset"] == offset
    assert problem.message == (
        f"Line 9,002 is not valid utf-8 (bytes d5 at byte {offset:,}). The first 64.0 KB "
        "were plain ASCII, so the file was read as UTF-8. Save the whole file in one encoding, "
        "preferably CSV (UTF-8), and upload again."
    )
    assert seen[-1] < 9_002  # rows before the bad line came out; nothing garbled did


def test_utf8_file_with_a_gbk_row_later_names_that_line(tmp_path: Path) -> None:
    head = "姓名,电话\n张三,13800000000\n".encode()
    filler = b"".join(f"Person {i},139{i:08d}\n".encode() for i in range(5_000))
    data = head + filler + "李四,13700000000\n".encode("gbk")
    problem = refuse(write(tmp_path, "mixed.csv", data))
    assert (problem.code, problem.params["line"], problem.params["encoding"]) == (
        "encoding_error",
        5_003,
        "utf-8",
    )


def test_latin1_file_is_a_flagged_guess_not_chinese(tmp_path: Path) -> None:
    text = "Name,Street\nMüller,Königstraße 5\nFrançois,Rue de l'Église 3\n"
    reader, rows = read_all(write(tmp_path, "partner.csv", text.encode("latin-1")))
    assert reader.encoding_guessed is True
    assert rows == [
        (2, {"Name": "Müller", "Street": "Königstraße 5"}),
        (3, {"Name": "François", "Street": "Rue de l'Église 3"}),
    ]


def test_binary_file_named_csv_is_refused(tmp_path: Path) -> None:
    problem = refuse(write(tmp_path, "photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01"))
    assert problem.code == "not_text"


# --- CSV dialect ------------------------------------------------------------------------------


def test_semicolon_csv_with_quotes_crlf_and_a_line_break_inside_a_cell(tmp_path: Path) -> None:
    text = '姓名;地址;备注\r\n张三;"北京市; 朝阳区";"第一行\r\n第二行"\r\n李四;上海;"说""是"""\r\n'
    reader, rows = read_all(write(tmp_path, "semi.csv", text.encode()))
    assert (reader.delimiter, reader.header) == (";", ["姓名", "地址", "备注"])
    assert rows == [
        (2, {"姓名": "张三", "地址": "北京市; 朝阳区", "备注": "第一行\r\n第二行"}),
        (3, {"姓名": "李四", "地址": "上海", "备注": '说"是"'}),
    ]


def test_cells_are_strings_as_written(tmp_path: Path) -> None:
    text = "身份证号,金额,日期,空\n 110101199003071234 ,0012.50,2024/1/5,\n"
    _, rows = read_all(write(tmp_path, "raw.csv", text.encode()))
    assert rows == [
        (2, {"身份证号": " 110101199003071234 ", "金额": "0012.50", "日期": "2024/1/5", "空": ""})
    ]


def test_forced_wrong_delimiter_asks_about_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, "semi.csv", "姓名;电话\n张三;138\n".encode())
    problem = refuse(path, delimiter=",")
    assert problem.code == "wrong_delimiter"
    assert problem.message.startswith("The header has one column: is the delimiter `;`?")


def test_full_width_commas_are_named_as_the_likely_delimiter(tmp_path: Path) -> None:
    problem = refuse(write(tmp_path, "cn.csv", "姓名，电话\n张三，138\n".encode()))
    assert (problem.code, problem.params["delimiter"]) == ("wrong_delimiter", "，")


def test_a_real_single_column_file_is_fine(tmp_path: Path) -> None:
    _, rows = read_all(write(tmp_path, "ids.csv", b"id_number\n110101199003071234\n"))
    assert rows == [(2, {"id_number": "110101199003071234"})]


def test_ragged_rows_are_row_problems_and_reading_goes_on(tmp_path: Path) -> None:
    text = (
        "姓名,电话,住址\n"
        "张三,138,北京\n"
        "李四,139\n"  # one cell short
        "王五,137,上海,多出来\n"  # a value in a column with no name
        "赵六,136,广州,,\n"  # trailing empty cells: a trailing delimiter, not a problem
        "\n"  # blank: skipped, still counted
        "钱七,135,深圳\n"
    )
    _, rows = read_all(write(tmp_path, "ragged.csv", text.encode()))
    assert problem_summary(rows) == [
        (2, {"姓名": "张三", "电话": "138", "住址": "北京"}),
        (3, ("too_few_cells", "住址")),
        (4, ("too_many_cells", None)),
        (5, {"姓名": "赵六", "电话": "136", "住址": "广州"}),
        (7, {"姓名": "钱七", "电话": "135", "住址": "深圳"}),
    ]
    short, extra = rows[1][1], rows[2][1]
    assert isinstance(short, RowProblem) and isinstance(extra, RowProblem)
    assert short.message == (
        "This row has 2 cells but the header has 3 columns (the first missing is 住址)."
    )
    assert short.cells == ("李四", "139")
    assert extra.message == (
        "This row has a value in column 4 (D), but the header has only 3 columns: a delimiter "
        "inside a value, or a shifted row?"
    )
    assert (short.row_number, extra.row_number) == (3, 4)


def test_header_after_blank_lines_keeps_the_numbers_a_person_sees(tmp_path: Path) -> None:
    reader, rows = read_all(write(tmp_path, "gap.csv", b"\n\r\na,b\n1,2\n"))
    assert (reader.header_row_number, rows) == (3, [(4, {"a": "1", "b": "2"})])


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\n\r\n   \n\t\n", "no_header"),
        ("\ufeff\r\n".encode(), "no_header"),
    ],
)
def test_missing_header(tmp_path: Path, data: bytes, code: str) -> None:
    assert refuse(write(tmp_path, "none.csv", data)).code == code


def test_header_names_are_normalised(tmp_path: Path) -> None:
    # Full-width letters (NFKC), a stray inner BOM, padding, an Alt+Enter line break, and
    # empty columns after the last name, as Excel leaves them.
    text = '\ufeff ＩＤ ,"身份证\n号码",\u3000姓名\u200b,,\n1,2,3,,\n'
    reader, rows = read_all(write(tmp_path, "names.csv", text.encode()))
    assert reader.header == ["ID", "身份证 号码", "姓名"]
    # The header is one record over two lines: the data row is row 2, as a spreadsheet shows it.
    assert rows == [(2, {"ID": "1", "身份证 号码": "2", "姓名": "3"})]


def test_duplicate_header_names_after_normalising_are_refused(tmp_path: Path) -> None:
    problem = refuse(write(tmp_path, "dup.csv", "ID,姓名,ＩＤ\n1,张三,2\n".encode()))
    assert problem.code == "duplicate_header"
    assert problem.message == (
        "The header (row 1) names a column more than once: ID in columns 1 (A), 3 (C). "
        "Give each column its own name."
    )


def test_blank_header_name_between_names_is_refused(tmp_path: Path) -> None:
    problem = refuse(write(tmp_path, "blank.csv", "姓名,,电话\n张三,x,138\n".encode()))
    assert (problem.code, problem.params["columns"]) == ("blank_header", [2])


def test_overlong_cell_is_a_row_problem(tmp_path: Path) -> None:
    text = "a,b\n1,2\n3," + "x" * 50 + "\n5,6\n"
    _, rows = read_all(write(tmp_path, "long.csv", text.encode()), limits=Limits(max_cell_chars=40))
    assert problem_summary(rows) == [
        (2, {"a": "1", "b": "2"}),
        (3, ("cell_too_long", "b")),
        (4, {"a": "5", "b": "6"}),
    ]


def test_a_file_without_line_breaks_stops_at_the_line_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "flat.csv", b"a,b\n" + b"1," * 600)
    problem = refuse(path, limits=Limits(max_line_chars=1_000))
    assert (problem.code, problem.params["line"]) == ("line_too_long", 2)


def test_unclosed_quote_swallowing_the_file_is_reported(tmp_path: Path) -> None:
    # The csv module stops a runaway quoted cell at 131,072 characters: that is a file problem.
    data = b'a,b\n1,"2\n' + b"3,4\n" * 40_000
    problem = refuse(write(tmp_path, "quote.csv", data))
    assert (problem.code, problem.params["row"]) == ("csv_syntax", 2)  # where the quote opens


def test_row_limit_stops_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "many.csv", b"a\n" + b"x\n" * 10)
    seen: list[int] = []
    with (
        pytest.raises(FileProblem) as caught,
        open_table(path, filename=path.name, limits=Limits(max_rows=3)) as reader,
    ):
        seen.extend(number for number, _ in reader)
    assert (caught.value.code, seen) == ("too_many_rows", [2, 3, 4])


def test_progress_grows_to_one(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", b"a,b\n" + b"1,2\n" * 100_000)
    with open_table(path, filename=path.name) as reader:
        assert reader.size == 400_004
        samples = [reader.progress for number, _ in reader if number % 20_000 == 0]
        assert reader.progress == 1.0 and reader.bytes_read == 400_004
    assert samples == sorted(samples)
    assert len(samples) == 5 and 0.0 < samples[0] < 0.5 < samples[-1]


# --- sizes ------------------------------------------------------------------------------------


class Unreadable(io.BytesIO):
    """An upload whose bytes must not be touched: the size alone refuses it."""

    def read(self, *args: object) -> bytes:  # type: ignore[override]
        raise AssertionError("read before the size check")


def test_2gb_upload_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    with path.open("wb") as sparse:  # 2 GiB on disk costs nothing: a sparse file
        sparse.truncate(2 * GiB)
    problem = refuse(path)
    assert problem.code == "too_large"
    assert problem.message == (
        "The file is 2.0 GB; the largest file accepted is 1.0 GB. Split it into smaller files "
        "and upload each."
    )
    stream = Unreadable(b"a,b\n" * 1000)
    with pytest.raises(FileProblem) as caught:
        open_table(stream, filename="x.csv", limits=Limits(max_upload_bytes=1000))
    assert caught.value.params == {"size": 4000, "limit": 1000}


class Pipe(io.RawIOBase):
    """A non-seekable upload (a pipe), read in small pieces."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(min(len(buffer), 1000))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_pipe_is_read_and_limited_too() -> None:
    with open_table(Pipe(b"a,b\n1,2\n"), filename="x.csv") as reader:  # type: ignore[arg-type]
        assert list(reader) == [(2, {"a": "1", "b": "2"})]
    with pytest.raises(FileProblem) as caught:
        open_table(Pipe(b"a\n" * 5000), filename="x.csv", limits=Limits(max_upload_bytes=4096))  # type: ignore[arg-type]
    assert caught.value.code == "too_large"


def test_file_object_is_left_open_for_its_owner() -> None:
    upload = io.BytesIO(b"a\n1\n")
    with open_table(upload, filename="x.csv") as reader:
        list(reader)
    assert not upload.closed


# --- XLSX -------------------------------------------------------------------------------------


def test_xlsx_numbers_stay_numbers_so_a_long_id_shows_as_one(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path,
        "ids.xlsx",
        [
            ["身份证号", "编号", "电话", "体温", "已隔离"],
            [110101199003071234, 12345, "13800000000", 36.6, True],
            ["110101199003071234", 2**40, 13900000000, 37, False],
        ],
    )
    reader, rows = read_all(path)
    assert (reader.format, reader.encoding, reader.sheet_name) == ("xlsx", None, "病例")
    first, second = rows[0][1], rows[1][1]
    # openpyxl, like Excel (15 digits), keeps 16 significant digits of a number: the ID arrives
    # as the float it became, its last digits gone, never as text, so the validator can refuse it.
    assert first == {
        "身份证号": 1.101011990030712e17,
        "编号": 12345,
        "电话": "13800000000",
        "体温": 36.6,
        "已隔离": True,
    }
    assert type(first["身份证号"]) is float and type(first["编号"]) is int
    assert second == {
        "身份证号": "110101199003071234",
        "编号": 1_099_511_627_776,
        "电话": 13900000000,
        "体温": 37,
        "已隔离": False,
    }
    assert [number for number, _ in rows] == [2, 3]


def test_xlsx_date_cells_are_datetimes(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path,
        "dates.xlsx",
        [
            ["姓名", "发病日期", "采样时间", "序列号"],
            ["张三", datetime.date(2024, 1, 5), datetime.datetime(2024, 1, 5, 8, 30), 45296],
        ],
        B="yyyy-mm-dd",
    )
    _, rows = read_all(path)
    assert rows == [
        (
            2,
            {
                "姓名": "张三",
                "发病日期": datetime.datetime(2024, 1, 5, 0, 0),
                "采样时间": datetime.datetime(2024, 1, 5, 8, 30),
                "序列号": 45296,  # a bare serial, not formatted as a date: the validator decides
            },
        )
    ]


def test_xlsx_formulas_give_cached_values_and_are_never_run(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path,
        "formulas.xlsx",
        [
            ["链接", "合计", "备注"],
            ['=HYPERLINK("http://example.invalid/x","点击")', "=1+1", "plain"],
            ["=NOW()", "=1+2", "plain"],
        ],
    )
    workbook = openpyxl.load_workbook(path)
    workbook.active["C3"].value = '=HYPERLINK("http://evil.invalid","bait")'
    workbook.active["C3"].data_type = "s"  # text that merely looks like a formula
    workbook.save(path)

    def add_cached_values(xml: str) -> str:
        # What Excel saves: the formula and the value it last showed. openpyxl cannot write it.
        # With lxml installed openpyxl writes `<v></v>` and characters as references.
        xml = re.sub(r"<v\s*/>|<v></v>", "<v />", xml).replace("&#28857;&#20987;", "点击")
        xml = xml.replace(
            '<c r="A2"><f>HYPERLINK("http://example.invalid/x","点击")</f><v /></c>',
            '<c r="A2" t="str"><f>HYPERLINK("http://example.invalid/x","点击")</f><v>点击</v></c>',
        )
        return xml.replace('<c r="B2"><f>1+1</f><v /></c>', '<c r="B2"><f>1+1</f><v>2</v></c>')

    rewrite_member(path, "xl/worksheets/sheet1.xml", add_cached_values)
    _, rows = read_all(path)
    assert rows == [
        (2, {"链接": "点击", "合计": 2, "备注": "plain"}),
        # No cached value (a program that does not calculate wrote it): empty, not evaluated.
        (3, {"链接": None, "合计": None, "备注": '=HYPERLINK("http://evil.invalid","bait")'}),
    ]


def test_xlsx_named_sheet_offset_table_gaps_and_short_rows(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["ignored"])
    sheet = workbook.create_sheet("物资")
    sheet["B3"] = "品名"  # the table starts at B3: column A and rows 1-2 are empty
    sheet["C3"] = "数量"
    sheet["B4"] = "口罩"
    sheet["C4"] = 1000
    sheet["B6"] = "手套"  # row 5 is not in the file at all; row 6 stops after one cell
    sheet["A7"] = "孤儿"  # a value in the column with no name
    sheet["B7"] = "酒精"
    path = tmp_path / "stock.xlsx"
    workbook.save(path)
    reader, rows = read_all(path, sheet="物资")
    assert (reader.sheet_name, reader.header_row_number, reader.header) == (
        "物资",
        3,
        ["品名", "数量"],
    )
    assert problem_summary(rows) == [
        (4, {"品名": "口罩", "数量": 1000}),
        (6, {"品名": "手套", "数量": None}),
        (7, ("too_many_cells", None)),
    ]
    orphan = rows[2][1]
    assert isinstance(orphan, RowProblem)
    assert (
        orphan.message == "This row has a value in column 1 (A), which has no name in the header."
    )


def test_title_rows_above_the_header_can_be_skipped(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path, "report.xlsx", [["2024年1月病例统计表"], [], ["姓名", "电话"], ["张三", 1]]
    )
    reader, rows = read_all(path, header_row=3)
    assert (reader.header, rows) == (["姓名", "电话"], [(4, {"姓名": "张三", "电话": 1})])
    text = write(tmp_path, "report.csv", "病例统计表\n姓名,电话\n张三,138\n".encode())
    reader, rows = read_all(text, header_row=2)
    assert (reader.header, rows) == (["姓名", "电话"], [(3, {"姓名": "张三", "电话": "138"})])


def test_xlsx_progress_follows_the_sheet(tmp_path: Path) -> None:
    path = xlsx(tmp_path, "p.xlsx", [["n", "name"], *[[i, f"张三{i}"] for i in range(20_000)]])
    with open_table(path, filename=path.name) as reader:
        halfway = [reader.progress for number, _ in reader if number == 10_001]
        assert reader.progress == 1.0
    assert 0.2 < halfway[0] < 0.8


def test_xlsx_missing_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = xlsx(tmp_path, "a.xlsx", [["x"], [1]])
    problem = refuse(path, sheet="Sheet9")
    assert (problem.code, problem.params["sheets"]) == ("no_such_sheet", ["病例"])


def test_empty_xlsx_has_no_header(tmp_path: Path) -> None:
    assert refuse(xlsx(tmp_path, "empty.xlsx", [])).code == "no_header"


def test_zip_bomb_named_xlsx_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(256):  # 256 MiB of zeros, about 250 KiB packed
                member.write(bytes(MiB))
    assert path.stat().st_size < MiB
    problem = refuse(path)
    assert problem.code == "zip_bomb"
    assert problem.params["member"] == "xl/worksheets/sheet1.xml"
    assert problem.params["ratio"] > 900  # type: ignore[operator]


def test_workbook_expanding_past_the_limit_is_refused(tmp_path: Path) -> None:
    path = xlsx(tmp_path, "big.xlsx", [["a", "b"], *[[i, f"row {i}"] for i in range(2_000)]])
    problem = refuse(path, limits=Limits(max_xlsx_uncompressed_bytes=50_000))
    assert problem.code == "zip_too_large"


def test_zip_with_a_flood_of_entries_is_refused_before_listing_them(tmp_path: Path) -> None:
    path = tmp_path / "flood.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(300):
            archive.writestr(f"x/{i}", b"")
    problem = refuse(path, limits=Limits(max_zip_entries=100))
    assert (problem.code, problem.params["entries"]) == ("zip_bomb", 300)


def declare_size(data: bytearray, name: bytes, size: int) -> None:
    """Make a zip member claim another uncompressed size, in both places a zip records it."""
    # (signature, where the name starts, where its length is, where the size is)
    for signature, name_at, length_at, size_at in (
        (b"PK\x03\x04", 30, 26, 22),  # the local header before the data
        (b"PK\x01\x02", 46, 28, 24),  # the central directory entry
    ):
        for match in re.finditer(re.escape(signature), bytes(data)):
            start = match.start()
            (length,) = struct.unpack_from("<H", data, start + length_at)
            if bytes(data[start + name_at : start + name_at + length]) == name:
                struct.pack_into("<I", data, start + size_at, size)


def test_member_lying_about_its_size_cannot_expand_past_it(tmp_path: Path) -> None:
    path = xlsx(tmp_path, "liar.xlsx", [["a"], *[[f"row {i}"] for i in range(5_000)]])
    data = bytearray(path.read_bytes())
    declare_size(data, b"xl/worksheets/sheet1.xml", 300)  # passes every size check
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == 300
    assert refuse(path).code == "damaged_workbook"


def test_xml_entity_expansion_in_a_sheet_is_refused(tmp_path: Path) -> None:
    path = xlsx(tmp_path, "laughs.xlsx", [["a"], ["b"]])
    entities = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )

    def explode(xml: str) -> str:
        xml = xml.replace("<worksheet", f"<!DOCTYPE worksheet [{entities}]><worksheet", 1)
        return xml.replace("<t>b</t>", "<t>&l9;</t>")

    rewrite_member(path, "xl/worksheets/sheet1.xml", explode)
    assert refuse(path).code == "damaged_workbook"


def test_text_named_xlsx_is_not_a_workbook(tmp_path: Path) -> None:
    problem = refuse(write(tmp_path, "名单.xlsx", "姓名,电话\n张三,138\n".encode()))
    assert problem.code == "not_a_workbook"
    assert problem.message == (
        "名单.xlsx is named like a spreadsheet but is not an Excel workbook: it is text. Open it "
        "in Excel or WPS and save it as .xlsx, or as CSV (UTF-8) and upload that."
    )
    html = refuse(write(tmp_path, "report.xls", b"<html><table><tr><td>1</td></tr></table>"))
    assert "it is a web page" in html.message


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.jpg", b"\xff\xd8")
    assert refuse(path).code == "not_a_workbook"


def ole_file(stream_names: list[str]) -> bytes:
    """A compound file (the Office 97-2003 container) with a first directory sector."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<H", header, 0x1E, 9)  # 512-byte sectors
    struct.pack_into("<I", header, 0x30, 0)  # the directory starts at sector 0
    directory = bytearray(512)
    for i, name in enumerate(stream_names[:4]):
        encoded = (name + "\x00").encode("utf-16-le")
        directory[i * 128 : i * 128 + len(encoded)] = encoded
        struct.pack_into("<H", directory, i * 128 + 0x40, len(encoded))
    return bytes(header + directory)


def test_old_xls_and_password_protected_workbooks(tmp_path: Path) -> None:
    old = refuse(write(tmp_path, "old.xls", ole_file(["Root Entry", "Workbook"])))
    assert old.code == "old_excel"
    locked = ole_file(["Root Entry", "EncryptionInfo", "EncryptedPackage"])
    assert refuse(write(tmp_path, "locked.xlsx", locked)).code == "encrypted_workbook"


# --- JSON -------------------------------------------------------------------------------------


def test_json_array_of_objects(tmp_path: Path) -> None:
    data = (
        '[{"姓名": "张三", "年龄": 30, "体温": 36.6, "隔离": true, "备注": null},'
        ' {"姓名": "李四", "年龄": 41, "体温": 37.2, "隔离": false},'
        ' {"姓名": "王五", "住址": {"区": "朝阳"}},'
        ' ["not", "an", "object"],'
        ' {"姓名": "赵六", "电话": "138"}]'
    )
    reader, rows = read_all(write(tmp_path, "cases.json", data.encode()))
    assert (reader.format, reader.header) == ("json", ["姓名", "年龄", "体温", "隔离", "备注"])
    assert problem_summary(rows) == [
        (1, {"姓名": "张三", "年龄": 30, "体温": 36.6, "隔离": True, "备注": None}),
        (2, {"姓名": "李四", "年龄": 41, "体温": 37.2, "隔离": False, "备注": None}),
        (3, ("unknown_key", "住址")),
        (4, ("not_an_object", None)),
        (5, ("unknown_key", "电话")),
    ]
    assert type(rows[0][1]["体温"]) is float  # type: ignore[index]


def test_json_nested_value_is_a_row_problem(tmp_path: Path) -> None:
    data = b'[{"a": 1, "b": 2}, {"a": [1, [2]], "b": 3}, {"a": 4, "b": 5}]'
    _, rows = read_all(write(tmp_path, "n.json", data))
    assert problem_summary(rows) == [
        (1, {"a": 1, "b": 2}),
        (2, ("nested_value", "a")),
        (3, {"a": 4, "b": 5}),
    ]


def test_json_lines(tmp_path: Path) -> None:
    text = (
        '{"id": "110101199003071234", "name": "张三"}\n'
        "\n"
        '{"id": "310101198512120021", "name": "李四", "name": "李四四"}\n'
        "{not json}\n"
        '{"id": NaN, "name": "x"}\n'
        '"a string"\n'
        '{"name": "王五"}\n'
    )
    reader, rows = read_all(write(tmp_path, "feed.jsonl", text.encode()))
    assert (reader.format, reader.header) == ("jsonl", ["id", "name"])
    assert problem_summary(rows) == [
        (1, {"id": "110101199003071234", "name": "张三"}),
        (3, ("duplicate_key", "name")),
        (4, ("invalid_json", None)),
        (5, ("invalid_json", None)),
        (6, ("not_an_object", None)),
        (7, {"id": None, "name": "王五"}),
    ]


def test_json_lines_named_json_and_a_single_object(tmp_path: Path) -> None:
    _, rows = read_all(write(tmp_path, "lines.json", b'{"a": 1}\n{"a": 2}\n'))
    assert rows == [(1, {"a": 1}), (2, {"a": 2})]
    problem = refuse(write(tmp_path, "one.json", b'{\n  "rows": [{"a": 1}]\n}\n'))
    assert problem.code == "not_a_table"


def test_json_in_gbk_and_utf16(tmp_path: Path) -> None:
    data = '[{"姓名": "张三", "住址": "北京市朝阳区"}]'
    for name, encoded in (("gbk.json", data.encode("gbk")), ("u16.json", codecs_utf16le_bom(data))):
        _, rows = read_all(write(tmp_path, name, encoded))
        assert rows == [(1, {"姓名": "张三", "住址": "北京市朝阳区"})]


def test_broken_json_stops_after_the_good_items(tmp_path: Path) -> None:
    path = write(tmp_path, "cut.json", b'[{"a": 1}, {"a": 2}, {"a": ')
    seen: list[int] = []
    with pytest.raises(FileProblem) as caught, open_table(path, filename=path.name) as reader:
        seen.extend(number for number, _ in reader)
    assert (caught.value.code, caught.value.params["item"], seen) == ("invalid_json", 3, [1, 2])


@pytest.mark.parametrize(("data", "code"), [(b"[]", "no_header"), (b"[1, 2]", "not_a_table")])
def test_json_without_objects(tmp_path: Path, data: bytes, code: str) -> None:
    assert refuse(write(tmp_path, "x.json", data)).code == code


# --- bounded memory ---------------------------------------------------------------------------


def peak_while_reading(path: Path) -> tuple[int, int]:
    """(rows read, peak traced bytes) for a full read that keeps nothing."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        count = 0
        with open_table(path, filename=path.name) as reader:
            for _, row in reader:
                assert not isinstance(row, RowProblem)
                count += 1
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_bounded_on_a_300k_row_csv(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("序号,姓名,身份证号,电话,住址,报告日期\r\n")
        for start in range(0, 300_000, 10_000):
            out.write(
                "".join(
                    f"{i},张三{i},11010119900307{i % 10_000:04d},138{i:08d},"
                    f"北京市朝阳区建国路{i}号,2024-01-05\r\n"
                    for i in range(start, start + 10_000)
                )
            )
    size = path.stat().st_size
    assert size > 25 * MiB
    count, peak = peak_while_reading(path)
    assert count == 300_000
    # The reader holds a 64 KiB read buffer, one decoded text chunk, one record and its row:
    # a few hundred KiB whatever the file size. 4 MiB leaves room for interpreter noise and is
    # still under a sixth of this file, so a reader that kept rows or lines would fail.
    assert peak < 4 * MiB, f"peak {peak:,} bytes for a {size:,}-byte file"


def test_memory_stays_bounded_on_a_100k_row_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "cases.xlsx"
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("cases")
    sheet.append(["姓名", "报告日期"])  # two columns: tracing openpyxl costs ~0.3 ms a cell
    day = datetime.datetime(2024, 1, 5)
    for i in range(100_000):
        sheet.append([f"张三{i}", day])
    workbook.save(path)
    count, peak = peak_while_reading(path)
    assert count == 100_000
    # Measured: ~13 MB at 100k rows. openpyxl streams the sheet but leaves an emptied XML
    # element per row in its tree (~80 bytes; 7.3 MB of the peak at 90k rows); the rest is its
    # parser buffers and styles. Excel's 1,048,576-row limit, which the reader enforces, caps
    # that part at ~85 MB. 16 MiB here is that slope with room; rows kept as Python tuples and
    # dicts would need well over 50 MB.
    assert peak < 16 * MiB, f"peak {peak:,} bytes"
