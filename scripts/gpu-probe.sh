#!/usr/bin/env bash
# The prepared probe for a lent GPU machine (issue 15): the architecture pack (real SD-Turbo UNet, OpenCLIP
# ViT-H text encoder, TAESD; random weights) timed per stage at 512x512, float16 and float32, with and
# without CUDA graphs. Steps:
#
#   scripts/gpu-probe.sh prepare
#       Here. NativeAOT-publishes the probe (tests/gpu/StreamFx.PipelineProbe) and the pack tool into
#       .device/bin (ignored), and splits ONNX Runtime's CUDA provider library (284 MB, too big for one
#       device call's 64 MiB) into gzip chunks .device/cuda/part-NN (60 MiB). Prints the device calls to make.
#   scripts/gpu-probe.sh receive
#       On the device, one call per chunk (carry .device/cuda/part-NN): keeps the chunk in .device/payload/,
#       which is ignored and so stays there while the machine is warm.
#   scripts/gpu-probe.sh run [--frames N]
#       On the device (carry .device/bin): joins the chunks beside libonnxruntime.so, finds the CUDA 13 /
#       cuDNN 9 libraries of the machine's Python packages, generates the architecture packs there (never
#       carried: 1.7 GB float16, 3.5 GB float32), times them and writes the "Architecture pack" section of
#       docs/benchmarks-gpu.md; copies the page and the raw log to $OUT (the log grows there as it runs).
#       Packs: float16, float32, and float16 with fused attention (com.microsoft MultiHeadAttention).
#   scripts/gpu-probe.sh run --cpu-dry-run
#       Here. The same sequence with the CPU provider, width scale 0.125, 64x64 and 2 frames, writing into
#       build/gpu-probe-dry/ (docs untouched): proves the script before device time is spent.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

DEVICE_DIR="$REPO_ROOT/.device"
BIN="$DEVICE_DIR/bin"
# 60 MiB: a call carries 64 MiB with the working tree (about 2.4 MB); 4 chunks for the 234 MB gzip.
CHUNK_BYTES=$((60 * 1024 * 1024))
BEGIN_MARK="<!-- gpu-probe:architecture:begin -->"
END_MARK="<!-- gpu-probe:architecture:end -->"

