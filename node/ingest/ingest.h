// Ingest: turns a ministry's CSV rows into validated observations, maps
// national occupation codes to ISCO-08 (harmonize.h), and writes them to the
// store as one atomic batch. A crosswalk import takes the same path.
//
// A PublishSession takes the header, then rows in file order. Every row is
// checked against the codelists (or, with a classification, the crosswalk),
// value ranges and cross-field rules, and duplicate keys inside the file
// are caught. Every error of every row is kept as `line, column, reason`.
// Finish() writes all rows, or with `partial` only the good ones, or
// nothing when any row was rejected.
//
//   PublishSession session(context, header);
//   for (...) session.AddRows(std::move(arena), message.rows());  // or AddRow(row)
//   absl::StatusOr<v1::PublishResponse> result = session.Finish();
//
// AddRows checks a message's rows on a worker thread while the caller reads
// the next message; rows are still accepted, and duplicates found, in file
// order, so the answer is the same as row by row.
#ifndef LMX_NODE_INGEST_INGEST_H_
#define LMX_NODE_INGEST_INGEST_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "federation/classifications/codelists.h"
#include "federation/harmonization/crosswalk.h"
#include "federation/harmonization/harmonize.h"
#include "google/protobuf/arena.h"
#include "lmx/v1/publish.pb.h"
#include "node/ingest/classification_registry.h"
#include "federation/harmonization/crosswalk_import.h"
#include "node/storage/store.h"

namespace lmx {

// What every publish on a node shares.
struct IngestContext {
  std::string country;  // the node's own country, ISO 3166-1 alpha-3
  std::shared_ptr<const Codelists> codelists;
  Store* store = nullptr;
  // Resolves `--classification`; without it only ISCO-08 is accepted.
  const ClassificationRegistry* classifications = nullptr;
  // When set, a publish starts only if this is OK (federation refuses
  // publishes while the node catches up on its own log).
  std::function<absl::Status()> admit;
  // Begins an embargoed batch, to be committed at the given time
  // (node/storage/embargo.h); without it `release_at` is refused.
  std::function<absl::StatusOr<std::unique_ptr<Store::Batch>>(absl::Time)> embargo;
  // Set per publish: the crosswalk its occupation codes are mapped with.
  std::shared_ptr<const Crosswalk> crosswalk;
};

// The row errors listed in a response; further row errors are only counted.
inline constexpr size_t kMaxListedErrors = 10000;

// Validates one row against a dataset's columns. Exposed for tests and for
// `--dry_run`; PublishSession is the usual entry point.
class RowValidator {
 public:
  // Maps the header to the dataset's columns. Unknown, repeated or missing
  // required columns are reported in `errors` (column "header"). A header
  // starting STRUCTURE (SDMX-CSV 2.0.0) or DATAFLOW (1.0.0) is an SDMX-CSV
  // message of the dataset's dataflow (LMX:FLOW, LMX:SHORTAGE): its
  // components are the dataset's columns, and errors name them.
  // With `context.crosswalk`, occupation codes are national codes of it.
  RowValidator(const IngestContext& context, v1::Dataset dataset,
               const std::vector<std::string>& columns, uint64_t header_line,
               std::vector<v1::RowError>* errors);

  bool header_ok() const { return header_ok_; }

  // Fills `observation` from the row's fields, or appends one error per bad
  // field (with the row's line) to `errors` and returns false.
  bool Validate(const v1::Row& row, v1::Observation* observation,
                std::vector<v1::RowError>* errors) const;

  struct Column;  // internal

 private:
  enum class Meta;
  absl::Status CheckMeta(Meta meta, absl::string_view value) const;

