// The region's codelists, loaded once for the whole unit test binary from
// the installed iso-codes package (the node's own source at run time).
#ifndef LMX_TESTS_SUPPORT_TEST_CODELISTS_H_
#define LMX_TESTS_SUPPORT_TEST_CODELISTS_H_

#include <cstdlib>
#include <iostream>
#include <memory>

#include "federation/classifications/codelists.h"

namespace lmx {

inline const std::shared_ptr<const Codelists>& TestCodelists() {
  static const auto* codelists = [] {
    auto loaded = Codelists::Load();
    if (!loaded.ok()) {
      std::cerr << "cannot load codelists: " << loaded.status() << "\n";
      std::abort();
    }
    return new std::shared_ptr<const Codelists>(*loaded);
  }();
  return *codelists;
}

}  // namespace lmx

#endif  // LMX_TESTS_SUPPORT_TEST_CODELISTS_H_
