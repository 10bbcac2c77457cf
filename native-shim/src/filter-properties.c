#include "filter-properties.h"

#include <stdio.h>
#include <string.h>

#include <util/platform.h>

#include "filter-settings.h"
#include "model-downloads.h"
#include "plugin-log.h"

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

/* ---- The model downloads (docs/models.md, "The panel") ----------------------------------------
 * Per catalogue entry: a state line, a licence line (a link), an "I accept" box where the entry says
 * so, and Download / Cancel / Use buttons. Property names carry the entry id after a fixed prefix so
 * one callback serves every entry. */

#define MODEL_STATE    "model_state."
#define MODEL_LICENCE  "model_licence."
#define MODEL_DOWNLOAD "model_download."
#define MODEL_CANCEL   "model_cancel."
#define MODEL_USE      "model_use."

/* The entry id after `prefix` in a property name, or NULL. */
static const char *entry_id(obs_property_t *p, const char *prefix)
{
	const char *name = obs_property_name(p);
	size_t n = strlen(prefix);
	return name && strncmp(name, prefix, n) == 0 ? name + n : NULL;
}

static void key_for(char *out, size_t cap, const char *prefix, const char *id)
{
	snprintf(out, cap, "%s%s", prefix, id);
}

static bool licence_accepted(obs_data_t *settings, const struct sfx_model_entry *e)
{
	char key[128];
	key_for(key, sizeof(key), SFX_SETTING_MODEL_ACCEPT_PREFIX, e->id);
	return !e->must_accept || (settings && obs_data_get_bool(settings, key));
}

static bool model_download_clicked(obs_properties_t *props, obs_property_t *p, void *data)
{
	(void)props;
	obs_source_t *filter = data;
	struct sfx_model_entry e;
	if (!sfx_model_downloads_find(entry_id(p, MODEL_DOWNLOAD), &e))
		return false;
	obs_data_t *settings = obs_source_get_settings(filter);
	bool accepted = licence_accepted(settings, &e);
	obs_data_release(settings);
	if (!accepted) {
		obs_log(LOG_WARNING, "'%s': model '%s' not downloaded: its licence (%s, %s) must be accepted first",
			obs_source_get_name(filter), e.id, e.licence_name, e.licence_url);
		return false;
	}
	char err[1024];
	if (!sfx_model_downloads_start(e.id, err, sizeof(err)))
		obs_log(LOG_WARNING, "'%s': model '%s' not downloaded: %s", obs_source_get_name(filter), e.id, err);
	return true; /* the panel shows the new state */
}

static bool model_cancel_clicked(obs_properties_t *props, obs_property_t *p, void *data)
{
	(void)props;
	(void)data;
	const char *id = entry_id(p, MODEL_CANCEL);
	struct sfx_model_status st;
	if (!id || !sfx_model_downloads_status(id, &st))
		return false;
	/* Downloading as a part of a pair: the pair's download is the one to stop. */
	sfx_model_downloads_cancel(st.via[0] ? st.via : id);
	return true;
}

/* Use: model_dir for a stream-diffusion entry (its own VAE, so vae_dir is cleared), vae_dir for an
 * autoencoder, both for a pair. The filter's update sends them and the host reloads. */
static bool model_use_clicked(obs_properties_t *props, obs_property_t *p, void *data)
{
	(void)props;
	obs_source_t *filter = data;
	struct sfx_model_entry e;
	struct sfx_model_status st;
	if (!sfx_model_downloads_find(entry_id(p, MODEL_USE), &e) || !sfx_model_downloads_status(e.id, &st) ||
	    st.state != SFX_MODEL_READY)
		return false;
	const bool pair = e.model_part[0] != '\0';
	const bool autoencoder = !pair && strcmp(e.kind, "autoencoder") == 0;
	char *model_dir = autoencoder ? NULL : sfx_model_downloads_folder(pair ? e.model_part : e.id);
	char *vae_dir = pair          ? sfx_model_downloads_folder(e.vae_part)
			: autoencoder ? sfx_model_downloads_folder(e.id)
				      : NULL;
	obs_data_t *change = obs_data_create();
	if (model_dir)
		obs_data_set_string(change, SFX_SETTING_MODEL_DIR, model_dir);
	obs_data_set_string(change, SFX_SETTING_VAE_DIR, vae_dir ? vae_dir : "");
	obs_source_update(filter, change);
	obs_data_release(change);
	obs_log(LOG_INFO, "'%s': using model '%s': model_dir %s, vae_dir %s", obs_source_get_name(filter), e.id,
		model_dir ? model_dir : "(unchanged)", vae_dir ? vae_dir : "(the model's own)");
	bfree(model_dir);
	bfree(vae_dir);
	return true; /* the panel shows the new folders */
}

