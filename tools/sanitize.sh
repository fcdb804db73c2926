#!/usr/bin/env bash
# Build the C kernels (every ISA the compiler supports) and the thread pool with
# AddressSanitizer + UBSan, then with ThreadSanitizer, and run tests/c/kernel_check.c over them.
# -Werror keeps the C code warning-free under -Wall -Wextra.
set -euo pipefail
cd "$(dirname "$0")/.."
CC=${CC:-cc}
out=${SANITIZE_DIR:-build/sanitize}
mkdir -p "$out"
base=(-std=c11 -O2 -g -Wall -Wextra -Werror -ffp-contract=off -fno-math-errno -fno-trapping-math
      -fno-omit-frame-pointer -pthread -Icsrc)
declare -A isa_flags=([baseline]="" [avx2]="-mavx2 -mfma -mf16c" [avx512]="-mavx512f -mavx512dq -mavx512vl -mfma -mf16c")

build_and_run() {  # $1: name, $2...: sanitizer flags
  local name=$1; shift
  local objs=() defs=() isas=() pids=()
  for isa in baseline avx2 avx512; do
    case "$(uname -m)" in x86_64|amd64|i?86) ;; *) [ "$isa" = baseline ] || continue ;; esac
    # the ISA instances are independent compiler runs: all at once
    # shellcheck disable=SC2086
    $CC "${base[@]}" "$@" ${isa_flags[$isa]} -DFA_ISA=$isa -c csrc/fa_kernels.c -o "$out/k_${name}_$isa.o" 2>"$out/k_${name}_$isa.log" &
    isas+=("$isa"); pids+=($!)
  done
  for i in "${!isas[@]}"; do
    isa=${isas[$i]}
    if wait "${pids[$i]}"; then
      objs+=("$out/k_${name}_$isa.o")
      [ "$isa" = baseline ] || defs+=("-DFA_HAVE_${isa^^}")
    elif [ "$isa" = baseline ]; then
      cat "$out/k_${name}_$isa.log" >&2; return 1
    fi
  done
  $CC "${base[@]}" "$@" "${defs[@]}" csrc/fa_dispatch.c csrc/fa_parallel.c csrc/fa_api.c tests/c/kernel_check.c \
      "${objs[@]}" -lm -o "$out/kernel_check_$name"
  echo "[$name]"
  # timeout: a deadlock in the pool fails instead of hanging CI; setarch -R: TSan refuses to
  # start under the high mmap randomisation of some kernels
  local norand=()
  if command -v setarch >/dev/null && setarch "$(uname -m)" -R true 2>/dev/null; then
    norand=(setarch "$(uname -m)" -R)
  fi
  timeout 300 "${norand[@]}" "$out/kernel_check_$name"
}

ASAN_OPTIONS=detect_leaks=1 build_and_run asan-ubsan -fsanitize=address,undefined -fno-sanitize-recover=all
TSAN_OPTIONS=halt_on_error=1 build_and_run tsan -fsanitize=thread
