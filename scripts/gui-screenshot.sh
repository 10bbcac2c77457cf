#!/usr/bin/env bash
# The real OBS window (Debian obs-studio) with the built plugin installed as a user plugin, driven
# through obs-websocket the way stream-deck and bot tools drive it:
#   CreateInput (a colour source), CreateSourceFilter (streamfx_diffusion_filter),
#   SetSourceFilterSettings, TriggerHotkeyByName (streamfx.style.next), GetSourceFilter,
#   OpenInputFiltersDialog; then a screenshot of the filters dialog (properties panel).
#
#   scripts/gui-screenshot.sh [--cmake-build DIR] [--out PNG] [--advanced]
#   scripts/gui-screenshot.sh --image-invert [--cmake-build DIR] [--out PNG]
#   scripts/gui-screenshot.sh --model-download [--cmake-build DIR] [--out PNG]
#
# --image-invert: an Image source (image_source, a generated 512x512 PNG) with the filter and the
# invert pack instead; the source's screenshot (GetSourceScreenshot) must be the negated PNG (mean
# absolute error under 1 %), and OBS's log must hold no graphics error (device_draw, No vertex
# shader, effect_setval, invalid param).
#
# --model-download: the filters dialog while a model download runs. A loopback hub
# (tests/obs-controls/loopback-hub.py) serves the published SD-Turbo and TAESD layouts that build.sh
# generates as onnxruntime/sd-turbo and deinferno/taesd-onnx, throttled so the download lasts about
# three minutes; the plugin reads a copy of the catalogue with the hub rewritten
# (STREAMFX_MODEL_CATALOGUE) and starts the sd-turbo-taesd pair's download at load
# (STREAMFX_TEST_START_DOWNLOAD, which bypasses the licence box: obs-websocket cannot press a
# filter's button). The picture is
# taken once the progress file says "downloading" with bytes on disk, and the script checks it still
# says so afterwards. It is captured with a few lines of Xlib and encoded by python3 (no ImageMagick).
#
# DIR defaults to build/cmake (scripts/build.sh); the host and the default pack come from
# build/host and build/models/default. Everything runs in a scratch HOME on a private Xvfb.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

CMAKE_BUILD="$BUILD_DIR/cmake"
OUT="$REPO_ROOT/docs/img/filter-properties.png"
ADVANCED=false
IMAGE_INVERT=false
MODEL_DOWNLOAD=false
while [ $# -gt 0 ]; do
	case "$1" in
	--image-invert) IMAGE_INVERT=true; shift ;;
	--model-download) MODEL_DOWNLOAD=true; shift ;;
	--cmake-build) CMAKE_BUILD="$2"; shift 2 ;;
	--out) OUT="$2"; shift 2 ;;
	--advanced) ADVANCED=true; shift ;;
	*) die "unknown option '$1' (expected --cmake-build DIR, --out PNG, --advanced, --image-invert, --model-download)" ;;
	esac
done
[ -f "$CMAKE_BUILD/native-shim/streamfx-obs.so" ] || die "no $CMAKE_BUILD/native-shim/streamfx-obs.so: run scripts/build.sh"
[ -x "$BUILD_DIR/host/streamfx-host" ] || die "no $BUILD_DIR/host/streamfx-host: run scripts/build.sh"
[ -f "$BUILD_DIR/models/default/manifest.json" ] || die "no $BUILD_DIR/models/default: run scripts/build.sh"
command -v obs >/dev/null || die "obs (Debian obs-studio) is not installed"
if $MODEL_DOWNLOAD; then
	command -v Xvfb >/dev/null && command -v xwininfo >/dev/null && command -v python3 >/dev/null ||
		die "needs Xvfb, xwininfo (x11-utils) and python3"
	[ -d "$BUILD_DIR/models/layout-taesd" ] && [ -d "$BUILD_DIR/models/layout-onnxruntime-sd-turbo" ] ||
		die "no published layouts in $BUILD_DIR/models: run scripts/build.sh"
	[ "$OUT" = "$REPO_ROOT/docs/img/filter-properties.png" ] && OUT="$REPO_ROOT/docs/img/model-download.png"
