"""A small Python client of an lmx node, over its gRPC API.

The stubs come from proto/ (the build makes them in build/python, with
Debian's python3-grpcio and grpc_python_plugin). Put that folder on
sys.path, or pass it to `load_stubs`, before making a Client:

    import lmx_client
    lmx_client.load_stubs("build/python")
    with lmx_client.Client("127.0.0.1:7400", token="...") as node:
        summary = node.publish("shortages", "shortages.csv")
        for row in node.aggregate("flows", by=["occupation:1", "country"]):
            print(row)

Publishing reads the CSV file itself and streams it as `lmx publish` does:
the node checks every row, and writes all of them or none (or, with
partial=True, the good ones). Rejected rows come back in the summary's
`errors`, with their line and column.
"""

import csv
import datetime
import importlib
import sys

from google.protobuf.timestamp_pb2 import Timestamp

DATASETS = {"shortages": 1, "vacancies": 2, "flows": 3}
ROWS_PER_MESSAGE = 2000

grpc = None
pb = {}


def load_stubs(path=None):
    """Imports grpc and the generated lmx.v1 modules (from `path` if given)."""
    global grpc
    if path and path not in sys.path:
        sys.path.insert(0, path)
    import grpc as grpc_module

    grpc = grpc_module
    for name in ("observation", "publish", "query", "admin"):
        pb[name] = importlib.import_module(f"lmx.v1.{name}_pb2")
        pb[name + "_grpc"] = importlib.import_module(f"lmx.v1.{name}_pb2_grpc")


def _dataset(name):
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}, not {name!r}")
    return DATASETS[name]


def _filter(countries=(), occupation="", period="", start="", end="", as_of=""):
    return pb["query"].Filter(countries=list(countries), occupation=occupation, period=period,
                              to=end, as_of=as_of, **{"from": start})


def _value(value):
    kind = value.WhichOneof("kind")
    return None if kind is None else getattr(value, kind)


class PublishError(Exception):
    """The node refused a whole batch; `summary` holds the row errors."""

    def __init__(self, summary):
        first = "; ".join(f"line {e.line}, {e.column}: {e.reason}" for e in summary.errors[:3])
        super().__init__(f"{summary.rejected} rows rejected, nothing written: {first}")
        self.summary = summary


