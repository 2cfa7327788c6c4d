# fuzz.cmake: libFuzzer targets for the readers of src/ingest, included
# from the top CMakeLists.txt. They need clang (-fsanitize=fuzzer); the rest
# of muster builds with the default compiler, so the targets are built by
# a custom command that calls clang on the reader sources directly.
#
#   fuzz_csv, fuzz_ndjson   one target per reader
#   ctest: fuzz/csv, fuzz/ndjson run each for FUZZ_TEST_SECONDS (make test)
#   make fuzz               runs each for FUZZ_SECONDS (see the Makefile)
find_program(FUZZ_CLANG NAMES clang clang-14)
set(FUZZ_TEST_SECONDS 3 CACHE STRING "seconds each fuzz target runs under ctest")
if(FUZZ_CLANG)
  set(FUZZ_SRC ${CMAKE_SOURCE_DIR}/src/ingest/reader.c
               ${CMAKE_SOURCE_DIR}/src/ingest/csv.c
               ${CMAKE_SOURCE_DIR}/src/ingest/ndjson.c
               ${CMAKE_SOURCE_DIR}/src/util/err.c)
  foreach(reader csv ndjson)
    set(bin ${CMAKE_BINARY_DIR}/fuzz_${reader})
    add_custom_command(
      OUTPUT ${bin}
      COMMAND ${FUZZ_CLANG} -std=c11 -g -O1 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
              -I${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/fuzz/fuzz_${reader}.c
              ${FUZZ_SRC} -o ${bin} ${CSV_LIB} -ljansson -lsodium
      DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/fuzz_${reader}.c
              ${CMAKE_SOURCE_DIR}/fuzz/fuzz_reader.h ${FUZZ_SRC}
              ${CMAKE_SOURCE_DIR}/src/ingest/ingest.h
              ${CMAKE_SOURCE_DIR}/src/ingest/ingest_int.h
      COMMENT "libFuzzer target fuzz_${reader}")
    add_custom_target(fuzz_${reader}_bin ALL DEPENDS ${bin})
    file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz-corpus/${reader})
    add_test(NAME fuzz/${reader}
             COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
                     ${bin} -max_total_time=${FUZZ_TEST_SECONDS} -max_len=4096
                     -rss_limit_mb=1024 ${CMAKE_BINARY_DIR}/fuzz-corpus/${reader}
                     ${CMAKE_SOURCE_DIR}/fuzz/corpus/${reader})
    set_tests_properties(fuzz/${reader} PROPERTIES TIMEOUT 120)
  endforeach()
else()
  message(STATUS "clang not found: the fuzz targets are not built")
endif()
