#!/usr/bin/env python3
"""Deterministic benchmark inputs: `gen.py flows|vacancies ROWS COUNTRY [SEED]`
writes a CSV file of ROWS rows for COUNTRY to stdout. Flow rows are unique
keys over monthly periods, 400 ISCO unit groups, sex, age and five
counterparts; vacancy rows have ids, posting dates, titles and statuses."""
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COUNTERPARTS = ["SAU", "ARE", "QAT", "USA", "GBR", "DEU", "KEN", "UGA", "TZA", "RWA"]
AGES = ["Y15T24", "Y25T54", "Y55T64", "Y_GE65"]


def unit_groups():
    with open(os.path.join(ROOT, "federation", "classifications", "isco08.csv")) as f:
        next(f)
        return [line.split(",")[0] for line in f if len(line.split(",")[0]) == 4][:400]


def flows(rows, country, rng, out):
    codes = unit_groups()
    counterparts = [c for c in COUNTERPARTS if c != country][:5]
    out.write("period,direction,counterpart,count,occupation,sex,age,channel\n")
    n = 0
    month = 0
    while True:
        period = f"{1900 + month // 12}-{month % 12 + 1:02d}"
        month += 1
        for code in codes:
            for counterpart in counterparts:
                for sex in "FM":
                    for age in AGES:
                        out.write(f"{period},OUTFLOW,{counterpart},{rng.randint(5, 900)},"
                                  f"{code},{sex},{age},_T\n")
                        n += 1
                        if n == rows:
                            return


def vacancies(rows, country, rng, out):
    codes = unit_groups()
    out.write("vacancy_id,posted,occupation,positions,title,status\n")
    for n in range(rows):
        code = rng.choice(codes)
        out.write(f"{country}-{n:09d},20{20 + n % 6}-{n % 12 + 1:02d}-{n % 28 + 1:02d},{code},"
                  f"{rng.randint(1, 5)},Vacancy for ISCO {code} number {n},"
                  f"{rng.choice(['OPEN', 'FILLED', 'CANCELLED'])}\n")


def main():
    kind, rows, country = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    out = sys.stdout
    {"flows": flows, "vacancies": vacancies}[kind](rows, country, rng, out)


if __name__ == "__main__":
    main()
