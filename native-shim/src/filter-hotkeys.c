#include "filter-hotkeys.h"

#include <stdio.h>
#include <string.h>

#include <util/dstr.h>

#include "platform/platform.h"
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

static void add(struct sfx_filter_hotkeys *hk, obs_source_t *parent, size_t slot, const char *name,
		const char *filter_name, const char *description_key, const char *number, enum sfx_hotkey_action action,
		int style)
{
	struct sfx_hotkey_binding *b = &hk->bindings[slot];
	b->owner = hk;
	b->action = action;
	b->style = style;
	/* "<filter>: <action>": a source may carry several filters. The locale text carries "%1" for
	 * the style number, never a printf format, so translations cannot break it. */
	struct dstr description = {0};
	dstr_printf(&description, "%s: %s", filter_name, obs_module_text(description_key));
	if (number)
		dstr_replace(&description, "%1", number);
	hk->ids[slot] = obs_hotkey_register_source(parent, name, description.array, on_hotkey, b);
	dstr_free(&description);
}

void sfx_filter_hotkeys_init(struct sfx_filter_hotkeys *hk, sfx_hotkey_fn fn, void *data)
{
	memset(hk, 0, sizeof(*hk));
	hk->fn = fn;
	hk->data = data;
	for (size_t i = 0; i < SFX_HOTKEY_COUNT; i++)
		hk->ids[i] = OBS_INVALID_HOTKEY_ID;
	hk->lock = sfx_mutex_create();
}

static void unregister_locked(struct sfx_filter_hotkeys *hk)
{
	/* Waits for a callback in flight (libobs runs them under its hotkey lock), so none runs after. */
	for (size_t i = 0; i < SFX_HOTKEY_COUNT; i++) {
		if (hk->ids[i] != OBS_INVALID_HOTKEY_ID)
			obs_hotkey_unregister(hk->ids[i]);
		hk->ids[i] = OBS_INVALID_HOTKEY_ID;
	}
	hk->owner = NULL;
}

void sfx_filter_hotkeys_free(struct sfx_filter_hotkeys *hk)
{
	if (!hk->lock)
		return;
	sfx_mutex_lock(hk->lock);
	unregister_locked(hk);
	sfx_mutex_unlock(hk->lock);
	sfx_mutex_destroy(hk->lock);
	hk->lock = NULL;
}

struct filter_search {
	obs_source_t *filter;
	bool found;
};

static void find_filter(obs_source_t *parent, obs_source_t *child, void *param)
{
	(void)parent;
	struct filter_search *s = param;
	if (child == s->filter)
		s->found = true;
}

void sfx_filter_hotkeys_attach(struct sfx_filter_hotkeys *hk, obs_source_t *parent, obs_source_t *filter)
{
	sfx_mutex_lock(hk->lock);
	if (parent == hk->owner) {
		sfx_mutex_unlock(hk->lock);
		return;
	}
	unregister_locked(hk);
	/* A strong reference for the calls: the parent may be on its way out. */
	obs_source_t *ref = parent ? obs_source_get_ref(parent) : NULL;
	struct filter_search search = {filter, false};
	if (ref)
		obs_source_enum_filters(ref, find_filter, &search);
	/* Being removed from it (filter_remove ran, the parent pointer not yet cleared): stay off. */
	if (!search.found) {
		obs_source_release(ref);
		sfx_mutex_unlock(hk->lock);
		return;
	}
	hk->owner = parent;
	const char *name = obs_source_get_name(filter);
	if (!name)
		name = "StreamFx";
	add(hk, ref, 0, SFX_HOTKEY_STYLE_NEXT, name, "StreamFx.Hotkey.StyleNext", NULL, SFX_HOTKEY_ACTION_NEXT, 0);
	add(hk, ref, 1, SFX_HOTKEY_STYLE_PREVIOUS, name, "StreamFx.Hotkey.StylePrevious", NULL,
	    SFX_HOTKEY_ACTION_PREVIOUS, 0);
	for (int i = 0; i < SFX_STYLE_HOTKEYS; i++) {
		char hotkey[64], number[8];
		snprintf(hotkey, sizeof(hotkey), SFX_HOTKEY_STYLE_PREFIX "%d", i + 1);
		snprintf(number, sizeof(number), "%d", i + 1);
		add(hk, ref, 2 + (size_t)i, hotkey, name, "StreamFx.Hotkey.Style", number, SFX_HOTKEY_ACTION_SELECT, i);
	}
	add(hk, ref, 2 + SFX_STYLE_HOTKEYS, SFX_HOTKEY_BYPASS, name, "StreamFx.Hotkey.Bypass", NULL,
	    SFX_HOTKEY_ACTION_BYPASS, 0);
	obs_source_release(ref);
	sfx_mutex_unlock(hk->lock);
}

void sfx_filter_hotkeys_unregister(struct sfx_filter_hotkeys *hk)
{
	sfx_mutex_lock(hk->lock);
	unregister_locked(hk);
	sfx_mutex_unlock(hk->lock);
}
