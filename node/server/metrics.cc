#include "node/server/metrics.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "federation/base/timestamps.h"

namespace lmx {
namespace {

// Counts a call when its status is sent.
class RpcInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcInterceptor(Metrics* metrics, const char* method)
      : metrics_(metrics), method_(method == nullptr ? "" : method), start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_->RecordRpc(method_, methods->GetSendStatus().error_code(), absl::Now() - start_);
    }
    methods->Proceed();
  }

 private:
  Metrics* metrics_;
  std::string method_;
  absl::Time start_;
};

class RpcInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcInterceptorFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcInterceptor(metrics_, info->method());
  }

 private:
  Metrics* metrics_;
};

// A label value, escaped as the format asks.
std::string Label(absl::string_view value) {
  return absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

// Writes the text format: each family's HELP and TYPE once, then samples.
class Writer {
 public:
  void Family(absl::string_view name, absl::string_view type, absl::string_view help) {
    absl::StrAppend(&text_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
  }
  void Sample(absl::string_view name, absl::string_view labels, uint64_t value) {
    Append(name, labels, absl::StrCat(value));
  }
  void Sample(absl::string_view name, absl::string_view labels, double value) {
    Append(name, labels, absl::StrFormat("%.6f", value));
  }
  std::string Take() { return std::move(text_); }

 private:
  void Append(absl::string_view name, absl::string_view labels, absl::string_view value) {
    absl::StrAppend(&text_, name, labels.empty() ? "" : "{", labels, labels.empty() ? "" : "}", " ",
                    value, "\n");
  }

  std::string text_;
};

double Seconds(absl::Time time) { return absl::ToDoubleSeconds(time - absl::UnixEpoch()); }

}  // namespace

void Metrics::RecordRpc(const std::string& method, grpc::StatusCode code, absl::Duration took) {
  const double seconds = absl::ToDoubleSeconds(took);
  absl::MutexLock lock(&mu_);
  ++calls_[{method, code}];
  Latency& latency = latency_[method];
  auto bucket = std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds);
  if (bucket != kBuckets.end()) ++latency.buckets[bucket - kBuckets.begin()];
  ++latency.count;
  latency.sum += seconds;
}

void Metrics::RecordPublish(uint64_t accepted, uint64_t rejected, bool written) {
  absl::MutexLock lock(&mu_);
  rows_accepted_ += accepted;
  rows_rejected_ += rejected;
  ++(written ? batches_written_ : batches_not_written_);
}

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
Metrics::Interceptors() {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<RpcInterceptorFactory>(this));
  return factories;
}

