"""Encodings of a CSV line list (issue 14 §6): after the byte-order mark and UTF-8, the encoding is detected for
real, so that Big5 and Shift-JIS are read right instead of decoding as nonsense GB18030, and what cannot be read
is refused with what to do. Every file here is made in the test, in the encoding it names."""

import pytest

from admitall.domain.errors import InvalidInput
from admitall.domain.intake import HEADERS
from admitall.services.tabular import parse_table

REQUIRED = ("name", "category", "unit_code")
SIMPLIFIED = (
    "姓名,身份证号,手机号,类别,社区编码\n"
    "欧阳娜娜,420102198503071234,13812345678,确诊,420102002001\n"
    "张伟,420102198503071235,13812345679,密接,420102002001\n"
)
TRADITIONAL = (
    "姓名,身份證號,手機號,類別,社區編碼\n"
    "歐陽娜娜,420102198503071234,+852 9123 4567,確診,420102002001\n"
    "張偉,420102198503071235,+853 6612 3456,密接,420102002001\n"
)
JAPANESE_NAMES = (
    "name,phone,category,unit_code\n山田太郎,13812345678,密接,420102002001\n佐藤花子,13812345679,疑似,420102002001\n"
)


def read(data: bytes):
    table = parse_table(data, HEADERS, REQUIRED)
    return table.encoding, [fields for _, fields in table.rows]


@pytest.mark.parametrize(
    ("text", "encoding", "read_as"),
    [
        (SIMPLIFIED, "gb18030", "gb18030"),
        (SIMPLIFIED, "gbk", "gb18030"),
        (TRADITIONAL, "gb18030", "gb18030"),
        (TRADITIONAL, "big5", "cp950"),
        (JAPANESE_NAMES, "shift_jis", "cp932"),
        (SIMPLIFIED, "utf-8", "utf-8"),
        (SIMPLIFIED, "utf-8-sig", "utf-8-sig"),
        (SIMPLIFIED, "utf-16", "utf-16"),
    ],
)
def test_each_encoding_is_read_as_what_it_is(text, encoding, read_as):
    found, rows = read(text.encode(encoding))
    assert found == read_as
    lines = text.splitlines()
    names = [line.split(",")[0] for line in lines[1:]]
    assert [r["name"] for r in rows] == names


def test_a_one_row_big5_list_is_not_taken_for_korean_or_gb18030():
    found, rows = read("name,category,unit_code\n陳美玲,密接,420102002001\n".encode("big5"))
    assert (found, rows[0]["name"]) == ("cp950", "陳美玲")


def test_traditional_headers_and_categories_are_understood():
    _, rows = read(TRADITIONAL.encode("big5"))
    assert rows[0] == {
        "name": "歐陽娜娜",
        "id_number": "420102198503071234",
        "phone": "+852 9123 4567",
        "category": "確診",
        "unit_code": "420102002001",
    }


def test_a_hong_kong_character_beyond_microsofts_big5_is_read_by_hkscs():
    text = "name,category,unit_code\n陳美玲,密接,420102002001\n黃𠝹,密接,420102002001\n"  # 𠝹 is HKSCS only
    found, rows = read(text.encode("big5hkscs"))
    assert found == "big5hkscs" and rows[1]["name"] == "黃𠝹"


def test_what_no_encoding_reads_is_refused_saying_how_to_save_it():
    with pytest.raises(InvalidInput) as e:
        read(b"name,category,unit_code\n\x81\x30\x81\xff\xff\xfe\x80,x,y\n")
    assert e.value.code == "file.encoding"
    assert "CSV UTF-8" in e.value.zh and "CSV UTF-8" in e.value.en


def test_missing_columns_are_named_in_the_users_words():
    with pytest.raises(InvalidInput) as e:
        read("姓名,电话\n张三,13812345678\n".encode())
    assert "类别、社区编码" in e.value.zh and "category, unit_code" in e.value.en
    assert "unit_code" not in e.value.zh
