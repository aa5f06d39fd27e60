#include "node/replication/replication.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "federation/base/status_macros.h"
#include "federation/base/timestamps.h"
#include "federation/protocol/observation_codec.h"
#include "lmx/v1/classification.pb.h"

namespace lmx {
namespace {

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);
// Versions of one origin sent in a row before the stream turns to the next
// origin, so one large origin cannot starve the others.
constexpr int kVersionsPerTurn = 64;

// Cancels a pull stream once nothing has arrived on it for `limit`. A peer
// sends a heartbeat at least every `heartbeat` on an idle stream, so silence
// means its connection went away without closing: TCP keepalive and
// HTTP/2 pings do not always see that, and a blocked Read would wait for
// the stream's whole lifetime.
class SilenceCutter {
 public:
  SilenceCutter(PullStream* stream, absl::Duration limit)
      : stream_(stream), limit_(limit), heard_(absl::Now()), thread_([this] { Run(); }) {}
  ~SilenceCutter() {
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
    }
    thread_.join();
  }
  void Heard() {
    absl::MutexLock lock(&mu_);
    heard_ = absl::Now();
  }
  bool cut() const {
    absl::MutexLock lock(&mu_);
    return cut_;
  }

 private:
  void Run() {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_; };
    while (!done_) {
      const absl::Duration left = heard_ + limit_ - absl::Now();
      if (left <= absl::ZeroDuration()) {
        cut_ = true;
        stream_->Cancel();
        return;
      }
      mu_.AwaitWithTimeout(absl::Condition(&done), left);
    }
  }

  PullStream* const stream_;
  const absl::Duration limit_;
  mutable absl::Mutex mu_;
  absl::Time heard_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool cut_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

std::string PinKey(absl::string_view origin) { return absl::StrCat("pin/", origin); }
// Proofs of equivocation: "fork/<origin>/<version, 20 digits>".
constexpr char kForkPrefix[] = "fork/";
std::string ForkKey(absl::string_view origin, uint64_t version) {
  return absl::StrCat(kForkPrefix, origin, "/", absl::Dec(version, absl::kZeroPad20));
}

// "4-6, 9": versions as ranges.
std::string Ranges(const std::vector<uint64_t>& versions) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < versions.size();) {
    size_t j = i;
    while (j + 1 < versions.size() && versions[j + 1] == versions[j] + 1) ++j;
    parts.push_back(j == i ? absl::StrCat(versions[i])
                           : absl::StrCat(versions[i], "-", versions[j]));
    i = j + 1;
  }
  return absl::StrJoin(parts, ", ");
}

void Log(const std::string& message) { std::cerr << "lmx-node: " << message << "\n"; }

// A publish refused before anything of it was written, said so.
absl::Status Refused(const absl::Status& status) {
  if (status.ok() || absl::StartsWith(status.message(), "refused")) return status;
  return absl::Status(status.code(),
                      absl::StrCat("refused, nothing was written: ", status.message()));
}

}  // namespace

absl::StatusOr<std::vector<Peer>> ParsePeers(absl::string_view text) {
  std::vector<Peer> peers;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::pair<std::string, std::string> parts = absl::StrSplit(item, absl::MaxSplits('=', 1));
    if (parts.first.size() != 3 || parts.second.find(':') == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--peers: '", item, "' is not COUNTRY=HOST:PORT"));
    }
    peers.push_back(Peer{parts.first, parts.second});
  }
  return peers;
}

struct Replication::OriginState {
  std::mutex apply;                              // one entry of the origin is applied at a time
  std::map<std::string, uint64_t> head_by_peer;  // the version each peer last reported
  absl::Time last_contact = absl::InfinitePast();
  uint64_t rejected = 0;
  std::string last_error;
  std::map<std::string, std::string> digest_by_peer;
  std::set<uint64_t> forks;  // versions with a proof of equivocation
};

struct Replication::PeerState {
  Peer peer;
  bool connected = false;
  absl::Time last_contact = absl::InfinitePast();
  std::string last_error;
  PullStream* active = nullptr;  // the open stream, for Stop
  // Heard since the node started (a heartbeat with its digests), and the
  // head of this node's own log it reported then.
  bool heard = false;
  uint64_t own_head = 0;
  // Origins whose digest differed from this node's copy: the next stream
  // asks for them again from that version, so that the entries can be
  // compared (and a fork proven), once per reported hash.
  std::map<std::string, uint64_t> recheck;
  std::map<std::string, absl::Time> rechecked;  // when each was last asked for
  bool reopening = false;                       // the stream was cancelled to ask again: no error
};

// Applies the entries of one stream. An entry's chunks come in a row; they
// go into one store batch, committed with the last chunk, so an entry is
// applied whole or not at all, and its version is the cursor.
class Replication::Receiver {
 public:
  Receiver(Replication* replication, std::string from) : r_(replication), from_(std::move(from)) {}

  void Handle(const v1::SignedChunk& signed_chunk);
  // An origin was refused on this stream: it should be reopened to retry.
  // (An origin proven forked is parked instead: refused for the rest of the
  // stream, with no reopening, since it would only offer the same again.)
  bool blocked() const { return !blocked_.empty(); }
  // The node's copy of an origin was reset; pull it again from scratch.
  bool reset() const { return reset_; }

 private:
  struct Pending {
    std::string origin;
    uint64_t version = 0;
    uint32_t next_chunk = 0;
    bool skip = false;     // already applied: read past it
    bool compare = false;  // ... comparing it with the entry held
    std::unique_lock<std::mutex> lock;
    std::unique_ptr<Store::Batch> batch;
    std::string key;
    LogHasher hasher{""};
    v1::LogChunk first;
    std::set<std::string> periods;  // that the entry's cells hold
    std::string last_digest;        // of the chunk taken last, signature included
  };

