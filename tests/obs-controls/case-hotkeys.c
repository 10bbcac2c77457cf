/* Hotkeys triggered through libobs (as obs-websocket's TriggerHotkeyByName does), and a scene
 * collection round trip keeping settings and hotkey bindings. */
#include <stdio.h>
#include <string.h>

#include <util/bmem.h>
#include <util/dstr.h>

#include "case-support.h"
#include "controls-cases.h"

static const char *const hotkey_names[] = {
    "streamfx.style.next", "streamfx.style.previous", "streamfx.style.1", "streamfx.style.2",
    "streamfx.style.3",    "streamfx.style.4",        "streamfx.style.5", "streamfx.style.6",
    "streamfx.style.7",    "streamfx.style.8",        "streamfx.style.9", "streamfx.bypass",
};
#define HOTKEY_COUNT (sizeof(hotkey_names) / sizeof(hotkey_names[0]))

struct hotkey_find {
	obs_source_t *owner; /* the filter's parent: libobs 29 filters are private, hotkeys live on it */
	obs_hotkey_id ids[HOTKEY_COUNT];
	size_t found;
	size_t total; /* hotkeys registered by this filter, any name */
};

static bool find_hotkey(void *data, obs_hotkey_id id, obs_hotkey_t *key)
{
	struct hotkey_find *f = data;
	if (obs_hotkey_get_registerer_type(key) != OBS_HOTKEY_REGISTERER_SOURCE)
		return true;
	obs_weak_source_t *weak = obs_hotkey_get_registerer(key);
	if (!f->owner || !obs_weak_source_references_source(weak, f->owner))
		return true;
	f->total++;
	for (size_t i = 0; i < HOTKEY_COUNT; i++) {
		if (strcmp(obs_hotkey_get_name(key), hotkey_names[i]) == 0) {
			f->ids[i] = id;
			f->found++;
		}
	}
	return true;
}

static bool find_hotkeys(obs_source_t *filter, struct hotkey_find *f)
{
	memset(f, 0, sizeof(*f));
	f->owner = obs_filter_get_parent(filter);
	for (size_t i = 0; i < HOTKEY_COUNT; i++)
		f->ids[i] = OBS_INVALID_HOTKEY_ID;
	obs_enum_hotkeys(find_hotkey, f);
	return f->found == HOTKEY_COUNT;
}

struct hotkeys_wait {
	obs_source_t *filter;
	struct hotkey_find *found;
};

static bool hotkeys_registered(void *arg)
{
	struct hotkeys_wait *w = arg;
	return find_hotkeys(w->filter, w->found);
}

/* The filter registers its hotkeys on its first tick after it has a parent: wait for them, with a
 * deadline, rather than for a number of frames (a loaded machine can show frames before that tick). */
static bool wait_hotkeys(obs_source_t *filter, struct hotkey_find *f)
{
	struct hotkeys_wait w = {filter, f};
	return session_wait_until(hotkeys_registered, &w, 10000) || find_hotkeys(filter, f);
}

static obs_hotkey_id hotkey_id(const struct hotkey_find *f, const char *name)
{
	for (size_t i = 0; i < HOTKEY_COUNT; i++)
		if (strcmp(hotkey_names[i], name) == 0)
			return f->ids[i];
	return OBS_INVALID_HOTKEY_ID;
}

/* Presses and releases the hotkey the way routed front-ends (the OBS window, obs-websocket) do. */
static void trigger(const struct hotkey_find *f, const char *name)
{
	obs_hotkey_id id = hotkey_id(f, name);
	obs_hotkey_trigger_routed_callback(id, true);
	obs_hotkey_trigger_routed_callback(id, false);
}

struct style_wait {
	obs_source_t *filter;
	long long want;
};

static bool style_is(void *arg)
{
	struct style_wait *w = arg;
	if (setting_int(w->filter, "style_index") != w->want)
		return false;
	char fragment[64];
	snprintf(fragment, sizeof(fragment), "\"style_index\":%lld,", w->want);
	char *json = filter_get_config(w->filter);
	bool ok = strstr(json, fragment) != NULL;
	bfree(json);
	return ok;
}

