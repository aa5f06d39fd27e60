// Federation at a node (SPEC §4): it makes the signed log entries of its own
// batches, serves every origin's log it holds to its peers (Serve, which the
// Federation gRPC service of node/server/federation_service.h calls), and
// pulls from its peers through a PeerTransport, verifying every chunk before
// it applies it with its cursor in one atomic store batch.
//
// Threads: one builds own log entries after each commit; one per peer runs a
// long-lived Pull stream and reconnects with backoff. Streams served to
// peers run on the caller's thread and wait on the store's change
// notifications, with a heartbeat (and the node's digests) while idle.
//
//   Replication replication(store, options);
//   FederationServiceImpl service(&replication, &access, &watchdog, limit);
//   replication.Start();
//   ...
//   replication.Stop();
#ifndef LMX_NODE_REPLICATION_REPLICATION_H_
#define LMX_NODE_REPLICATION_REPLICATION_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "federation/classifications/codelists.h"
#include "federation/trust/keys.h"
#include "federation/trust/manifest.h"
#include "lmx/v1/federation.pb.h"
#include "node/replication/log_builder.h"
#include "node/replication/peer_transport.h"
#include "node/storage/store.h"

namespace lmx {

// Parses `--peers=UGA=127.0.0.1:7402,TZA=...`.
absl::StatusOr<std::vector<Peer>> ParsePeers(absl::string_view text);

struct ReplicationOptions {
  std::string country;
  Identity identity;
  // With a manifest, only its members' data is accepted, under its keys;
  // without, each origin's key is pinned the first time it is seen.
  std::optional<RegionManifest> manifest;
  std::vector<Peer> peers;
  int64_t disclosure_threshold = 5;
  // How often an idle stream carries a heartbeat with digests.
  absl::Duration heartbeat = absl::Seconds(1);
  // How long a stream goes on after an origin was refused on it, before the
  // puller opens a new one to ask again.
  absl::Duration retry_blocked = absl::Seconds(2);
  // How long one Pull stream lasts before the puller opens a new one.
  absl::Duration stream_lifetime = absl::Minutes(10);
  // A Pull stream on which nothing arrives for this long (10 heartbeats,
  // at least 5 s, when 0) is cut and opened again: the peer's connection
  // is gone without a word (a half-open TCP connection, a frozen host).
  absl::Duration silence_limit;
  // The longest this node serves one Pull stream, whatever the puller asks.
  absl::Duration max_served_stream = absl::Minutes(30);
  // At start, how long the node waits for every peer to report its own
  // log's head before it settles for those that did (at least one).
  absl::Duration startup_sync = absl::Seconds(10);
  // When set, the data directory is a restored backup (this file marks it):
  // the node may be behind the region's copy of its log, so it waits for
  // every peer, with no deadline, and removes the file once it has.
  std::string restored_marker;
  // Wait for every peer, with no deadline: set for a restored backup and for
  // a store made for a key that existed (a lost disk).
  bool wait_for_every_peer = false;
  // How this node reaches its peers: PeerTransport::Grpc with its region
  // certificate, or plaintext on loopback when null.
  std::shared_ptr<PeerTransport> transport;
};

// The replication core: the log builder, the pullers, the receiver,
// anti-entropy and the start-up barrier. It knows nothing of who calls it:
// node/server/federation_service.h authorizes the Federation service's
// calls and translates them to Serve and State.
class Replication final {
 public:
  Replication(Store* store, ReplicationOptions options);
  ~Replication();

  // Starts the log builder and one puller per peer.
  void Start();
  // Stops them and ends the streams served; idempotent.
  void Stop();

  // OK when the node may sign a new version of its own log (docs/federation.md,
  // "No equivocation"). Not:
  //  - while it starts, until it has heard its peers report its own log's
  //    head and holds at least that much (UNAVAILABLE);
  //  - when no peer has answered since it started, unless an operator
  //    declared the region's copies lost (UNAVAILABLE);
  //  - while any peer holds more of its own log than it does: it was
  //    restored from an old copy, or lost its disk, and is pulling its
  //    entries back (UNAVAILABLE);
  //  - when its own log is forked (FAILED_PRECONDITION);
  //  - when its disk is full or failing (RESOURCE_EXHAUSTED).
  // The store asks it again under its commit lock before an own batch
  // commits.
  absl::Status CanPublish() const;
  // CanPublish(), after waiting up to `timeout` while the answer is
  // UNAVAILABLE (a publish that arrives while the node starts waits for it).
  absl::Status AwaitPublish(absl::Duration timeout) const;
  // The operator's word that the region's copies of this node's log are
  // lost: a node no peer has answered takes publishes from its own next
  // version. Refused when any peer reports more of the log. Returns what
  // happens next.
  absl::StatusOr<std::string> DeclareRegionLost(const std::string& reason);