else
	command -v Xvfb >/dev/null && command -v xwininfo >/dev/null && command -v import >/dev/null ||
		die "needs Xvfb, xwininfo (x11-utils) and import (imagemagick)"
fi
node --experimental-websocket -e 'if (typeof WebSocket !== "function") process.exit(1)' 2>/dev/null ||
	die "needs Node.js 20.10+ (WebSocket client)"

SCRATCH="$(mktemp -d /tmp/streamfx-gui.XXXXXX)"
XVFB_PID="" OBS_PID="" HUB_PID=""
cleanup() {
	local rc=$?
	# Only the processes this script started, by pid; the script's own status is kept.
	# (wait reports the TERM as 143: under set -e that must not end the trap early.)
	[ -n "$OBS_PID" ] && kill "$OBS_PID" 2>/dev/null && { wait "$OBS_PID" 2>/dev/null || true; }
	[ -n "$HUB_PID" ] && kill "$HUB_PID" 2>/dev/null && { wait "$HUB_PID" 2>/dev/null || true; }
	[ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null && { wait "$XVFB_PID" 2>/dev/null || true; }
	rm -rf "$SCRATCH"
	exit "$rc"
}
trap cleanup EXIT

# ---- The plugin, installed the way a user installs it -------------------------------------------
export HOME="$SCRATCH/home"
unset XDG_CONFIG_HOME
PLUGIN="$HOME/.config/obs-studio/plugins/streamfx-obs"
cmake --install "$CMAKE_BUILD" --prefix "$PLUGIN" >/dev/null
cp -a "$BUILD_DIR/host/." "$PLUGIN/bin/64bit/"
rm -f "$PLUGIN/bin/64bit/"*.dbg "$PLUGIN/bin/64bit/"*.pdb
mkdir -p "$PLUGIN/data/models"
cp -a "$BUILD_DIR/models/default" "$PLUGIN/data/models/default"

# obs-websocket on, no first-run wizard, before the first start.
mkdir -p "$HOME/.config/obs-studio"
cat >"$HOME/.config/obs-studio/global.ini" <<'INI'
[General]
FirstRun=true
[OBSWebSocket]
ServerEnabled=true
ServerPort=4455
AuthRequired=false
AlertsEnabled=false
FirstLoad=false
INI

# ---- Display and OBS ------------------------------------------------------------------------------
# -displayfd: Xvfb writes its display number once it accepts connections (no guessing, no sleep).
exec {DISPLAY_FD}<> <(:)
SCREEN_HEIGHT=2400
$MODEL_DOWNLOAD && SCREEN_HEIGHT=4800 # the Models group is at the bottom of the panel
Xvfb -displayfd "$DISPLAY_FD" -screen 0 1200x${SCREEN_HEIGHT}x24 -nolisten tcp >"$SCRATCH/xvfb.log" 2>&1 &
XVFB_PID=$!
read -r -t 20 -u "$DISPLAY_FD" DISPLAY_NUMBER || die "Xvfb did not start within 20 s ($(cat "$SCRATCH/xvfb.log"))"
export DISPLAY=":$DISPLAY_NUMBER"
log "Xvfb on $DISPLAY"

MODELS_DIR="$HOME/.config/obs-studio/plugin_config/streamfx-obs/models"
if $MODEL_DOWNLOAD; then
	# Throttled so the download lasts about 180 s: OBS's start and the dialog come well within it.
	LAYOUT_BYTES=$(du -sbc "$BUILD_DIR/models/layout-onnxruntime-sd-turbo" "$BUILD_DIR/models/layout-taesd" | tail -1 | cut -f1)
	RATE=$((LAYOUT_BYTES / 180 + 1))
	mkfifo "$SCRATCH/hub.fifo"
	python3 "$REPO_ROOT/tests/obs-controls/loopback-hub.py" --repo "deinferno/taesd-onnx=$BUILD_DIR/models/layout-taesd" \
		--repo "onnxruntime/sd-turbo=$BUILD_DIR/models/layout-onnxruntime-sd-turbo" \
		--catalogue-in "$REPO_ROOT/native-shim/data/models/catalogue.json" --catalogue-out "$SCRATCH/catalogue.json" \
		--rate "$RATE" >"$SCRATCH/hub.fifo" 2>"$SCRATCH/hub.log" &
	HUB_PID=$!
	# The hub prints "ready <url>" once it listens and the catalogue is written.
	read -r -t 30 HUB_READY HUB_URL <"$SCRATCH/hub.fifo" || die "the loopback hub did not start ($(cat "$SCRATCH/hub.log"))"
	[ "$HUB_READY" = ready ] || die "the loopback hub said '$HUB_READY $HUB_URL'"
	log "loopback hub at $HUB_URL, $LAYOUT_BYTES bytes at $RATE bytes/s"
	export STREAMFX_MODEL_CATALOGUE="$SCRATCH/catalogue.json" STREAMFX_TEST_START_DOWNLOAD=sd-turbo-taesd
fi

obs --disable-shutdown-check --disable-updater >"$SCRATCH/obs.log" 2>&1 &
OBS_PID=$!
log "obs started (pid $OBS_PID), log in the scratch folder"

# ---- The websocket client -------------------------------------------------------------------------
cat >"$SCRATCH/drive.mjs" <<'JS'
// Connects to obs-websocket (retrying until OBS has started it, bounded), then runs the requests.
const mode = process.argv[2];
const advanced = process.argv[3] === "true";
const deadline = Date.now() + 90000;
const fail = (m) => { console.error("gui-screenshot: " + m); process.exit(1); };

function connect() {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket("ws://127.0.0.1:4455", "obswebsocket.json");
		ws.onerror = () => reject(new Error("connect failed"));
		ws.onmessage = (e) => {
			const m = JSON.parse(e.data);
			if (m.op === 0) ws.send(JSON.stringify({ op: 1, d: { rpcVersion: 1, eventSubscriptions: 0 } }));
			if (m.op === 2) resolve(ws);
		};
	});
}