static bool press_expect_style(const struct hotkey_find *f, obs_source_t *filter, const char *name, long long want)
{
	trigger(f, name);
	struct style_wait w = {filter, want};
	CHECK(session_wait_until(style_is, &w, 5000),
	      "after hotkey %s: style_index is %lld in the settings, expected %lld (also in CONFIGURE)", name,
	      setting_int(filter, "style_index"), want);
	printf("  ok: %s -> style_index %lld (settings and CONFIGURE)\n", name, want);
	return true;
}

bool case_hotkeys(const struct case_options *o)
{
	obs_source_t *source, *filter, *other_source, *other;
	struct dstr json = {0};
	dstr_printf(&json, "{\"model_dir\":\"%s\"}", o->invert_model_dir);
	bool ok = make_filtered_source("hotkey source", "hotkey filter", STILL_WIDTH, STILL_HEIGHT, 1, json.array,
				       &source, &filter) &&
		  make_filtered_source("other source", "other filter", 64, 64, 2, NULL, &other_source, &other);
	dstr_free(&json);
	if (!ok)
		return false;
	obs_set_output_source(0, source);
	/* What the OBS window and obs-websocket do: keys are routed, then triggered by id. */
	obs_hotkey_enable_callback_rerouting(true);
	struct hotkey_find f, g;
	CHECK(wait_hotkeys(filter, &f) && f.total == HOTKEY_COUNT,
	      "the filter registered %zu hotkeys (%zu of the %zu expected names)", f.total, f.found, HOTKEY_COUNT);
	CHECK(wait_hotkeys(other, &g), "the second filter has only %zu of its hotkeys", g.found);
	printf("  ok: %zu hotkeys per filter instance, on its source, names streamfx.style.next ... streamfx.bypass\n",
	       HOTKEY_COUNT);

	/* A filter on a private source (e.g. a nested scene's helper) gets none: libobs refuses them. */
	obs_source_t *private_source = obs_source_create_private("sfx_controls_still", "private source", NULL);
	obs_source_t *private_filter = obs_source_create(FILTER_ID, "private-parent filter", NULL, NULL);
	obs_source_filter_add(private_source, private_filter);
	session_wait_frames(3, 5000);
	struct hotkey_find p;
	find_hotkeys(private_filter, &p);
	obs_source_filter_remove(private_source, private_filter);
	obs_source_release(private_filter);
	obs_source_release(private_source);
	CHECK(p.total == 0, "a filter on a private source registered %zu hotkeys", p.total);

	ok = wait_host_ready(filter, HOST_START_MS) &&
	     wait_region(0, 0, STILL_WIDTH, STILL_HEIGHT, 1, REGION_INVERTED, HOST_START_MS);
	/* The default pack has 4 styles, style 0 selected. */
	ok = ok && press_expect_style(&f, filter, "streamfx.style.next", 1);
	ok = ok && press_expect_style(&f, filter, "streamfx.style.next", 2);
	ok = ok && press_expect_style(&f, filter, "streamfx.style.next", 3);
	ok = ok && press_expect_style(&f, filter, "streamfx.style.next", 0);
	ok = ok && press_expect_style(&f, filter, "streamfx.style.previous", 3);
	ok = ok && press_expect_style(&f, filter, "streamfx.style.2", 1);
	ok = ok && press_expect_style(&f, filter, "streamfx.style.4", 3);
	if (ok) {
		session_log_mark();
		trigger(&f, "streamfx.style.9");
		/* The hotkey runs synchronously in obs_hotkey_trigger_routed_callback, so its log line is there. */
		CHECK(session_log_has("style 9 ignored", "4 styles", NULL),
		      "streamfx.style.9 with 4 styles was not logged");
		CHECK(setting_int(filter, "style_index") == 3,
		      "streamfx.style.9 with 4 styles changed style_index to %lld", setting_int(filter, "style_index"));
		printf("  ok: streamfx.style.9 with 4 styles leaves style_index, logged\n");
	}
	CHECK(!ok || setting_int(other, "style_index") == 0, "the other filter's style_index changed to %lld",
	      setting_int(other, "style_index"));

	if (ok) {
		trigger(&f, "streamfx.bypass");
		ok = wait_region(0, 0, STILL_WIDTH, STILL_HEIGHT, 1, REGION_PASSTHROUGH, SETTLE_MS);
		CHECK(ok && setting_bool(filter, "bypass"), "streamfx.bypass did not turn bypass on in the settings");
		trigger(&f, "streamfx.bypass");
		ok = wait_region(0, 0, STILL_WIDTH, STILL_HEIGHT, 1, REGION_INVERTED, SETTLE_MS);
		CHECK(ok && !setting_bool(filter, "bypass"), "streamfx.bypass did not turn bypass off again");
		CHECK(!setting_bool(other, "bypass"), "the other filter's bypass changed");
		printf("  ok: streamfx.bypass toggles the output (input <-> inverted), other instance untouched\n");
	}

	obs_set_output_source(0, NULL);
	obs_source_filter_remove(source, filter);
	obs_source_filter_remove(other_source, other);
	obs_source_release(filter);
	obs_source_release(other);
	obs_source_release(source);
	obs_source_release(other_source);
	return ok;
}

