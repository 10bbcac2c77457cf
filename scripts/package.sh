#!/usr/bin/env bash
# Packages the plugin for another machine.
#
#   scripts/package.sh windows   ->  build/package/streamfx-obs-<version>-windows-x64.zip
#
# The ZIP holds one folder, streamfx-obs/, in the per-plugin layout OBS for Windows loads from
# C:\ProgramData\obs-studio\plugins\ (OBS 28 to 32 read <plugin>\bin\64bit\<plugin>.dll and
# <plugin>\data; OBS 33's plugin loader still reads that layout):
#   streamfx-obs/bin/64bit/streamfx-obs.dll        the module (mingw-w64, imports obs.dll)
#   streamfx-obs/bin/64bit/streamfx-host.exe ...   the win-x64 host (self-contained ReadyToRun)
#                                                  with ONNX Runtime GPU (CUDA, TensorRT) DLLs
#   streamfx-obs/data/obs-plugin.json              "host": {"win-x64": "bin/64bit/streamfx-host.exe"}
#   streamfx-obs/data/locale/en-US.ini, data/effects/*.effect
#   streamfx-obs/data/models/default/...           the synthetic default pack
# Install: extract into C:\ProgramData\obs-studio\plugins\ (README, Platforms).
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

case "${1:-}" in
windows) ;;
*) die "usage: $0 windows" ;;
esac

version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' obs-plugin.json)
host_key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["host"]["win-x64"])' obs-plugin.json)
dll="$BUILD_DIR/mingw/streamfx-obs.dll"
host="$BUILD_DIR/host-win-x64"
models="$BUILD_DIR/models/default"

[ -f "$models/manifest.json" ] || "$REPO_ROOT/scripts/build.sh"
[ -f "$host/streamfx-host.exe" ] || "$REPO_ROOT/scripts/check-windows-build.sh" host
"$REPO_ROOT/scripts/check-windows-build.sh" tests # builds the DLL (incremental)
[ -f "$dll" ] || die "$dll was not built"
[ "$host_key" = "bin/64bit/streamfx-host.exe" ] ||
	die "obs-plugin.json host.win-x64 is '$host_key'; this layout puts the host at bin/64bit/streamfx-host.exe"

stage="$BUILD_DIR/package/windows"
root="$stage/streamfx-obs"
rm -rf "$stage"
mkdir -p "$root/bin/64bit" "$root/data/models"
cp "$dll" "$root/bin/64bit/"
# The host without link-time leftovers (.lib import libraries, .pdb symbols).
cp -a "$host/." "$root/bin/64bit/"
rm -f "$root/bin/64bit/"*.lib "$root/bin/64bit/"*.pdb
cp obs-plugin.json "$root/data/"
cp -a native-shim/data/. "$root/data/" # locale/*.ini, effects/*.effect
cp -a "$models" "$root/data/models/default"

zip_path="$BUILD_DIR/package/streamfx-obs-$version-windows-x64.zip"
rm -f "$zip_path"
(cd "$stage" && zip -q -r -9 "$zip_path" streamfx-obs)
log "package: $zip_path ($(du -h "$zip_path" | cut -f1), $(unzip -Z1 "$zip_path" | grep -vc '/$') files)"
# The tree, host runtime files summarised (they are the .NET runtime and ONNX Runtime).
unzip -Z1 "$zip_path" | awk -F/ '
	/\/$/ { next }
	$2 == "bin" && $4 != "streamfx-obs.dll" && $4 != "streamfx-host.exe" && $4 !~ /^onnxruntime/ { runtime++; next }
	$3 == "models" && NF > 5 { next }
	{ print "  " $0 }
	END { printf "  streamfx-obs/bin/64bit/ + %d .NET runtime and host files\n", runtime }'
