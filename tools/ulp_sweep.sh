#!/usr/bin/env bash
# Build tools/ulp_sweep.c against the kernels of every ISA and sweep all 2^32 float32 inputs:
#   bash tools/ulp_sweep.sh [isa] [function ...]      (nice'd; about a minute per function and mode)
# (FA_SWEEP_PROGRAM=round_sweep builds and runs tools/round_sweep.c instead: tools/round_sweep.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
prog=${FA_SWEEP_PROGRAM:-ulp_sweep}
out=build/$prog
mkdir -p "$out"
flags=(-std=c11 -O3 -ffp-contract=off -fno-math-errno -fno-trapping-math -Wall -Wextra -Icsrc)
objs=() defs=()
declare -A isa_flags=([baseline]="" [avx2]="-mavx2 -mfma -mf16c" [avx512]="-mavx512f -mavx512dq -mavx512vl -mfma -mf16c")
for isa in baseline avx2 avx512; do
  # shellcheck disable=SC2086
  cc "${flags[@]}" ${isa_flags[$isa]} -DFA_ISA=$isa -c csrc/fa_kernels.c -o "$out/k_$isa.o"
  objs+=("$out/k_$isa.o")
  [ "$isa" = baseline ] || defs+=("-DFA_HAVE_${isa^^}")
done
# gnu11: round_sweep.c's __float128
cc "${flags[@]}" -std=gnu11 "${defs[@]}" "tools/$prog.c" csrc/fa_dispatch.c "${objs[@]}" -lm -o "$out/$prog"
exec nice -n 10 "$out/$prog" "$@"