  void Fail(std::string origin, const std::string& error) {
    pending_.reset();
    if (r_->Forked(origin)) {
      if (!parked_.insert(origin).second) return;
    } else {
      blocked_.insert(origin);
    }
    r_->Reject(origin, from_, error);
  }
  absl::Status Start(const v1::LogChunk& chunk, const v1::SignedChunk& signed_chunk);

  Replication* r_;
  std::string from_;
  std::optional<Pending> pending_;
  std::set<std::string> blocked_;
  std::set<std::string> parked_;
  bool reset_ = false;
};

absl::Status Replication::Receiver::Start(const v1::LogChunk& chunk,
                                          const v1::SignedChunk& signed_chunk) {
  Pending pending;
  pending.origin = chunk.origin();
  pending.version = chunk.version();
  {
    absl::MutexLock lock(&r_->mu_);
    pending.lock = std::unique_lock<std::mutex>(r_->Origin(chunk.origin()).apply, std::defer_lock);
  }
  pending.lock.lock();
  auto latest = r_->store_->Catalog()->Latest();
  uint64_t applied = latest.count(chunk.origin()) ? latest[chunk.origin()] : 0;
  if (chunk.version() <= applied) {
    // At least once on the wire, exactly once in effect. An entry held is
    // compared with the one offered: two different entries the origin
    // signed for one version are the proof of a fork.
    pending.skip = true;
    pending.compare = r_->store_->LogHead(chunk.origin()) >= chunk.version();
    // Compared under the origin's lock, so that no repair drops the entry
    // held meanwhile.
    if (!pending.compare) pending.lock.unlock();
    pending_ = std::move(pending);
    return absl::OkStatus();
  }
  if (chunk.origin() == r_->options_.country) {
    // A peer streams more of this node's log than it reported: the node
    // takes no publish until it has them.
    r_->NoteOwnHead(from_, chunk.version());
  }
  if (chunk.version() != applied + 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "version ", chunk.version(), " arrived but version ", applied + 1, " is next"));
  }
  ASSIGN_OR_RETURN(pending.key, r_->TrustedKey(chunk.origin(), chunk.public_key()));
  if (!VerifySignature(pending.key, signed_chunk.chunk(), signed_chunk.signature())) {
    return absl::PermissionDeniedError(
        absl::StrCat("version ", chunk.version(), " chunk 0: the signature does not verify"));
  }
  ASSIGN_OR_RETURN(std::string previous, r_->store_->LogHash(chunk.origin(), chunk.version() - 1));
  if (previous != chunk.previous_hash()) {
    // Either this node's copy is corrupt, or the origin signed two
    // histories. Only the first is repaired, by pulling the copy again. (An
    // origin already proven forked goes on offering its other history:
    // refused at once, without reading the whole copy again.)
    if (!r_->Forked(chunk.origin())) {
      absl::Status intact = r_->DropIfCorrupt(chunk.origin(), &reset_);
      if (!intact.ok()) return intact;  // corrupt (dropped unless own), or cannot tell: retried
    }
    v1::Equivocation proof;
    proof.set_origin(chunk.origin());
    // The histories part at or before the version this node holds last.
    proof.set_version(chunk.version() - 1);
    proof.set_chunk(0);
    absl::Status read =
        r_->store_->ReadLog(chunk.origin(), chunk.version() - 1, [&](absl::string_view held) {
          proof.mutable_held()->ParseFromArray(held.data(), static_cast<int>(held.size()));
          return true;
        });
    (void)read;  // the proof keeps what could be read
    *proof.mutable_offered() = signed_chunk;
    proof.set_from(from_);
    proof.set_detail(absl::StrCat(
        "version ", chunk.version(), " follows a log hash after version ", chunk.version() - 1,
        " (", absl::BytesToHexString(chunk.previous_hash().substr(0, 8)),
        ") other than the one this node holds, signed by ", chunk.origin(), " too (",
        absl::BytesToHexString(previous.substr(0, 8)), ")"));
    std::string detail = proof.detail();
    r_->RecordEquivocation(std::move(proof));
    return absl::FailedPreconditionError(absl::StrCat(
        detail, ": ", chunk.origin(), " signed two histories; this node keeps the first"));
  }
  ASSIGN_OR_RETURN(pending.batch, r_->store_->Begin(chunk.origin()));
  pending.hasher = LogHasher(previous);
  pending.first = chunk;
  pending.first.clear_cells();
  pending_ = std::move(pending);
  return absl::OkStatus();
}

