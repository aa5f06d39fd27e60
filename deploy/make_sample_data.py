#!/usr/bin/env python3
"""Writes realistic sample files a labour ministry would publish to its node.

Deterministic for a given --seed. Codes come from the project's own ISCO-08
copy and from iso-codes, so every row is valid unless --bad_rows asks for
some broken ones (for demos of rejection).

  make_sample_data.py --country=KEN --out=/tmp/ken            # ~2k/5k/4k rows
  make_sample_data.py --country=KEN --out=/tmp/ken --scale=10 # ten times more
"""
import argparse
import csv
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
ISCO = os.path.join(HERE, "..", "federation", "classifications", "isco08.csv")
ISO_3166_2 = "/usr/share/iso-codes/json/iso_3166-2.json"
ISO_3166_1 = "/usr/share/iso-codes/json/iso_3166-1.json"

# Countries a node in East Africa trades workers with.
COUNTERPARTS = ["KEN", "UGA", "TZA", "RWA", "ETH", "SOM", "SSD", "SAU", "ARE", "QAT", "OMN",
                "KWT", "GBR", "DEU", "USA", "CAN"]
CHANNELS = ["PUBLIC_SERVICE", "PRIVATE_AGENCY", "BILATERAL_AGREEMENT", "DIRECT"]
AGES = ["Y15T24", "Y25T54", "Y55T64", "Y_GE65"]
# Titles in several scripts, to show that any UTF-8 text is kept as is.
TITLE_PREFIXES = ["", "", "", "Senior ", "Junior ", "Mtaalamu wa ", "مسؤول ", "ሰራተኛ "]


def unit_groups():
    with open(ISCO, encoding="utf-8") as f:
        return [(r["code"], r["label"]) for r in csv.DictReader(f) if r["level"] == "4"]


def subdivisions(alpha3):
    part1 = json.load(open(ISO_3166_1, encoding="utf-8"))["3166-1"]
    alpha2 = next(c["alpha_2"] for c in part1 if c["alpha_3"] == alpha3)
    part2 = json.load(open(ISO_3166_2, encoding="utf-8"))["3166-2"]
    return sorted(s["code"] for s in part2 if s["code"].startswith(alpha2 + "-"))


def write(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)
    return len(rows)


def shortages(rng, groups, regions, scale):
    rows = []
    periods = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    for period in periods:
        for code, _ in groups:
            index = max(-1.0, min(1.0, rng.gauss(0.05, 0.35)))
            status = "SHORTAGE" if index >= 0.1 else "SURPLUS" if index <= -0.1 else "BALANCED"
            hard = int(max(0, index) * rng.randint(5, 400))
            rows.append([period, code, status, f"{index:.3f}", hard, "", ""])
    # Regional detail for a subset, as some ministries publish it.
    for _ in range(int(300 * scale)):
        code, _ = rng.choice(groups)
        region = rng.choice(regions)
        index = max(-1.0, min(1.0, rng.gauss(0.1, 0.4)))
        status = "SHORTAGE" if index >= 0.1 else "SURPLUS" if index <= -0.1 else "BALANCED"
        rows.append(["2025-Q4", code, status, f"{index:.3f}", rng.randint(0, 50), region, ""])
    # Keys must be unique within a file.
    seen, unique = set(), []
    for row in rows:
        key = (row[0], row[1], row[5])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


def vacancies(rng, groups, regions, country, scale):
    rows = []
    for n in range(int(5000 * scale)):
        code, label = rng.choice(groups)
        month = rng.randint(1, 12)
        day = rng.randint(1, 28)
        posted = f"2025-{month:02d}-{day:02d}"
        closes = f"2025-{month:02d}-28" if rng.random() < 0.7 else ""
        status = rng.choices(["OPEN", "FILLED", "CANCELLED"], [6, 3, 1])[0]
        title = rng.choice(TITLE_PREFIXES) + label.split(",")[0].lower()
        skills = "|".join(rng.sample(["communication", "teamwork", "driving licence B",
                                      "customer service", "Microsoft Excel", "welding",
                                      "Kiswahili", "Arabic", "English", "first aid"], 2))
        rows.append([f"{country}-{2025}-{n:07d}", posted, code, closes, rng.randint(1, 5),
                     rng.randint(0, 8), skills, title, status, rng.choice("ACFGHIJMPQ"),
                     rng.choice(regions)])
    return rows


def flows(rng, groups, scale, country):
    rows = []
    periods = ["2024", "2025-Q1", "2025-Q2", "2025-Q3"]
    sampled = rng.sample(groups, min(len(groups), int(60 * scale)))
    for period in periods:
        for code, _ in sampled:
            for direction in ["OUTFLOW", "RETURN", "INFLOW"]:
                for counterpart in rng.sample([c for c in COUNTERPARTS if c != country], 3):
                    for sex in ["F", "M"]:
                        count = int(rng.lognormvariate(3, 1.2))
                        rows.append([period, direction, counterpart, count, code, sex,
                                     rng.choice(AGES), rng.choice(CHANNELS)])
    seen, unique = set(), []
    for row in rows:
        key = (row[0], row[1], row[2], row[4], row[5], row[6], row[7])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--country", default="KEN")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    rng = random.Random(f"{args.seed}-{args.country}")
    os.makedirs(args.out, exist_ok=True)
    groups = unit_groups()
    regions = subdivisions(args.country)
    counts = {
        "shortages.csv": write(os.path.join(args.out, "shortages.csv"),
                               ["period", "occupation", "status", "shortage_index",
                                "hard_to_fill", "region", "activity"],
                               shortages(rng, groups, regions, args.scale)),
        "vacancies.csv": write(os.path.join(args.out, "vacancies.csv"),
                               ["vacancy_id", "posted", "occupation", "closes", "positions",
                                "education", "skills", "title", "status", "activity", "region"],
                               vacancies(rng, groups, regions, args.country, args.scale)),
        "flows.csv": write(os.path.join(args.out, "flows.csv"),
                           ["period", "direction", "counterpart", "count", "occupation", "sex",
                            "age", "channel"],
                           flows(rng, groups, args.scale, args.country)),
    }
    for name, n in counts.items():
        print(f"{os.path.join(args.out, name)}: {n} rows")


if __name__ == "__main__":
    main()
