#!/usr/bin/env bash
# Builds everything the demo and the tests use, into build/:
#   build/cmake    the C shim, its tests and the libobs harness (CMake)
#   build/host     the NativeAOT effects host with its ONNX Runtime libraries
#   build/models   the generated synthetic model packs (never committed)
#   build/plugin   a plugin folder laid out as OBS loads it (streamfx-obs/bin/64bit, data/)
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

"$REPO_ROOT/scripts/install-deps.sh"

mkdir -p "$BUILD_DIR/logs"
log "publishing the host (NativeAOT, linux-x64)"
dotnet publish managed/StreamFx.Host -c Release -r linux-x64 -o "$BUILD_DIR/host" -nologo -v quiet \
	-p:TreatWarningsAsErrors=true >"$BUILD_DIR/logs/host-publish.log" 2>&1 ||
	{ cat "$BUILD_DIR/logs/host-publish.log"; die "host publish failed"; }
HOST_PATH="$BUILD_DIR/host/streamfx-host"

log "generating the synthetic model packs"
dotnet build managed/StreamFx.ModelPack.Tool -c Release -nologo -v quiet -o "$BUILD_DIR/modelpack-tool" >/dev/null
modelpack() { "$BUILD_DIR/modelpack-tool/streamfx-modelpack" "$@"; }
# Regenerated every build (about a second): a pack always matches the generator that made it.
regenerate() { # name, generator arguments...
	local name=$1; shift
	rm -rf "$BUILD_DIR/models/$name.new"
	modelpack "$@" --out "$BUILD_DIR/models/$name.new" >/dev/null
	rm -rf "$BUILD_DIR/models/$name"
	mv "$BUILD_DIR/models/$name.new" "$BUILD_DIR/models/$name"
}
regenerate default pack
regenerate invert image-effect --effect invert
# Published folder layouts (no manifest.json; docs/models.md "Published layouts"): the host loads them as downloaded.
for layout in onnxruntime-sd-turbo tensorstack taesd lcm-onnx; do regenerate "layout-$layout" pack --layout "$layout"; done

log "building the C shim, tests and harness (CMake)"
cmake -S . -B "$BUILD_DIR/cmake" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTREAMFX_HOST_PATH="$HOST_PATH" \
	-DSTREAMFX_MODEL_DIR="$BUILD_DIR/models/invert" \
	-DSTREAMFX_HOST_SETTINGS="{\"model_dir\":\"$BUILD_DIR/models/invert\"}" >/dev/null
cmake --build "$BUILD_DIR/cmake" -j "$(nproc)" >/dev/null

log "laying out the plugin folder"
rm -rf "$BUILD_DIR/plugin"
cmake --install "$BUILD_DIR/cmake" --prefix "$BUILD_DIR/plugin/streamfx-obs" >/dev/null
cp -a "$BUILD_DIR/host/." "$BUILD_DIR/plugin/streamfx-obs/bin/64bit/"
rm -f "$BUILD_DIR/plugin/streamfx-obs/bin/64bit/"*.dbg
mkdir -p "$BUILD_DIR/plugin/streamfx-obs/data/models"
cp -a "$BUILD_DIR/models/default" "$BUILD_DIR/plugin/streamfx-obs/data/models/default"
log "built: $BUILD_DIR/plugin/streamfx-obs"
