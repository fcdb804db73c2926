#!/usr/bin/env bash
# Build tools/round_sweep.c against the kernels of every ISA and prove float32 hard_sigmoid and
# hardswish correctly rounded over all 2^32 inputs:  bash tools/round_sweep.sh [function ...]
exec env FA_SWEEP_PROGRAM=round_sweep bash "$(dirname "$0")/ulp_sweep.sh" "$@"
