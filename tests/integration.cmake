# Integration tests: real lmx-node processes driven by the real lmx binary.
add_executable(lmx_integration_tests
  dashboard_integration_test.cc
  deploy_integration_test.cc
  disk_full_integration_test.cc
  durability_integration_test.cc
  federation_integration_test.cc
  harmonization_integration_test.cc
  metrics_integration_test.cc
  node_integration_test.cc
  policy_integration_test.cc
  python_client_integration_test.cc
  sdmx_integration_test.cc
  security_integration_test.cc
  soak_integration_test.cc
  node_process.cc
  tcp_proxy.cc)
target_link_libraries(lmx_integration_tests PRIVATE lmx_base lmx_proto GTest::gmock GTest::gtest_main
  gRPC::grpc++ absl::strings PkgConfig::HTTPLIB)
target_include_directories(lmx_integration_tests PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_definitions(lmx_integration_tests PRIVATE
  LMX_NODE_BINARY="$<TARGET_FILE:lmx-node>"
  LMX_CLI_BINARY="$<TARGET_FILE:lmx>"
  LMX_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  LMX_SHARED_DATA_DIR="${PROJECT_SOURCE_DIR}/../shared/data"
  LMX_PYTHON_STUBS_DIR="${PROJECT_BINARY_DIR}/python"
  LMX_BUILD_DIR="${PROJECT_BINARY_DIR}")
add_dependencies(lmx_integration_tests lmx-node lmx)
if(TARGET lmx_python)
  add_dependencies(lmx_integration_tests lmx_python)
endif()
gtest_discover_tests(lmx_integration_tests DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
