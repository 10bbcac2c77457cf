/* Every contract key set through obs_source_update reaches the CONFIGURE JSON with its value;
 * values out of range are clamped with a warning naming the key, the range and the value found.
 * The panel and defaults are checked against docs/settings.schema.json itself, and the host (C#)
 * accepts every key at the edges of the schema's ranges as the shim (C) sends them. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <util/bmem.h>
#include <util/dstr.h>
#include <util/platform.h>

#include "case-support.h"
#include "controls-cases.h"

static const char *const contract_keys[] = {
    "prompt",
    "negative_prompt",
    "styles",
    "style_index",
    "strength",
    "steps",
    "guidance_scale",
    "delta",
    "cfg_type",
    "seed",
    "similarity_threshold",
    "resolution",
    "fit_mode",
    "model_dir",
    "execution_provider",
    "transition_frames",
    "bypass",
    "unload_after_hidden_s",
    "vae_dir",
    "source_alpha",
};

struct key_case {
	const char *update; /* JSON object given to obs_source_update */
	const char *expect; /* fragment the CONFIGURE JSON must then hold */
	const char *log[3]; /* fragments of the warning (NULL: no warning expected) */
};

static bool run_key_case(obs_source_t *filter, const struct key_case *c)
{
	session_log_mark();
	update_json(filter, c->update);
	if (!wait_config_has(filter, c->expect, 5000)) {
		fprintf(stderr, "  after obs_source_update(%s)\n", c->update);
		return false;
	}
	if (c->log[0]) {
		CHECK(session_log_has(c->log[0], c->log[1], c->log[2], NULL),
		      "after %s: no warning in the OBS log with '%s', '%s', '%s'", c->update, c->log[0],
		      c->log[1] ? c->log[1] : "", c->log[2] ? c->log[2] : "");
	}
	printf("  ok: %s -> %s%s\n", c->update, c->expect, c->log[0] ? " (warned)" : "");
	return true;
}

/* ---- The panel and defaults against docs/settings.schema.json -------------------------------- */

#ifndef STREAMFX_SETTINGS_SCHEMA
#error "STREAMFX_SETTINGS_SCHEMA (path of docs/settings.schema.json) must be defined"
#endif

/* The property `key` inside the group `group` of the type's panel. */
static obs_property_t *property_in_group(obs_properties_t *props, const char *group, const char *key)
{
	obs_property_t *g = obs_properties_get(props, group);
	if (!g || obs_property_get_type(g) != OBS_PROPERTY_GROUP)
		return NULL;
	obs_properties_t *content = obs_property_group_content(g);
	for (obs_property_t *p = obs_properties_first(content); p; obs_property_next(&p))
		if (strcmp(obs_property_name(p), key) == 0)
			return p;
	return NULL;
}

/* Settings controls in the panel: everything but groups, buttons, info text and the advanced toggle. */
static size_t count_setting_controls(obs_properties_t *props)
{
	size_t n = 0;
	for (obs_property_t *p = obs_properties_first(props); p; obs_property_next(&p)) {
		enum obs_property_type type = obs_property_get_type(p);
		if (type == OBS_PROPERTY_GROUP)
			n += count_setting_controls(obs_property_group_content(p));
		else if (type != OBS_PROPERTY_BUTTON && strcmp(obs_property_name(p), "show_advanced") != 0 &&
			 strcmp(obs_property_name(p), "status") != 0)
			n++;
	}
	return n;
}

/* libobs returns the id itself when a locale string is missing. */
static bool localized(const char *text, const char *id)
{
	return text && text[0] && strcmp(text, id) != 0;
}

/* The styles default in the schema's text (obs_data cannot hold an array of plain strings): every
 * entry in order, and nothing else. */