/* ---- Scene collection round trip ------------------------------------------------------------ */

struct binding_find {
	obs_hotkey_id id;
	obs_key_combination_t combo;
	size_t count;
};

static bool find_binding(void *data, size_t idx, obs_hotkey_binding_t *binding)
{
	(void)idx;
	struct binding_find *b = data;
	if (obs_hotkey_binding_get_hotkey_id(binding) == b->id) {
		b->combo = obs_hotkey_binding_get_key_combination(binding);
		b->count++;
	}
	return true;
}

static bool check_binding(const struct hotkey_find *f, const char *name, obs_key_combination_t want)
{
	struct binding_find b = {.id = hotkey_id(f, name)};
	obs_enum_hotkey_bindings(find_binding, &b);
	CHECK(b.count == 1 && b.combo.key == want.key && b.combo.modifiers == want.modifiers,
	      "hotkey %s after reload: %zu bindings, key %d modifiers %u; expected key %d modifiers %u", name, b.count,
	      (int)b.combo.key, b.combo.modifiers, (int)want.key, want.modifiers);
	return true;
}

static char *settings_json(obs_source_t *filter)
{
	obs_data_t *s = obs_source_get_settings(filter);
	char *json = bstrdup(obs_data_get_json(s));
	obs_data_release(s);
	return json;
}

struct loaded_sources {
	obs_source_t *refs[8];
	size_t count;
};

/* obs_load_sources releases what it created; like the front-end, keep what was loaded. */
static void keep_loaded(void *data, obs_source_t *source)
{
	struct loaded_sources *l = data;
	if (l->count < 8)
		l->refs[l->count++] = obs_source_get_ref(source);
}