/* Ticking "I accept" enables Download without waiting for a reload. */
static bool licence_modified(obs_properties_t *props, obs_property_t *p, obs_data_t *settings)
{
	const char *id = entry_id(p, SFX_SETTING_MODEL_ACCEPT_PREFIX);
	char key[128];
	key_for(key, sizeof(key), MODEL_DOWNLOAD, id ? id : "");
	obs_property_t *download = obs_properties_get(props, key);
	if (download)
		obs_property_set_enabled(download, obs_data_get_bool(settings, obs_property_name(p)));
	return true;
}

static void add_model_entry(obs_properties_t *g, const struct sfx_model_entry *e, obs_source_t *filter,
			    obs_data_t *settings)
{
	struct sfx_model_status st;
	sfx_model_downloads_status(e->id, &st);
	char state[1200], text[1600], key[128];
	sfx_model_status_format(&st, state, sizeof(state));
	if (e->approx_bytes >= 1000000000)
		snprintf(text, sizeof(text), "%s (~%.1f GB): %s", e->name, (double)e->approx_bytes / 1e9, state);
	else
		snprintf(text, sizeof(text), "%s (~%.0f MB): %s", e->name, (double)e->approx_bytes / 1e6, state);
	key_for(key, sizeof(key), MODEL_STATE, e->id);
	obs_property_t *p = obs_properties_add_text(g, key, text, OBS_TEXT_INFO);
	obs_property_text_set_info_word_wrap(p, true);
	if (st.state == SFX_MODEL_FAILED)
		obs_property_text_set_info_type(p, OBS_TEXT_INFO_ERROR);

	const bool ready = st.state == SFX_MODEL_READY;
	const bool downloading = st.state == SFX_MODEL_DOWNLOADING;
	if (e->licence_name[0] && !ready) {
		char line[1024];
		snprintf(line, sizeof(line), "%s <a href=\"%s\">%s</a>%s", T("StreamFx.Model.Licence"), e->licence_url,
			 e->licence_name, e->must_accept ? T("StreamFx.Model.MustAccept") : "");
		key_for(key, sizeof(key), MODEL_LICENCE, e->id);
		obs_properties_add_text(g, key, line, OBS_TEXT_INFO);
	}
	if (e->must_accept && !ready && !downloading) {
		key_for(key, sizeof(key), SFX_SETTING_MODEL_ACCEPT_PREFIX, e->id);
		p = obs_properties_add_bool(g, key, T("StreamFx.Model.Accept"));
		obs_property_set_modified_callback(p, licence_modified);
	}
	key_for(key, sizeof(key), MODEL_DOWNLOAD, e->id);
	p = obs_properties_add_button2(g, key, T("StreamFx.Model.Download"), model_download_clicked, filter);
	obs_property_set_visible(p, !ready && !downloading);
	obs_property_set_enabled(p, licence_accepted(settings, e));
	key_for(key, sizeof(key), MODEL_CANCEL, e->id);
	p = obs_properties_add_button2(g, key, T("StreamFx.Model.Cancel"), model_cancel_clicked, filter);
	obs_property_set_visible(p, downloading);
	key_for(key, sizeof(key), MODEL_USE, e->id);
	p = obs_properties_add_button2(g, key, T("StreamFx.Model.Use"), model_use_clicked, filter);
	obs_property_set_visible(p, ready);
}

static void add_model_downloads(obs_properties_t *g, obs_source_t *filter, obs_data_t *settings)
{
	size_t count = sfx_model_downloads_count();
	if (count == 0) {
		char line[700];
		snprintf(line, sizeof(line), "%s: %s", T("StreamFx.Model.Unavailable"), sfx_model_downloads_problem());
		obs_property_t *p = obs_properties_add_text(g, MODEL_STATE "catalogue", line, OBS_TEXT_INFO);
		obs_property_text_set_info_type(p, OBS_TEXT_INFO_WARNING);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		struct sfx_model_entry e;
		if (sfx_model_downloads_entry(i, &e))
			add_model_entry(g, &e, filter, settings);
	}
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
	if (filter && strcmp(group->id, SFX_MODEL_DOWNLOADS_GROUP) == 0)
		add_model_downloads(g, filter, settings);
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
