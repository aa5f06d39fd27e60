#include "node/query/flow_cache.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <numeric>

#include "absl/base/internal/endian.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "federation/classifications/codelists.h"
#include "federation/classifications/time_period.h"
#include "federation/protocol/observation_codec.h"

namespace lmx {

namespace {

// The latest flow batch of `origin` at or below its limit, if any.
const BatchInfo* FlowBatch(const BatchCatalog& catalog, const std::string& origin,
                           const VersionLimits& limits) {
  auto limit = limits.find(origin);
  if (limit == limits.end()) return nullptr;
  const std::vector<BatchInfo>& batches = catalog.Batches(origin);
  // Batches are in version order; the newest flow batch is usually near
  // the end.
  for (auto it = batches.rbegin(); it != batches.rend(); ++it) {
    if (it->version <= limit->second && it->dataset == v1::DATASET_FLOW) return &*it;
  }
  return nullptr;
}

// The latest flow batch of `origin` in `catalog`, if any.
const BatchInfo* LatestFlowBatch(const BatchCatalog& catalog, const std::string& origin) {
  const std::vector<BatchInfo>& batches = catalog.Batches(origin);
  for (auto it = batches.rbegin(); it != batches.rend(); ++it) {
    if (it->dataset == v1::DATASET_FLOW) return &*it;
  }
  return nullptr;
}

// Rows summed by one thread; fewer are not worth a second one.
constexpr size_t kRowsPerThread = 200000;
// Group-key spaces up to this size are summed in an array, not a hash map.
constexpr uint64_t kDenseGroups = 1 << 18;

// The shapes Warm rolls every origin up by.
std::vector<FlowShape> CommonShapes() {
  std::vector<FlowShape> shapes;
  auto add = [&](std::vector<std::pair<int, int>> by) {
    FlowShape shape;
    for (const auto& [d, level] : by) absl::StrAppend(&shape.id, d, ":", level, ",");
    shape.id += "|";  // no filter
    shape.by = std::move(by);
    shapes.push_back(std::move(shape));
  };
  add({{0, 0}});
  for (int d = 1; d < kFlowDimensions; ++d) {
    for (int level = 0; level <= (d == 4 ? 4 : 0); ++level) {
      add({{d, level}});
      add({{0, 0}, {d, level}});
    }
  }
  return shapes;
}

}  // namespace

FlowRollUp FlowColumns::Sum(const FlowShape& shape) const {
  const size_t dims = shape.by.size();
  // Per code: its group in each grouped dimension, and whether it passes.
  std::vector<std::vector<uint32_t>> group_of(dims);
  std::vector<std::vector<std::string>> group_texts(dims);
  for (size_t i = 0; i < dims; ++i) {
    const auto [d, level] = shape.by[i];
    absl::flat_hash_map<std::string, uint32_t> ids;
    for (const std::string& code : codes_[d]) {
      std::string text = level > 0 ? Codelists::RollUpOccupation(code, level) : code;
      auto [it, added] = ids.emplace(text, static_cast<uint32_t>(group_texts[i].size()));
      if (added) group_texts[i].push_back(std::move(text));
      group_of[i].push_back(it->second);
    }
  }
  std::vector<int> filtered;  // dimensions with a code that does not pass
  std::array<std::vector<char>, kFlowDimensions> passes;
  if (shape.keep) {
    for (int d = 0; d < kFlowDimensions; ++d) {
      passes[d].resize(codes_[d].size());
      bool all = true;
      for (size_t c = 0; c < codes_[d].size(); ++c) {
        passes[d][c] = shape.keep(d, codes_[d][c]) ? 1 : 0;
        all = all && passes[d][c];
      }
      if (!all) filtered.push_back(d);
    }
  }
  // A group's key is its groups' ids in mixed radix.
  std::vector<uint64_t> radix(dims, 1);
  uint64_t space = 1;
  bool fits = true;
  for (size_t i = dims; i-- > 0;) {
    radix[i] = space;
    uint64_t n = std::max<uint64_t>(1, group_texts[i].size());
    if (space > (uint64_t{1} << 40) / n) fits = false;
    space *= n;
  }
  if (!fits) space = UINT64_MAX;
  // Each thread sums a range of rows into a table of its own.
  struct Table {
    std::vector<int64_t> dense;
    std::vector<char> seen;
    absl::flat_hash_map<uint64_t, int64_t> sparse;
    absl::flat_hash_map<std::vector<uint32_t>, int64_t> wide;  // keys too wide for 64 bits
  };
  const bool dense = space <= kDenseGroups;
  auto sum = [&](size_t begin, size_t end, Table* table) {
    if (dense) {
      table->dense.assign(space, 0);
      table->seen.assign(space, 0);
    }
    std::vector<uint32_t> wide_key(dims);
    for (size_t r = begin; r < end; ++r) {
      bool pass = true;
      for (int d : filtered) pass = pass && passes[d][columns_[d][r]];
      if (!pass) continue;
      if (!fits) {
        for (size_t i = 0; i < dims; ++i) wide_key[i] = group_of[i][columns_[shape.by[i].first][r]];
        table->wide[wide_key] += counts_[r];
        continue;
      }
      uint64_t key = 0;
      for (size_t i = 0; i < dims; ++i) key += group_of[i][columns_[shape.by[i].first][r]] * radix[i];
      if (dense) {
        table->dense[key] += counts_[r];
        table->seen[key] = 1;
      } else {
        table->sparse[key] += counts_[r];
      }
    }
  };
  const size_t rows = counts_.size();
  const size_t threads =
      std::clamp<size_t>(rows / kRowsPerThread, 1, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<Table> tables(threads);
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) {
    try {
      helpers.emplace_back(sum, rows * t / threads, rows * (t + 1) / threads, &tables[t]);
    } catch (const std::system_error&) {
      sum(rows * t / threads, rows * (t + 1) / threads, &tables[t]);  // no thread to spare
    }
  }
  sum(0, rows / threads, &tables[0]);
  for (auto& helper : helpers) helper.join();
  // Merged into the first table.
  Table& all = tables[0];
  for (size_t t = 1; t < threads; ++t) {
    if (dense) {
      for (uint64_t k = 0; k < space; ++k) {
        all.dense[k] += tables[t].dense[k];
        all.seen[k] |= tables[t].seen[k];
      }
    }
    for (const auto& [k, n] : tables[t].sparse) all.sparse[k] += n;
    for (const auto& [k, n] : tables[t].wide) all.wide[k] += n;
  }
  FlowRollUp out;
  auto add = [&](uint64_t key, int64_t count) {
    std::vector<std::string> keys(dims);
    for (size_t i = 0; i < dims; ++i) keys[i] = group_texts[i][(key / radix[i]) % group_texts[i].size()];
    out.keys.push_back(std::move(keys));
    out.counts.push_back(count);
  };
  if (dense) {
    for (uint64_t k = 0; k < space; ++k) {
      if (all.seen[k]) add(k, all.dense[k]);
    }
  }
  for (const auto& [k, n] : all.sparse) add(k, n);
  for (const auto& [k, n] : all.wide) {
    std::vector<std::string> keys(dims);
    for (size_t i = 0; i < dims; ++i) keys[i] = group_texts[i][k[i]];
    out.keys.push_back(std::move(keys));
    out.counts.push_back(n);
  }
  return out;
}

std::shared_ptr<const FlowRollUp> FlowColumns::RollUp(const FlowShape& shape) const {
  if (!shape.id.empty()) {
    absl::MutexLock lock(&rollups_mu_);
    auto it = rollups_.find(shape.id);
    if (it != rollups_.end()) return it->second;
  }
  auto rolled = std::make_shared<const FlowRollUp>(Sum(shape));
  // An answer as large as the data is not worth keeping.
  if (!shape.id.empty() && rolled->counts.size() <= std::max<size_t>(4096, rows() / 16)) {
    absl::MutexLock lock(&rollups_mu_);
    if (rollups_.emplace(shape.id, rolled).second) {
      remembered_.push_back(shape.id);
      if (remembered_.size() > FlowCache::kRememberedShapes) {
        rollups_.erase(remembered_.front());
        remembered_.erase(remembered_.begin());
      }
    }
  }
  return rolled;
}

absl::StatusOr<std::shared_ptr<const FlowColumns>> FlowCache::Get(
    const std::string& origin, const VersionLimits& limits) const {
  std::shared_ptr<const BatchCatalog> catalog = store_->Catalog();
  const BatchInfo* batch = FlowBatch(*catalog, origin, limits);
  const uint64_t version = batch == nullptr ? 0 : batch->version;
  const absl::Time published = batch == nullptr ? absl::Time() : batch->published_at;
  auto current = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> std::shared_ptr<const FlowColumns> {
    auto it = cached_.find(origin);
    if (it != cached_.end() && it->second->version_ == version &&
        it->second->published_at_ == published) {
      return it->second;
    }
    return nullptr;
  };
  {
    absl::MutexLock lock(&mu_);
    // A build under way (the warmer's, most often) is waited for rather
    // than repeated.
    auto idle = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return building_.count(origin) == 0; };
    mu_.Await(absl::Condition(&idle));
    if (auto hit = current()) return hit;
    building_.insert(origin);
  }
  auto built = Build(origin, batch);
  std::shared_ptr<const BatchCatalog> now = store_->Catalog();
  const BatchInfo* newest = LatestFlowBatch(*now, origin);
  absl::MutexLock lock(&mu_);
  building_.erase(origin);
  if (!built.ok()) return built.status();
  // Builds of one origin never overlap (building_), so the last is the one
  // to keep, even after a reset origin starts its versions again; but not
  // over the origin's latest columns, which a committing batch may have
  // installed while this read an older version (as_of).
  std::shared_ptr<const FlowColumns>& slot = cached_[origin];
  bool latest = slot != nullptr && newest != nullptr && slot->version_ == newest->version &&
                slot->published_at_ == newest->published_at;
  if (!latest) slot = *built;
  return *built;
}

