/*
 * Per-instance hotkeys of the filter (Settings > Hotkeys, saved with the source, triggered by
 * obs-websocket's TriggerHotkeyByName): streamfx.style.next, streamfx.style.previous,
 * streamfx.style.1 .. streamfx.style.9 and streamfx.bypass. Only registered for non-private
 * filters (libobs refuses hotkeys on private sources).
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
};

/* Registers the hotkeys on `filter`; fn runs (on the hotkey thread, or wherever libobs routes
 * the key) once per press. Bindings saved with the source are loaded by libobs here. */
void sfx_filter_hotkeys_register(struct sfx_filter_hotkeys *hk, obs_source_t *filter, sfx_hotkey_fn fn, void *data);

/* Unregisters them before the filter's data goes away (libobs would only do it after destroy). */
void sfx_filter_hotkeys_unregister(struct sfx_filter_hotkeys *hk);

/* The style index a step lands on: next/previous cycle through the styles (from "no style", next
 * is the first, previous the last); -1 when there are none. */
int sfx_style_step(int current, size_t count, int delta);
