#!/usr/bin/env bash
# The portable (baseline) kernels, the dispatcher and the thread pool cross-compiled for aarch64
# with Debian's gcc-aarch64-linux-gnu and run under qemu-user: tests/c/kernel_check.c (every
# function x mode x dtype, sizes 0..67 and pool-sized, misaligned starts, in place, 2..5
# threads bit for bit, concurrent callers, and the ULP bounds against long double), plus a
# check of the disassembly that the loops use NEON (SIMD on v registers).
#
#   bash tools/test_aarch64.sh        (make test-aarch64)
#
# Installs the toolchain and qemu with apt-get when they are missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."
CROSS=${CROSS:-aarch64-linux-gnu-}
out=${AARCH64_DIR:-build/aarch64}
mkdir -p "$out"

if ! command -v "${CROSS}gcc" >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-aarch64-linux-gnu qemu-user >/dev/null
  else
    echo "need ${CROSS}gcc and qemu-aarch64: apt-get install gcc-aarch64-linux-gnu qemu-user" >&2
    exit 1
  fi
fi

# the kernel flags of setup.py (baseline: no ISA flags; NEON is part of armv8-a)
flags=(-std=c11 -O3 -ffp-contract=off -fno-math-errno -fno-trapping-math -Wall -Wextra -Werror
       -pthread -Icsrc)
"${CROSS}gcc" "${flags[@]}" -DFA_ISA=baseline -c csrc/fa_kernels.c -o "$out/fa_kernels.o"
extra=()
[ -f csrc/fa_structured.c ] && extra+=(csrc/fa_structured.c)
[ -f csrc/fa_api.c ] && extra+=(csrc/fa_api.c)  # the strided runner kernel_check drives
"${CROSS}gcc" "${flags[@]}" -static csrc/fa_dispatch.c csrc/fa_parallel.c "${extra[@]}" \
    tests/c/kernel_check.c "$out/fa_kernels.o" -lm -o "$out/kernel_check"

# NEON: count vector arithmetic/compare/select on v registers and 128-bit q loads/stores; the loops of every
# function's float32 and float64 forward kernels must have some
"${CROSS}objdump" -d --no-show-raw-insn "$out/fa_kernels.o" > "$out/fa_kernels.dis"
awk '
  /^[0-9a-f]+ <.*>:$/ { name = $2; gsub(/[<>:]/, "", name); next }
  name != "" && /\tf(add|sub|mul|div|max|min|cm[a-z]+|abs|neg|cvt[a-z]*|mla|mls|sqrt)\tv[0-9]+\.(4s|2d)/ { neon[name]++ }
  name != "" && /\t(bsl|bit|bif|and|orr|eor)\tv[0-9]+\.16b/ { neon[name]++ }
  name != "" && /\t(ldr|str|ldp|stp)\tq[0-9]+/ { neon[name]++ }  # identity: 128-bit copies
  END { for (n in neon) print neon[n], n }' "$out/fa_kernels.dis" | sort -k2 > "$out/neon_counts.txt"
nfun=$(wc -l < "$out/neon_counts.txt")
total=$(awk '{ s += $1 } END { print s + 0 }' "$out/neon_counts.txt")
echo "[aarch64] NEON: $total vector float instructions in $nfun kernel functions ($out/neon_counts.txt)"
missing=0
for fn in $(sed -n 's/^    X(\([a-z0-9_]*\), [01]).*/\1/p' csrc/fastact.h); do
  for dt in f32 f64; do
    if ! grep -Eq "[_ ]${fn}[_a-z0-9]*forward[_a-z0-9]*${dt}|[_ ]${fn}[_a-z0-9]*${dt}[_a-z0-9]*forward" "$out/neon_counts.txt"; then
      echo "  no NEON vector code found for ${fn} forward ${dt}" >&2
      missing=$((missing + 1))
    fi
  done
done

echo "[aarch64] kernel_check under qemu-aarch64"
timeout 1200 qemu-aarch64 "$out/kernel_check"
if [ "$missing" -gt 0 ]; then
  echo "[aarch64] $missing kernels without NEON code (see $out/fa_kernels.dis)" >&2
  exit 1
fi