let ws;
while (!ws) {
	try { ws = await connect(); }
	catch { if (Date.now() > deadline) fail("obs-websocket did not answer on port 4455 within 90 s"); await new Promise(r => setTimeout(r, 250)); }
}
const pending = new Map();
let next = 0;
ws.onmessage = (e) => {
	const m = JSON.parse(e.data);
	if (m.op === 7 && pending.has(m.d.requestId)) { pending.get(m.d.requestId)(m.d); pending.delete(m.d.requestId); }
};
function request(type, data = {}) {
	const id = String(++next);
	return new Promise((resolve) => {
		pending.set(id, resolve);
		ws.send(JSON.stringify({ op: 6, d: { requestType: type, requestId: id, requestData: data } }));
	}).then((d) => {
		if (!d.requestStatus.result) fail(`${type} failed: ${d.requestStatus.code} ${d.requestStatus.comment ?? ""}`);
		if (type !== "GetStats" && type !== "GetHotkeyList") console.log(`${type}: ok`);
		return d.responseData ?? {};
	});
}

if (mode === "image") {
	// An Image source with the filter and the invert pack (the screenshot is taken by shot.mjs).
	const [png, invertDir] = process.argv.slice(3);
	const scene = (await request("GetCurrentProgramScene")).currentProgramSceneName;
	await request("CreateInput", { sceneName: scene, inputName: "Image", inputKind: "image_source",
		inputSettings: { file: png } });
	await request("CreateSourceFilter", { sourceName: "Image", filterName: "AI Diffusion",
		filterKind: "streamfx_diffusion_filter", filterSettings: { model_dir: invertDir, resolution: 512 } });
	ws.close();
	process.exit(0);
}
if (mode === "frames") {
	// Waits until OBS rendered N more frames (its own counter), bounded by the deadline.
	const want = Number(process.argv[3]);
	const start = (await request("GetStats")).renderTotalFrames;
	while ((await request("GetStats")).renderTotalFrames < start + want)
		if (Date.now() > deadline) fail(`OBS did not render ${want} frames`);
	ws.close();
	process.exit(0);
}
const version = await request("GetVersion");
console.log(`OBS ${version.obsVersion}, obs-websocket ${version.obsWebSocketVersion}`);
const scene = (await request("GetCurrentProgramScene")).currentProgramSceneName;
await request("CreateInput", { sceneName: scene, inputName: "Camera", inputKind: "color_source_v3",
	inputSettings: { color: 4282664004, width: 1280, height: 720 } });