  const IngestContext& context_;
  v1::Dataset dataset_;
  std::vector<const Column*> columns_;  // per header position; null for ignored
  std::vector<std::string> names_;
  // Per header position: the column's name in errors (the SDMX component's
  // id in an SDMX-CSV message), and what an SDMX-CSV column without a
  // dataset column says.
  std::vector<std::string> error_names_;
  std::vector<Meta> meta_;
  std::vector<bool> sdmx_required_;  // an SDMX component that may not be empty
  // An SDMX-CSV data message (SDMX-CSV 2.0.0 or 1.0.0) of the dataset's
  // dataflow, recognized by its first column.
  bool sdmx_ = false;
  bool header_ok_ = true;
};

// The keys seen so far in one file, as 64-bit hashes with the line each was
// first seen on: 12 bytes a slot, so a file of 27 million rows (about 1 GB of
// flows) needs about 400 MB here, not the 1 GB a general hash map would.
// Two different keys with equal hashes (about 1 in 10^7 for 27 million rows)
// would report a valid row as a duplicate; a wrong row is never accepted.
class KeyLines {
 public:
  // Records `hash` at `line`, or returns the line it was first recorded at
  // (UINT32_MAX for lines beyond it).
  std::optional<uint64_t> Insert(uint64_t hash, uint64_t line);

 private:
  void Grow();

  std::vector<uint64_t> hashes_;  // 0 marks an empty slot
  std::vector<uint32_t> lines_;   // saturates at UINT32_MAX
  size_t size_ = 0;
};

class PublishSession {
 public:
  // Copies `context`; its codelists, store and registry must outlive the
  // session.
  PublishSession(const IngestContext& context, const v1::PublishHeader& header);

  ~PublishSession();

  // Adds the next row of the file.
  void AddRow(const v1::Row& row);
  // Adds the next rows of the file; they are checked on a worker thread.
  // `rows` live on `arena`, which the session keeps until they are checked
  // and then frees in one go.
  void AddRows(std::unique_ptr<google::protobuf::Arena> arena, const v1::RowBatch& rows);

  // Writes the batch (unless a dry run or refused) and says what happened.
  // Fails only when the store fails; rejected rows are in the response.
  absl::StatusOr<v1::PublishResponse> Finish();

 private:
  // Checks what the header asks for and sets up the validator, importer or
  // harmonizer.
  void Start();
  void Reject(std::vector<v1::RowError>& errors);
  // Whether the batch as a whole is refused: the one rule for all-or-nothing.
  bool Refused() const;
  // A message's rows after the checks that need no other row, made off the
  // session's thread: each row's errors, or its key and what is written,
  // packed in one buffer.
  struct Prepared {
    struct Row {
      uint64_t line = 0;
      uint64_t hash = 0;
      uint32_t errors_begin = 0, errors_end = 0;  // in `errors`; equal when valid
      size_t at = 0;  // in `bytes`: the key, the period, the encoded value
      uint32_t key_size = 0, period_size = 0, value_size = 0;
      int mapped = -1;  // with a harmonizer: in `mapped`
    };
    std::vector<Row> rows;
    std::vector<v1::RowError> errors;
    std::string bytes;
    std::vector<v1::Observation> mapped;
  };
  // Checks `row` and appends what it becomes to `prepared`.
  void Prepare(const v1::Row& row, google::protobuf::Arena* arena, Prepared* prepared) const;
  // Takes a prepared row in file order: the duplicate check, the counts and
  // the spool.
  void Accept(Prepared& prepared, size_t index);
  // Accepts the oldest message in flight, waiting for its worker.
  void AcceptOldest();
  // Spools one observation (with its logical key) into the batch, unless
  // nothing will be written.
  void Write(const std::string& key, const v1::Observation& observation);
  void Write(absl::string_view key, absl::string_view period, absl::string_view value);

  IngestContext context_;
  v1::PublishHeader header_;
  std::vector<v1::RowError> header_errors_;
  std::unique_ptr<RowValidator> validator_;
  std::unique_ptr<CrosswalkImport> import_;
  std::unique_ptr<Harmonizer> harmonizer_;
  std::unique_ptr<Store::Batch> batch_;
  // Stored now, committed at the header's release_at.
  bool embargoed_ = false;
  uint64_t written_ = 0;
  std::vector<std::string> periods_;  // sorted, distinct
  absl::Status store_error_;
  KeyLines seen_;
  // Messages whose rows workers are checking, oldest first.
  // Each keeps its arena here, outside the task: if no thread can be made,
  // std::async runs the task deferred after its first copy is gone.
  struct InFlight {
    std::unique_ptr<google::protobuf::Arena> arena;
    std::future<Prepared> prepared;
  };
  std::deque<InFlight> in_flight_;
  v1::PublishResponse response_;
  std::vector<v1::RowError> row_errors_;
};

}  // namespace lmx

#endif  // LMX_NODE_INGEST_INGEST_H_
