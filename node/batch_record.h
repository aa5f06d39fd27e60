// How a batch's description is kept on disk: BatchInfo (node/store.h) as
// the internal BatchRecord message (node/storage.proto), both ways. The
// store keeps one per committed batch; the release calendar one per
// embargoed batch.
#ifndef LMX_NODE_BATCH_RECORD_H_
#define LMX_NODE_BATCH_RECORD_H_

#include "node/storage.pb.h"
#include "node/store.h"

namespace lmx {

internal::BatchRecord ToBatchRecord(const BatchInfo& info);
BatchInfo FromBatchRecord(const internal::BatchRecord& record);

}  // namespace lmx

#endif  // LMX_NODE_BATCH_RECORD_H_