static bool text_list_default_matches(const char *schema_text, const char *key, obs_data_array_t *defaults)
{
	char marker[96];
	snprintf(marker, sizeof(marker), "\"key\": \"%s\"", key);
	const char *at = strstr(schema_text, marker);
	const char *begin = at ? strstr(at, "\"default\": [") : NULL;
	const char *end = begin ? strchr(begin, ']') : NULL;
	if (!end)
		return false;
	begin += strlen("\"default\": [");
	size_t count = obs_data_array_count(defaults), quotes = 0;
	for (const char *c = begin; c < end; c++)
		quotes += *c == '"';
	const char *pos = begin;
	for (size_t i = 0; i < count; i++) {
		obs_data_t *item = obs_data_array_item(defaults, i);
		struct dstr quoted = {0};
		dstr_printf(&quoted, "\"%s\"", obs_data_get_string(item, "value"));
		obs_data_release(item);
		const char *found = strstr(pos, quoted.array);
		bool in_order = found && found < end;
		if (in_order)
			pos = found + quoted.len;
		dstr_free(&quoted);
		if (!in_order)
			return false;
	}
	return quotes == 2 * count;
}

static bool check_setting(obs_properties_t *props, obs_data_t *defaults, obs_data_t *setting, const char *schema_text)
{
	const char *key = obs_data_get_string(setting, "key");
	const char *kind = obs_data_get_string(setting, "kind");
	const char *group = obs_data_get_string(setting, "group");
	const char *locale = obs_data_get_string(setting, "locale");
	const char *widget = obs_data_get_string(setting, "widget");
	obs_property_t *p = property_in_group(props, group, key);
	CHECK(p, "panel: '%s' is not in group '%s'", key, group);
	CHECK(localized(obs_property_description(p), locale), "panel: '%s' label '%s' (locale id %s missing?)", key,
	      obs_property_description(p), locale);
	bool has_description =
	    !obs_data_has_user_value(setting, "description") || obs_data_get_bool(setting, "description");
	if (has_description) {
		struct dstr id = {0};
		dstr_printf(&id, "%s.Description", locale);
		bool ok = localized(obs_property_long_description(p), id.array);
		dstr_free(&id);
		CHECK(ok, "panel: '%s' has no localized long description (%s.Description)", key, locale);
	}

	enum obs_property_type type = obs_property_get_type(p);
	double min = obs_data_get_double(setting, "min"), max = obs_data_get_double(setting, "max"),
	       step = obs_data_get_double(setting, "step");
	if (strcmp(kind, "int") == 0 && strcmp(widget, "style_list") == 0) {
		CHECK(type == OBS_PROPERTY_LIST && obs_property_list_format(p) == OBS_COMBO_FORMAT_INT &&
			  obs_property_list_item_int(p, 0) == (long long)min,
		      "panel: '%s' is not a style list starting at %g", key, min);
		CHECK(obs_data_get_default_int(defaults, key) == obs_data_get_int(setting, "default"),
		      "defaults: '%s' is %lld, schema %lld", key, obs_data_get_default_int(defaults, key),
		      obs_data_get_int(setting, "default"));
	} else if (strcmp(kind, "int") == 0) {
		CHECK(type == OBS_PROPERTY_INT, "panel: '%s' is not an int control (type %d)", key, (int)type);
		CHECK(obs_property_int_min(p) == (int)min && obs_property_int_max(p) == (int)max &&
			  obs_property_int_step(p) == (int)step,
		      "panel: '%s' range %d..%d step %d, schema %g..%g step %g", key, obs_property_int_min(p),
		      obs_property_int_max(p), obs_property_int_step(p), min, max, step);
		CHECK((obs_property_int_type(p) == OBS_NUMBER_SLIDER) == (strcmp(widget, "slider") == 0),
		      "panel: '%s' widget is not '%s'", key, widget);
		CHECK(obs_data_get_default_int(defaults, key) == obs_data_get_int(setting, "default"),
		      "defaults: '%s' is %lld, schema %lld", key, obs_data_get_default_int(defaults, key),
		      obs_data_get_int(setting, "default"));
	} else if (strcmp(kind, "float") == 0) {
		CHECK(type == OBS_PROPERTY_FLOAT, "panel: '%s' is not a float control (type %d)", key, (int)type);
		CHECK(obs_property_float_min(p) == min && obs_property_float_max(p) == max &&
			  fabs(obs_property_float_step(p) - step) < 1e-12,
		      "panel: '%s' range %g..%g step %g, schema %g..%g step %g", key, obs_property_float_min(p),
		      obs_property_float_max(p), obs_property_float_step(p), min, max, step);
		CHECK(obs_data_get_default_double(defaults, key) == obs_data_get_double(setting, "default"),
		      "defaults: '%s' is %g, schema %g", key, obs_data_get_default_double(defaults, key),
		      obs_data_get_double(setting, "default"));
	} else if (strcmp(kind, "bool") == 0) {
		CHECK(type == OBS_PROPERTY_BOOL, "panel: '%s' is not a check box (type %d)", key, (int)type);
		CHECK(obs_data_get_default_bool(defaults, key) == obs_data_get_bool(setting, "default"),
		      "defaults: '%s' differs from the schema", key);
	} else if (strcmp(kind, "choice") == 0) {
		obs_data_array_t *choices = obs_data_get_array(setting, "choices");
		size_t n = obs_data_array_count(choices);
		bool same = type == OBS_PROPERTY_LIST && obs_property_list_item_count(p) == n;
		for (size_t i = 0; same && i < n; i++) {
			obs_data_t *c = obs_data_array_item(choices, i);
			same = strcmp(obs_property_list_item_string(p, i), obs_data_get_string(c, "value")) == 0 &&
			       localized(obs_property_list_item_name(p, i), obs_data_get_string(c, "locale"));
			obs_data_release(c);
		}
		obs_data_array_release(choices);
		CHECK(same, "panel: '%s' choices differ from the schema's %zu (values, order or locale strings)", key,
		      n);
		CHECK(strcmp(obs_data_get_default_string(defaults, key), obs_data_get_string(setting, "default")) == 0,
		      "defaults: '%s' is '%s', schema '%s'", key, obs_data_get_default_string(defaults, key),
		      obs_data_get_string(setting, "default"));
	} else if (strcmp(kind, "text") == 0 || strcmp(kind, "path") == 0) {
		CHECK(type == (strcmp(kind, "text") == 0 ? OBS_PROPERTY_TEXT : OBS_PROPERTY_PATH),
		      "panel: '%s' is not a %s control (type %d)", key, kind, (int)type);
		CHECK(strcmp(obs_data_get_default_string(defaults, key), obs_data_get_string(setting, "default")) == 0,
		      "defaults: '%s' is '%s', schema '%s'", key, obs_data_get_default_string(defaults, key),
		      obs_data_get_string(setting, "default"));
	} else if (strcmp(kind, "text_list") == 0) {
		CHECK(type == OBS_PROPERTY_EDITABLE_LIST, "panel: '%s' is not an editable list (type %d)", key,
		      (int)type);
		obs_data_array_t *list = obs_data_get_default_array(defaults, key);
		bool same = text_list_default_matches(schema_text, key, list);
		obs_data_array_release(list);
		CHECK(same, "defaults: '%s' entries differ from the schema's default list", key);
	} else {
		CHECK(false, "schema: '%s' has kind '%s', which this check does not know", key, kind);
	}
	return true;
}

