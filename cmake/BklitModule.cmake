# bklit_module(NAME SOURCES a.cpp ... DEPS target ...)
# Declares the library target bklit_<NAME> with its public headers under
# src/<NAME>/include/bklit/<NAME>/ and everything else private.
function(bklit_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(bklit_${name} STATIC ${ARG_SOURCES})
  add_library(bklit::${name} ALIAS bklit_${name})
  target_include_directories(bklit_${name}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(bklit_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# bklit_unit_test(NAME DIR DEPS ...): one gtest executable per folder of tests/unit.
function(bklit_test_dir name dir)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  if(NOT srcs)
    return()
  endif()
  add_executable(${name} ${srcs})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
  target_compile_definitions(${name} PRIVATE
    BKLIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}" BKLIT_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # Disabled tests are benchmarks run by hand (see their comments): not CTest tests.
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_FILTER "-*.DISABLED_*"
                       PROPERTIES TIMEOUT 600)
endfunction()

# bklit_node_tests(PREFIX LABEL): one CTest test per *.test.mjs file of the calling folder,
# run with Node's test runner against the real bklit binary. These start servers that load
# the embedded engine (~0.5 GB) and may saturate both cores: one such file at a time.
function(bklit_node_tests prefix)
  find_program(BKLIT_NODE node REQUIRED)
  file(GLOB files CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.test.mjs)
  foreach(file ${files})
    get_filename_component(name ${file} NAME)
    string(REGEX REPLACE "\\.test\\.mjs$" "" name ${name})
    add_test(NAME ${prefix}_${name} COMMAND ${BKLIT_NODE} --test --test-reporter=spec ${file})
    set_tests_properties(${prefix}_${name} PROPERTIES
      ENVIRONMENT "BKLIT_BIN=$<TARGET_FILE:bklit>;NODE_PATH=${PROJECT_SOURCE_DIR}/node_modules"
      TIMEOUT 600
      RESOURCE_LOCK bklit_server_tests
      LABELS ${prefix})
  endforeach()
endfunction()
