# The way h2 reads must not change the run: `viv_bench tcp --fp 1` with --read copy
# (viv_tcp_recv), --read peek (viv_tcp_peek, viv_tcp_consume), --read count (the same,
# unread) and --write source (h1 sending from viv_tcp_send_source, h2 peeking) must print
# the same
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

# Each way: the name, then the write and read modes.
foreach(way "copy;copy;copy" "peek;copy;peek" "count;copy;count" "source;source;peek")
  list(GET way 0 name)
  list(GET way 1 write)
  list(GET way 2 read)
  execute_process(
    COMMAND "${VIV_BENCH}" tcp --bytes ${BYTES} --loss ${LOSS} --fp 1 --write ${write}
            --read ${read}
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err)
  string(STRIP "${out}" out)
  message(STATUS "${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "viv_bench tcp --write ${write} --read ${read} failed (${rc}): ${err}")
  endif()
  if(NOT out MATCHES " write=${write} read=${read} ")
    message(FATAL_ERROR "viv_bench tcp does not say write=${write} read=${read}")
  endif()
  if(NOT out MATCHES "fingerprint=([0-9a-f]+)")
    message(FATAL_ERROR "viv_bench tcp --write ${write} --read ${read} printed no fingerprint")
  endif()
  set(fp_${name} "${CMAKE_MATCH_1}")
endforeach()

foreach(name peek count source)
  if(NOT fp_copy STREQUAL fp_${name})
    message(FATAL_ERROR "the fingerprint depends on the way of writing or reading: "
                        "${fp_copy} (copy) vs ${fp_${name}} (${name})")
  endif()
endforeach()
message(STATUS "same fingerprint every way: ${fp_copy}")