static bool check_panel_matches_schema(void)
{
	obs_data_t *schema = obs_data_create_from_json_file(STREAMFX_SETTINGS_SCHEMA);
	char *schema_text = os_quick_read_utf8_file(STREAMFX_SETTINGS_SCHEMA);
	CHECK(schema && schema_text, "cannot read the schema %s", STREAMFX_SETTINGS_SCHEMA);
	obs_properties_t *props = obs_get_source_properties(FILTER_ID);
	obs_data_t *defaults = obs_get_source_defaults(FILTER_ID);
	obs_data_array_t *settings = obs_data_get_array(schema, "settings");
	size_t count = obs_data_array_count(settings);
	bool ok = props && defaults && count > 0;
	if (!ok)
		check_fail("no panel, defaults or schema settings for %s", FILTER_ID);
	for (size_t i = 0; ok && i < count; i++) {
		obs_data_t *setting = obs_data_array_item(settings, i);
		ok = check_setting(props, defaults, setting, schema_text);
		obs_data_release(setting);
	}
	/* Each schema group is in the panel with its localized title; the advanced ones start hidden. */
	obs_data_array_t *groups = obs_data_get_array(schema, "groups");
	for (size_t i = 0; ok && i < obs_data_array_count(groups); i++) {
		obs_data_t *group = obs_data_array_item(groups, i);
		const char *id = obs_data_get_string(group, "id");
		obs_property_t *p = obs_properties_get(props, id);
		bool advanced = obs_data_get_bool(group, "advanced");
		if (!p || obs_property_get_type(p) != OBS_PROPERTY_GROUP ||
		    !localized(obs_property_description(p), obs_data_get_string(group, "locale")) ||
		    obs_property_visible(p) == advanced) {
			check_fail("panel: group '%s' missing, untitled, or %s", id,
				   advanced ? "shown without the advanced toggle" : "hidden");
			ok = false;
		}
		obs_data_release(group);
	}
	obs_data_array_release(groups);
	size_t controls = ok ? count_setting_controls(props) : 0;
	if (ok && controls != count) {
		check_fail("panel: %zu settings controls, the schema has %zu settings", controls, count);
		ok = false;
	}
	if (ok)
		printf("  ok: the panel's %zu controls, ranges, widgets, locale strings and defaults match %s\n", count,
		       STREAMFX_SETTINGS_SCHEMA);
	obs_data_array_release(settings);
	obs_data_release(defaults);
	obs_properties_destroy(props);
	bfree(schema_text);
	obs_data_release(schema);
	return ok;
}

