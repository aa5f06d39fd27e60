#include "client/web/web_assets.h"

namespace lmx {

const WebAsset* FindWebAsset(absl::string_view path) {
  for (const WebAsset& asset : WebAssets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace lmx