await request("CreateSourceFilter", { sourceName: "Camera", filterName: "AI Diffusion",
	filterKind: "streamfx_diffusion_filter", filterSettings: { prompt: "a person at a desk, soft light", resolution: 256 } });
await request("SetSourceFilterSettings", { sourceName: "Camera", filterName: "AI Diffusion",
	filterSettings: { strength: 0.6, show_advanced: advanced } });
// The filter registers its hotkeys on its first video tick after being added: wait for them.
while (!(await request("GetHotkeyList")).hotkeys.includes("streamfx.style.next"))
	if (Date.now() > deadline) fail("the filter's hotkeys never appeared in GetHotkeyList");
await request("TriggerHotkeyByName", { hotkeyName: "streamfx.style.next" });
const filter = await request("GetSourceFilter", { sourceName: "Camera", filterName: "AI Diffusion" });
console.log(`filter kind ${filter.filterKind}, settings ${JSON.stringify(filter.filterSettings)}`);
if (filter.filterKind !== "streamfx_diffusion_filter") fail("the filter kind is not streamfx_diffusion_filter");
if (filter.filterSettings.style_index !== 1) fail(`TriggerHotkeyByName streamfx.style.next left style_index at ${filter.filterSettings.style_index}`);
const hotkeys = (await request("GetHotkeyList")).hotkeys.filter(h => h.startsWith("streamfx."));
console.log(`streamfx hotkeys: ${hotkeys.join(" ")}`);
await request("OpenInputFiltersDialog", { inputName: "Camera" });
ws.close();
JS
if $IMAGE_INVERT; then
	[ -x /usr/bin/convert ] && [ -x /usr/bin/compare ] || die "needs ImageMagick (/usr/bin/convert, /usr/bin/compare)"
	[ -f "$BUILD_DIR/models/invert/manifest.json" ] || die "no $BUILD_DIR/models/invert: run scripts/build.sh"
	[ "$OUT" = "$REPO_ROOT/docs/img/filter-properties.png" ] && OUT="$REPO_ROOT/docs/img/image-source-inverted.png"
	# A picture with structure and no alpha (ImageMagick's own generator, by its full path).
	/usr/bin/convert -size 512x512 gradient:'#ff8020'-'#2040ff' \( -size 512x512 radial-gradient:white-black \) \
		-compose multiply -composite "PNG24:$SCRATCH/input.png"
	# The model must be loaded before the screenshot counts: wait for the host's "ready" line.
	node --experimental-websocket --no-warnings "$SCRATCH/drive.mjs" image "$SCRATCH/input.png" \
		"$BUILD_DIR/models/invert" ||
		die "websocket steps failed (OBS log: $(tail -5 "$SCRATCH/obs.log"))"
	timeout 60 grep -q -m1 "host: model .* ready" <(tail -n +1 -F "$SCRATCH/obs.log" 2>/dev/null) ||
		die "the host did not load the invert pack within 60 s"
	node --experimental-websocket --no-warnings "$SCRATCH/drive.mjs" frames 60 || die "OBS stopped rendering"
	cat >"$SCRATCH/shot.mjs" <<'JS'