/* ---- The host accepts what the shim sends at the schema's edges ------------------------------- */

struct host_verdict {
	obs_source_t *filter;
	const char *marker; /* in the model folder of the edge CONFIGURE */
	char *host_status;
};

/* The edge CONFIGURE also names a missing model folder: the host either rejects the whole CONFIGURE
 * (its STATUS error names a setting) or accepts it and reports that folder: either ends the wait. */
static bool host_answered(void *arg)
{
	struct host_verdict *v = arg;
	char *text = NULL;
	bfree(v->host_status);
	filter_get_status(v->filter, &text, &v->host_status);
	bfree(text);
	return strstr(v->host_status, v->marker) || strstr(v->host_status, "CONFIGURE");
}

/* Sets every number, choice and flag of the schema to its lowest (or highest) value in one update,
 * with 32 styles so the highest style_index is in reach, and checks the host took it. */
static bool check_host_accepts_edges(obs_source_t *filter, bool highest)
{
	obs_data_t *schema = obs_data_create_from_json_file(STREAMFX_SETTINGS_SCHEMA);
	obs_data_array_t *settings = obs_data_get_array(schema, "settings");
	obs_data_t *change = obs_data_create();
	const char *marker = highest ? "edge-highest" : "edge-lowest";
	for (size_t i = 0; i < obs_data_array_count(settings); i++) {
		obs_data_t *s = obs_data_array_item(settings, i);
		const char *key = obs_data_get_string(s, "key");
		const char *kind = obs_data_get_string(s, "kind");
		const char *edge = highest ? "max" : "min";
		if (strcmp(kind, "int") == 0) {
			obs_data_set_int(change, key, obs_data_get_int(s, edge));
		} else if (strcmp(kind, "float") == 0) {
			obs_data_set_double(change, key, obs_data_get_double(s, edge));
		} else if (strcmp(kind, "bool") == 0) {
			obs_data_set_bool(change, key, highest);
		} else if (strcmp(kind, "choice") == 0) {
			obs_data_array_t *choices = obs_data_get_array(s, "choices");
			obs_data_t *c = obs_data_array_item(choices, highest ? obs_data_array_count(choices) - 1 : 0);
			obs_data_set_string(change, key, obs_data_get_string(c, "value"));
			obs_data_release(c);
			obs_data_array_release(choices);
		} else if (strcmp(kind, "text_list") == 0) {
			obs_data_array_t *list = obs_data_array_create();
			size_t n = highest ? (size_t)obs_data_get_int(s, "max_items") : 0;
			for (size_t j = 0; j < n; j++) {
				obs_data_t *item = obs_data_create();
				char text[48];
				snprintf(text, sizeof(text), "Style %zu: edge", j + 1);
				obs_data_set_string(item, "value", text);
				obs_data_array_push_back(list, item);
				obs_data_release(item);
			}
			obs_data_set_array(change, key, list);
			obs_data_array_release(list);
		}
		obs_data_release(s);
	}
	obs_data_array_release(settings);
	obs_data_release(schema);
	/* Bypass on would stop frames, which this check does not need either way. */
	obs_data_set_bool(change, "bypass", false);
	char folder[64];
	snprintf(folder, sizeof(folder), "/nonexistent/%s", marker);
	obs_data_set_string(change, "model_dir", folder);
	obs_source_update(filter, change);
	obs_data_release(change);

	/* The shim queued it: from here the host's next STATUS is about this CONFIGURE or an earlier one,
	 * and an earlier refusal is a disagreement too. */
	char fragment[96];
	snprintf(fragment, sizeof(fragment), "\"model_dir\":\"%s\"", folder);
	bool queued = wait_config_has(filter, fragment, 5000);
	struct host_verdict v = {filter, marker, NULL};
	bool answered = queued && session_wait_until(host_answered, &v, HOST_START_MS);
	char *config = filter_get_config(filter);
	bool accepted = answered && strstr(v.host_status, marker) && !strstr(v.host_status, "CONFIGURE");
	if (!accepted)
		check_fail("the host refused a CONFIGURE (this one, with the schema's %s values, or an earlier "
			   "one):\n  CONFIGURE %s\n  host STATUS %s",
			   highest ? "highest" : "lowest", config, v.host_status ? v.host_status : "(none)");
	else
		printf("  ok: the host accepted every key at the schema's %s value\n", highest ? "highest" : "lowest");
	bfree(config);
	bfree(v.host_status);
	return accepted;
}

