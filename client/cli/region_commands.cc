// lmx peers and lmx region init: the region's state, its CA and its members' files.
#include "client/cli/commands.h"


#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/node_client.h"
#include "client/output.h"
#include "federation/trust/certificates.h"
#include "federation/base/files.h"
#include "federation/trust/keys.h"
#include "federation/trust/manifest.h"
#include "federation/trust/node_config.h"
#include "federation/base/status_macros.h"

namespace lmx::cli {

int Peers(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"format"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(args, 1, "peers [--format=]"));
  ASSIGN_OR_EXIT(Format format, ParseFormatFlag(args));
  ASSIGN_OR_EXIT(auto client, Connect(args));
  ASSIGN_OR_EXIT(v1::PeersResponse peers, client->Peers());
  auto time_or_null = [](const google::protobuf::Timestamp& time) {
    return time.seconds() == 0 && time.nanos() == 0 ? Cell::Null() : Cell::Text(FormatTime(time));
  };
  auto out = TableWriter::Create(format, std::cout);
  out->Begin({"origin", "version", "head", "lag", "published_at", "last_contact", "digest", "hash",
              "trust", "key", "rejected", "last_error"});
  for (const auto& origin : peers.origins()) {
    out->Row({Cell::Text(origin.origin()), Cell::Integer(static_cast<int64_t>(origin.applied())),
              Cell::Integer(static_cast<int64_t>(origin.head())),
              Cell::Integer(static_cast<int64_t>(origin.head() - origin.applied())),
              time_or_null(origin.published_at()), time_or_null(origin.last_contact()),
              Cell::Text(origin.digest()), Cell::Text(origin.hash()), Cell::Text(origin.trust()),
              Cell::Text(origin.key()), Cell::Integer(static_cast<int64_t>(origin.rejected())),
              Cell::Text(origin.last_error())});
  }
  out->End();
  // The node's own state and the links, on stderr so that --format=csv
  // stays one table.
  std::cerr << peers.node() << " publishing: " << peers.publishing() << "\n";
  std::cerr << peers.node() << " storage: " << peers.storage() << " ("
            << peers.free_bytes() / (1 << 20) << " MiB free, " << peers.reserve_bytes() / (1 << 20)
            << " MiB kept in reserve)\n";
  for (const auto& origin : peers.origins()) {
    if (origin.forked_versions_size() > 0) {
      std::cerr << peers.node() << ": " << origin.origin()
                << " is forked: it signed two histories, apart at version "
                << absl::StrJoin(origin.forked_versions(), ", ")
                << " (or before); this node keeps the first it had, and the proof\n";
    }
    if (origin.recovered_versions_size() > 0) {
      std::cerr << peers.node() << ": versions " << absl::StrJoin(origin.recovered_versions(), ", ")
                << " of " << origin.origin()
                << " came back from the region, as the region holds them: flows after "
                   "disclosure control, vacancies as monthly aggregates (their records stay "
                   "lost); re-publish them from the source files to restore the rows\n";
    }
  }
  for (const auto& peer : peers.peers()) {
    std::cerr << peers.node() << " pulls from " << peer.id() << " at " << peer.address() << ": "
              << (peer.connected() ? "connected" : "not connected");
    if (peer.last_contact().seconds() != 0) {
      std::cerr << ", last contact " << FormatTime(peer.last_contact());
    }
    if (!peer.last_error().empty()) std::cerr << ", last error: " << peer.last_error();
    std::cerr << "\n";
  }
  return kOk;
}

// The region CA in DIR (ca.pem, ca.key), made on first use and reused
// after, so members can be added.
absl::StatusOr<KeyAndCertificate> RegionCa(const std::string& dir, const std::string& region) {
  std::string cert_path = dir + "/ca.pem";
  std::string key_path = dir + "/ca.key";
  if (std::filesystem::exists(cert_path)) {
    KeyAndCertificate ca;
    ASSIGN_OR_RETURN(ca.cert_pem, ReadWholeFile(cert_path));
    ASSIGN_OR_RETURN(ca.key_pem, ReadWholeFile(key_path));
    return ca;
  }
  auto ca = MakeCertificateAuthority(absl::StrCat("lmx region ", region, " CA"));
  if (!ca.ok()) return ca.status();
  if (absl::Status written = WriteFileAtomically(key_path, ca->key_pem, 0600); !written.ok()) {
    return written;
  }
  if (absl::Status written = WriteFileAtomically(cert_path, ca->cert_pem, 0644); !written.ok()) {
    return written;
  }
  return ca;
}