std::string Metrics::Render(const Store& store, const Replication* replication,
                            absl::Time now) const {
  Writer out;
  {
    absl::MutexLock lock(&mu_);
    out.Family("lmx_rpc_total", "counter", "gRPC calls served, by method and status code.");
    for (const auto& [call, count] : calls_) {
      out.Sample(
          "lmx_rpc_total",
          absl::StrCat("method=\"", Label(call.first), "\",code=\"",
                       absl::StatusCodeToString(static_cast<absl::StatusCode>(call.second)), "\""),
          count);
    }
    out.Family("lmx_rpc_duration_seconds", "histogram",
               "Time from a call's start to its status, by method.");
    for (const auto& [method, latency] : latency_) {
      const std::string labels = absl::StrCat("method=\"", Label(method), "\"");
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        cumulative += latency.buckets[i];
        out.Sample("lmx_rpc_duration_seconds_bucket",
                   absl::StrCat(labels, ",le=\"", kBuckets[i], "\""), cumulative);
      }
      out.Sample("lmx_rpc_duration_seconds_bucket", absl::StrCat(labels, ",le=\"+Inf\""),
                 latency.count);
      out.Sample("lmx_rpc_duration_seconds_sum", labels, latency.sum);
      out.Sample("lmx_rpc_duration_seconds_count", labels, latency.count);
    }
    out.Family("lmx_publish_rows_total", "counter",
               "Rows of publishes at this node, by whether they passed validation.");
    out.Sample("lmx_publish_rows_total", "result=\"accepted\"", rows_accepted_);
    out.Sample("lmx_publish_rows_total", "result=\"rejected\"", rows_rejected_);
    out.Family("lmx_publish_batches_total", "counter",
               "Publishes answered, by whether their batch was written (dry runs and refused "
               "batches are not).");
    out.Sample("lmx_publish_batches_total", "written=\"true\"", batches_written_);
    out.Sample("lmx_publish_batches_total", "written=\"false\"", batches_not_written_);
  }

  // Per origin: what this node holds, and how fresh it is.
  auto catalog = store.Catalog();
  out.Family("lmx_origin_version", "gauge", "Latest version of each origin held here.");
  for (const auto& [origin, version] : catalog->Latest()) {
    out.Sample("lmx_origin_version", absl::StrCat("origin=\"", Label(origin), "\""), version);
  }
  // Each family's samples come together, as the format asks.
  const VersionLimits latest = catalog->Latest();
  auto per_origin = [&](absl::string_view name, absl::string_view help,
                        double (*value)(const BatchInfo&, absl::Time)) {
    out.Family(name, "gauge", help);
    for (const auto& [origin, version] : latest) {
      if (const BatchInfo* batch = catalog->Find(origin, version)) {
        out.Sample(name, absl::StrCat("origin=\"", Label(origin), "\""), value(*batch, now));
      }
    }
  };
  per_origin("lmx_origin_published_timestamp_seconds",
             "When the latest version of each origin held here was published (Unix time).",
             [](const BatchInfo& batch, absl::Time) { return Seconds(batch.published_at); });
  per_origin("lmx_origin_age_seconds",
             "Time since the latest version of each origin held here was published.",
             [](const BatchInfo& batch, absl::Time at) {
               return std::max(0.0, absl::ToDoubleSeconds(at - batch.published_at));
             });

  if (replication != nullptr) {
    const v1::PeersResponse state = replication->State();
    std::vector<const v1::OriginStatus*> others;
    for (const auto& origin : state.origins()) {
      if (origin.origin() != state.node()) others.push_back(&origin);
    }
    auto labels = [](const v1::OriginStatus* origin) {
      return absl::StrCat("origin=\"", Label(origin->origin()), "\"");
    };
    out.Family("lmx_replication_versions_behind", "gauge",
               "Versions of each origin that a peer holds and this node has not applied yet.");
    for (const auto* origin : others) {
      out.Sample("lmx_replication_versions_behind", labels(origin),
                 origin->head() > origin->applied() ? origin->head() - origin->applied() : 0);
    }
    out.Family("lmx_replication_last_contact_age_seconds", "gauge",
               "Time since a peer's heartbeat last listed the origin.");
    for (const auto* origin : others) {
      if (!origin->has_last_contact()) continue;
      out.Sample("lmx_replication_last_contact_age_seconds", labels(origin),
                 std::max(0.0, absl::ToDoubleSeconds(now - FromTimestamp(origin->last_contact()))));
    }
    out.Family("lmx_replication_rejected_entries_total", "counter",
               "Entries of the origin refused (bad signature, key or chain).");
    for (const auto* origin : others) {
      out.Sample("lmx_replication_rejected_entries_total", labels(origin), origin->rejected());
    }
    out.Family("lmx_replication_forked", "gauge",
               "1 when this node holds proof that the origin signed two different entries for "
               "one version of its log (lmx peers: forked).");
    for (const auto& origin : state.origins()) {
      out.Sample("lmx_replication_forked", labels(&origin),
                 uint64_t{origin.forked_versions_size() > 0 ? 1u : 0u});
    }
    out.Family("lmx_publishing_open", "gauge",
               "1 while the node takes publishes; 0 while it learns its own log's head from the "
               "region, pulls its entries back, is forked or read-only (lmx peers says why).");
    out.Sample("lmx_publishing_open", "", uint64_t{state.publishing() == "open" ? 1u : 0u});
    out.Family("lmx_peer_connected", "gauge", "1 while the pull stream to a peer is open.");
    for (const auto& peer : state.peers()) {
      out.Sample("lmx_peer_connected", absl::StrCat("peer=\"", Label(peer.id()), "\""),
                 uint64_t{peer.connected() ? 1u : 0u});
    }
  }

  const DiskGuard::State disk = store.disk()->Get();
  out.Family("lmx_store_read_only", "gauge",
             "1 while the store takes no writes because its disk is full or failing.");
  out.Sample("lmx_store_read_only", "", uint64_t{disk.reason.empty() ? 0u : 1u});
  out.Family("lmx_store_free_bytes", "gauge", "Free bytes on the disk of the data directory.");
  out.Sample("lmx_store_free_bytes", "", disk.free_bytes);
  out.Family("lmx_store_reserve_bytes", "gauge",
             "Bytes of that disk the node never writes into (--min_free_bytes).");
  out.Sample("lmx_store_reserve_bytes", "", disk.reserve_bytes);
  const Store::EngineStats engine = store.Stats();
  const struct {
    const char* name;
    const char* help;
    uint64_t value;
  } gauges[] = {
      {"lmx_store_table_bytes", "Size of the store's RocksDB table files.", engine.table_bytes},
      {"lmx_store_memtable_bytes", "Size of the store's RocksDB memtables.", engine.memtable_bytes},
      {"lmx_store_level0_files", "RocksDB table files at level 0.", engine.level0_files},
      {"lmx_store_compaction_pending", "Column families for which RocksDB has a compaction to do.",
       engine.compaction_pending},
      {"lmx_store_running_compactions", "RocksDB compactions running.", engine.running_compactions},
      {"lmx_store_running_flushes", "RocksDB memtable flushes running.", engine.running_flushes},
      {"lmx_store_pending_compaction_bytes",
       "Bytes RocksDB estimates its compactions still have to rewrite.",
       engine.pending_compaction_bytes},
  };
  for (const auto& gauge : gauges) {
    out.Family(gauge.name, "gauge", gauge.help);
    out.Sample(gauge.name, "", gauge.value);
  }
  return out.Take();
}

}  // namespace lmx