void Replication::Receiver::Handle(const v1::SignedChunk& signed_chunk) {
  v1::LogChunk chunk;
  if (!chunk.ParseFromString(signed_chunk.chunk()) || chunk.origin().size() != 3) {
    return Fail("???", "an entry that does not parse");
  }
  const std::string& origin = chunk.origin();
  if (blocked_.count(origin) || parked_.count(origin)) return;
  // A chunk that came again, unchanged (a duplicated message): the one just
  // taken, or one of an entry held whole already. Nothing to do.
  const std::string digest =
      absl::StrCat(Sha256(signed_chunk.chunk()), Sha256(signed_chunk.signature()));
  if (pending_ && pending_->origin == origin && pending_->version == chunk.version() &&
      pending_->next_chunk > 0 && chunk.chunk() == pending_->next_chunk - 1 &&
      pending_->last_digest == digest) {
    return;
  }
  if (!pending_ && chunk.chunk() != 0 && chunk.version() <= r_->store_->LogHead(origin)) {
    auto held = r_->store_->ReadLogChunk(origin, chunk.version(), chunk.chunk());
    v1::SignedChunk held_chunk;
    if (held.ok() && held_chunk.ParseFromString(*held) &&
        held_chunk.chunk() == signed_chunk.chunk() &&
        held_chunk.signature() == signed_chunk.signature()) {
      return;
    }
  }
  if (pending_ && (pending_->origin != origin || pending_->version != chunk.version() ||
                   pending_->next_chunk != chunk.chunk())) {
    std::string cut = pending_->origin;
    Fail(cut, absl::StrCat("version ", pending_->version, " ended after chunk ",
                           pending_->next_chunk - 1));
    if (blocked_.count(origin) || parked_.count(origin)) return;
  }
  if (!pending_) {
    if (chunk.chunk() != 0) {
      return Fail(origin, absl::StrCat("version ", chunk.version(), " chunk ", chunk.chunk(),
                                       " came without the chunks before it"));
    }
    absl::Status started = Start(chunk, signed_chunk);
    if (!started.ok()) return Fail(origin, std::string(started.message()));
  }
  Pending& pending = *pending_;
  ++pending.next_chunk;
  pending.last_digest = digest;
  if (pending.skip) {
    if (pending.compare) {
      auto held = r_->store_->ReadLogChunk(origin, chunk.version(), chunk.chunk());
      v1::SignedChunk held_chunk;
      bool same = held.ok() && held_chunk.ParseFromString(*held) &&
                  held_chunk.chunk() == signed_chunk.chunk();
      if (!same) {
        std::string where = absl::StrCat("version ", chunk.version(), " chunk ", chunk.chunk());
        auto key = r_->KnownKey(origin);
        if (!key.ok() || chunk.public_key() != *key ||
            !VerifySignature(*key, signed_chunk.chunk(), signed_chunk.signature())) {
          return Fail(origin, absl::StrCat(where,
                                           " differs from the one held here, and its "
                                           "signature does not verify"));
        }
        // Only two chunks that both verify prove anything about the origin;
        // a held chunk that is missing or does not verify is this node's
        // corruption, repaired by pulling the copy again.
        if (!held.ok() || !VerifySignature(*key, held_chunk.chunk(), held_chunk.signature())) {
          absl::Status intact = r_->DropIfCorrupt(origin, &reset_);
          return Fail(origin,
                      absl::StrCat(where, ": this node's copy of it is damaged (",
                                   intact.ok() ? "a chunk is missing" : intact.message(), ")"));
        }
        v1::Equivocation proof;
        proof.set_origin(origin);
        proof.set_version(chunk.version());
        proof.set_chunk(chunk.chunk());
        if (held.ok()) *proof.mutable_held() = held_chunk;
        *proof.mutable_offered() = signed_chunk;
        proof.set_from(from_);
        proof.set_detail(absl::StrCat(where,
                                      " offered differs from the one held here, and both "
                                      "are signed by ",
                                      origin));
        std::string detail = proof.detail();
        r_->RecordEquivocation(std::move(proof));
        return Fail(origin, absl::StrCat(detail, ": ", origin,
                                         " signed two entries for one version; this node keeps "
                                         "the first"));
      }
    }
    if (chunk.last()) pending_.reset();  // and its lock
    return;
  }
  std::string where = absl::StrCat("version ", chunk.version(), " chunk ", chunk.chunk());
  if (chunk.public_key() != pending.key ||
      !VerifySignature(pending.key, signed_chunk.chunk(), signed_chunk.signature())) {
    return Fail(origin, absl::StrCat(where, ": the signature does not verify"));
  }
  std::string period;
  for (const auto& cell : chunk.cells()) {
    absl::Status checked = CheckLogCell(origin, cell, &period);
    if (!checked.ok()) return Fail(origin, absl::StrCat(where, ": ", checked.message()));
    if (!period.empty()) pending.periods.insert(period);
    absl::Status put = pending.batch->Put(cell.key(), cell.value());
    if (!put.ok()) return Fail(origin, absl::StrCat(where, ": ", put.message()));
  }
  absl::Status put = pending.batch->PutLog(chunk.chunk(), signed_chunk.SerializeAsString());
  if (!put.ok()) return Fail(origin, absl::StrCat(where, ": ", put.message()));
  pending.hasher.Add(signed_chunk.chunk());
  if (!chunk.last()) return;

  BatchInfo meta = ReplicatedBatchOf(pending.first);
  meta.log_hash = pending.hasher.Finish();
  // What the origin reported, for completeness reports (the entry does not
  // list it).
  meta.periods.assign(pending.periods.begin(), pending.periods.end());
  auto committed = pending.batch->Commit(meta);
  if (!committed.ok()) return Fail(origin, absl::StrCat(where, ": ", committed.status().message()));
  pending_.reset();
}

Replication::Replication(Store* store, ReplicationOptions options)
    : store_(store),
      options_(std::move(options)),
      transport_(options_.transport != nullptr
                     ? options_.transport
                     : std::shared_ptr<PeerTransport>(PeerTransport::Grpc(nullptr))),
      builder_(store, options_.country, &options_.identity, options_.disclosure_threshold) {
  for (const auto& peer : options_.peers) {
    auto state = std::make_unique<PeerState>();
    state->peer = peer;
    peers_.push_back(std::move(state));
  }
  listener_ = store_->AddListener([this] {
    absl::MutexLock lock(&mu_);
    ++generation_;
  });
  // Asked again under the store's commit lock, so that no own batch
  // commits past a peer's report that arrived while it was received.
  store_->SetCommitGate([this] { return Refused(CanPublish()); });
}

Replication::~Replication() {
  Stop();
  store_->SetCommitGate(nullptr);
  store_->RemoveListener(listener_);
}