std::shared_ptr<const FlowColumns> FlowCache::Held(const std::string& origin) const {
  absl::MutexLock lock(&mu_);
  auto it = cached_.find(origin);
  return it == cached_.end() ? nullptr : it->second;
}

namespace {

void RollUpCommonShapes(const FlowColumns& columns) {
  static const std::vector<FlowShape> shapes = CommonShapes();
  if (columns.rows() == 0) return;
  for (const FlowShape& shape : shapes) columns.RollUp(shape);
}

}  // namespace

void FlowCache::Warm() const {
  VersionLimits latest = store_->Catalog()->Latest();
  for (const auto& [origin, version] : latest) {
    // An origin whose columns cannot be built is read from the store by
    // each aggregate, as without the cache.
    auto columns = Get(origin, latest);
    if (columns.ok()) RollUpCommonShapes(**columns);
  }
}

void FlowCache::RollUpInstalled() const {
  std::vector<std::shared_ptr<const FlowColumns>> installed;
  {
    absl::MutexLock lock(&mu_);
    installed.swap(installed_);
  }
  for (const auto& columns : installed) RollUpCommonShapes(*columns);
}

FlowCache::Warmer::Warmer(const FlowCache* cache, absl::Duration quiet)
    : cache_(cache), quiet_(quiet), thread_([this] { Run(); }) {}

