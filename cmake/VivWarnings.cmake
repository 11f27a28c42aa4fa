# Warning and sanitizer flags for every target of ours: viv_target_flags(<target>).
set(VIV_WARNING_FLAGS -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes -Wno-unused-parameter)
if(VIV_WERROR)
  list(APPEND VIV_WARNING_FLAGS -Werror)
endif()

# Floating-point contraction (fused multiply-add) would make random draws differ between
# machines; vivarium promises bit-identical runs, so it is off everywhere.
set(VIV_FP_FLAGS -ffp-contract=off)
# Exported functions may be inlined into their callers inside the library (a user cannot
# interpose them anyway: every symbol is ours), which matters for the per-event calls.
include(CheckCCompilerFlag)
check_c_compiler_flag(-fno-semantic-interposition VIV_HAVE_NO_SEM_INTERPOSITION)
if(VIV_HAVE_NO_SEM_INTERPOSITION)
  list(APPEND VIV_FP_FLAGS -fno-semantic-interposition)
endif()

if(VIV_SANITIZE)
  set(VIV_SAN_FLAGS -fsanitize=${VIV_SANITIZE} -fno-omit-frame-pointer
      -fno-sanitize-recover=all)
endif()

function(viv_target_flags target)
  target_compile_options(${target} PRIVATE ${VIV_WARNING_FLAGS} ${VIV_FP_FLAGS}
                         ${VIV_SAN_FLAGS})
  if(VIV_SAN_FLAGS)
    target_link_options(${target} PRIVATE ${VIV_SAN_FLAGS})
  endif()
endfunction()