void Replication::Start() {
  if (started_) return;
  started_ = true;
  absl::Status loaded =
      store_->ScanMeta(kForkPrefix, [&](absl::string_view, absl::string_view value) {
        v1::Equivocation proof;
        if (!proof.ParseFromArray(value.data(), static_cast<int>(value.size()))) return;
        absl::MutexLock lock(&mu_);
        OriginState& state = Origin(proof.origin());
        state.forks.insert(proof.version());
        state.last_error = proof.detail();
      });
  if (!loaded.ok()) Log(absl::StrCat("cannot read the proofs of forks: ", loaded.message()));
  {
    absl::MutexLock lock(&mu_);
    started_at_ = absl::Now();
    if (peers_.empty()) synced_ = true;  // a node alone has no region to ask
  }
  threads_.emplace_back([this] { BuildLoop(); });
  for (auto& peer : peers_) {
    PeerState* state = peer.get();
    threads_.emplace_back([this, state] { PullLoop(state); });
  }
}

void Replication::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return;
    stop_ = true;
    for (auto& peer : peers_) {
      if (peer->active != nullptr) peer->active->Cancel();
    }
  }
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

Replication::OriginState& Replication::Origin(const std::string& origin) {
  auto& state = origins_[origin];
  if (state == nullptr) state = std::make_unique<OriginState>();
  return *state;
}

void Replication::WaitForChange(uint64_t seen, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto changed = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stop_ || generation_ != seen; };
  mu_.AwaitWithTimeout(absl::Condition(&changed), timeout);
}

bool Replication::Synced(uint64_t applied, std::string* why) const {
  if (synced_) return true;
  if (started_at_ == absl::InfiniteFuture()) {
    *why = "the node is starting";
    return false;
  }
  size_t heard = 0;
  uint64_t head = 0;
  std::vector<std::string> silent;
  for (const auto& peer : peers_) {
    if (peer->heard) {
      ++heard;
      head = std::max(head, peer->own_head);
    } else {
      silent.push_back(peer->last_error.empty()
                           ? peer->peer.id
                           : absl::StrCat(peer->peer.id, ": ", peer->last_error));
    }
  }
  const bool restored = options_.wait_for_every_peer;
  const bool waited = absl::Now() - started_at_ >= options_.startup_sync;
  if ((heard == peers_.size() || (heard > 0 && waited && !restored)) && applied >= head) {
    synced_ = true;
    if (!options_.restored_marker.empty()) std::remove(options_.restored_marker.c_str());
    Log(absl::StrCat("learned the head of ", options_.country, "'s log from ", heard, " of ",
                     peers_.size(), " peers: version ", head, ", and holds ", applied,
                     "; takes publishes from version ", applied + 1));
    return true;
  }
  if (restored && heard < peers_.size() && heard > 0 && waited) {
    *why = absl::StrCat(
        "this data directory is a restored backup (or a new store for an existing key: a lost "
        "disk), so the node waits for every peer to report "
        "the head of ",
        options_.country, "'s log before it signs anything (", heard, " of ", peers_.size(),
        " answered; waiting for ", absl::StrJoin(silent, "; "),
        "): a silent peer may hold versions newer than the backup. If it is gone for good, an "
        "operator can say so with `lmx admin declare-region-lost --reason=...`");
  } else if (heard == 0 && waited) {
    *why = absl::StrCat(
        "no peer has answered since the node started (", absl::StrJoin(silent, "; "),
        "): it cannot know whether the region holds versions of ", options_.country,
        "'s log newer than its own ", applied,
        ", so it signs none until a peer answers. If the region's copies are truly lost, an "
        "operator can say so with `lmx admin declare-region-lost --reason=...` "
        "(docs/operations.md)");
  } else {
    *why = absl::StrCat("the node is starting: it is learning the head of ", options_.country,
                        "'s log from its peers (", heard, " of ", peers_.size(),
                        " answered) and takes publishes once it has; retry shortly");
  }
  return false;
}

uint64_t Replication::OwnApplied() const {
  auto latest = store_->Catalog()->Latest();
  auto it = latest.find(options_.country);
  return it == latest.end() ? 0 : it->second;
}

const Replication::PeerState* Replication::AheadPeer(uint64_t applied) const {
  for (const auto& peer : peers_) {
    if (peer->heard && peer->own_head > applied) return peer.get();
  }
  return nullptr;
}

absl::Status Replication::DropIfCorrupt(const std::string& origin, bool* dropped) {
  absl::Status intact = VerifyLocalLog(origin);
  if (!absl::IsDataLoss(intact)) return intact;
  if (origin == options_.country) {
    return absl::DataLossError(absl::StrCat("this node's own log is corrupt: ", intact.message()));
  }
  absl::Status reset = store_->ResetOrigin(origin);
  *dropped = reset.ok();
  Log(absl::StrCat("this node's copy of ", origin, " was corrupt (", intact.message(),
                   "): ", reset.ok() ? "dropped, and pulled again" : reset.message()));
  return absl::DataLossError(
      absl::StrCat("this node's copy was corrupt (", intact.message(), ")",
                   reset.ok() ? "; it was dropped and is pulled again" : ""));
}

