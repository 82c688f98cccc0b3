#!/usr/bin/env bash
# The paper-style table (issue: quality benchmark): per-method learning-rate sweeps on seed 1, then every method
# over several seeds for 10% random forgetting and for one class-wise setting. Every stage is resumable (models
# are cached by configuration, each (method, seed) run is a file), so rerun the same command after a stop.
#
#   bench/protocol/run.sh sweeps        # tune each method's lr (IU: alpha) by Avg.Gap → recipes/*.json
#   bench/protocol/run.sh extend        # only the upward extensions of grids whose winner sat at the top
#   bench/protocol/run.sh random        # the random-forgetting table (SEEDS seeds)
#   bench/protocol/run.sh classwise     # the class-wise table (class CLASS)
#
# SCALE=full follows shared/PROTOCOL.md exactly (54,000 training images, batch 256: hours per seed on 2 cores).
# SCALE=reduced (default) is the same protocol on a seeded 4,000-image subset (3,600 train / 400 validation,
# 2,000 test images) with batch 64 for the original and retrain models, so that they still memorise their
# training set in the same 20 epochs (with batch 256 a 3,600-image epoch is only 14 steps: train 91.4% vs
# validation 88.3% after 20 epochs, too small a gap to measure unlearning); unlearning recipes keep batch 256.
set -euo pipefail
cd "$(dirname "$0")/../.."
SCALE=${SCALE:-reduced}
SEEDS=${SEEDS:-3}
CLASS=${CLASS:-1}
OUT=${OUT:-bench/out/protocol-$SCALE}
export LETHE_CACHE=${LETHE_CACHE:-.cache/lethe}
if [ "$SCALE" = reduced ]; then
  DATA=(--model resnet20 --train-size 4000 --test-size 2000 --batch-size 64)
else
  DATA=(--model resnet20)
fi
lethe() { node bin/lethe "$@"; }
mkdir -p "$OUT"

# method  grid  points   (the grid brackets the reference value; GA, SEMU, BS and BE take few steps on D_f
# alone, so their grids reach well above the CIFAR references; FT and l1-sparse improved monotonically up to
# 0.03 in a first reduced sweep, and IU's alpha 0.5 won at the bottom of 0.5:20, so their grids are moved)
SWEEPS=(
  "ft        --lr 1e-2:1e-1    3"
  "rl        --lr 3e-3:3e-2    3"
  "l1-sparse --lr 1e-2:1e-1    3"
  "ga        --lr 3e-4:3e-2    3"
  "iu        --range 0.2:5     4"
  "salun     --lr 3e-3:3e-2    3"
  "cufg      --lr 3e-3:3e-2    3"
  "semu      --lr 1e-4:1e-2    3"
  "bs        --lr 1e-5:1e-3    3"
  "be        --lr 1e-5:1e-3    3"
  "salun-soft --lr 3e-3:3e-2   3"
  "ufg       --lr 3e-3:3e-2    3"
  "scrub     --lr 1e-4:2e-3    3"
)
# When a winner sits at the top of its grid, a second sweep extends it upward; lethe sweep merges the new
# trials with the recipe's earlier ones (same protocol, reference and options) and keeps the best of all.
EXTEND=(
  "ga        --lr 1e-1:3e-1    2"
)

sweep_all() { # name, lines...
  local tag=$1; shift
  for line in "$@"; do
    read -r method flag range points <<<"$line"
    if [ -n "${ONLY:-}" ] && [[ ",$ONLY," != *",$method,"* ]]; then continue; fi
    lethe sweep --method "$method" "${DATA[@]}" "$flag" "$range" --points "$points" --out "$OUT/sweeps$tag/$method" | tee "$OUT/sweep$tag-$method.txt"
  done
}

case "${1:-}" in
  sweeps)
    sweep_all "" "${SWEEPS[@]}"
    sweep_all "-extend" "${EXTEND[@]}"
    ;;
  extend)
    sweep_all "-extend" "${EXTEND[@]}"
    ;;
  random)
    lethe bench "${DATA[@]}" --forget random:0.1 --methods "${METHODS:-all}" --seeds "$SEEDS" --seed "${FIRST_SEED:-1}" --out "$OUT/random"
    ;;
  classwise)
    lethe bench "${DATA[@]}" --forget "class:$CLASS" --methods "${METHODS:-all}" --seeds "$SEEDS" --seed "${FIRST_SEED:-1}" --out "$OUT/class$CLASS"
    ;;
  *)
    echo "usage: [SCALE=reduced|full] [SEEDS=3] [CLASS=1] [ONLY=m1,m2] [METHODS=all] bench/protocol/run.sh sweeps|extend|random|classwise" >&2
    exit 2
    ;;
esac