const fs = await import("node:fs");
const ws = new WebSocket("ws://127.0.0.1:4455", "obswebsocket.json");
ws.onmessage = (e) => {
	const m = JSON.parse(e.data);
	if (m.op === 0) ws.send(JSON.stringify({ op: 1, d: { rpcVersion: 1, eventSubscriptions: 0 } }));
	if (m.op === 2) ws.send(JSON.stringify({ op: 6, d: { requestType: "GetSourceScreenshot", requestId: "s",
		requestData: { sourceName: "Image", imageFormat: "png", imageWidth: 512, imageHeight: 512 } } }));
	if (m.op === 7) {
		if (!m.d.requestStatus.result) { console.error("GetSourceScreenshot failed"); process.exit(1); }
		fs.writeFileSync(process.argv[2], Buffer.from(m.d.responseData.imageData.split(",")[1], "base64"));
		process.exit(0);
	}
};
JS
	node --experimental-websocket --no-warnings "$SCRATCH/shot.mjs" "$SCRATCH/shot.png" || die "no screenshot"
	mkdir -p "$(dirname "$OUT")"
	/usr/bin/convert "$SCRATCH/input.png" "$SCRATCH/shot.png" +append "PNG24:$OUT"
	/usr/bin/convert "$SCRATCH/input.png" -negate "PNG24:$SCRATCH/expected.png"
	# compare exits 1 when the pictures differ: the figure is what counts here.
	mae=$({ /usr/bin/compare -metric MAE "$SCRATCH/expected.png" "PNG24:$SCRATCH/shot.png" null: 2>&1 || true; } | sed -n 's/.*(\(.*\)).*/\1/p')
	errors=$(grep -cE "device_draw|No vertex shader|effect_setval|invalid param" "$SCRATCH/obs.log" || true)
	log "wrote $OUT (input | filtered); mean absolute error against the negated input: $mae; graphics errors in obs.log: $errors"
	awk -v m="$mae" 'BEGIN { exit !(m != "" && m < 0.01) }' || die "the filtered image is not the inverted input (MAE $mae)"
	[ "$errors" -eq 0 ] || die "OBS logged $errors graphics errors: $(grep -m3 -E "device_draw|No vertex shader|effect_setval|invalid param" "$SCRATCH/obs.log")"
	exit 0
fi

node --experimental-websocket --no-warnings "$SCRATCH/drive.mjs" setup "$ADVANCED" ||
	die "websocket steps failed (OBS log: $(tail -5 "$SCRATCH/obs.log"))"

# ---- Wait for the dialog, then for the status line to show the running host ------------------------
find_dialog() { xwininfo -root -tree | grep -m1 "Filters for 'Camera'" | awk '{print $1}'; }
WIN=""
for _ in $(seq 1 200); do # bounded: 200 polls of xwininfo
	WIN="$(find_dialog)"
	[ -n "$WIN" ] && break
	xwininfo -root -tree >/dev/null # each poll is one X round trip; no sleep needed to bound it
done
[ -n "$WIN" ] || die "the filters dialog did not appear"
log "filters dialog window $WIN"
# No window manager on Xvfb: a few lines of Xlib make the dialog tall enough to show the panel.
cat >"$SCRATCH/resize.c" <<'C'
#include <X11/Xlib.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
	Display *d = XOpenDisplay(NULL);
	if (!d || argc != 4)
		return 1;
	Window w = (Window)strtoul(argv[1], NULL, 0);
	XMoveResizeWindow(d, w, 0, 0, (unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]));
	XSync(d, False);
	XCloseDisplay(d);
	return 0;
}
C
cc -o "$SCRATCH/resize" "$SCRATCH/resize.c" -lX11 || die "could not build the window resizer (needs gcc and libx11-dev)"
"$SCRATCH/resize" "$WIN" 1100 "$SCREEN_HEIGHT" || die "could not resize the dialog"
# The host logs "model '...' ready" through the shim once the pack is loaded (bounded wait on the
# log, which tail -F follows as it grows); then 90 rendered frames (3 s) so the once-a-second status
# line shows fps and latency.
if timeout 60 grep -q -m1 "host: model .* ready" <(tail -n +1 -F "$SCRATCH/obs.log" 2>/dev/null); then
	log "host loaded the model"
