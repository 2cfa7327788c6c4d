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
          "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев", "Орлов",
          "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов",
          "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов",
          "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов",
          "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов",
          "Тарасов"]
GIVEN = ["Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём",
         "Илья", "Кирилл", "Михаил", "Никита", "Матвей", "Роман", "Егор", "Иван",
         "Владимир", "Павел", "Денис", "Евгений", "Антон", "Олег", "Игорь", "Тимофей",
         "Николай", "Георгий", "Степан", "Фёдор", "Юрий", "Виктор", "Константин"]
PATR = ["Александрович", "Дмитриевич", "Сергеевич", "Андреевич", "Алексеевич",
        "Михайлович", "Иванович", "Николаевич", "Владимирович", "Петрович",
        "Викторович", "Олегович", "Игоревич", "Павлович", "Юрьевич", "Евгеньевич",
        "Константинович", "Романович", "Борисович", "Анатольевич"]
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
            h = mix(i)
            oid, region, _ = OFFICES[h % len(OFFICES)]
            y, m, d = civil(EPOCH_DAY + (h >> 8) % SPAN_DAYS)
            buf.append('RU-%010d,%s,%s,%s,%04d-%02d-%02d,M,%s,%s,"%s, %s, д. %d, кв. %d",'
                       '+79%09d,user%d@example.ru,%s\r\n' % (
                           i, FAMILY[(h >> 24) % len(FAMILY)], GIVEN[(h >> 32) % len(GIVEN)],
                           PATR[(h >> 40) % len(PATR)], y, m, d, region, oid, region,
                           STREETS[(h >> 48) % len(STREETS)], (h >> 16) % 200 + 1,
                           (h >> 20) % 300 + 1, h % 1000000000, i,
                           "ABVGD"[(h >> 52) % 5] if (h >> 56) % 7 else ""))
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))


EPOCH_DAY = 719468  # 1970-01-01 counted from 0000-03-01, see civil()
SPAN_DAYS = 38 * 365    # birth dates over 38 years from 1970


def mix(i):
    """A fixed 64-bit mix of i (splitmix64): the fields of person i."""
    z = (i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


def civil(z):
    """Proleptic Gregorian date of day z counted from 0000-03-01 (H. Hinnant)."""
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (1 if m <= 2 else 0)
    return y, m, d


if __name__ == "__main__":
    main()
