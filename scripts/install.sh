#!/usr/bin/env bash
# Installs the built plugin folder into the user's OBS (~/.config/obs-studio/plugins).
source "$(dirname "$0")/lib.sh"
src="$BUILD_DIR/plugin/streamfx-obs"
[ -d "$src" ] || "$REPO_ROOT/scripts/build.sh"
dest="${XDG_CONFIG_HOME:-$HOME/.config}/obs-studio/plugins/streamfx-obs"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -a "$src" "$dest"
log "installed into $dest"
