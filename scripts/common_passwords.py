"""Write src/admitall/data/common-passwords.txt: the passwords AdmitAll refuses as too common.

There is no network here, so the list is not copied from a leaked-password corpus: it is written from public
knowledge of what such corpora are made of — the best-known weak passwords (English and Chinese pinyin), keyboard
walks, number runs, dates and lucky numbers, names of the outbreak, the city and this system — and the way people
dress them up (a capital, a year or a run of digits, a symbol at the end). The policy (domain/passwords.py) also
compares a password with its leetspeak and digits-and-symbols-stripped forms, so the list holds the plain shapes.

Run: python scripts/common_passwords.py
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "admitall" / "data" / "common-passwords.txt"

# the best-known weak passwords and words people build passwords from
WORDS = """
password passw0rd passwd pass admin administrator root toor system sysadmin manager guest user test tester demo
default changeme letmein welcome hello hello123 login master secret qwerty qwertyuiop qwertyui asdf asdfgh
asdfghjkl zxcvbn zxcvbnm qazwsx qweasd qweasdzxc 1qaz2wsx 1q2w3e4r 1q2w3e zaq12wsx abc abcd abcdef abcdefg
abcdefgh abc123 iloveyou loveyou lovely love monkey dragon shadow sunshine princess football baseball basketball
soccer hockey superman batman spiderman starwars pokemon naruto michael jennifer jordan hunter ranger buster
thomas robert daniel charlie andrew matthew joshua jessica ashley amanda nicole michelle tigger harley mustang
maggie ginger pepper cookie chocolate cheese banana orange apple computer internet whatever trustno1 freedom
summer winter spring autumn flower purple silver golden diamond killer hacker access secure security private
office company business service support network server database oracle mysql postgres sqlserver windows
linux ubuntu debian apple123 google facebook twitter wechat weixin qq qq123 tencent baidu alibaba taobao
huawei xiaomi samsung iphone android nokia china chinese beijing shanghai guangzhou shenzhen wuhan hubei
hankou wuchang hanyang jiangan jianghan qiaokou hongshan qingshan dongxihu caidian jiangxia huangpi xinzhou
hannan zhongguo woaini woaini1314 woaiwojia woainima aini aini1314 wodemima mima mimamima zhangwei wangwei
wangfang liwei lina zhangmin liyang wangjing liuyang zhangjing wangyong lijun zhanglei wangqiang liming
zhang wang liu chen yang huang zhao zhou xu sun zhu gao lin he guo ma luo liang song zheng xie han tang
feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng wei su lv ding ren shen yao lu
jiang cui zhong tan fan wan qian dai mao hao kong bai xiong meng qin qiu
jiayou wuhanjiayou zhongguojiayou hubeijiayou fangyi kangyi yiqing feiyan xinguan guanzhuang bingdu
covid covid19 covid2019 coronavirus corona virus pandemic epidemic outbreak quarantine lockdown isolation
vaccine mask doctor nurse hospital shelter fangcang huoshenshan leishenshan jinyintan xiehe tongji renmin
zhongnan yingshoujinshou yingshou bulouyiren admitall admit command commander dispatcher facility analyst
community district street officer duty report bulletin zhihuibu jiankang health healthcode
government gov zhengfu dangzheng party gongchandang renminzhengfu shizhengfu weijianwei jiankangwei
shiwei quwei jiedao shequ zhihui diaodu baogao tongbao
fuck fuckyou fuckoff bitch shit asshole sex sexy 666666 888888 520520 5201314 1314520 147258 147258369
159357 159753 123qwe qwe123 asd123 zxc123 a123456 aa123456 a12345678 abc12345 abcd1234 123abc 1234abcd
""".split()

# whole passwords that are weak as they stand (long enough to pass a length rule, common all the same)
WHOLE = """
123456789012 1234567890123 12345678901234 123456789000 111111111111 000000000000 123123123123 121212121212
112233445566 123321123321 987654321000 098765432109 147258369000 135792468000 246813579000 qwertyuiop123
1qaz2wsx3edc 1qaz2wsx3edc4rfv zaq12wsxcde3 1q2w3e4r5t6y 1q2w3e4r5t6y7u 1q2w3e4r5t 1qazxsw23edc qazwsxedcrfv
qwertyuiopasdfghjkl qwertyasdfgh asdfghjklqwe zxcvbnmasdfg passwordpassword adminadmin adminadmin123
administrator123 iloveyouiloveyou letmeinletmein trustno1trustno1 welcomewelcome changemechangeme
correcthorsebatterystaple woaininiaiwo wuhanjiayou2020 zhongguojiayou2020
wuhan2020wuhan wuhanwuhan2020 yingshoujinshou2020 admitall2020 admitalladmin demo-2020 demo2020demo
p@ssw0rd p@ssword p@55w0rd pa$$word pa55word passw0rd! admin@123 admin@1234 admin@123456 admin#123
root@123 root@123456 test@123 test@123456 qwer@1234 qwe!@#123 qwe123!@# 1qaz!qaz 1qaz@wsx 1qaz@wsx#edc
!qaz2wsx !qaz@wsx abc@123 abc@123456 abcd@1234 aa123456789 a1234567890 a123456789a asd123456789
woaini521 woaini520 woaini5201314 aini5201314 5201314520 1314520520 52013145201314 woaiwojia123
iloveyou1314 iloveyou520 iloveyou5201314 huawei123456 xiaomi123456 wechat123456 weixin123456 qq123456789
""".split()

# how people dress a word up
SUFFIXES = [
    "",
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "0",
    "00",
    "01",
    "007",
    "11",
    "666",
    "888",
    "520",
    "521",
    "1314",
    "5201314",
    "!",
    "!!",
    "@",
    "#",
    "1!",
    "123!",
    "@123",
    "#123",
    "!@#",
    "123!@#",
    "2008",
    "2010",
    "2015",
    "2018",
    "2019",
    "2020",
    "2021",
    "2022",
    "@2020",
    "2020!",
]
PREFIXES = ["", "1", "123", "a", "my", "the", "i", "@"]

# runs and repeats of digits, and dates: birthdays are the commonest all-digit passwords of all
DIGIT_RUNS = ["0123456789", "1234567890", "9876543210", "0987654321", "1357924680", "2468013579"]


def _digits() -> set[str]:
    found: set[str] = set()
    for run in DIGIT_RUNS:
        for length in range(6, len(run) + 1):
            found.add(run[:length])
    for d in "0123456789":
        for length in range(6, 17):
            found.add(d * length)
    for pair in ("12", "21", "13", "14", "52", "69", "88", "66", "99", "00", "10", "01"):
        for repeat in range(3, 9):
            found.add(pair * repeat)
    for year in range(1950, 2025, 5):
        for month in (1, 6, 12):
            for day in (1, 15):
                found.add(f"{year}{month:02d}{day:02d}")
    return found


def common_passwords() -> list[str]:
    found: set[str] = set(WHOLE) | _digits()
    for word in WORDS:
        for suffix in SUFFIXES:
            found.add(word + suffix)
        for prefix in PREFIXES:
            found.add(prefix + word)
        found.add(word + word)
        found.add(word * 3)
    return sorted({w.lower() for w in found if w.strip()})


def main() -> None:
    words = common_passwords()
    header = (
        "# The passwords AdmitAll refuses as too common, one a line, lower case (written by\n"
        "# scripts/common_passwords.py from public knowledge of weak passwords; no leaked list was copied).\n"
    )
    OUT.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} passwords written to {OUT}")


if __name__ == "__main__":
    main()