prepare() {
	command -v dotnet >/dev/null || die "dotnet is needed to publish the probe"
	rm -rf "$BIN" "$DEVICE_DIR/cuda"
	mkdir -p "$BIN" "$DEVICE_DIR/cuda"
	log "publishing the probe and the pack tool (NativeAOT, linux-x64)"
	dotnet publish tests/gpu/StreamFx.PipelineProbe -c Release -r linux-x64 -o "$BIN" -nologo -v quiet \
		>"$DEVICE_DIR/publish-probe.log" 2>&1 || { cat "$DEVICE_DIR/publish-probe.log"; die "probe publish failed"; }
	dotnet publish managed/StreamFx.ModelPack.Tool -c Release -r linux-x64 -p:PublishAot=true -o "$DEVICE_DIR/tool" -nologo -v quiet \
		>"$DEVICE_DIR/publish-tool.log" 2>&1 || { cat "$DEVICE_DIR/publish-tool.log"; die "pack tool publish failed"; }
	cp "$DEVICE_DIR/tool/streamfx-modelpack" "$BIN/"
	rm -f "$BIN"/*.dbg "$BIN"/*.pdb
	local cuda="$BIN/libonnxruntime_providers_cuda.so"
	[ -f "$cuda" ] || die "no $cuda after publishing (Microsoft.ML.OnnxRuntime.Gpu.Linux)"
	gzip -1 -c "$cuda" | split -b "$CHUNK_BYTES" -d -a 2 - "$DEVICE_DIR/cuda/part-"
	sha256sum "$cuda" | cut -d' ' -f1 >"$BIN/cuda-provider.sha256"
	rm -f "$cuda"
	log "bin: $(du -sh "$BIN" | cut -f1); CUDA provider in $(ls "$DEVICE_DIR/cuda" | wc -l) chunks of at most 60 MiB"
	grep -qx '/.device/' .gitignore || die ".device/ must be ignored"
	local n=0
	for part in "$DEVICE_DIR"/cuda/part-*; do
		echo "device run $((++n)): carry [\".device/cuda/$(basename "$part")\"], command: bash scripts/gpu-probe.sh receive"
	done
	echo "device run $((n + 1)): carry [\".device/bin\"], command: bash scripts/gpu-probe.sh run, timeout_s 590"
	echo "(one after another while the machine is warm; then copy the returned benchmarks-gpu.md into docs/)"
}

receive() {
	mkdir -p "$DEVICE_DIR/payload"
	local got=0
	for part in "$DEVICE_DIR"/cuda/part-*; do
		[ -f "$part" ] || continue
		cp "$part" "$DEVICE_DIR/payload/"
		got=$((got + 1))
	done
	[ "$got" -gt 0 ] || die "no .device/cuda/part-* was carried"
	ls -la "$DEVICE_DIR/payload"
}

# The machine's CUDA 13 / cuDNN 9 / cuBLAS libraries come with its Python packages (nvidia-*).
cuda_library_path() {
	local py dirs=""
	for py in /opt/torch/.venv/bin/python3 python3; do
		command -v "$py" >/dev/null 2>&1 || continue
		local root
		root=$("$py" -c 'import nvidia, os; print(os.path.dirname(list(nvidia.__path__)[0]))' 2>/dev/null) || continue
		dirs=$(find "$root/nvidia" -name 'lib*.so*' -printf '%h\n' 2>/dev/null | sort -u | tr '\n' ':')
		[ -n "$dirs" ] && break
	done
	printf '%s' "$dirs"
}

# Markdown tables from the raw log (lines the probe prints).
render() {
	local logfile="$1" title="$2"
	awk -v title="$title" '
		/^=== pack / { pack = $3 }
		/^frames=/ {
			delete kv; for (i = 1; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
			row = "| " pack " | " kv["provider"] " | " kv["steps"] " | " kv["cfg"] " | " kv["unet_batch"] " | " kv["frames"]
			next
		}
		/^(total|pre|encode|unet|decode|post) / {
			for (i = 2; i <= NF; i++) { if ($i ~ /^p50=/) p50 = substr($i, 5); if ($i ~ /^p95=/) p95 = substr($i, 5) }
			if ($1 == "total") row = row " | " p50 " / " p95; else row = row " | " p50
			next
		}
		/^fps_at_median=/ { rows[++n] = row " | " substr($1, 15) " |"; next }
		/^session=/ {
			delete kv; for (i = 1; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
			p50 = ""; p95 = ""
			for (i = 1; i <= NF; i++) { if ($i ~ /^p50=/) p50 = substr($i, 5); if ($i ~ /^p95=/) p95 = substr($i, 5) }
			srows[++m] = "| " pack " | " kv["session"] " | " kv["provider"] " | " kv["batch"] " | " kv["cuda_graph"] " | " kv["frames"] " | " kv["load_ms"] " | " p50 " / " p95 " | " kv["fps_at_p50"] " |"
		}
		/^attempt / { attempts[++a] = $0 }
		END {
			print "## " title "\n"
			print "### Per stage through the real pipeline (host-bound tensors between stages, no CUDA graph)\n"
			print "| pack | provider | steps | cfg | UNet batch | frames | total p50 / p95 | pre | encode | unet | decode | post | fps at p50 |"
			print "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
			for (i = 1; i <= n; i++) print rows[i]
			print "\nStage columns are p50 in milliseconds.\n"
			print "### One model alone on buffers bound once in the provider memory (with and without CUDA graph)\n"
			print "| pack | model | provider | batch | CUDA graph | frames | load ms | p50 / p95 ms | runs/s at p50 |"
			print "|---|---|---|---|---|---|---|---|---|"
			for (i = 1; i <= m; i++) print srows[i]
			if (a > 0) { print "\nProvider attempts (auto):\n"; for (i = 1; i <= a; i++) print "- `" attempts[i] "`" }
		}' "$logfile"
}

run_probe() {
	local dry=0 frames=30 session_frames=50
	while [ $# -gt 0 ]; do
		case "$1" in
		--cpu-dry-run) dry=1 ;;
		--frames) frames="$2"; session_frames="$2"; shift ;;
		*) die "unknown option $1" ;;
		esac
		shift
	done

	local probe tool work results provider scale size res batches graphs
	if [ "$dry" = 1 ]; then
		# Here: build (not publish) the two programs; CPU provider, tiny widths.
		results="$BUILD_DIR/gpu-probe-dry"
		work="$BUILD_DIR/gpu-probe-dry/work"
		rm -rf "$results"
		mkdir -p "$work"
		dotnet build tests/gpu/StreamFx.PipelineProbe -c Release -nologo -v quiet -o "$work/probe" >"$results/build.log" 2>&1 ||
			{ cat "$results/build.log"; die "probe build failed"; }
		dotnet build managed/StreamFx.ModelPack.Tool -c Release -nologo -v quiet -o "$work/tool" >>"$results/build.log" 2>&1 ||
			{ cat "$results/build.log"; die "pack tool build failed"; }
		probe="$work/probe/streamfx-pipeline-probe"
		tool="$work/tool/streamfx-modelpack"
		provider=cpu scale=0.125 size=64 res=64 frames=2 session_frames=3 batches=1,2 graphs=off
	else
		results="${OUT:-$DEVICE_DIR/results}"
		work=/tmp/streamfx-gpu-probe
		mkdir -p "$results" "$work"
		probe="$BIN/streamfx-pipeline-probe"
		tool="$BIN/streamfx-modelpack"
		[ -x "$probe" ] && [ -x "$tool" ] || die "carry .device/bin (scripts/gpu-probe.sh prepare)"
		if [ ! -f "$BIN/libonnxruntime_providers_cuda.so" ]; then
			ls "$DEVICE_DIR"/payload/part-* >/dev/null 2>&1 || die "no CUDA provider chunks in .device/payload (run 'receive' calls first)"
			cat "$DEVICE_DIR"/payload/part-* | gunzip >"$BIN/libonnxruntime_providers_cuda.so"
			[ "$(sha256sum "$BIN/libonnxruntime_providers_cuda.so" | cut -d' ' -f1)" = "$(cat "$BIN/cuda-provider.sha256")" ] ||
				die "the joined CUDA provider does not match its checksum (a chunk is missing)"
		fi
		export LD_LIBRARY_PATH="$(cuda_library_path)$BIN:${LD_LIBRARY_PATH:-}"
		provider=cuda scale=1 size=512 res=512 batches=1,2,3,4 graphs=off,on
	fi

	local raw="$results/gpu-probe.log" machine
	machine="date $(date -u '+%Y-%m-%d %H:%M') UTC; commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); "
	command -v nvidia-smi >/dev/null && machine+="GPU $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1); "
	machine+="CPU $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
	echo "$machine" >"$raw"
	# Both packs at once (each generator is single-threaded; the full-size float32 one took 136 s on 2 busy cores).
	# float16-fused: the UNet's attention as ONNX Runtime's MultiHeadAttention, as its optimised SD exports have it.
	log "generating the architecture packs (float16, float32, float16-fused; width scale $scale) on this machine"
	local variant
	for variant in float16 float32 float16-fused; do
		rm -rf "$work/arch-$variant"
		local attention=plain
		[ "$variant" = float16-fused ] && attention=fused
		"$tool" pack --variant architecture --dtype "${variant%-fused}" --attention "$attention" --width-scale "$scale" \
			--resolution "$res" --out "$work/arch-$variant" >"$results/pack-$variant.log" 2>&1 &
	done
	wait -n && wait -n && wait -n || die "pack generation failed: $(cat "$results"/pack-*.log | tail -5)"
	cat "$results"/pack-float16.log "$results"/pack-float32.log "$results"/pack-float16-fused.log >>"$raw"
	for dtype in float16-fused float16 float32; do
		local pack="$work/arch-$dtype"
		echo "=== pack $dtype" >>"$raw"
		# float16 goes through auto, so the provider chain's reasons are on record; float32 asks for the provider.
		local chain="$provider"
		[ "$dtype" = float16 ] && [ "$dry" = 0 ] && chain=auto
		log "  pipeline per stage: steps 1,2 x cfg none/self/initialize/full ($chain)"
		"$probe" --model-dir "$pack" --provider "$chain" --frames "$frames" --size "${size}x${size}" --resolution "$res" \
			--steps 1,2 --cfg all >>"$raw" 2>&1 || die "pipeline probe failed ($dtype): $(tail -5 "$raw")"
		log "  UNet alone, batches $batches, CUDA graph $graphs"
		"$probe" --session unet --model-dir "$pack" --provider "$provider" --batch "$batches" --size "$size" \
			--cuda-graph "$graphs" --frames "$session_frames" >>"$raw" 2>&1 || die "UNet session probe failed ($dtype): $(tail -5 "$raw")"
		for model in vae_encoder vae_decoder; do
			"$probe" --session "$model" --model-dir "$pack" --provider "$provider" --batch 1 --size "$size" \
				--cuda-graph "$graphs" --frames "$session_frames" >>"$raw" 2>&1 || die "$model session probe failed ($dtype): $(tail -5 "$raw")"
		done
		[ "$dry" = 1 ] || rm -rf "$pack"
	done

	local section="$results/architecture-section.md"
	{
		echo "$BEGIN_MARK"
		render "$raw" "Architecture pack (issue 15): real SD-Turbo shapes, random weights"
		echo
		echo "Machine and software: $machine. ONNX Runtime 1.31.0, $provider provider;"
		echo "packs generated on the machine by \`streamfx-modelpack pack --variant architecture --width-scale $scale\`. Raw log:"
		echo "docs/device-runs/ (copy of gpu-probe.log). Not measured: device-resident tensors between pipeline stages"
		echo "(the pipeline still binds host memory between stages), TensorRT and TensorRT-RTX (not installed there)."
		echo "$END_MARK"
	} >"$section"

	local page="$results/benchmarks-gpu.md"
	if [ -f docs/benchmarks-gpu.md ] && grep -qF "$BEGIN_MARK" docs/benchmarks-gpu.md; then
		awk -v b="$BEGIN_MARK" -v e="$END_MARK" -v f="$section" '
			$0 == b { while ((getline line < f) > 0) print line; skip = 1; next }
			$0 == e { skip = 0; next }
			!skip { print }' docs/benchmarks-gpu.md >"$page"
	else
		{ cat docs/benchmarks-gpu.md 2>/dev/null; echo; cat "$section"; } >"$page"
	fi
	[ "$dry" = 1 ] || cp "$page" docs/benchmarks-gpu.md
	log "wrote $page and $raw"
	cat "$section"
}

case "${1:-}" in
prepare) prepare ;;
receive) receive ;;
run) shift; run_probe "$@" ;;
*) die "usage: scripts/gpu-probe.sh prepare | receive | run [--cpu-dry-run] [--frames N]" ;;
esac