bool case_roundtrip(const struct case_options *o)
{
	static const char *const settings =
	    "{\"prompt\":\"a knight in armour\",\"negative_prompt\":\"modern\","
	    "\"styles\":[{\"value\":\"Ink: ink wash\"},{\"value\":\"Gold: golden light\"},{\"value\":\"Snow: "
	    "winter\"}],"
	    "\"style_index\":2,\"strength\":0.3,\"steps\":3,\"guidance_scale\":3.5,\"delta\":0.7,\"cfg_type\":\"full\","
	    "\"seed\":77,\"similarity_threshold\":0.9,\"resolution\":384,\"fit_mode\":\"fit\",\"model_dir\":\"/some/"
	    "pack\","
	    "\"execution_provider\":\"cpu\",\"transition_frames\":12,\"bypass\":true,\"show_advanced\":true}";
	obs_source_t *source, *filter;
	if (!make_filtered_source("Cam", "AI", STILL_WIDTH, STILL_HEIGHT, 1, settings, &source, &filter))
		return false;
	obs_scene_t *scene = obs_scene_create("Controls scene");
	obs_scene_add(scene, source);
	obs_set_output_source(0, obs_scene_get_source(scene));
	struct hotkey_find f;
	CHECK(wait_hotkeys(filter, &f), "the filter has only %zu of its hotkeys", f.found);
	obs_key_combination_t next_combo = {.modifiers = INTERACT_CONTROL_KEY, .key = OBS_KEY_F5};
	obs_key_combination_t bypass_combo = {.modifiers = 0, .key = OBS_KEY_F6};
	obs_hotkey_load_bindings(hotkey_id(&f, "streamfx.style.next"), &next_combo, 1);
	obs_hotkey_load_bindings(hotkey_id(&f, "streamfx.bypass"), &bypass_combo, 1);

	char *settings_before = settings_json(filter);
	char *config_before = filter_get_config(filter);

	/* Save the way the front-end does: every source (the scene included) with filters and hotkeys. */
	obs_data_t *collection = obs_data_create();
	obs_data_array_t *sources = obs_save_sources();
	obs_data_set_array(collection, "sources", sources);
	obs_data_array_release(sources);
	struct dstr path = {0};
	dstr_printf(&path, "%s/controls-collection.json", o->work_dir);
	bool saved = obs_data_save_json_safe(collection, path.array, "tmp", "bak");
	obs_data_release(collection);
	CHECK(saved, "could not write %s", path.array);

	/* Close everything, as switching collections does. */
	obs_set_output_source(0, NULL);
	obs_source_remove(obs_scene_get_source(scene));
	obs_scene_release(scene);
	obs_source_remove(source);
	obs_source_release(filter);
	obs_source_release(source);
	obs_wait_for_destroy_queue();
	obs_source_t *gone = obs_get_source_by_name("Cam");
	CHECK(!gone, "source 'Cam' still exists after it was removed");

	obs_data_t *loaded = obs_data_create_from_json_file(path.array);
	CHECK(loaded, "could not read back %s", path.array);
	obs_data_array_t *array = obs_data_get_array(loaded, "sources");
	struct loaded_sources loaded_refs = {0};
	obs_load_sources(array, keep_loaded, &loaded_refs);
	obs_data_array_release(array);
	obs_data_release(loaded);

	obs_source_t *source2 = obs_get_source_by_name("Cam");
	obs_source_t *filter2 = source2 ? obs_source_get_filter_by_name(source2, "AI") : NULL;
	CHECK(filter2, "after reload: source 'Cam' %s", source2 ? "has no filter 'AI'" : "is missing");
	obs_source_t *scene2 = obs_get_source_by_name("Controls scene");
	obs_set_output_source(0, scene2);
	session_wait_frames(3, 5000);

	char *settings_after = settings_json(filter2);
	char *config_after = filter_get_config(filter2);
	bool same_settings = strcmp(settings_before, settings_after) == 0;
	bool same_config = strcmp(config_before, config_after) == 0;
	if (!same_settings)
		check_fail("settings differ after reload:\n before %s\n after  %s", settings_before, settings_after);
	if (!same_config)
		check_fail("CONFIGURE differs after reload:\n before %s\n after  %s", config_before, config_after);
	bool ok = same_settings && same_config;
	if (ok)
		printf("  ok: settings and CONFIGURE identical after save + reload: %s\n", config_after);

	struct hotkey_find f2;
	ok = ok && wait_hotkeys(filter2, &f2);
	ok = ok && check_binding(&f2, "streamfx.style.next", next_combo) &&
	     check_binding(&f2, "streamfx.bypass", bypass_combo);
	if (ok)
		printf("  ok: hotkey bindings kept (style.next = Ctrl+F5, bypass = F6)\n");

	bfree(settings_before);
	bfree(settings_after);
	bfree(config_before);
	bfree(config_after);
	dstr_free(&path);
	obs_set_output_source(0, NULL);
	if (scene2) {
		obs_source_remove(scene2);
		obs_source_release(scene2);
	}
	obs_source_remove(source2);
	obs_source_release(filter2);
	obs_source_release(source2);
	for (size_t i = 0; i < loaded_refs.count; i++)
		obs_source_release(loaded_refs.refs[i]);
	return ok;
}
