// libFuzzer target: an SDMX-ML file a publisher hands `lmx publish`, read
// into SDMX-CSV (client/sdmx/sdmx_ml_reader.h). It must answer or refuse,
// never crash, and every CSV line it writes must have its element's line.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "client/sdmx/sdmx_ml_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/lmx-sdmx-ml-fuzz-" + std::to_string(getpid()) + ".xml";
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  auto csv = lmx::ReadSdmxMl(path);
  if (csv.ok()) {
    size_t lines = 0;
    for (char c : csv->text) lines += c == '\n';
    if (lines != csv->xml_lines.size() || csv->observations + 1 != lines) std::abort();
  }
  return 0;
}
