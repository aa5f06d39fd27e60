// The gRPC metadata a call to a node carries besides its message.
#ifndef LMX_FEDERATION_BASE_CALL_METADATA_H_
#define LMX_FEDERATION_BASE_CALL_METADATA_H_

namespace lmx {

// The bearer token: "authorization: Bearer lmx_<id>_<secret>".
inline constexpr char kAuthorizationHeader[] = "authorization";
// Set by the node's own HTTP/JSON API on the calls it makes for an HTTP
// caller over the in-process channel: the caller's address, for the audit
// log. The node believes it only on in-process calls.
inline constexpr char kOnBehalfOfHeader[] = "lmx-on-behalf-of";

}  // namespace lmx

#endif  // LMX_FEDERATION_BASE_CALL_METADATA_H_
