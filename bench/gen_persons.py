#!/usr/bin/env python3
"""gen_persons.py: the benchmark's own generator of person files.

usage: gen_persons.py N OUT.csv [OFFICES.csv]

Writes N valid persons as CSV (the 12 columns of CONTRACT.md, header row)
and, when asked, the offices file they refer to. Deterministic: the same N
gives the same bytes. National ids are shuffled (not sorted) so the store
sees keys in the random order a real agency file has.
"""
import random
import sys

OFFICES = [("KGD", "Kaliningrad", "Europe/Kaliningrad"), ("MOW", "Moscow", "Europe/Moscow"),
           ("SMR", "Samara", "Europe/Samara"), ("EKB", "Sverdlovsk", "Asia/Yekaterinburg"),
           ("OMS", "Omsk", "Asia/Omsk"), ("KJA", "Krasnoyarsk", "Asia/Krasnoyarsk"),
           ("IKT", "Irkutsk", "Asia/Irkutsk"), ("YKS", "Sakha", "Asia/Yakutsk"),
           ("VVO", "Primorye", "Asia/Vladivostok"), ("GDX", "Magadan", "Asia/Magadan"),
           ("PKC", "Kamchatka", "Asia/Kamchatka")]
FAMILY = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов",
          "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев",
          "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев", "Орлов"]
GIVEN = ["Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём",
         "Илья", "Кирилл", "Михаил", "Никита", "Матвей", "Роман", "Егор", "Иван"]
PATR = ["Александрович", "Дмитриевич", "Сергеевич", "Андреевич", "Алексеевич",
        "Михайлович", "Иванович", "Николаевич", "Владимирович", "Петрович"]
STREETS = ["ул. Ленина", "ул. Мира", "пр. Победы", "ул. Садовая", "ул. Советская"]


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    rng = random.Random(20240601)
    if len(sys.argv) > 3:
        with open(sys.argv[3], "w", encoding="utf-8") as f:
            f.write("id,name,region,timezone,daily_capacity\n")
            for oid, region, tz in OFFICES:
                f.write("%s,%s enlistment office,%s,%s,500\n" % (oid, region, region, tz))
    ids = list(range(1, n + 1))
    rng.shuffle(ids)
    buf = []
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("national_id,family_name,given_name,patronymic,birth_date,sex,"
                "region,office,address,phone,email,fitness\r\n")
        for i in ids:
            oid, region, _ = OFFICES[i % len(OFFICES)]
            y = 1970 + (i * 7919) % 38
            m = 1 + (i * 31) % 12
            d = 1 + (i * 17) % 28
            fam = FAMILY[(i * 13) % len(FAMILY)]
            buf.append('RU-%010d,%s,%s,%s,%04d-%02d-%02d,M,%s,%s,"%s, %s, д. %d, кв. %d",'
                       '+79%09d,user%d@example.ru,%s\r\n' % (
                           i, fam, GIVEN[(i * 7) % len(GIVEN)], PATR[(i * 3) % len(PATR)],
                           y, m, d, region, oid, region, STREETS[i % len(STREETS)],
                           i % 200 + 1, i % 300 + 1, (i * 104729) % 1000000000, i,
                           "ABVGD"[i % 5] if i % 7 else ""))
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))


if __name__ == "__main__":
    main()