absl::Status Replication::CanPublish() const {
  RETURN_IF_ERROR(store_->disk()->Writable());
  const uint64_t applied = OwnApplied();
  absl::MutexLock lock(&mu_);
  if (!log_backlog_.empty()) return absl::ResourceExhaustedError(log_backlog_);
  if (auto it = origins_.find(options_.country);
      it != origins_.end() && !it->second->forks.empty()) {
    std::vector<uint64_t> versions(it->second->forks.begin(), it->second->forks.end());
    return absl::FailedPreconditionError(absl::StrCat(
        "this node's own log is forked: the region holds other entries signed by ",
        options_.country, " for version ", Ranges(versions),
        " than this node does (lmx peers shows 'forked'); it signs nothing more until an "
        "operator resolves it (docs/operations.md, \"A forked log\")"));
  }
  if (const PeerState* peer = AheadPeer(applied)) {
    return absl::UnavailableError(absl::StrCat(
        peer->peer.id, " holds version ", peer->own_head, " of ", options_.country,
        "'s log, this node only ", applied,
        " (it was restored from an older copy, or lost its disk): it is pulling its own "
        "entries back from the region and takes publishes again once it has them; retry "
        "shortly"));
  }
  std::string why;
  if (!Synced(applied, &why)) return absl::UnavailableError(why);
  return absl::OkStatus();
}

absl::Status Replication::AwaitPublish(absl::Duration timeout) const {
  const absl::Time end = absl::Now() + timeout;
  for (;;) {
    absl::Status status = CanPublish();
    if (status.ok() || !absl::IsUnavailable(status) || absl::Now() >= end) return Refused(status);
    absl::MutexLock lock(&mu_);
    const uint64_t seen = events_ + generation_;
    auto changed = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return stop_ || events_ + generation_ != seen;
    };
    if (stop_) return Refused(status);
    mu_.AwaitWithTimeout(absl::Condition(&changed),
                         std::min(end - absl::Now(), absl::Milliseconds(200)));
  }
}

absl::StatusOr<std::string> Replication::DeclareRegionLost(const std::string& reason) {
  const uint64_t applied = OwnApplied();
  absl::MutexLock lock(&mu_);
  if (const PeerState* peer = AheadPeer(applied)) {
    return absl::FailedPreconditionError(absl::StrCat(
        peer->peer.id, " holds version ", peer->own_head, " of ", options_.country,
        "'s log: the region's copies are not lost, and this node is pulling them back"));
  }
  if (synced_) {
    return absl::StrCat(
        "nothing to declare: this node has heard its peers already; its next "
        "version would be ",
        applied + 1,
        " (lmx peers says whether it takes "
        "publishes now)");
  }
  declared_lost_ = true;
  synced_ = true;
  if (!options_.restored_marker.empty()) std::remove(options_.restored_marker.c_str());
  ++events_;
  Log(absl::StrCat("an operator declared the region's copies of ", options_.country,
                   "'s log lost (", reason, "): publishing from version ", applied + 1,
                   " without having heard a peer"));
  return absl::StrCat("declared: ", options_.country, " takes publishes from version ", applied + 1,
                      ". If a peer turns out to hold newer versions of its log, the next "
                      "publishes fork it: peers keep their copies and report 'forked'");
}

absl::StatusOr<std::string> Replication::KnownKey(const std::string& origin) {
  if (origin == options_.country) return options_.identity.public_key();
  if (options_.manifest) {
    const RegionMember* member = options_.manifest->Find(origin);
    if (member == nullptr) return absl::NotFoundError(absl::StrCat(origin, " is no member"));
    return member->public_key;
  }
  return store_->GetMeta(PinKey(origin));
}

absl::Status Replication::VerifyLocalLog(const std::string& origin) {
  ASSIGN_OR_RETURN(std::string key, KnownKey(origin));
  std::string previous = std::string(32, '\0');
  const uint64_t head = store_->LogHead(origin);
  for (uint64_t version = 1; version <= head; ++version) {
    LogHasher hasher(previous);
    std::string bad;
    absl::Status read = store_->ReadLog(origin, version, [&](absl::string_view bytes) {
      v1::SignedChunk chunk;
      if (!chunk.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
          !VerifySignature(key, chunk.chunk(), chunk.signature())) {
        bad = "a chunk that does not verify";
        return false;
      }
      hasher.Add(chunk.chunk());
      return true;
    });
    if (!read.ok() && bad.empty()) bad = std::string(read.message());
    ASSIGN_OR_RETURN(std::string stored, store_->LogHash(origin, version));
    std::string computed = hasher.Finish();
    if (bad.empty() && computed != stored) bad = "its log hash does not verify";
    if (!bad.empty()) return absl::DataLossError(absl::StrCat("version ", version, ": ", bad));
    previous = computed;
  }
  return absl::OkStatus();
}

void Replication::RecordEquivocation(v1::Equivocation proof) {
  const std::string origin = proof.origin();
  const uint64_t version = proof.version();
  {
    absl::MutexLock lock(&mu_);
    OriginState& state = Origin(origin);
    state.last_error = proof.detail();
    if (!state.forks.insert(version).second) return;
    ++events_;
  }
  *proof.mutable_detected_at() = ToTimestamp(store_->clock()->Now());
  absl::Status kept = store_->PutMeta(ForkKey(origin, version), proof.SerializeAsString());
  Log(absl::StrCat("FORK: ", origin, " signed two histories, apart at version ", version,
                   " or before (", proof.detail(), "; offered by ", proof.from(),
                   "). This node keeps the one it had and refuses the other; lmx peers shows ",
                   origin, " as forked",
                   kept.ok() ? "; the proof is kept"
                             : absl::StrCat("; cannot keep the proof: ", kept.message())));
}

