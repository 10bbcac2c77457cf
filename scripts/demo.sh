#!/usr/bin/env bash
# The main job: real OBS (libobs, headless under Xvfb) with the AI Diffusion filter on a generated
# moving test source, running the project's default model pack. Writes PNG frames and a stats
# line (frames in, frames returned, fps, latency) under out/. Fails when no processed frame was
# shown or the host was restarted.
#   scripts/demo.sh [seconds] [model folder]
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
seconds="${1:-5}"
model_dir="${2:-$BUILD_DIR/models/default}"

"$REPO_ROOT/scripts/build.sh"
[ -d "$model_dir" ] || die "model folder not found: $model_dir"

out="$REPO_ROOT/out"
rm -rf "$out"
mkdir -p "$out"
plugin="$BUILD_DIR/plugin/streamfx-obs"
log "running OBS headless for $seconds s with model $model_dir"
# The harness says result=PASS only when a processed frame was shown and the host never restarted.
status=0
with_display "$BUILD_DIR/cmake/tests/e2e/sfx-obs-harness" --mode demo --seconds "$seconds" --out "$out" \
	--module "$plugin/bin/64bit/streamfx-obs.so" --data "$plugin/data" \
	--host "$plugin/bin/64bit/streamfx-host" --model-dir "$model_dir" || status=$?
log "frames and stats written to $out"
cat "$out/stats.txt" 2>/dev/null || true
[ "$status" -eq 0 ] || die "demo failed (result=FAIL above): the effect was not shown, or the host restarted"