bool case_keys(const struct case_options *o)
{
	obs_source_t *source, *filter;
	struct dstr json = {0};
	dstr_printf(&json, "{\"model_dir\":\"%s\"}", o->invert_model_dir);
	bool ok = make_filtered_source("keys source", "keys filter", STILL_WIDTH, STILL_HEIGHT, 1, json.array, &source,
				       &filter);
	dstr_free(&json);
	if (!ok)
		return false;
	ok = check_panel_matches_schema();
	obs_set_output_source(0, source);
	ok = ok && wait_host_ready(filter, HOST_START_MS) && wait_host_frames(filter, 3, HOST_START_MS);

	/* Every key is in the JSON, defaults included. */
	if (ok) {
		char *config = filter_get_config(filter);
		for (size_t i = 0; ok && i < sizeof(contract_keys) / sizeof(contract_keys[0]); i++) {
			char quoted[64];
			snprintf(quoted, sizeof(quoted), "\"%s\":", contract_keys[i]);
			if (!strstr(config, quoted)) {
				check_fail("CONFIGURE JSON lacks key %s: %s", contract_keys[i], config);
				ok = false;
			}
		}
		printf("  ok: all %zu contract keys in CONFIGURE: %s\n",
		       sizeof(contract_keys) / sizeof(contract_keys[0]), config);
		bfree(config);
	}
	struct filter_stats before;
	filter_stats_read(filter, &before);

	const struct key_case valid[] = {
	    {"{\"prompt\":\"a cat on a sofa\"}", "\"prompt\":\"a cat on a sofa\""},
	    {"{\"negative_prompt\":\"dark, \\\"noisy\\\"\"}", "\"negative_prompt\":\"dark, \\\"noisy\\\"\""},
	    /* libobs writes the styles as its editable list stores them. */
	    {"{\"styles\":[{\"value\":\"Neon: neon glow\"},{\"value\":\"Sketch:  pencil lines \"}]}",
	     "\"styles\":[{\"value\":\"Neon: neon glow\"},{\"value\":\"Sketch:  pencil lines \"}]"},
	    {"{\"style_index\":1}", "\"style_index\":1,"},
	    {"{\"style_index\":1}", "\"effective_prompt\":\"a cat on a sofa, pencil lines\","},
	    {"{\"style_index\":1}", "\"style_name\":\"Sketch\""},
	    {"{\"strength\":0.25}", "\"strength\":0.25,"},
	    {"{\"steps\":3}", "\"steps\":3,"},
	    {"{\"guidance_scale\":7.5}", "\"guidance_scale\":7.5,"},
	    {"{\"delta\":0.5}", "\"delta\":0.5,"},
	    {"{\"cfg_type\":\"full\"}", "\"cfg_type\":\"full\""},
	    {"{\"seed\":123456}", "\"seed\":123456,"},
	    /* jansson writes 17 significant digits: the same double the client sent. */
	    {"{\"similarity_threshold\":0.98}", "\"similarity_threshold\":0.97999999999999998,"},
	    {"{\"resolution\":768}", "\"resolution\":768,"},
	    {"{\"fit_mode\":\"stretch\"}", "\"fit_mode\":\"stretch\""},
	    {"{\"execution_provider\":\"tensorrt-rtx\"}", "\"execution_provider\":\"tensorrt-rtx\""},
	    {"{\"execution_provider\":\"cpu\"}", "\"execution_provider\":\"cpu\""},
	    {"{\"transition_frames\":30}", "\"transition_frames\":30,"},
	    {"{\"bypass\":true}", "\"bypass\":true"},
	    {"{\"bypass\":false}", "\"bypass\":false"},
	    {"{\"unload_after_hidden_s\":0}", "\"unload_after_hidden_s\":0,"},
	    {"{\"vae_dir\":\"/some/vae\"}", "\"vae_dir\":\"/some/vae\""},
	    {"{\"vae_dir\":\"\"}", "\"vae_dir\":\"\""},
	    {"{\"source_alpha\":false}", "\"source_alpha\":false"},
	    {"{\"source_alpha\":true}", "\"source_alpha\":true"},
	    {"{\"style_index\":-1}", "\"effective_prompt\":\"a cat on a sofa\","},
	    {"{\"style_index\":-1}", "\"style_name\":\"\""},
	};
	for (size_t i = 0; ok && i < sizeof(valid) / sizeof(valid[0]); i++)
		ok = run_key_case(filter, &valid[i]);

	const struct key_case clamped[] = {
	    {"{\"strength\":1.5}", "\"strength\":1.0,", {"setting 'strength'", "0..1", "found 1.5"}},
	    {"{\"steps\":9}", "\"steps\":4,", {"setting 'steps'", "1..4", "found 9"}},
	    {"{\"guidance_scale\":50}", "\"guidance_scale\":20.0,", {"setting 'guidance_scale'", "0..20", "found 50"}},
	    {"{\"delta\":-1}", "\"delta\":0.0,", {"setting 'delta'", "0..10", "found -1"}},
	    {"{\"cfg_type\":\"bogus\"}",
	     "\"cfg_type\":\"self\"",
	     {"setting 'cfg_type'", "none, self, initialize or full", "found 'bogus'"}},
	    {"{\"seed\":-5}", "\"seed\":0,", {"setting 'seed'", "0..2147483647", "found -5"}},
	    {"{\"similarity_threshold\":2}",
	     "\"similarity_threshold\":1.0,",
	     {"setting 'similarity_threshold'", "0..1", "found 2"}},
	    {"{\"resolution\":300}",
	     "\"resolution\":320,",
	     {"setting 'resolution'", "multiple of 64 in 64..1024", "found 300"}},
	    {"{\"resolution\":100}", "\"resolution\":128,", {"setting 'resolution'", "64..1024", "found 100"}},
	    {"{\"resolution\":10}", "\"resolution\":64,", {"setting 'resolution'", "64..1024", "found 10"}},
	    {"{\"resolution\":4096}", "\"resolution\":1024,", {"setting 'resolution'", "64..1024", "found 4096"}},
	    {"{\"seed\":2147483648}", "\"seed\":2147483647,", {"setting 'seed'", "0..2147483647", "found 2147483648"}},
	    {"{\"unload_after_hidden_s\":5000}",
	     "\"unload_after_hidden_s\":3600,",
	     {"setting 'unload_after_hidden_s'", "0..3600", "found 5000"}},
	    {"{\"fit_mode\":\"zoom\"}",
	     "\"fit_mode\":\"crop\"",
	     {"setting 'fit_mode'", "crop, fit or stretch", "found 'zoom'"}},
	    {"{\"execution_provider\":\"quantum\"}",
	     "\"execution_provider\":\"auto\"",
	     {"setting 'execution_provider'", "auto, tensorrt, tensorrt-rtx, cuda, directml or cpu",
	      "found 'quantum'"}},
	    {"{\"transition_frames\":1000}",
	     "\"transition_frames\":600,",
	     {"setting 'transition_frames'", "0..600", "found 1000"}},
	    {"{\"style_index\":7}", "\"style_index\":1,", {"setting 'style_index'", "0..1 (2 styles)", "found 7"}},
	    {"{\"style_index\":-3}", "\"style_index\":-1,", {"setting 'style_index'", "-1 (no style)", "found -3"}},
	};
	for (size_t i = 0; ok && i < sizeof(clamped) / sizeof(clamped[0]); i++)
		ok = run_key_case(filter, &clamped[i]);

	ok = ok && check_host_accepts_edges(filter, false) && check_host_accepts_edges(filter, true);
	if (ok) {
		/* Back to the invert pack for the checks below. */
		struct dstr back = {0};
		dstr_printf(&back, "{\"model_dir\":\"%s\"}", o->invert_model_dir);
		update_json(filter, back.array);
		dstr_free(&back);
		ok = wait_host_frames(filter, 3, HOST_START_MS);
	}

	/* The same host took every change live: no restart, still processing, model as configured. */
	if (ok)
		ok = wait_host_frames(filter, 3, SETTLE_MS);
	if (ok) {
		struct filter_stats after;
		filter_stats_read(filter, &after);
		CHECK(after.host_pid == before.host_pid && after.restarts == 0,
		      "the host restarted while settings changed (pid %lld -> %lld, restarts %lld)", before.host_pid,
		      after.host_pid, after.restarts);
		char *text, *host;
		filter_get_status(filter, &text, &host);
		bool has_model = strstr(host, "invert") != NULL;
		printf("  host STATUS: %s\n  status line:\n%s\n", host, text);
		bfree(text);
		bfree(host);
		CHECK(has_model, "the host's STATUS does not name the configured model folder (invert pack)");
		printf("  ok: %lld CONFIGUREs sent, host pid %lld unchanged, no restart\n", after.configures_sent,
		       after.host_pid);
	}

	obs_set_output_source(0, NULL);
	obs_source_filter_remove(source, filter);
	obs_source_release(filter);
	obs_source_release(source);
	return ok;
}
