#!/usr/bin/env bash
# Windows builds from Linux:
#   shim:  the portable bridge and the Win32 platform file, cross-compiled with mingw-w64 against
#          the libobs headers (a compile check);
#   tests: tests/windows with mingw-w64 into build/mingw: streamfx-obs.dll and the Windows tests,
#          wired to the win-x64 host, the invert model pack and the Linux module (whose libobs
#          imports the DLL's import list must match) for the Wine suites (scripts/test-wine.sh);
#   host:  the host published for win-x64 into build/host-win-x64: self-contained ReadyToRun, since
#          NativeAOT cannot cross-compile to Windows (README, Platforms, has the Windows command).
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

# A Linux path as Wine sees it (drive Z: is /), with forward or back slashes.
wine_path() { printf 'Z:%s' "$1"; }
wine_path_backslash() { printf 'Z:%s' "${1//\//\\}"; }

case "${1:-}" in
shim)
	out="$BUILD_DIR/mingw-objects"
	mkdir -p "$out"
	for src in native-shim/src/platform/platform-win32.c native-shim/src/bridge/*.c; do
		x86_64-w64-mingw32-gcc -std=c17 -Wall -Wextra -Werror -I native-shim/src -I native-shim/src/bridge \
			-I /usr/include/obs -c "$src" -o "$out/$(basename "$src" .c).o"
	done
	log "mingw-w64 compiled: $(ls "$out" | wc -l) objects"
	;;
tests)
	host_exe="$BUILD_DIR/host-win-x64/streamfx-host.exe"
	model_dir="$BUILD_DIR/models/invert"
	[ -f "$host_exe" ] || die "$host_exe is missing: run '$0 host' first"
	[ -f "$model_dir/manifest.json" ] || die "$model_dir/manifest.json is missing: run scripts/build.sh first"
	[ -f "$BUILD_DIR/cmake/native-shim/streamfx-obs.so" ] || die "the Linux module is missing: run scripts/build.sh first"
	cmake -S tests/windows -B "$BUILD_DIR/mingw" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_TOOLCHAIN_FILE="$REPO_ROOT/tests/windows/mingw-w64-x86_64.cmake" \
		-DSTREAMFX_WIN_HOST="$(wine_path_backslash "$host_exe")" \
		-DSTREAMFX_WIN_MODEL_DIR="$(wine_path "$model_dir")" \
		-DSTREAMFX_LINUX_MODULE="$BUILD_DIR/cmake/native-shim/streamfx-obs.so" \
		-DSTREAMFX_LIBOBS_SO="$(pkg-config --variable=libdir libobs)/libobs.so" >/dev/null
	cmake --build "$BUILD_DIR/mingw" -j "$(nproc)" -- --no-print-directory >/dev/null
	log "mingw-w64 streamfx-obs.dll and tests built in $BUILD_DIR/mingw"
	;;
host)
	# Its own artifacts folder, so the win-x64 restore never rewrites the Linux build's obj/.
	dotnet publish managed/StreamFx.Host -c Release -r win-x64 --self-contained -nologo -v quiet \
		-p:PublishAot=false -p:PublishReadyToRun=true -p:TreatWarningsAsErrors=true \
		--artifacts-path "$BUILD_DIR/win-x64-artifacts" -o "$BUILD_DIR/host-win-x64"
	test -f "$BUILD_DIR/host-win-x64/streamfx-host.exe"
	test -f "$BUILD_DIR/host-win-x64/onnxruntime.dll"
	log "win-x64 host published in $BUILD_DIR/host-win-x64"
	;;
*) die "usage: $0 shim|tests|host" ;;
esac