else
	log "note: no 'host: model ... ready' line in the OBS output within 60 s"
fi
node --experimental-websocket --no-warnings "$SCRATCH/drive.mjs" frames 90 || die "OBS stopped rendering"
mkdir -p "$(dirname "$OUT")"
if $MODEL_DOWNLOAD; then
	STATUS="$MODELS_DIR/.sd-turbo-taesd.status.json"
	downloading() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["state"]=="downloading" and d["bytes"]>0 else 1)' "$STATUS" 2>/dev/null; }
	# The CLI rewrites the file as bytes arrive; a render-frame wait between reads bounds the loop.
	for _ in $(seq 1 40); do downloading && break; node --experimental-websocket --no-warnings "$SCRATCH/drive.mjs" frames 30 || die "OBS stopped rendering"; done
	downloading || die "no download in progress ($(cat "$STATUS" 2>/dev/null || echo no status file); OBS log: $(grep -h 'streamfx-obs' "$SCRATCH/obs.log" | tail -5))"
	# Two more seconds: the panel rebuilds once a second while the percentage moves.
	node --experimental-websocket --no-warnings "$SCRATCH/drive.mjs" frames 60 || die "OBS stopped rendering"
	cat >"$SCRATCH/capture.c" <<'C'
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stdio.h>
#include <stdlib.h>
/* capture WINDOW OUT: the window's pixels as "width height\n" then RGB rows. */
int main(int argc, char **argv)
{
	Display *d = XOpenDisplay(NULL);
	if (!d || argc != 3)
		return 1;
	Window w = (Window)strtoul(argv[1], NULL, 0);
	XWindowAttributes a;
	if (!XGetWindowAttributes(d, w, &a))
		return 1;
	XImage *img = XGetImage(d, w, 0, 0, (unsigned)a.width, (unsigned)a.height, AllPlanes, ZPixmap);
	FILE *f = fopen(argv[2], "wb");
	if (!img || !f)
		return 1;
	fprintf(f, "%d %d\n", a.width, a.height);
	for (int y = 0; y < a.height; y++)
		for (int x = 0; x < a.width; x++) {
			unsigned long p = XGetPixel(img, x, y);
			unsigned char rgb[3] = {(p >> 16) & 255, (p >> 8) & 255, p & 255};
			fwrite(rgb, 1, 3, f);
		}
	fclose(f);
	XDestroyImage(img);
	XCloseDisplay(d);
	return 0;
}
C
	cc -o "$SCRATCH/capture" "$SCRATCH/capture.c" -lX11 || die "could not build the window capture (needs gcc and libx11-dev)"
	"$SCRATCH/capture" "$WIN" "$SCRATCH/shot.rgb" || die "could not capture the dialog"
	# Only the bottom of the dialog: the Models group (the rest of the panel is docs/img/filter-properties.png).
	python3 - "$SCRATCH/shot.rgb" "$OUT" 1000 <<'PY'
import struct, sys, zlib
raw = open(sys.argv[1], "rb").read()
head, pixels = raw.split(b"\n", 1)
w, full = map(int, head.split())
h = min(full, int(sys.argv[3]))
top = full - h
rows = b"".join(b"\0" + pixels[y * w * 3:(y + 1) * w * 3] for y in range(top, full))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
open(sys.argv[2], "wb").write(png)
PY
	downloading || die "the download was over before the picture was taken: $(cat "$STATUS" 2>/dev/null)"
	log "wrote $OUT (the filters dialog during the download: $(cat "$STATUS"))"
	grep -h "\[streamfx-obs\]" "$SCRATCH/obs.log" | grep -i "model" | tail -6 >&2 || true
	exit 0
fi
import -window "$WIN" "$OUT"
log "wrote $OUT (the filters dialog)"
grep -h "\[streamfx-obs\]" "$SCRATCH/obs.log" | grep -v "unavailable" | tail -6 >&2 || true
