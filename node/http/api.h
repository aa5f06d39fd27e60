// The HTTP/JSON API (`/api/v1/...`, docs/api.md): the node's gRPC methods
// with protobuf's JSON mapping of the proto/lmx/v1 messages, for browsers,
// Excel, R and Python without a gRPC stack.
//
// Every call goes to the node's own gRPC server over an in-process channel
// through the same NodeClient as `lmx` (client/node_client.h), carrying the
// HTTP caller's Authorization header and address: the same Access rules,
// the same audit records, the same code, so every figure equals the CLI's.
//
//   POST /api/v1/QueryService/Aggregate   {"dataset": "DATASET_FLOW", ...}
//   GET  /api/v1/QueryService/Shortages?occupation=2221
//   POST /api/v1/PublishService/Publish?dataset=DATASET_FLOW&dry_run=true
//        (the body is the CSV file, streamed)
//
// A unary method answers one JSON object; a streaming one a JSON array of
// its messages, written as they come. Errors are JSON in the
// google.rpc.Status shape: {"error": {"code", "status", "message",
// "details"}}, with the HTTP status of the canonical code.
#ifndef LMX_NODE_HTTP_API_H_
#define LMX_NODE_HTTP_API_H_

#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "node/http/http_server.h"

namespace lmx {

struct ApiOptions {
  // An in-process channel to the node's gRPC server
  // (grpc::Server::InProcessChannel).
  std::shared_ptr<grpc::Channel> channel;
  // The longest one call may take, a publish included.
  absl::Duration call_timeout = absl::Hours(2);
  // Whether the node is open (loopback, no tokens: every caller may do
  // anything). An open node answers browsers only at a loopback address or
  // `localhost`, so that a page of another site whose name was made to
  // resolve to 127.0.0.1 (DNS rebinding) cannot call it. Unset: never open.
  std::function<bool()> open;
};

// Adds the /api/v1/ routes to `http` (before it starts).
void ServeApi(HttpServer* http, ApiOptions options);

}  // namespace lmx

#endif  // LMX_NODE_HTTP_API_H_