absl::StatusOr<std::string> Replication::TrustedKey(const std::string& origin,
                                                    const std::string& offered) {
  std::string key;
  std::string trust;
  if (origin == options_.country) {
    key = options_.identity.public_key();
    trust = "this node's own key";
  } else if (options_.manifest) {
    const RegionMember* member = options_.manifest->Find(origin);
    if (member == nullptr) {
      return absl::PermissionDeniedError(
          absl::StrCat(origin, " is not a member of region '", options_.manifest->region, "'"));
    }
    key = member->public_key;
    trust = "the region manifest's key";
  } else {
    // Its own lock: pinning writes, and a write may wait for room on a full
    // disk while replication and queries go on.
    absl::MutexLock lock(&pin_mu_);
    auto pinned = store_->GetMeta(PinKey(origin));
    if (pinned.ok()) {
      key = *pinned;
      trust = "the key pinned on first use";
    } else {
      RETURN_IF_ERROR(store_->PutMeta(PinKey(origin), offered));
      Log(absl::StrCat("pinned ", origin, "'s key ", Fingerprint(offered),
                       " on first use (no region manifest)"));
      return offered;
    }
  }
  if (offered != key) {
    return absl::PermissionDeniedError(absl::StrCat("signed with key ", Fingerprint(offered),
                                                    ", but ", origin, "'s key is ",
                                                    Fingerprint(key), " (", trust, ")"));
  }
  return key;
}

void Replication::Reject(const std::string& origin, const std::string& from,
                         const std::string& error) {
  std::string last_error = absl::StrCat(error, " (from ", from, ")");
  absl::MutexLock lock(&mu_);
  OriginState& state = Origin(origin);
  ++state.rejected;
  // The same refusal again (a forked origin offers its other history on
  // every stream) is counted, not logged again.
  if (state.last_error != last_error) {
    Log(absl::StrCat("refused an entry of ", origin, " from ", from, ": ", error));
  }
  state.last_error = std::move(last_error);
}

void Replication::BuildLoop() {
  absl::Duration retry = absl::Seconds(1);
  std::string last_said;
  for (;;) {
    uint64_t seen;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      seen = generation_;
    }
    auto catalog = store_->Catalog();
    const auto& batches = catalog->Batches(options_.country);
    // Nothing is written into a store that is read-only; the store's
    // change notification wakes this loop when the disk heals.
    absl::Status status = store_->disk()->Writable();
    if (!status.ok()) {
      WaitForChange(seen, absl::Seconds(5));
      continue;
    }
    for (uint64_t next = store_->LogHead(options_.country) + 1;
         status.ok() && next <= batches.size(); ++next) {
      auto previous = store_->LogHash(options_.country, next - 1);
      if (!previous.ok()) {
        status = previous.status();
        break;
      }
      auto entry = builder_.Build(batches[next - 1], *previous);
      status = entry.ok() ? store_->AppendLog(options_.country, next, entry->chunks, entry->hash)
                          : entry.status();
      if (absl::IsResourceExhausted(status)) {
        // Acknowledged, but not in the region: no publish piles more on it.
        absl::MutexLock lock(&mu_);
        log_backlog_ = absl::StrCat(
            "version ", next, " is written, but its log entry waits for room on the disk (",
            status.message(),
            "), so the region does not have it yet; the node takes no publish "
            "until it has made it");
      }
      if (status.ok() && entry->suppressed > 0) {
        Log(absl::StrCat("version ", next, ": disclosure control withheld ", entry->suppressed,
                         " of ", entry->cells, " flow cells"));
      }
    }
    // Said once; a batch that does not fit on the disk waits for a change
    // (the disk healing, or another commit), not a second.
    if (status.ok()) {
      absl::MutexLock lock(&mu_);
      if (!log_backlog_.empty()) ++events_;
      log_backlog_.clear();
    }
    std::string said =
        status.ok() ? "" : absl::StrCat("cannot make a log entry: ", status.message());
    if (said != last_said) Log(said.empty() ? "log entries made again" : said);
    if (!said.empty() || !last_said.empty()) last_said = said;
    WaitForChange(seen,
                  status.ok() || absl::IsResourceExhausted(status) ? absl::Seconds(5) : retry);
  }
}

void Replication::PullLoop(PeerState* peer) {
  absl::Duration backoff = kFirstBackoff;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    bool got = PullOnce(peer);
    backoff = got ? kFirstBackoff : std::min(backoff * 2, kMaxBackoff);
    absl::MutexLock lock(&mu_);
    auto stopped = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stop_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopped), backoff);
  }
}

