#!/usr/bin/env bash
# Build tools/round_sweep.c against the kernels of every ISA and prove float32 hard_sigmoid and
# hardswish correctly rounded over all 2^32 inputs:  bash tools/round_sweep.sh [function ...]
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/round_sweep
mkdir -p "$out"
flags=(-std=c11 -O3 -ffp-contract=off -fno-math-errno -fno-trapping-math -Wall -Wextra -Icsrc)
objs=() defs=()
declare -A isa_flags=([baseline]="" [avx2]="-mavx2 -mfma -mf16c" [avx512]="-mavx512f -mavx512dq -mavx512vl -mfma -mf16c")
for isa in baseline avx2 avx512; do
  # shellcheck disable=SC2086
  nice -n 10 cc "${flags[@]}" ${isa_flags[$isa]} -DFA_ISA=$isa -c csrc/fa_kernels.c -o "$out/k_$isa.o" &
  objs+=("$out/k_$isa.o")
  [ "$isa" = baseline ] || defs+=("-DFA_HAVE_${isa^^}")
done
wait
cc "${flags[@]}" -std=gnu11 "${defs[@]}" tools/round_sweep.c csrc/fa_dispatch.c "${objs[@]}" -lm -o "$out/round_sweep"
exec nice -n 10 "$out/round_sweep" "$@"
