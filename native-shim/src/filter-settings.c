#include "filter-settings.h"

#include <string.h>

#include <util/bmem.h>

#include "plugin-log.h"

void sfx_filter_settings_defaults(obs_data_t *settings)
{
	obs_data_set_default_int(settings, SFX_SETTING_RESOLUTION, SFX_RESOLUTION_DEFAULT);
	obs_data_set_default_bool(settings, SFX_SETTING_BYPASS, false);
	obs_data_set_default_string(settings, SFX_SETTING_MODEL_DIR, "");
}

void sfx_filter_settings_add_properties(obs_properties_t *props)
{
	obs_property_t *p =
	    obs_properties_add_int_slider(props, SFX_SETTING_RESOLUTION, obs_module_text("StreamFx.Resolution"),
					  SFX_RESOLUTION_MIN, SFX_RESOLUTION_MAX, SFX_RESOLUTION_STEP);
	obs_property_int_set_suffix(p, " px");
	obs_property_set_long_description(p, obs_module_text("StreamFx.Resolution.Description"));
	obs_properties_add_bool(props, SFX_SETTING_BYPASS, obs_module_text("StreamFx.Bypass"));
	p = obs_properties_add_path(props, SFX_SETTING_MODEL_DIR, obs_module_text("StreamFx.ModelDir"),
				    OBS_PATH_DIRECTORY, NULL, NULL);
	obs_property_set_long_description(p, obs_module_text("StreamFx.ModelDir.Description"));
}

static uint32_t read_resolution(obs_data_t *settings)
{
	long long value = obs_data_get_int(settings, SFX_SETTING_RESOLUTION);
	long long clamped = value;
	if (clamped < SFX_RESOLUTION_MIN)
		clamped = SFX_RESOLUTION_MIN;
	if (clamped > SFX_RESOLUTION_MAX)
		clamped = SFX_RESOLUTION_MAX;
	/* The GPU scales to any size, but even sizes keep model strides simple; round down. */
	clamped &= ~1LL;
	if (clamped != value)
		obs_log(LOG_WARNING, "setting '%s': expected an even number in %d..%d, found %lld; using %lld",
			SFX_SETTING_RESOLUTION, SFX_RESOLUTION_MIN, SFX_RESOLUTION_MAX, value, clamped);
	return (uint32_t)clamped;
}

void sfx_filter_settings_read(struct sfx_filter_settings *out, obs_data_t *settings)
{
	out->resolution = read_resolution(settings);
	out->bypass = obs_data_get_bool(settings, SFX_SETTING_BYPASS);

	const char *model_dir = obs_data_get_string(settings, SFX_SETTING_MODEL_DIR);
	size_t len = strlen(model_dir);
	if (len >= sizeof(out->model_dir)) {
		obs_log(LOG_WARNING,
			"setting '%s': expected a path shorter than %zu bytes, found %zu; using the default",
			SFX_SETTING_MODEL_DIR, sizeof(out->model_dir), len);
		len = 0;
	}
	memcpy(out->model_dir, model_dir, len);
	out->model_dir[len] = '\0';
}

bool sfx_filter_settings_equal(const struct sfx_filter_settings *a, const struct sfx_filter_settings *b)
{
	return a->resolution == b->resolution && a->bypass == b->bypass && strcmp(a->model_dir, b->model_dir) == 0;
}

char *sfx_filter_settings_to_json(const struct sfx_filter_settings *settings, const char *default_model_dir)
{
	obs_data_t *data = obs_data_create();
	obs_data_set_int(data, SFX_SETTING_RESOLUTION, settings->resolution);
	obs_data_set_bool(data, SFX_SETTING_BYPASS, settings->bypass);
	const char *model_dir = settings->model_dir[0] ? settings->model_dir
				: default_model_dir    ? default_model_dir
						       : "";
	obs_data_set_string(data, SFX_SETTING_MODEL_DIR, model_dir);
	char *json = bstrdup(obs_data_get_json(data));
	obs_data_release(data);
	return json;
}