FlowCache::Warmer::~Warmer() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void FlowCache::Warmer::Changed() {
  absl::MutexLock lock(&mu_);
  ++changes_;
}

uint64_t FlowCache::Warmer::rounds() const {
  absl::MutexLock lock(&mu_);
  return rounds_;
}

void FlowCache::Warmer::Run() {
  // Warming is background work: queries and publishes come first.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
  uint64_t warmed = 0;  // the changes the cache was last warmed after
  while (true) {
    absl::MutexLock lock(&mu_);
    auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || changes_ != warmed; };
    mu_.Await(absl::Condition(&woken));
    // Columns a committing batch installed are rolled up at once, while a
    // catch-up goes on: the first aggregate after it finds them ready.
    mu_.Unlock();
    cache_->RollUpInstalled();
    mu_.Lock();
    // Then wait for a quiet moment (no change for `quiet_`) to build what
    // is missing.
    while (!stop_) {
      uint64_t seen = changes_;
      auto moved = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || changes_ != seen; };
      if (!mu_.AwaitWithTimeout(absl::Condition(&moved), quiet_)) break;
    }
    if (stop_) return;
    warmed = changes_;
    mu_.Unlock();
    cache_->Warm();
    mu_.Lock();
    ++rounds_;
  }
}

// Builds the columns of one batch's flows from its rows as they are put.
class FlowCache::Observed : public Store::BatchObserver {
 public:
  Observed(std::shared_ptr<Link> link, std::string origin)
      : link_(std::move(link)), origin_(std::move(origin)), columns_(std::make_shared<FlowColumns>()) {
    prefix_ = std::string(1, static_cast<char>(v1::DATASET_FLOW)) + origin_;
  }

