#!/usr/bin/env bash
# Soak run: FRAMES (default 100,000) frames of 256x256 through the bridge, once against the real
# effects host (ONNX Runtime, the invert pack) and once against the C fake host. The OBS-side process
# is sfx-bridge-peer, which runs the shim's own host-link code; it samples its resident memory
# (/proc/self/statm) and the host's (/proc/<pid>/status VmRSS) every 10,000 frames and fails when
# either grew by more than LIMIT_KB (default 1024) after the first 10% of the frames. Each run must
# end in sfx-bridge-peer's verdict "result=PASS" (every condition: frames, pixels, sequences, no
# restart, memory) and exit 0. Before the long runs, a short one with a deliberate leak of 4 KiB per
# frame (--leak-kb-per-frame) must FAIL the same limit for "rss": a soak whose check cannot fail
# proves nothing.
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
	local out="$BUILD_DIR/logs/soak-$name.log"
	mkdir -p "$BUILD_DIR/logs"
	local rc=0
	"$peer" --frames "$frames" --width 256 --height 256 --rss-every "$every" --max-rss-growth-kb "$limit_kb" "$@" \
		| tee "$out" || rc=$?
	[ "$rc" -eq 0 ] && grep -qx 'result=PASS' "$out" || die "soak ($name) failed: $(grep '^result=' "$out" || echo "no verdict")"
	log "soak ($name): passed in $(( $(date +%s) - started )) s"
}

# The check must be able to fail: 4 KiB leaked per frame over 1,800 frames is 7 MiB, past any
# LIMIT_KB below that.
control_frames=2000
control_limit=$(( limit_kb < 4096 ? limit_kb : 4096 ))
log "soak: negative control ($control_frames frames, 4 KiB leaked per frame, limit $control_limit KiB)"
control=$("$peer" --host "$fake" --frames "$control_frames" --width 256 --height 256 \
	--max-rss-growth-kb "$control_limit" --leak-kb-per-frame 4 2>&1) && die "soak: the leaking control passed: the memory check cannot fail"
grep -q '^result=FAIL failed=rss$' <<<"$control" || die "soak: the leaking control failed for another reason: $(grep '^result=' <<<"$control")"
log "soak: negative control failed as it must (result=FAIL failed=rss)"

run real-host --host "$host" --wait-ready --configure "{\"model_dir\":\"$models\"}"
run fake-host --host "$fake"