  // Replication state, per origin and per peer (what Peers answers).
  v1::PeersResponse State() const;

  // Serves one Pull stream: a heartbeat first, then every entry past the
  // request's cursors as it is made, and heartbeats with digests while
  // idle. `write` sends a message (false: the puller went, CANCELLED);
  // `cancelled` says the caller went. Ends OK after max_served_stream, so
  // the puller reopens; UNAVAILABLE when the node stops.
  absl::Status Serve(const v1::PullRequest& request,
                     const std::function<bool(const v1::PullResponse&)>& write,
                     const std::function<bool()>& cancelled);

 private:
  struct OriginState;
  struct PeerState;
  class Receiver;

  void BuildLoop();
  void PullLoop(PeerState* peer);
  // Runs one Pull stream to `peer` until it ends; true if it got anything.
  bool PullOnce(PeerState* peer);
  // The key `origin`'s chunks must be signed with: the node's own, the
  // manifest's, or the pinned one (pinning `offered` on first use).
  absl::StatusOr<std::string> TrustedKey(const std::string& origin, const std::string& offered);
  void Reject(const std::string& origin, const std::string& from, const std::string& error);
  // Whether this node holds a proof that `origin` forked its log.
  bool Forked(const std::string& origin);
  // `peer` sent an entry of this node's own log up to `version`.
  void NoteOwnHead(const std::string& peer, uint64_t version);
  // Keeps the proof that `origin` signed two different entries for
  // `version`, once per version, and reports it.
  void RecordEquivocation(v1::Equivocation proof);
  // Whether this node's copy of `origin`'s log is intact: every chunk's
  // signature and every stored log hash recomputed. DATA_LOSS naming the
  // first bad version otherwise.
  absl::Status VerifyLocalLog(const std::string& origin);
  // With the origin's apply lock held: checks this node's copy of
  // `origin` (VerifyLocalLog) and, when it is provably corrupt, drops it to
  // be pulled again (`dropped`), never the node's own log. OK when intact,
  // DATA_LOSS when corrupt, another error when it cannot tell.
  absl::Status DropIfCorrupt(const std::string& origin, bool* dropped);
  // The latest version of the node's own log it holds.
  uint64_t OwnApplied() const;
  // A peer that reported more of this node's own log than `applied`.
  const PeerState* AheadPeer(uint64_t applied) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The key `origin`'s log is signed with, as far as this node knows it
  // (never pins one).
  absl::StatusOr<std::string> KnownKey(const std::string& origin);
  // The start-up barrier: whether the node knows its own log's head from
  // the region; `why` says what it waits for when not.
  bool Synced(uint64_t applied, std::string* why) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnHeartbeat(PeerState* peer, const v1::Heartbeat& heartbeat);
  v1::Heartbeat MakeHeartbeat() const;
  OriginState& Origin(const std::string& origin) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits until the store changes, `stop_` is set or `timeout` passes.
  void WaitForChange(uint64_t seen, absl::Duration timeout) const;

  Store* store_;
  int listener_ = 0;  // the store listener that counts changes
  ReplicationOptions options_;
  // options_.transport, or plaintext gRPC.
  std::shared_ptr<PeerTransport> transport_;
  LogBuilder builder_;

  mutable absl::Mutex mu_;
  absl::Mutex pin_mu_;  // pinning a key on first use
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // bumped on every store change
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // Bumped when a peer's report changes what CanPublish answers.
  uint64_t events_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time started_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  mutable bool synced_ ABSL_GUARDED_BY(mu_) = false;
  bool declared_lost_ ABSL_GUARDED_BY(mu_) = false;
  // Why an own log entry could not be made (its disk is full), if so.
  std::string log_backlog_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<OriginState>> origins_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<PeerState>> peers_;
  std::vector<std::thread> threads_;
  bool started_ = false;
};

}  // namespace lmx

#endif  // LMX_NODE_REPLICATION_REPLICATION_H_