  ~Observed() override { Stop(); }

  // The values are decoded on a thread of this batch's, so that the
  // commit's own thread (a catch-up's critical path) only copies them.
  void Put(absl::string_view key, absl::string_view value) override {
    // The origin's flows are the keys a scan of them would read.
    if (!absl::StartsWith(key, prefix_)) return;
    // Columns are in key order, as a scan reads them; a file's rows come
    // in any order, and are sorted at the commit.
    if (in_order_ && !last_key_.empty() && !(absl::string_view(last_key_) < key)) in_order_ = false;
    last_key_.assign(key.data(), key.size());
    char size[4];
    absl::little_endian::Store32(size, static_cast<uint32_t>(value.size()));
    chunk_.append(size, 4);
    chunk_.append(value.data(), value.size());
    if (++chunk_rows_ == kChunkRows) Hand();
  }

  void Committed(const BatchInfo& info, const BatchCatalog& before) override {
    if (info.dataset != v1::DATASET_FLOW) return;
    Hand();
    Stop();
    if (!usable_) return;
    columns_->version_ = info.version;
    columns_->published_at_ = info.published_at;
    if (!in_order_) SortByKey(columns_.get());
    absl::MutexLock lock(&link_->mu);
    if (link_->cache != nullptr) link_->cache->Install(origin_, std::move(columns_), before);
  }

 private:
  static constexpr int kChunkRows = 8192;
  static constexpr size_t kMaxChunksQueued = 32;  // then Put waits

  // Queues the rows put since the last call for the decoding thread.
  void Hand() {
    if (chunk_rows_ == 0) return;
    absl::MutexLock lock(&mu_);
    auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return queued_.size() < kMaxChunksQueued;
    };
    mu_.Await(absl::Condition(&room));
    queued_.push_back(std::move(chunk_));
    chunk_.clear();
    chunk_rows_ = 0;
    if (!decoder_.joinable()) {
      try {
        decoder_ = std::thread([this] { Decode(); });
      } catch (const std::system_error&) {
        usable_ = false;  // no thread to spare: the store is read back instead
        queued_.clear();
      }
    }
  }

  // Waits until every queued chunk is decoded and the thread is gone.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (decoder_.joinable()) decoder_.join();
  }

  void Decode() {
    v1::Observation observation;  // reused: its strings keep their buffers
    while (true) {
      std::string chunk;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || !queued_.empty();
        };
        mu_.Await(absl::Condition(&ready));
        if (queued_.empty()) return;
        chunk = std::move(queued_.front());
        queued_.pop_front();
      }
      for (size_t at = 0; usable_ && at + 4 <= chunk.size();) {
        uint32_t size = absl::little_endian::Load32(chunk.data() + at);
        observation.Clear();
        usable_ = observation.ParseFromArray(chunk.data() + at + 4, static_cast<int>(size)) &&
                  observation.has_flow() && AddRow(observation.flow(), columns_.get(), &index_);
        at += 4 + size;
      }
    }
  }

  std::shared_ptr<Link> link_;
  const std::string origin_;
  std::string prefix_;
  std::string last_key_;
  bool in_order_ = true;
  std::string chunk_;  // values put, each after its size
  int chunk_rows_ = 0;
  absl::Mutex mu_;
  std::deque<std::string> queued_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread decoder_;
  // The decoder's alone until it is joined.
  std::shared_ptr<FlowColumns> columns_;
  CodeIndex index_;
  std::atomic<bool> usable_{true};
};

Store::ObserverFactory FlowCache::Observer() {
  return [link = link_](absl::string_view origin) -> std::unique_ptr<Store::BatchObserver> {
    return std::make_unique<Observed>(link, std::string(origin));
  };
}

FlowCache::FlowCache(const Store* store) : store_(store), link_(std::make_shared<Link>()) {
  link_->cache = this;
}

FlowCache::~FlowCache() {
  // Batches begun before may still commit: they find no cache.
  absl::MutexLock lock(&link_->mu);
  link_->cache = nullptr;
}

