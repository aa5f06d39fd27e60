#!/usr/bin/python3
"""Publishes to an lmx node and queries it from Python.

    /usr/bin/python3 client/python/example.py --node=127.0.0.1:7400 [--token=T]
        [--stubs=build/python] [--shortages=FILE] [--flows=FILE]

Without files it publishes a small sample for the node's own country: two
shortage rows and three flow rows. It then prints what the node answers: the
publish summaries, the flows by occupation major group and by counterpart,
the shortage view of one occupation, and the country's shortage list. Run
it with Debian's python3 (/usr/bin/python3), which has python3-grpcio.
"""

import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lmx_client  # noqa: E402

SHORTAGES = """period,occupation,status,shortage_index,hard_to_fill
2025-Q1,2221,SHORTAGE,0.62,340
2025-Q1,7212,SURPLUS,-0.30,
"""
FLOWS = """period,direction,counterpart,count,occupation,sex
2025,OUTFLOW,SAU,1200,7212,M
2025,OUTFLOW,SAU,300,5322,F
2025,OUTFLOW,ARE,450,2221,F
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", required=True, help="host:port of an lmx node")
    parser.add_argument("--token", default=os.environ.get("LMX_TOKEN"))
    parser.add_argument("--stubs", default=os.path.join(HERE, "..", "..", "build", "python"),
                        help="the generated lmx.v1 Python modules")
    parser.add_argument("--shortages", help="a shortages CSV to publish")
    parser.add_argument("--flows", help="a flows CSV to publish")
    args = parser.parse_args()

    lmx_client.load_stubs(args.stubs)
    try:
        return run(args)
    except lmx_client.grpc.RpcError as error:
        # As `lmx` says it: the status and the node's message, no traceback.
        print(f"{args.node}: {error.code().name}: {error.details()}", file=sys.stderr)
        return 3 if error.code() == lmx_client.grpc.StatusCode.UNAVAILABLE else 1


def run(args):
    with lmx_client.Client(args.node, token=args.token) as node, \
            tempfile.TemporaryDirectory() as scratch:
        country, origins = node.describe()
        print(f"node {country}, holding {len(origins)} origins")
        for dataset, path, sample in (("shortages", args.shortages, SHORTAGES),
                                      ("flows", args.flows, FLOWS)):
            if path is None:
                path = os.path.join(scratch, f"{dataset}.csv")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(sample)
            try:
                summary = node.publish(dataset, path)
            except lmx_client.PublishError as error:
                for e in error.summary.errors:
                    print(f"{path}:{e.line}: {e.column}: {e.reason}", file=sys.stderr)
                return 1
            except (OSError, ValueError) as error:
                print(error, file=sys.stderr)
                return 1
            print(f"published {dataset}: {summary.accepted} rows as version {summary.version}")

        print("flows by occupation major group:")
        for row in node.aggregate("flows", by=["occupation:1"], countries=[country]):
            print(f"  {row['occupation']}: {row['count']}")
        print("flows by counterpart:")
        for row in node.aggregate("flows", by=["counterpart"], countries=[country]):
            print(f"  {row['counterpart']}: {row['count']}")
        print("shortage of ISCO 2221 (nursing professionals):")
        for row in node.shortages("2221"):
            print(f"  {row['country']} {row['period']}: {row['status']} "
                  f"(index {row['shortage_index']})")
        listed = node.shortage_list(country)
        print(f"shortage list of {country} for {listed['periods'][-1]}:")
        for entry in listed["entries"]:
            why = ", ".join(w for w in ("persistent", "acute") if entry[w])
            print(f"  {entry['occupation']} {entry['label']} ({why})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