bool Replication::PullOnce(PeerState* peer) {
  std::map<std::string, uint64_t> recheck;
  {
    absl::MutexLock lock(&mu_);
    recheck.swap(peer->recheck);
  }
  for (const auto& [origin, version] : recheck) {
    // A digest that differs is this node's corruption or the origin's
    // fork. A corrupt copy is dropped and pulled again; a fork is proven
    // by comparing the entries, which the stream now brings again.
    std::mutex* apply;
    {
      absl::MutexLock lock(&mu_);
      apply = &Origin(origin).apply;
    }
    std::lock_guard<std::mutex> applying(*apply);
    bool dropped = false;
    DropIfCorrupt(origin, &dropped).IgnoreError();  // what it found is logged
  }
  v1::PullRequest request;
  request.set_node(options_.country);
  for (const auto& [origin, version] : store_->Catalog()->Latest()) {
    auto* cursor = request.add_cursors();
    cursor->set_origin(origin);
    auto again = recheck.find(origin);
    cursor->set_applied(again == recheck.end() ? version : std::min(version, again->second - 1));
  }
  // Registered before it starts: Stop() ends a stream still connecting.
  std::unique_ptr<PullStream> stream = transport_->Pull(peer->peer, options_.stream_lifetime);
  {
    absl::MutexLock lock(&mu_);
    peer->active = stream.get();
    if (stop_) stream->Cancel();
  }
  stream->Start(request);
  const absl::Duration silence_limit =
      options_.silence_limit > absl::ZeroDuration()
          ? options_.silence_limit
          : std::max(options_.heartbeat * 10, absl::Seconds(5));
  SilenceCutter silence(stream.get(), silence_limit);
  Receiver receiver(this, peer->peer.id);
  v1::PullResponse response;
  bool got = false;
  bool cancelled = false;
  std::string error;
  absl::Time blocked_since = absl::InfiniteFuture();
  bool paused = false;  // entries went unapplied while the disk was full
  while (stream->Read(&response)) {
    silence.Heard();
    {
      absl::MutexLock lock(&mu_);
      peer->connected = true;
      peer->last_contact = store_->clock()->Now();
      if (!got) peer->last_error.clear();
    }
    got = true;
    const bool writable = store_->disk()->Writable().ok();
    if (response.has_entry()) {
      // A read-only store applies nothing: the entries come again, on a
      // new stream, once the disk heals.
      if (writable) {
        receiver.Handle(response.entry());
      } else {
        paused = true;
      }
    }
    if (paused && writable && !cancelled) {
      stream->Cancel();
      cancelled = true;
    }
    if (response.has_heartbeat()) {
      if (response.heartbeat().node() != peer->peer.id && !cancelled) {
        error = absl::StrCat(peer->peer.address, " is the node of ", response.heartbeat().node(),
                             ", not of ", peer->peer.id);
        Log(error);
        stream->Cancel();
        cancelled = true;
        continue;
      }
      OnHeartbeat(peer, response.heartbeat());
    }
    if (receiver.blocked() && blocked_since == absl::InfiniteFuture()) blocked_since = absl::Now();
    if (!cancelled && (receiver.reset() || absl::Now() - blocked_since > options_.retry_blocked)) {
      stream->Cancel();
      cancelled = true;
    }
  }
  absl::Status status = stream->Finish();
  if (silence.cut()) {
    error = absl::StrCat("nothing arrived from ", peer->peer.id, " for ",
                         absl::FormatDuration(silence_limit),
                         ", not even a heartbeat: the connection was cut and opened again");
    Log(error);
  }
  absl::MutexLock lock(&mu_);
  peer->active = nullptr;
  peer->connected = false;
  const bool reopening = peer->reopening;
  peer->reopening = false;
  if (!status.ok() && !cancelled && !stop_ && !reopening && error.empty()) {
    peer->last_error = absl::StrCat(status.message(), " (", static_cast<int>(status.code()), ")");
  } else if (!error.empty()) {
    peer->last_error = error;
  }
  return got && error.empty();
}

void Replication::OnHeartbeat(PeerState* peer, const v1::Heartbeat& heartbeat) {
  absl::Time now = store_->clock()->Now();
  uint64_t own_head = 0;  // a peer that lists no digest of this node holds none of its log
  bool reopen = false;
  for (const auto& digest : heartbeat.digests()) {
    if (digest.origin() == options_.country) own_head = digest.version();
    uint64_t local = store_->LogHead(digest.origin());
    std::string verdict;
    if (digest.version() > local) {
      verdict = "behind";
    } else {
      auto hash = store_->LogHash(digest.origin(), digest.version());
      if (!hash.ok() || *hash != digest.hash()) {
        verdict = "differ";
      } else {
        verdict = digest.version() == local ? "agree" : "ahead";
      }
    }
    absl::MutexLock lock(&mu_);
    OriginState& state = Origin(digest.origin());
    state.head_by_peer[peer->peer.id] = digest.version();
    state.last_contact = now;
    state.digest_by_peer[peer->peer.id] = verdict;
    // Any peer's digest that differs, the origin's own or a relay's, is
    // looked into: the entries of that version are asked for again and
    // compared. Signed data is never dropped for a digest.
    // Asked again at most every 30 s per peer: a stream can end before the
    // entries were compared.
    auto last = peer->rechecked.find(digest.origin());
    if (verdict == "differ" && state.forks.empty() &&
        (last == peer->rechecked.end() || now - last->second > absl::Seconds(30))) {
      peer->rechecked[digest.origin()] = now;
      peer->recheck[digest.origin()] = digest.version();
      Log(absl::StrCat(peer->peer.id, "'s copy of ", digest.origin(), " at version ",
                       digest.version(), " differs from this node's: comparing the entries"));
      reopen = true;
    }
  }
  absl::MutexLock lock(&mu_);
  if (!peer->heard || peer->own_head != own_head) ++events_;
  peer->heard = true;
  peer->own_head = own_head;
  if (reopen && peer->active != nullptr) {
    peer->reopening = true;
    peer->active->Cancel();
  }
}

bool Replication::Forked(const std::string& origin) {
  absl::MutexLock lock(&mu_);
  auto it = origins_.find(origin);
  return it != origins_.end() && !it->second->forks.empty();
}

void Replication::NoteOwnHead(const std::string& peer_id, uint64_t version) {
  absl::MutexLock lock(&mu_);
  for (auto& peer : peers_) {
    if (peer->peer.id == peer_id && peer->own_head < version) {
      peer->own_head = version;
      ++events_;
    }
  }
}

v1::Heartbeat Replication::MakeHeartbeat() const {
  v1::Heartbeat heartbeat;
  heartbeat.set_node(options_.country);
  *heartbeat.mutable_at() = ToTimestamp(store_->clock()->Now());
  for (const auto& [origin, head] : store_->LogHeads()) {
    auto hash = store_->LogHash(origin, head);
    if (!hash.ok()) continue;
    auto* digest = heartbeat.add_digests();
    digest->set_origin(origin);
    digest->set_version(head);
    digest->set_hash(*hash);
  }
  return heartbeat;
}