class Client:
    """A connection to one node.

    `root_certs`: the region CA's PEM file, for a node that serves TLS
    (`server_name` then picks the member, as `lmx --tls_server_name`).
    `timeout`: seconds a call may take; None (the default) sets no limit,
    since a large read or publish may take long.
    """

    def __init__(self, address, token=None, timeout=None, root_certs=None, server_name=None):
        if grpc is None:
            load_stubs()
        if root_certs:
            with open(root_certs, "rb") as f:
                credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
            options = [("grpc.ssl_target_name_override", server_name)] if server_name else []
            self._channel = grpc.secure_channel(address, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(address)
        self._metadata = [("authorization", f"Bearer {token}")] if token else []
        self._timeout = timeout
        self._publish = pb["publish_grpc"].PublishServiceStub(self._channel)
        self._query = pb["query_grpc"].QueryServiceStub(self._channel)
        self._admin = pb["admin_grpc"].AdminServiceStub(self._channel)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._channel.close()

    def describe(self):
        """The node's country and, per origin it holds, the latest version."""
        answer = self._query.Describe(pb["query"].DescribeRequest(), metadata=self._metadata,
                                      timeout=self._timeout)
        return answer.country, {o.origin: o.version for o in answer.origins}

    def publish(self, dataset, path, classification="", partial=False, dry_run=False,
                release_at=None):
        """Publishes a CSV file; returns the node's PublishResponse summary.

        `release_at` (an RFC 3339 string, or a timezone-aware datetime)
        embargoes the batch: stored now, published then (the summary's
        `release_id` names it in `calendar()`).
        Raises PublishError when the batch is refused (nothing written).
        """
        publish = pb["publish"]
        release = None
        if release_at is not None:
            release = Timestamp()
            if isinstance(release_at, str):
                release.FromJsonString(release_at)
            else:
                release.FromDatetime(release_at.astimezone(datetime.timezone.utc)
                                     .replace(tzinfo=None))

        failure = []  # what went wrong reading the file, if anything
        # The header is read before the call, so that a missing or empty
        # file is reported as such.
        with open(path, newline="", encoding="utf-8") as f:
            try:
                columns = next(csv.reader(f, strict=True))
            except StopIteration:
                raise ValueError(f"{path}: the file is empty; a CSV file starts with its header")
            except (csv.Error, UnicodeDecodeError) as error:
                raise ValueError(f"{path}:1: {error}") from None

        def requests():
            with open(path, newline="", encoding="utf-8") as f:
                reader = csv.reader(f, strict=True)
                try:
                    next(reader)  # the header, read above
                    yield from messages(reader)
                except (csv.Error, UnicodeDecodeError) as error:
                    # The stream then ends without its end message, and the
                    # node writes nothing.
                    failure.append(ValueError(f"{path}:{reader.line_num + 1}: {error}"))

        def messages(reader):
            yield publish.PublishRequest(header=publish.PublishHeader(
                dataset=_dataset(dataset), source=path, columns=columns, header_line=1,
                partial=partial, dry_run=dry_run, classification=classification,
                release_at=release))
            rows, sent = [], 0
            line = reader.line_num + 1  # where the next row starts
            for fields in reader:
                if fields:
                    rows.append(publish.Row(line=line, fields=[x.encode() for x in fields]))
                line = reader.line_num + 1
                if len(rows) == ROWS_PER_MESSAGE:
                    sent += len(rows)
                    yield publish.PublishRequest(rows=publish.RowBatch(rows=rows))
                    rows = []
            if rows:
                sent += len(rows)
                yield publish.PublishRequest(rows=publish.RowBatch(rows=rows))
            yield publish.PublishRequest(end=publish.PublishEnd(rows=sent))

        summary = publish.PublishResponse()
        answers = self._publish.Publish(requests(), metadata=self._metadata,
                                        timeout=self._timeout)
        try:
            for answer in answers:
                summary.MergeFrom(answer)
        except grpc.RpcError as error:
            if failure:
                raise failure[0] from None
            if error.code() != grpc.StatusCode.INVALID_ARGUMENT or not summary.rejected_batch:
                raise
        if summary.rejected_batch:
            raise PublishError(summary)
        return summary

    def query(self, dataset, **filters):
        """Yields the matching observations (lmx.v1.Observation)."""
        request = pb["query"].QueryRequest(dataset=_dataset(dataset), filter=_filter(**filters))
        for answer in self._query.Query(request, metadata=self._metadata, timeout=self._timeout):
            yield from answer.observations

    def aggregate(self, dataset, by, **filters):
        """Yields one dict per group: the grouping codes, the measures, `countries`.

        `by` lists dimensions, each optionally with a level: "occupation:1".
        """
        grouping = []
        for item in by:
            dimension, _, level = item.partition(":")
            grouping.append(pb["query"].Grouping(dimension=dimension, level=int(level or 0)))
        request = pb["query"].AggregateRequest(dataset=_dataset(dataset), by=grouping,
                                               filter=_filter(**filters))
        columns = []
        for answer in self._query.Aggregate(request, metadata=self._metadata,
                                            timeout=self._timeout):
            columns = columns or list(answer.columns)
            for row in answer.rows:
                values = list(row.keys) + [_value(m) for m in row.measures] + [row.countries]
                yield dict(zip(columns, values))

    def shortages(self, occupation, period="", as_of=""):
        """Yields, per country, the latest shortage status of an occupation."""
        request = pb["query"].ShortageViewRequest(occupation=occupation, period=period,
                                                  as_of=as_of)
        status = pb["observation"].ShortageStatus
        for answer in self._query.Shortages(request, metadata=self._metadata,
                                            timeout=self._timeout):
            for row in answer.rows:
                yield {"country": row.country, "period": row.period,
                       "status": status.Name(row.status),
                       "shortage_index": row.shortage_index if row.HasField("shortage_index")
                       else None}

    def _status(self, value):
        return pb["observation"].ShortageStatus.Name(value)

    def shortage_list(self, country, period="", min_periods=None, last_periods=None,
                      index_above=None, as_of=""):
        """A country's occupational shortage list (docs/policy.md), as a dict:
        `periods` (the window), `rule`, and `entries`, each with its evidence."""
        query = pb["query"]
        rule = query.ShortageListRule()
        if min_periods is not None:
            rule.min_periods = min_periods
        if last_periods is not None:
            rule.last_periods = last_periods
        if index_above is not None:
            rule.index_above = index_above
        answer = self._query.ShortageList(
            query.ShortageListRequest(country=country, period=period, rule=rule, as_of=as_of),
            metadata=self._metadata, timeout=self._timeout)
        entries = []
        for e in answer.entries:
            entries.append({
                "occupation": e.occupation, "label": e.label, "persistent": e.persistent,
                "acute": e.acute, "shortage_periods": e.shortage_periods,
                "evidence": [{"period": x.period, "status": self._status(x.status),
                              "shortage_index": x.shortage_index
                              if x.HasField("shortage_index") else None,
                              "hard_to_fill": x.hard_to_fill if x.HasField("hard_to_fill")
                              else None} for x in e.evidence]})
        return {"country": answer.country, "periods": list(answer.periods),
                "rule": {"min_periods": answer.rule.min_periods,
                         "last_periods": answer.rule.last_periods,
                         "index_above": answer.rule.index_above},
                "entries": entries}

    def mirror(self, period="", start="", end="", corridor="", as_of=""):
        """Yields mirror-statistics rows: each corridor's outflow as its origin
        reported it beside the inflow its destination reported."""
        request = pb["query"].MirrorFlowsRequest(period=period, to=end, corridor=corridor,
                                                 as_of=as_of, **{"from": start})
        for answer in self._query.MirrorFlows(request, metadata=self._metadata,
                                              timeout=self._timeout):
            for r in answer.rows:
                yield {"origin": r.origin, "destination": r.destination, "period": r.period,
                       "occupation": r.occupation, "sex": r.sex,
                       "outflow": r.outflow if r.HasField("outflow") else None,
                       "inflow": r.inflow if r.HasField("inflow") else None,
                       "difference": r.difference if r.HasField("difference") else None,
                       "relative": r.relative if r.HasField("relative") else None,
                       "missing": r.missing or None}

    def match(self, occupation="", destination="", origin="", period="", level=0, as_of=""):
        """Yields candidate skills partnerships, highest score first; each row
        says the `window` its flows and vacancies were counted in."""
        request = pb["query"].MatchRequest(occupation=occupation, destination=destination,
                                           origin=origin, period=period, level=level,
                                           as_of=as_of)
        for answer in self._query.Match(request, metadata=self._metadata,
                                        timeout=self._timeout):
            for r in answer.rows:
                yield {"occupation": r.occupation, "label": r.label,
                       "destination": r.destination, "origin": r.origin,
                       "destination_index": r.destination_index
                       if r.HasField("destination_index") else None,
                       "origin_index": r.origin_index if r.HasField("origin_index") else None,
                       "inflow": r.inflow if r.HasField("inflow") else None,
                       "outflow": r.outflow if r.HasField("outflow") else None,
                       "vacancies": r.vacancies, "positions": r.positions, "score": r.score,
                       "window": r.window}

    def completeness(self, dataset=None, start="", end=""):
        """Yields, per member and dataset, the periods reported ({period:
        version}) and the latest version and publication time."""
        request = pb["query"].CompletenessRequest(
            dataset=_dataset(dataset) if dataset else 0, to=end, **{"from": start})
        words = {v: k for k, v in DATASETS.items()}
        for answer in self._query.Completeness(request, metadata=self._metadata,
                                               timeout=self._timeout):
            for r in answer.rows:
                yield {"country": r.country, "dataset": words.get(r.dataset, str(r.dataset)),
                       "version": r.version, "published_at": r.published_at.ToJsonString(),
                       "periods": {p.period: p.version for p in r.periods}}

    def calendar(self):
        """The embargoed batches waiting for release, soonest first."""
        answer = self._admin.Calendar(pb["admin"].CalendarRequest(), metadata=self._metadata,
                                      timeout=self._timeout)
        words = {v: k for k, v in DATASETS.items()}
        return [{"id": r.id, "release_at": r.release_at.ToJsonString(),
                 "dataset": words.get(r.dataset, str(r.dataset)), "source": r.source,
                 "rows": r.rows, "periods": list(r.periods), "error": r.error or None}
                for r in answer.releases]

    def cancel_release(self, release_id):
        """Withdraws an embargoed batch before its release."""
        self._admin.CancelRelease(pb["admin"].CancelReleaseRequest(id=release_id),
                                  metadata=self._metadata, timeout=self._timeout)
