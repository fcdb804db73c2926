#!/usr/bin/env bash
# Build the C kernels (every ISA the compiler supports) with AddressSanitizer and UBSan and run
# tests/c/kernel_check.c over them; -Werror keeps the kernels warning-free under -Wall -Wextra.
set -euo pipefail
cd "$(dirname "$0")/.."
CC=${CC:-cc}
out=${SANITIZE_DIR:-build/sanitize}
mkdir -p "$out"
common=(-std=c11 -O2 -g -Wall -Wextra -Werror -ffp-contract=off -fno-math-errno -fno-trapping-math
        -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Icsrc)
objs=()
defs=()
declare -A isa_flags=([baseline]="" [avx2]="-mavx2 -mfma" [avx512]="-mavx512f -mavx512dq -mavx512vl -mfma")
for isa in baseline avx2 avx512; do
  case "$(uname -m)" in x86_64|amd64|i?86) ;; *) [ "$isa" = baseline ] || continue ;; esac
  # shellcheck disable=SC2086
  if $CC "${common[@]}" ${isa_flags[$isa]} -DFA_ISA=$isa -c csrc/fa_kernels.c -o "$out/k_$isa.o"; then
    objs+=("$out/k_$isa.o")
    [ "$isa" = baseline ] || defs+=("-DFA_HAVE_${isa^^}")
  fi
done
$CC "${common[@]}" "${defs[@]}" csrc/fa_dispatch.c tests/c/kernel_check.c "${objs[@]}" -lm -o "$out/kernel_check"
ASAN_OPTIONS=detect_leaks=1 "$out/kernel_check"
