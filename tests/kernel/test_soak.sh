#!/usr/bin/env bash
# The soak (scripts/soak.sh, docs/PERFORMANCE.md) in one minute: the same
# run as `make soak`, shorter and denser (a leak every 4 s, logrotate
# every 15 s, samples every 5 s, passes every 10 s), with the same checks:
# every leak named live within 10 s, no false finding at any moment, the
# batch verdicts equal to the last live ones, nothing lost, memory flat.
# One minute is shorter than the correlator's warm-up (the TIME_WAIT
# minute of the churn, whose ends it holds): its memory check here is a
# bound, no more than 2 MB of growth from the first third to the last
# (about 1.2 MB at 20 connections/s); `make soak` shows the plateau.
# Its figures are printed as # lines.
export SOAK_DURATION=${SOAK_DURATION:-60}
export SOAK_LEAK_EVERY=${SOAK_LEAK_EVERY:-4}
export SOAK_ROTATE_EVERY=${SOAK_ROTATE_EVERY:-15}
export SOAK_SAMPLE_EVERY=${SOAK_SAMPLE_EVERY:-5}
export SOAK_SNAPSHOT_EVERY=${SOAK_SNAPSHOT_EVERY:-10s}
export SOAK_WARMUP=${SOAK_WARMUP:-0}
export SOAK_FLAT_MIN_KB=${SOAK_FLAT_MIN_KB:-2048}
export SOAK_OUT=${SOAK_OUT-}
exec bash "$(dirname "$0")/../../scripts/soak.sh"