absl::Status Replication::Serve(const v1::PullRequest& request,
                                const std::function<bool(const v1::PullResponse&)>& write,
                                const std::function<bool()>& cancelled) {
  const absl::Status gone = absl::CancelledError("the puller went away");
  std::map<std::string, uint64_t> cursors;
  for (const auto& cursor : request.cursors()) cursors[cursor.origin()] = cursor.applied();
  // The loop ends the stream at `end` between writes.
  const absl::Time end = absl::Now() + options_.max_served_stream;
  v1::PullResponse response;
  // The heartbeat comes first: a puller that starts learns its own log's
  // head from it before any entry (the start-up barrier).
  *response.mutable_heartbeat() = MakeHeartbeat();
  if (!write(response)) return gone;
  absl::Time last_heartbeat = absl::Now();
  for (;;) {
    uint64_t seen;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return absl::UnavailableError("the node is stopping");
      seen = generation_;
    }
    if (cancelled()) return gone;
    // The puller reopens; a stream never outlives its bound.
    if (absl::Now() >= end) return absl::OkStatus();
    bool sent = false;
    bool write_failed = false;
    VersionLimits heads = store_->LogHeads();
    std::map<std::string, uint64_t> sorted(heads.begin(), heads.end());
    for (const auto& held : sorted) {
      // Named, not bound: lambdas cannot capture structured bindings in C++17.
      const std::string& origin = held.first;
      const uint64_t head = held.second;
      uint64_t& cursor = cursors[origin];
      for (int turn = 0; cursor < head && turn < kVersionsPerTurn && !write_failed; ++turn) {
        absl::Status read = store_->ReadLog(origin, cursor + 1, [&](absl::string_view bytes) {
          response.Clear();
          v1::SignedChunk* entry = response.mutable_entry();
          if (!entry->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
          // Blocks while the puller's flow-control window is full, so a slow
          // puller holds back this loop, not this node's memory.
          write_failed = !write(response);
          return !write_failed;
        });
        if (!read.ok() || write_failed) break;
        ++cursor;
        sent = true;
      }
    }
    if (write_failed) return gone;
    if (absl::Now() - last_heartbeat >= options_.heartbeat) {
      response.Clear();
      *response.mutable_heartbeat() = MakeHeartbeat();
      if (!write(response)) return gone;
      last_heartbeat = absl::Now();
    }
    if (!sent) WaitForChange(seen, options_.heartbeat);
  }
}

v1::PeersResponse Replication::State() const {
  v1::PeersResponse answer;
  v1::PeersResponse* response = &answer;
  response->set_node(options_.country);
  absl::Status publishing = CanPublish();
  response->set_publishing(publishing.ok() ? "open" : std::string(publishing.message()));
  DiskGuard::State disk = store_->disk()->Get();
  response->set_storage(disk.reason.empty() ? "ok" : absl::StrCat("read-only: ", disk.reason));
  response->set_free_bytes(disk.free_bytes);
  response->set_reserve_bytes(disk.reserve_bytes);
  auto catalog = store_->Catalog();
  VersionLimits latest = catalog->Latest();
  std::set<std::string> names;
  for (const auto& [origin, version] : latest) names.insert(origin);
  absl::MutexLock lock(&mu_);
  for (const auto& [origin, state] : origins_) names.insert(origin);
  for (const std::string& origin : names) {
    v1::OriginStatus* status = response->add_origins();
    status->set_origin(origin);
    uint64_t applied = latest.count(origin) ? latest[origin] : 0;
    status->set_applied(applied);
    status->set_head(applied);
    if (const BatchInfo* batch = catalog->Find(origin, applied)) {
      *status->mutable_published_at() = ToTimestamp(batch->published_at);
    }
    std::string verdict = "unknown";
    if (auto it = origins_.find(origin); it != origins_.end()) {
      const OriginState& state = *it->second;
      uint64_t head = applied;
      for (const auto& [peer, version] : state.head_by_peer) head = std::max(head, version);
      status->set_head(head);
      if (state.last_contact != absl::InfinitePast()) {
        *status->mutable_last_contact() = ToTimestamp(state.last_contact);
      }
      status->set_rejected(state.rejected);
      status->set_last_error(state.last_error);
      for (const auto& [peer, said] : state.digest_by_peer) {
        if (said == "differ" || (said == "behind" && verdict != "differ") ||
            ((said == "agree" || said == "ahead") && verdict == "unknown")) {
          verdict = said == "ahead" ? "agree" : said;
        }
      }
      for (uint64_t version : state.forks) status->add_forked_versions(version);
      if (!state.forks.empty()) verdict = "forked";
    }
    if (origin == options_.country) {
      for (const BatchInfo& batch : catalog->Batches(origin)) {
        if (batch.replicated) status->add_recovered_versions(batch.version);
      }
    }
    status->set_digest(verdict);
    if (auto hash = store_->LogHash(origin, store_->LogHead(origin)); hash.ok()) {
      status->set_hash(absl::BytesToHexString(hash->substr(0, 8)));
    }
    if (origin == options_.country) {
      status->set_trust("self");
      status->set_key(Fingerprint(options_.identity.public_key()));
    } else if (options_.manifest) {
      const RegionMember* member = options_.manifest->Find(origin);
      status->set_trust(member ? "manifest" : "not in manifest");
      if (member) status->set_key(Fingerprint(member->public_key));
    } else if (auto pinned = store_->GetMeta(PinKey(origin)); pinned.ok()) {
      status->set_trust("pinned on first use");
      status->set_key(Fingerprint(*pinned));
    }
  }
  for (const auto& peer : peers_) {
    v1::PeerStatus* status = response->add_peers();
    status->set_id(peer->peer.id);
    status->set_address(peer->peer.address);
    status->set_connected(peer->connected);
    if (peer->last_contact != absl::InfinitePast()) {
      *status->mutable_last_contact() = ToTimestamp(peer->last_contact);
    }
    status->set_last_error(peer->last_error);
  }
  return answer;
}

}  // namespace lmx
