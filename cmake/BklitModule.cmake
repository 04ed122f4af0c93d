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
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 600)
endfunction()
