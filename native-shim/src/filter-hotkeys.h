/*
 * Per-instance hotkeys of the filter: streamfx.style.next, streamfx.style.previous,
 * streamfx.style.1 .. streamfx.style.9 and streamfx.bypass, triggered by keys or by obs-websocket's
 * TriggerHotkeyByName.
 *
 * libobs 29 makes every filter a private source and refuses hotkeys on private sources, so they are
 * registered on the filter's parent source: Settings > Hotkeys lists them under that source, and
 * they are saved and loaded with its hotkeys. A parent that is itself private gets none.
 */
#pragma once

#include <obs-module.h>

#include "filter-settings.h"

#define SFX_HOTKEY_STYLE_NEXT     "streamfx.style.next"
#define SFX_HOTKEY_STYLE_PREVIOUS "streamfx.style.previous"
#define SFX_HOTKEY_STYLE_PREFIX   "streamfx.style." /* + 1 .. 9 */
#define SFX_HOTKEY_BYPASS         "streamfx.bypass"

enum sfx_hotkey_action {
	SFX_HOTKEY_ACTION_NEXT,
	SFX_HOTKEY_ACTION_PREVIOUS,
	SFX_HOTKEY_ACTION_SELECT, /* with the style index 0 .. 8 */
	SFX_HOTKEY_ACTION_BYPASS,
};

typedef void (*sfx_hotkey_fn)(void *data, enum sfx_hotkey_action action, int style);

#define SFX_HOTKEY_COUNT (3 + SFX_STYLE_HOTKEYS)

struct sfx_filter_hotkeys {
	obs_hotkey_id ids[SFX_HOTKEY_COUNT];
	struct sfx_hotkey_binding {
		struct sfx_filter_hotkeys *owner;
		enum sfx_hotkey_action action;
		int style;
	} bindings[SFX_HOTKEY_COUNT];
	sfx_hotkey_fn fn;
	void *data;
	obs_source_t *owner;    /* the parent they are registered on (compared only, no reference) */
	struct sfx_mutex *lock; /* attach (graphics thread) vs unregister (UI thread) */
};

void sfx_filter_hotkeys_init(struct sfx_filter_hotkeys *hk, sfx_hotkey_fn fn, void *data);
/* Unregisters and frees the lock. */
void sfx_filter_hotkeys_free(struct sfx_filter_hotkeys *hk);

/* Registers the hotkeys on `parent` when `filter` is one of its filters (unregistering them from a
 * previous parent first); fn runs
 * (on the hotkey thread, or wherever libobs routes the key) once per press. Bindings saved with the
 * parent are loaded by libobs here. No-op when parent is already the owner. filter_name goes into
 * the descriptions shown in Settings > Hotkeys. */
void sfx_filter_hotkeys_attach(struct sfx_filter_hotkeys *hk, obs_source_t *parent, obs_source_t *filter);

/* Unregisters them (filter removed, destroyed); waits for a callback in flight. */
void sfx_filter_hotkeys_unregister(struct sfx_filter_hotkeys *hk);

/* The style index a step lands on: next/previous cycle through the styles (from "no style", next
 * is the first, previous the last); -1 when there are none. */
int sfx_style_step(int current, size_t count, int delta);
