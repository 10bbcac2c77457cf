#!/usr/bin/env bash
# Runs every benchmark once, side by side with its baseline, and writes docs/benchmarks.md and
# docs/img/bench-*.png from the results (raw samples stay in build/bench/results/):
#   1. bridge round trip vs two memcpy (C shim code + the real C# host, identity)
#   2. the filter's graphics-thread cost in headless libobs (no host, identity host, 100 ms host)
#   3. host pre/post-processing vs memcpy bandwidth (BenchmarkDotNet)
#   4. latency in frames of the shown output
#   5. the diffusion pipeline per stage on the CPU with the synthetic pack
#   6. the architecture pack (real SD-Turbo / OpenCLIP / TAESD graphs, width scale 0.25) per stage at 256x256
# SFX_BENCH_SKIP_BUILD=1 reuses build/ as it is (otherwise scripts/build.sh runs first).
# SFX_BENCH_ONLY=architecture runs case 6 alone and replaces its section of docs/benchmarks.md.
# Benchmarks never fail on timings; the script fails only when a run breaks.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
started=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

ARCH_BEGIN="<!-- bench:architecture:begin -->"
ARCH_END="<!-- bench:architecture:end -->"
# Case 6: generates the pack (about 10 s), times steps 1 and 2 with each cfg_type through the real pipeline
# (streamfx-pipeline-probe on the CPU provider), and writes $1/architecture.md (the section for benchmarks.md).
architecture_case() {
	local results="$1" scale=0.25 side=256 frames=20
	local pack="$BUILD_DIR/models/architecture-$scale-$side" probe_dir="$BUILD_DIR/bench/probe"
	log "6. architecture pack on the CPU (width scale $scale, ${side}x${side})"
	dotnet build managed/StreamFx.ModelPack.Tool -c Release -nologo -v quiet -o "$BUILD_DIR/modelpack-tool" >/dev/null ||
		die "pack tool build failed"
	dotnet build tests/gpu/StreamFx.PipelineProbe -c Release -nologo -v quiet -o "$probe_dir" >"$results/probe-build.log" 2>&1 ||
		{ cat "$results/probe-build.log"; die "probe build failed"; }
	rm -rf "$pack"
	"$BUILD_DIR/modelpack-tool/streamfx-modelpack" pack --variant architecture --dtype float32 --width-scale "$scale" \
		--resolution "$side" --out "$pack" >"$results/architecture-pack.log"
	timeout --kill-after=10 900 "$probe_dir/streamfx-pipeline-probe" --model-dir "$pack" --provider cpu --frames "$frames" \
		--size "${side}x${side}" --resolution "$side" --steps 1,2 --cfg all >"$results/architecture.log" 2>&1 ||
		{ tail -n 30 "$results/architecture.log" >&2; die "architecture benchmark failed (log: $results/architecture.log)"; }
	local unet_params
	unet_params=$(sed -n 's/^parameters unet: \([0-9]*\).*/\1/p' "$results/architecture-pack.log")
	{
		echo "$ARCH_BEGIN"
		echo "## 6. Architecture pack on the CPU (real SD-Turbo graph shapes, width scale $scale)"
		echo
		echo "\`streamfx-modelpack pack --variant architecture --width-scale $scale --dtype float32\` builds the real SD-Turbo UNet,"
		echo "OpenCLIP ViT-H text encoder and TAESD graphs with every width scaled by $scale (UNet $unet_params parameters; at"
		echo "scale 1 it has 865,910,724) and random weights (noise output). \`streamfx-pipeline-probe\` runs it through"
		echo "\`StreamDiffusionEffect\` on the CPU provider at ${side}x${side}, steps and cfg_type switched live; $frames frames after 5"
		echo "warm-up frames each. $(date -u '+%Y-%m-%d %H:%M') UTC, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores,"
		echo "load $(cut -d' ' -f1-3 /proc/loadavg) at the end."
		echo
		echo "| steps | cfg_type | UNet batch | total p50 / p95 | pre p50 / p95 | encode p50 / p95 | UNet p50 / p95 | decode p50 / p95 | post p50 / p95 |"
		echo "|---|---|---|---|---|---|---|---|---|"
		awk '
			/^frames=/ { for (i = 1; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }; row = "| " kv["steps"] " | " kv["cfg"] " | " kv["unet_batch"]; next }
			/^(total|pre|encode|unet|decode|post) / {
				for (i = 2; i <= NF; i++) { if ($i ~ /^p50=/) a = substr($i, 5); if ($i ~ /^p95=/) b = substr($i, 5) }
				row = row " | " a " / " b; if ($1 == "post") print row " |"; next }' "$results/architecture.log"
		echo
		echo "All times in milliseconds."
		echo "$ARCH_END"
	} >"$results/architecture.md"
}

# Puts the architecture section into docs/benchmarks.md (replacing an earlier one).
architecture_into_docs() {
	local section="$1" page="$REPO_ROOT/docs/benchmarks.md"
	if grep -qF "$ARCH_BEGIN" "$page"; then
		awk -v b="$ARCH_BEGIN" -v e="$ARCH_END" -v f="$section" '
			$0 == b { while ((getline line < f) > 0) print line; skip = 1; next }
			$0 == e { skip = 0; next }
			!skip { print }' "$page" >"$page.new"
		mv "$page.new" "$page"
	else
		{ echo; cat "$section"; } >>"$page"
	fi
}

if [ "${SFX_BENCH_ONLY:-}" = architecture ]; then
	mkdir -p "$BUILD_DIR/bench/results-architecture"
	architecture_case "$BUILD_DIR/bench/results-architecture"
	architecture_into_docs "$BUILD_DIR/bench/results-architecture/architecture.md"
	cat "$BUILD_DIR/bench/results-architecture/architecture.md"
	log "done in $(($(date +%s) - started)) s"
	exit 0
