# The way h2 reads must not change the run: `viv_bench tcp --fp 1` with --read copy
# (viv_tcp_recv), --read peek (viv_tcp_peek, viv_tcp_consume) and --read count (the same,
# unread) must print the same
# fingerprint (viv_sim_fingerprint(): the same run, frame for frame). tcp.h promises it:
# taking the same amounts as viv_tcp_recv() gives the same run, segment for segment.
#
#   cmake -DVIV_BENCH=path/to/viv_bench -DBYTES=2000000 -DLOSS=0.01 -P tcp_read_fp.cmake
#
# Each run also fails on its own (viv_bench exits non-zero) unless every byte arrived (and,
# but for count, arrived intact).
foreach(var VIV_BENCH BYTES LOSS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "tcp_read_fp.cmake: -D${var}=... is required")
  endif()
endforeach()

foreach(read copy peek count)
  execute_process(
    COMMAND "${VIV_BENCH}" tcp --bytes ${BYTES} --loss ${LOSS} --fp 1 --read ${read}
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err)
  string(STRIP "${out}" out)
  message(STATUS "${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "viv_bench tcp --read ${read} failed (${rc}): ${err}")
  endif()
  if(NOT out MATCHES " read=${read} ")
    message(FATAL_ERROR "viv_bench tcp --read ${read} does not say read=${read}")
  endif()
  if(NOT out MATCHES "fingerprint=([0-9a-f]+)")
    message(FATAL_ERROR "viv_bench tcp --read ${read} printed no fingerprint")
  endif()
  set(fp_${read} "${CMAKE_MATCH_1}")
endforeach()

if(NOT fp_copy STREQUAL fp_peek OR NOT fp_copy STREQUAL fp_count)
  message(FATAL_ERROR "the fingerprint depends on the way of reading: "
                      "${fp_copy} (copy) vs ${fp_peek} (peek) vs ${fp_count} (count)")
endif()
message(STATUS "same fingerprint every way: ${fp_copy}")
