#!/usr/bin/env bash
# Compile checks for Windows, which cannot run here:
#   shim: the portable bridge and the Win32 platform file, cross-compiled with mingw-w64
#         against the libobs headers;
#   host: the host built for win-x64.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
case "${1:-}" in
shim)
	out="$BUILD_DIR/mingw"
	mkdir -p "$out"
	for src in native-shim/src/platform/platform-win32.c native-shim/src/bridge/*.c; do
		x86_64-w64-mingw32-gcc -std=c17 -Wall -Wextra -Werror -I native-shim/src -I native-shim/src/bridge \
			-I /usr/include/obs -c "$src" -o "$out/$(basename "$src" .c).o"
	done
	log "mingw-w64 compiled: $(ls "$out" | wc -l) objects"
	;;
host)
	dotnet build managed/StreamFx.Host -c Release -r win-x64 -nologo -v quiet -o "$BUILD_DIR/host-win-x64"
	test -f "$BUILD_DIR/host-win-x64/streamfx-host.dll"
	;;
*) die "usage: $0 shim|host" ;;
esac