fi

if [ "${SFX_BENCH_SKIP_BUILD:-0}" != 1 ]; then
	"$REPO_ROOT/scripts/build.sh"
fi
HOST="$BUILD_DIR/host/streamfx-host"
BENCH_C="$BUILD_DIR/cmake/tests/bench"
MODULE="$BUILD_DIR/cmake/native-shim/streamfx-obs.so"
DATA="$BUILD_DIR/cmake/native-shim/data"
for f in "$HOST" "$BENCH_C/sfx-bench-roundtrip" "$BENCH_C/sfx-bench-slow-host" "$BENCH_C/sfx-bench-obs" "$MODULE" \
	"$BUILD_DIR/models/default/manifest.json" "$BUILD_DIR/models/invert/manifest.json"; do
	[ -e "$f" ] || die "missing $f (run scripts/build.sh)"
done

log "building the managed benchmarks"
dotnet build tests/bench/StreamFx.Benchmarks -c Release -nologo -v quiet -o "$BUILD_DIR/bench/managed" \
	>"$BUILD_DIR/bench-build.log" 2>&1 || { cat "$BUILD_DIR/bench-build.log"; die "managed benchmarks build failed"; }
BENCH_CS="$BUILD_DIR/bench/managed/streamfx-bench"

RESULTS="$BUILD_DIR/bench/results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"

# Runs a benchmark with a time limit, its output kept in $RESULTS/<name>.log.
run() {
	local name="$1" limit="$2"
	shift 2
	log "  $name"
	if ! timeout --kill-after=10 "$limit" "$@" >"$RESULTS/$name.log" 2>&1; then
		tail -n 30 "$RESULTS/$name.log" >&2
		die "benchmark '$name' failed (log: $RESULTS/$name.log)"
	fi
	grep -E "^$name|^streamfx-bench|ratio" "$RESULTS/$name.log" | grep -v -- "-part-" >&2 || true
}

log "1. bridge round trip (real host, identity) vs two memcpy"
run rt512 120 "$BENCH_C/sfx-bench-roundtrip" --host "$HOST" --width 512 --height 512 --frames 10000 \
	--out "$RESULTS" --name rt512
run rt1080 240 "$BENCH_C/sfx-bench-roundtrip" --host "$HOST" --width 1920 --height 1080 --frames 10000 \
	--out "$RESULTS" --name rt1080

log "2. filter cost on OBS's graphics thread (headless libobs, 1920x1080 at 60 fps)"
# libobs needs an X display: the caller's, else a private Xvfb (as lib.sh's with_display, but as a
# command that `timeout` can run).
display=()
[ -n "${DISPLAY:-}" ] || display=(xvfb-run -a -s "-screen 0 1280x720x24")
obs_bench() {
	local name="$1"
	shift
	run "$name" 300 "${display[@]}" "$BENCH_C/sfx-bench-obs" --module "$MODULE" --data "$DATA" --out "$RESULTS" \
		--name "$name" --size 1920x1080 --fps 60 --resolution 512 "$@"
}
obs_bench obs-nofilter --config no-filter --shown-frames no --frames 900
obs_bench obs-nohost --config filter --host none --shown-frames no --frames 900
obs_bench obs-identity --config filter --host "$HOST" --shown-frames no --frames 900
SFX_BENCH_HOST_DELAY_MS=100 obs_bench obs-slow --config filter --host "$BENCH_C/sfx-bench-slow-host" \
	--shown-frames no --frames 900
# The baseline again, last: software rendering on a shared machine drifts, this shows by how much.
obs_bench obs-nofilter-again --config no-filter --shown-frames no --frames 900

log "4. latency in frames of the shown output"
obs_bench lag-identity --config filter --host "$HOST" --shown-frames yes --frames 600
obs_bench lag-invert --config filter --host "$HOST" --model-dir "$BUILD_DIR/models/invert" --shown-frames yes \
	--frames 600

log "3. host pre/post-processing vs memcpy (BenchmarkDotNet)"
run prepost 300 "$BENCH_CS" prepost --out "$RESULTS"

log "5. diffusion pipeline on the CPU (synthetic pack)"
run pipeline 300 "$BENCH_CS" pipeline --pack "$BUILD_DIR/models/default" --out "$RESULTS" --frames 100 --warmup 10

architecture_case "$RESULTS"

log "machine facts"
gl=$(grep -m1 -o "OpenGL on adapter .*" "$RESULTS/obs-identity.log" | sed "s/^OpenGL on adapter //" || true)
gpu="none"
command -v nvidia-smi >/dev/null 2>&1 && gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- native-shim managed tests scripts 2>/dev/null || commit="$commit (with uncommitted changes in the tree)"
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M')"
	echo "commit=$commit"
	echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
	echo "cores=$(nproc)"
	echo "ram=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "kernel=$(uname -r)"
	echo "dotnet=$(dotnet --version)"
	echo "gcc=$(gcc -dumpfullversion)"
	echo "libobs=$(pkg-config --modversion libobs 2>/dev/null || echo '?')"
	echo "gl=${gl:-?}"
	echo "gpu=$gpu"
	echo "load=$load_before at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (1/5/15-minute load averages)"
} >"$RESULTS/machine.txt"

log "writing docs/benchmarks.md and docs/img/bench-*.png"
"$BENCH_CS" report --results "$RESULTS" --docs "$REPO_ROOT/docs"
architecture_into_docs "$RESULTS/architecture.md"
log "done in $(($(date +%s) - started)) s"
