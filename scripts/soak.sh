#!/usr/bin/env bash
# Soak run: FRAMES (default 100,000) frames of 256x256 through the bridge, once against the real
# effects host (ONNX Runtime, the invert pack) and once against the C fake host. The OBS-side process
# is sfx-bridge-peer, which runs the shim's own host-link code; it samples its resident memory
# (/proc/self/statm) and the host's (/proc/<pid>/status VmRSS) every 10,000 frames and fails when
# either grew by more than LIMIT_KB (default 1024) after the first 10% of the frames.
# Needs scripts/build.sh first. Usage: scripts/soak.sh [FRAMES] [LIMIT_KB]
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

frames=${1:-100000}
limit_kb=${2:-1024}
cmake_dir="${SFX_CMAKE_DIR:-$BUILD_DIR/cmake}" # the CMake build tree (scripts/build.sh makes build/cmake)
peer="$cmake_dir/tests/native/sfx-bridge-peer"
fake="$cmake_dir/tests/native/sfx-fake-host"
host="$BUILD_DIR/host/streamfx-host"
models="$BUILD_DIR/models/invert"
for f in "$peer" "$fake" "$host" "$models/manifest.json"; do
	[ -e "$f" ] || die "$f is missing: run scripts/build.sh first"
done
every=$((frames / 10))

run() { # name, then sfx-bridge-peer arguments
	local name=$1; shift
	log "soak ($name): $frames frames of 256x256"
	local started; started=$(date +%s)
	"$peer" --frames "$frames" --width 256 --height 256 --rss-every "$every" --max-rss-growth-kb "$limit_kb" "$@" ||
		die "soak ($name) failed"
	log "soak ($name): passed in $(( $(date +%s) - started )) s"
}

run real-host --host "$host" --wait-ready --configure "{\"model_dir\":\"$models\"}"
run fake-host --host "$fake"
