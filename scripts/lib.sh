# Shared shell functions for the scripts in this folder (sourced, not run).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${STREAMFX_BUILD_DIR:-$REPO_ROOT/build}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Runs a command with a display: the current one if set, else a private Xvfb via xvfb-run.
with_display() {
	if [ -n "${DISPLAY:-}" ]; then
		"$@"
	else
		xvfb-run -a -s "-screen 0 1280x720x24" "$@"
	fi
}
