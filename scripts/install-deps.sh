#!/usr/bin/env bash
# Installs what building and testing need on Debian 12 (as root). Safe to run again: it only
# asks apt for packages that are missing. The .NET 10 SDK is expected on PATH.
source "$(dirname "$0")/lib.sh"

packages=(
	cmake make gcc pkg-config              # the C shim
	clang lld zlib1g-dev                   # NativeAOT link step; clang also builds the libFuzzer targets
	libclang-rt-14-dev                     # sanitizer and fuzzer runtimes for clang
	libobs-dev obs-studio                  # real libobs 29 to build and test against
	libx11-dev xvfb xauth                  # headless OpenGL for libobs
	libegl1 libegl-mesa0 libgl1-mesa-dri   # EGL + llvmpipe named outright (apt runs without recommends)
	mingw-w64                              # cross-builds the Win32 shim code, its tests and the DLL
	wine64 wine                            # runs those tests and the win-x64 host (scripts/test-wine.sh)
	valgrind
	fonts-dejavu-core                      # the text source in obs_controls_source_kinds draws "DejaVu Sans"
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root or install them"
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v dotnet >/dev/null || die "the .NET 10 SDK (dotnet) is not on PATH"
log "dependencies present"
