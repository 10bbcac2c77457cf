#include "filter-properties.h"

#include <stdio.h>
#include <string.h>

#include <util/platform.h>

#include "filter-settings.h"

#define BUTTON_SEED "seed_randomize"

#define T(key) obs_module_text(key)

/* Fills the "current style" list from the styles in settings: "None", then "1. Name", ... */
static void fill_style_list(obs_property_t *list, obs_data_t *settings)
{
	obs_property_list_clear(list);
	obs_property_list_add_int(list, T("StreamFx.Style.None"), -1);
	obs_data_array_t *styles = settings ? obs_data_get_array(settings, SFX_SETTING_STYLES) : NULL;
	size_t count = obs_data_array_count(styles);
	if (count > SFX_SETTING_STYLES_MAX_ITEMS)
		count = SFX_SETTING_STYLES_MAX_ITEMS;
	for (size_t i = 0; i < count; i++) {
		obs_data_t *item = obs_data_array_item(styles, i);
		char name[128];
		sfx_style_name(item ? obs_data_get_string(item, "value") : "", name, sizeof(name));
		char label[160];
		snprintf(label, sizeof(label), "%zu. %s", i + 1, name[0] ? name : "-");
		obs_property_list_add_int(list, label, (long long)i);
		obs_data_release(item);
	}
	obs_data_array_release(styles);
}

static bool styles_modified(obs_properties_t *props, obs_property_t *p, obs_data_t *settings)
{
	(void)p;
	obs_property_t *list = obs_properties_get(props, SFX_SETTING_STYLE_INDEX);
	if (list)
		fill_style_list(list, settings);
	return true;
}

static bool show_advanced_modified(obs_properties_t *props, obs_property_t *p, obs_data_t *settings)
{
	(void)p;
	bool show = obs_data_get_bool(settings, SFX_SETTING_SHOW_ADVANCED);
	for (size_t i = 0; i < SFX_SETTING_GROUP_COUNT; i++)
		if (sfx_setting_groups[i].advanced)
			obs_property_set_visible(obs_properties_get(props, sfx_setting_groups[i].id), show);
	return true;
}

static bool randomize_seed(obs_properties_t *props, obs_property_t *p, void *data)
{
	(void)props;
	(void)p;
	obs_source_t *filter = data;
	/* splitmix64 of the clock: a fresh seed per click, no global RNG state to share. */
	uint64_t z = os_gettime_ns() + 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	obs_data_t *change = obs_data_create();
	obs_data_set_int(change, SFX_SETTING_SEED, (long long)(z % ((uint64_t)SFX_SETTING_SEED_MAX + 1)));
	obs_source_update(filter, change);
	obs_data_release(change);
	return true; /* the panel re-reads the settings and shows the new seed */
}

/* One control for a contract key, as the schema describes it (kind, widget, range, locale ids). */
static void add_setting(obs_properties_t *g, const struct sfx_setting_spec *spec, obs_source_t *filter,
			obs_data_t *settings)
{
	obs_property_t *p = NULL;
	const char *label = T(spec->locale);
	switch (spec->kind) {
	case SFX_KIND_TEXT:
		p = obs_properties_add_text(
		    g, spec->key, label, spec->widget == SFX_WIDGET_MULTILINE ? OBS_TEXT_MULTILINE : OBS_TEXT_DEFAULT);
		break;
	case SFX_KIND_PATH:
		p = obs_properties_add_path(g, spec->key, label, OBS_PATH_DIRECTORY, NULL, NULL);
		break;
	case SFX_KIND_TEXT_LIST:
		p = obs_properties_add_editable_list(g, spec->key, label, OBS_EDITABLE_LIST_TYPE_STRINGS, NULL, NULL);
		/* The styles feed the "current style" list. */
		obs_property_set_modified_callback(p, styles_modified);
		break;
	case SFX_KIND_INT:
		if (spec->widget == SFX_WIDGET_STYLE_LIST) {
			p = obs_properties_add_list(g, spec->key, label, OBS_COMBO_TYPE_LIST, OBS_COMBO_FORMAT_INT);
			fill_style_list(p, settings);
		} else if (spec->widget == SFX_WIDGET_SLIDER) {
			p = obs_properties_add_int_slider(g, spec->key, label, (int)spec->min, (int)spec->max,
							  (int)spec->step);
		} else {
			p = obs_properties_add_int(g, spec->key, label, (int)spec->min, (int)spec->max,
						   (int)spec->step);
		}
		if (spec->suffix[0] && spec->widget != SFX_WIDGET_STYLE_LIST)
			obs_property_int_set_suffix(p, spec->suffix);
		break;
	case SFX_KIND_FLOAT:
		p = obs_properties_add_float_slider(g, spec->key, label, spec->min, spec->max, spec->step);
		if (spec->suffix[0])
			obs_property_float_set_suffix(p, spec->suffix);
		break;
	case SFX_KIND_BOOL:
		p = obs_properties_add_bool(g, spec->key, label);
		break;
	case SFX_KIND_CHOICE:
		p = obs_properties_add_list(g, spec->key, label, OBS_COMBO_TYPE_LIST, OBS_COMBO_FORMAT_STRING);
		for (size_t i = 0; i < spec->choice_count; i++)
			obs_property_list_add_string(p, T(spec->choices[i].locale), spec->choices[i].value);
		break;
	}
	if (p && spec->description)
		obs_property_set_long_description(p, T(spec->description));
	if (filter && strcmp(spec->key, SFX_SETTING_SEED) == 0)
		obs_properties_add_button2(g, BUTTON_SEED, T("StreamFx.Seed.Randomize"), randomize_seed, filter);
}

static void add_group(obs_properties_t *props, const struct sfx_setting_group *group, obs_source_t *filter,
		      obs_data_t *settings)
{
	bool show = !group->advanced || (settings && obs_data_get_bool(settings, SFX_SETTING_SHOW_ADVANCED));
	if (group->advanced) {
		obs_property_t *toggle =
		    obs_properties_add_bool(props, SFX_SETTING_SHOW_ADVANCED, T("StreamFx.ShowAdvanced"));
		obs_property_set_modified_callback(toggle, show_advanced_modified);
	}
	obs_properties_t *g = obs_properties_create();
	for (size_t i = 0; i < SFX_SETTING_COUNT; i++)
		if (strcmp(sfx_setting_specs[i].group, group->id) == 0)
			add_setting(g, &sfx_setting_specs[i], filter, settings);
	obs_property_t *p = obs_properties_add_group(props, group->id, T(group->locale), OBS_GROUP_NORMAL, g);
	obs_property_set_visible(p, show);
}

obs_properties_t *sfx_filter_properties_create(obs_source_t *filter, const char *status_text)
{
	obs_properties_t *props = obs_properties_create();
	obs_data_t *settings = filter ? obs_source_get_settings(filter) : NULL;

	if (filter) {
		obs_property_t *p =
		    obs_properties_add_text(props, SFX_PROPERTY_STATUS, status_text ? status_text : "", OBS_TEXT_INFO);
		obs_property_text_set_info_word_wrap(p, true);
	}
	for (size_t i = 0; i < SFX_SETTING_GROUP_COUNT; i++)
		add_group(props, &sfx_setting_groups[i], filter, settings);

	obs_data_release(settings);
	return props;
}
