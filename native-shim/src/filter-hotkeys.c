#include "filter-hotkeys.h"

#include <stdio.h>
#include <string.h>

#include <util/dstr.h>

#include "plugin-log.h"

int sfx_style_step(int current, size_t count, int delta)
{
	if (count == 0)
		return -1;
	int n = (int)count;
	if (current < 0 || current >= n)
		return delta > 0 ? 0 : n - 1;
	return ((current + delta) % n + n) % n;
}

static void on_hotkey(void *data, obs_hotkey_id id, obs_hotkey_t *hotkey, bool pressed)
{
	(void)id;
	(void)hotkey;
	struct sfx_hotkey_binding *b = data;
	/* Act on the press only: a held key (or a press + release pair) is one action. */
	if (!pressed)
		return;
	b->owner->fn(b->owner->data, b->action, b->style);
}

static void add(struct sfx_filter_hotkeys *hk, obs_source_t *filter, size_t slot, const char *name,
		const char *description, enum sfx_hotkey_action action, int style)
{
	struct sfx_hotkey_binding *b = &hk->bindings[slot];
	b->owner = hk;
	b->action = action;
	b->style = style;
	hk->ids[slot] = obs_hotkey_register_source(filter, name, description, on_hotkey, b);
}

void sfx_filter_hotkeys_register(struct sfx_filter_hotkeys *hk, obs_source_t *filter, sfx_hotkey_fn fn, void *data)
{
	hk->fn = fn;
	hk->data = data;
	for (size_t i = 0; i < SFX_HOTKEY_COUNT; i++)
		hk->ids[i] = OBS_INVALID_HOTKEY_ID;
	if (obs_obj_is_private(filter))
		return;

	add(hk, filter, 0, SFX_HOTKEY_STYLE_NEXT, obs_module_text("StreamFx.Hotkey.StyleNext"), SFX_HOTKEY_ACTION_NEXT,
	    0);
	add(hk, filter, 1, SFX_HOTKEY_STYLE_PREVIOUS, obs_module_text("StreamFx.Hotkey.StylePrevious"),
	    SFX_HOTKEY_ACTION_PREVIOUS, 0);
	for (int i = 0; i < SFX_STYLE_HOTKEYS; i++) {
		char name[64], number[8];
		snprintf(name, sizeof(name), SFX_HOTKEY_STYLE_PREFIX "%d", i + 1);
		snprintf(number, sizeof(number), "%d", i + 1);
		/* The locale text carries "%1", never a printf format: translations cannot break it. */
		struct dstr description = {0};
		dstr_copy(&description, obs_module_text("StreamFx.Hotkey.Style"));
		dstr_replace(&description, "%1", number);
		add(hk, filter, 2 + (size_t)i, name, description.array, SFX_HOTKEY_ACTION_SELECT, i);
		dstr_free(&description);
	}
	add(hk, filter, 2 + SFX_STYLE_HOTKEYS, SFX_HOTKEY_BYPASS, obs_module_text("StreamFx.Hotkey.Bypass"),
	    SFX_HOTKEY_ACTION_BYPASS, 0);
}

void sfx_filter_hotkeys_unregister(struct sfx_filter_hotkeys *hk)
{
	/* Waits for a callback in flight (libobs runs them under its hotkey lock), so none runs after. */
	for (size_t i = 0; i < SFX_HOTKEY_COUNT; i++) {
		if (hk->ids[i] != OBS_INVALID_HOTKEY_ID)
			obs_hotkey_unregister(hk->ids[i]);
		hk->ids[i] = OBS_INVALID_HOTKEY_ID;
	}
}