bool FlowCache::AddRow(const v1::Flow& f, FlowColumns* columns, CodeIndex* index) {
  const std::string& direction = v1::FlowDirection_Name(f.direction());
  const std::string* dims[kFlowDimensions] = {&f.country(),     &f.period(),     &direction,
                                              &f.counterpart(), &f.occupation(), &f.sex(),
                                              &f.age(),         &f.channel()};
  for (int d = 0; d < kFlowDimensions; ++d) {
    std::vector<uint16_t>& column = columns->columns_[d];
    // Codes come in runs (rows are in key order): the row before's first.
    if (!column.empty() && columns->codes_[d][column.back()] == *dims[d]) {
      column.push_back(column.back());
      continue;
    }
    auto found = (*index)[d].find(*dims[d]);
    if (found == (*index)[d].end()) {
      if (columns->codes_[d].size() >= UINT16_MAX) return false;
      found = (*index)[d].emplace(*dims[d], static_cast<uint16_t>(columns->codes_[d].size())).first;
      columns->codes_[d].push_back(*dims[d]);
    }
    column.push_back(found->second);
  }
  columns->counts_.push_back(f.count());
  return true;
}

namespace {

// A code's rank in key order along dimension `d` (observation_codec.cc):
// periods by first month then frequency, directions by number, other codes
// as text.
std::vector<uint32_t> KeyOrder(int d, const std::vector<std::string>& codes) {
  std::vector<uint32_t> order(codes.size());
  std::iota(order.begin(), order.end(), 0);
  auto period_bytes = [](const std::string& code) {
    auto period = TimePeriod::Parse(code);
    if (!period.ok()) return std::pair<int, int>(0, 0);
    return std::pair<int, int>(period->first_month(), static_cast<int>(period->frequency()));
  };
  auto direction_number = [](const std::string& code) {
    v1::FlowDirection direction = v1::FLOW_DIRECTION_UNSPECIFIED;
    v1::FlowDirection_Parse(code, &direction);
    return static_cast<int>(direction);
  };
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (d == 1) return period_bytes(codes[a]) < period_bytes(codes[b]);
    if (d == 2) return direction_number(codes[a]) < direction_number(codes[b]);
    return codes[a] < codes[b];
  });
  std::vector<uint32_t> rank(codes.size());
  for (size_t i = 0; i < order.size(); ++i) rank[order[i]] = static_cast<uint32_t>(i);
  return rank;
}

}  // namespace

void FlowCache::SortByKey(FlowColumns* columns) {
  std::array<std::vector<uint32_t>, kFlowDimensions> rank;
  for (int d = 0; d < kFlowDimensions; ++d) rank[d] = KeyOrder(d, columns->codes_[d]);
  auto compare = [&](size_t a, size_t b) {
    for (int d = 1; d < kFlowDimensions; ++d) {
      uint32_t x = rank[d][columns->columns_[d][a]], y = rank[d][columns->columns_[d][b]];
      if (x != y) return x < y ? -1 : 1;
    }
    return 0;
  };
  std::vector<uint32_t> order(columns->rows());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return compare(a, b) < 0; });
  // A key put twice keeps the value put last, as in the store.
  std::vector<uint32_t> kept;
  kept.reserve(order.size());
  for (uint32_t r : order) {
    if (!kept.empty() && compare(kept.back(), r) == 0) {
      kept.back() = r;
    } else {
      kept.push_back(r);
    }
  }
  for (int d = 0; d < kFlowDimensions; ++d) {
    std::vector<uint16_t> sorted(kept.size());
    for (size_t i = 0; i < kept.size(); ++i) sorted[i] = columns->columns_[d][kept[i]];
    columns->columns_[d] = std::move(sorted);
  }
  std::vector<int64_t> counts(kept.size());
  for (size_t i = 0; i < kept.size(); ++i) counts[i] = columns->counts_[kept[i]];
  columns->counts_ = std::move(counts);
}

