// Small valid observations, the same for the unit tests and the fuzz seeds.
#ifndef LMX_TESTS_SUPPORT_SAMPLE_OBSERVATIONS_H_
#define LMX_TESTS_SUPPORT_SAMPLE_OBSERVATIONS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "lmx/v1/observation.pb.h"

namespace lmx {

// KEN's outflow of 10 women in occupation 2512 to SAU.
inline v1::Observation SampleFlow(absl::string_view period, absl::string_view country = "KEN") {
  v1::Observation o;
  auto* f = o.mutable_flow();
  f->set_country(std::string(country));
  f->set_period(std::string(period));
  f->set_direction(v1::OUTFLOW);
  f->set_counterpart("SAU");
  f->set_occupation("2512");
  f->set_sex("F");
  f->set_age("_T");
  f->set_channel("_T");
  f->set_count(10);
  f->set_conf_status(v1::F);
  return o;
}

// A shortage in KEN, for the whole country and every activity.
inline v1::Observation SampleShortage(absl::string_view period,
                                      absl::string_view occupation = "2512") {
  v1::Observation o;
  auto* s = o.mutable_shortage();
  s->set_country("KEN");
  s->set_period(std::string(period));
  s->set_occupation(std::string(occupation));
  s->set_region("_T");
  s->set_activity("_T");
  s->set_status(v1::SHORTAGE);
  s->set_shortage_index(0.4);
  return o;
}

}  // namespace lmx

#endif  // LMX_TESTS_SUPPORT_SAMPLE_OBSERVATIONS_H_