// A member's certificate and key (CN and a DNS name = its id; localhost and
// the loopback addresses, as `region init` lays regions out on loopback)
// and the tls section of its config file, keeping any tokens there. A
// member that has its files keeps them.
absl::Status IssueMemberFiles(const KeyAndCertificate& ca, const std::string& country,
                              const std::string& data_dir) {
  if (std::filesystem::exists(data_dir + "/tls.pem")) return absl::OkStatus();
  auto issued = IssueCertificate(ca, country, {country, "localhost"}, {"127.0.0.1", "::1"});
  if (!issued.ok()) return issued.status();
  if (absl::Status written = WriteFileAtomically(data_dir + "/tls.key", issued->key_pem, 0600);
      !written.ok()) {
    return written;
  }
  if (absl::Status written = WriteFileAtomically(data_dir + "/tls.pem", issued->cert_pem, 0644);
      !written.ok()) {
    return written;
  }
  std::string config_path = data_dir + "/config.json";
  auto config = LoadNodeConfig(config_path);
  if (!config.ok()) return config.status();
  config->tls = {"tls.pem", "tls.key", "../ca.pem"};
  return SaveNodeConfig(config_path, *config);
}

// `lmx region init --dir=DIR --countries=KEN,UGA,... [--base_port=7401] [--tls]`:
// a key pair in DIR/<COUNTRY>/ for each node (its data dir) and the region
// manifest DIR/region.json listing them on loopback. With --tls, also a
// region CA and a certificate for each member, named in its config.json.
int RegionInit(const Arguments& args) {
  RETURN_IF_USAGE_ERROR(args.Allow({"dir", "countries", "base_port", "name", "tls"}));
  RETURN_IF_USAGE_ERROR(ExpectPositional(
      args, 2, "region init --dir=DIR --countries=KEN,UGA,... [--base_port=7401] [--name=]"));
  std::string dir = args.Get("dir");
  std::vector<std::string> countries =
      absl::StrSplit(args.Get("countries"), ',', absl::SkipWhitespace());
  int base_port = 0;
  if (dir.empty() || countries.empty()) {
    return Report(UsageError("region init needs --dir=DIR and --countries=KEN,UGA,..."));
  }
  if (!absl::SimpleAtoi(args.Get("base_port", "7401"), &base_port) || base_port < 1 ||
      base_port + static_cast<int>(countries.size()) > 65535) {
    return Report(UsageError("--base_port must be a port number"));
  }
  RegionManifest manifest;
  manifest.region = args.Get("name", "local");
  KeyAndCertificate ca;
  const bool tls = args.Has("tls");
  if (tls) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    ASSIGN_OR_EXIT(ca, RegionCa(dir, manifest.region));
    ASSIGN_OR_EXIT(manifest.ca_sha256, CertificateSha256(ca.cert_pem));
  }
  for (size_t i = 0; i < countries.size(); ++i) {
    const std::string& country = countries[i];
    if (country.size() != 3 || !absl::c_all_of(country, absl::ascii_isupper)) {
      return Report(UsageError(
          absl::StrCat("--countries: '", country, "' is not an ISO 3166-1 alpha-3 code")));
    }
    std::string data_dir = absl::StrCat(dir, "/", country);
    std::error_code error;
    std::filesystem::create_directories(data_dir, error);
    if (error) return Report(absl::InternalError(absl::StrCat(data_dir, ": ", error.message())));
    ASSIGN_OR_EXIT(Identity identity, Identity::LoadOrCreate(data_dir + "/node.key"));
    manifest.members.push_back({country,
                                absl::StrCat("127.0.0.1:", base_port + static_cast<int>(i)),
                                identity.public_key()});
    if (tls) RETURN_IF_USAGE_ERROR(IssueMemberFiles(ca, country, data_dir));
  }
  std::string path = dir + "/region.json";
  if (absl::Status written = WriteManifest(path, manifest); !written.ok()) return Report(written);
  std::cout << "wrote " << path << " with " << manifest.members.size() << " members; start them:\n";
  for (const auto& member : manifest.members) {
    std::cout << "  lmx-node --country=" << member.id << " --data_dir=" << dir << "/" << member.id
              << " --listen=" << member.address << " --region=" << path << "\n";
  }
  if (tls) {
    std::cout << "each node's config.json names its certificate; the region CA is " << dir
              << "/ca.pem (clients: --tls_ca=" << dir << "/ca.pem); keep " << dir
              << "/ca.key offline\n";
  }
  return kOk;
}

int Region(const Arguments& args) {
  if (args.positional().size() < 2 || args.positional()[1] != "init") {
    return Report(UsageError("usage: lmx region init --dir=DIR --countries=KEN,UGA,..."));
  }
  return RegionInit(args);
}

}  // namespace lmx::cli