// The held columns of the origin's previous flow batch with a later batch's
// rows laid over them: rows of the same key are replaced, new ones added,
// in key order (both are in key order already).
std::shared_ptr<FlowColumns> FlowCache::Merge(const FlowColumns& held, const FlowColumns& batch) {
  auto merged = std::make_shared<FlowColumns>();
  merged->version_ = batch.version_;
  merged->published_at_ = batch.published_at_;
  // Codes of both, in one numbering per dimension, and their key order.
  std::array<std::vector<uint16_t>, kFlowDimensions> from_held, from_batch;
  std::array<std::vector<uint32_t>, kFlowDimensions> rank;
  for (int d = 0; d < kFlowDimensions; ++d) {
    absl::flat_hash_map<std::string, uint16_t> ids;
    auto number = [&](const std::vector<std::string>& codes, std::vector<uint16_t>* out) {
      for (const std::string& code : codes) {
        auto [it, added] = ids.emplace(code, static_cast<uint16_t>(merged->codes_[d].size()));
        if (added) {
          if (merged->codes_[d].size() >= UINT16_MAX) return false;
          merged->codes_[d].push_back(code);
        }
        out->push_back(it->second);
      }
      return true;
    };
    if (!number(held.codes_[d], &from_held[d]) || !number(batch.codes_[d], &from_batch[d])) {
      return nullptr;
    }
    rank[d] = KeyOrder(d, merged->codes_[d]);
  }
  auto compare = [&](size_t h, size_t b) {
    for (int d = 1; d < kFlowDimensions; ++d) {
      uint32_t x = rank[d][from_held[d][held.columns_[d][h]]];
      uint32_t y = rank[d][from_batch[d][batch.columns_[d][b]]];
      if (x != y) return x < y ? -1 : 1;
    }
    return 0;
  };
  auto take = [&](const FlowColumns& from, const std::array<std::vector<uint16_t>, kFlowDimensions>& ids,
                  size_t r) {
    for (int d = 0; d < kFlowDimensions; ++d) merged->columns_[d].push_back(ids[d][from.columns_[d][r]]);
    merged->counts_.push_back(from.counts_[r]);
  };
  size_t h = 0, b = 0;
  while (h < held.rows() || b < batch.rows()) {
    int order = h == held.rows() ? 1 : b == batch.rows() ? -1 : compare(h, b);
    if (order < 0) {
      take(held, from_held, h++);
    } else {
      take(batch, from_batch, b++);
      if (order == 0) ++h;
    }
  }
  return merged;
}

void FlowCache::Install(const std::string& origin, std::shared_ptr<FlowColumns> columns,
                        const BatchCatalog& before) const {
  const BatchInfo* previous = LatestFlowBatch(before, origin);
  absl::MutexLock lock(&mu_);
  // A build from the store under way would replace these with the same.
  if (building_.count(origin)) return;
  if (previous != nullptr) {
    auto held = cached_.find(origin);
    if (held == cached_.end() || held->second->version_ != previous->version ||
        held->second->published_at_ != previous->published_at) {
      return;  // the Warmer reads the origin back
    }
    columns = Merge(*held->second, *columns);
    if (columns == nullptr) return;
  }
  installed_.push_back(columns);
  cached_[origin] = std::move(columns);
}

absl::StatusOr<std::shared_ptr<const FlowColumns>> FlowCache::Build(const std::string& origin,
                                                                    const BatchInfo* batch) const {
  auto columns = std::make_shared<FlowColumns>();
  if (batch == nullptr) return std::shared_ptr<const FlowColumns>(columns);
  columns->version_ = batch->version;
  columns->published_at_ = batch->published_at;
  CodeIndex index;
  VersionLimits only{{origin, columns->version_}};
  KeyRange range = DatasetRange(v1::DATASET_FLOW, origin, std::nullopt, std::nullopt);
  absl::Status failed;
  v1::Observation observation;  // reused: its strings keep their buffers
  absl::Status scanned = store_->Scan(range.begin, range.end, only, [&](const StoredValue& stored) {
    observation.Clear();
    if (!observation.ParseFromArray(stored.value.data(), static_cast<int>(stored.value.size())) ||
        !observation.has_flow()) {
      failed = absl::DataLossError(absl::StrCat("a stored flow of ", origin, " does not decode"));
      return false;
    }
    if (!AddRow(observation.flow(), columns.get(), &index)) {
      failed = absl::FailedPreconditionError(
          absl::StrCat(origin, "'s flows have more than 65,535 codes in one dimension"));
      return false;
    }
    return true;
  });
  if (!failed.ok()) return failed;
  if (!scanned.ok()) return scanned;
  return std::shared_ptr<const FlowColumns>(columns);
}

}  // namespace lmx
