#include "filter-properties.h"

#include <stdio.h>
#include <string.h>

#include <util/platform.h>

#include "filter-settings.h"

#define GROUP_PROMPT   "group_prompt"
#define GROUP_EFFECT   "group_effect"
#define GROUP_OUTPUT   "group_output"
#define GROUP_MODEL    "group_model"
#define GROUP_ADVANCED "group_advanced"
#define BUTTON_SEED    "seed_randomize"

#define T(key) obs_module_text(key)

/* Fills the "current style" list from the styles in settings: "None", then "1. Name", ... */
static void fill_style_list(obs_property_t *list, obs_data_t *settings)
{
	obs_property_list_clear(list);
	obs_property_list_add_int(list, T("StreamFx.Style.None"), -1);
	obs_data_array_t *styles = settings ? obs_data_get_array(settings, SFX_SETTING_STYLES) : NULL;
	size_t count = obs_data_array_count(styles);
	if (count > SFX_STYLES_MAX)
		count = SFX_STYLES_MAX;
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
	obs_property_set_visible(obs_properties_get(props, GROUP_ADVANCED),
				 obs_data_get_bool(settings, SFX_SETTING_SHOW_ADVANCED));
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
	obs_data_set_int(change, SFX_SETTING_SEED, (long long)(z % ((uint64_t)SFX_SEED_MAX + 1)));
	obs_source_update(filter, change);
	obs_data_release(change);
	return true; /* the panel re-reads the settings and shows the new seed */
}

static void add_prompt_group(obs_properties_t *props, obs_data_t *settings)
{
	obs_properties_t *g = obs_properties_create();
	obs_property_t *p = obs_properties_add_text(g, SFX_SETTING_PROMPT, T("StreamFx.Prompt"), OBS_TEXT_MULTILINE);
	obs_property_set_long_description(p, T("StreamFx.Prompt.Description"));
	p = obs_properties_add_text(g, SFX_SETTING_NEGATIVE_PROMPT, T("StreamFx.NegativePrompt"), OBS_TEXT_MULTILINE);
	obs_property_set_long_description(p, T("StreamFx.NegativePrompt.Description"));
	p = obs_properties_add_editable_list(g, SFX_SETTING_STYLES, T("StreamFx.Styles"),
					     OBS_EDITABLE_LIST_TYPE_STRINGS, NULL, NULL);
	obs_property_set_long_description(p, T("StreamFx.Styles.Description"));
	obs_property_set_modified_callback(p, styles_modified);
	p = obs_properties_add_list(g, SFX_SETTING_STYLE_INDEX, T("StreamFx.StyleIndex"), OBS_COMBO_TYPE_LIST,
				    OBS_COMBO_FORMAT_INT);
	obs_property_set_long_description(p, T("StreamFx.StyleIndex.Description"));
	fill_style_list(p, settings);
	obs_properties_add_group(props, GROUP_PROMPT, T("StreamFx.Group.Prompt"), OBS_GROUP_NORMAL, g);
}

static void add_effect_group(obs_properties_t *props, obs_source_t *filter)
{
	obs_properties_t *g = obs_properties_create();
	obs_property_t *p =
	    obs_properties_add_float_slider(g, SFX_SETTING_STRENGTH, T("StreamFx.Strength"), 0.0, 1.0, 0.01);
	obs_property_set_long_description(p, T("StreamFx.Strength.Description"));
	p = obs_properties_add_int(g, SFX_SETTING_SEED, T("StreamFx.Seed"), 0, (int)SFX_SEED_MAX, 1);
	obs_property_set_long_description(p, T("StreamFx.Seed.Description"));
	if (filter)
		obs_properties_add_button2(g, BUTTON_SEED, T("StreamFx.Seed.Randomize"), randomize_seed, filter);
	p = obs_properties_add_int_slider(g, SFX_SETTING_TRANSITION_FRAMES, T("StreamFx.TransitionFrames"), 0,
					  SFX_TRANSITION_FRAMES_MAX, 1);
	obs_property_set_long_description(p, T("StreamFx.TransitionFrames.Description"));
	obs_properties_add_bool(g, SFX_SETTING_BYPASS, T("StreamFx.Bypass"));
	obs_properties_add_group(props, GROUP_EFFECT, T("StreamFx.Group.Effect"), OBS_GROUP_NORMAL, g);
}

static void add_output_group(obs_properties_t *props)
{
	obs_properties_t *g = obs_properties_create();
	obs_property_t *p = obs_properties_add_int_slider(g, SFX_SETTING_RESOLUTION, T("StreamFx.Resolution"),
							  SFX_RESOLUTION_MIN, SFX_RESOLUTION_MAX, SFX_RESOLUTION_STEP);
	obs_property_int_set_suffix(p, " px");
	obs_property_set_long_description(p, T("StreamFx.Resolution.Description"));
	p = obs_properties_add_list(g, SFX_SETTING_FIT_MODE, T("StreamFx.FitMode"), OBS_COMBO_TYPE_LIST,
				    OBS_COMBO_FORMAT_STRING);
	obs_property_list_add_string(p, T("StreamFx.FitMode.Crop"), "crop");
	obs_property_list_add_string(p, T("StreamFx.FitMode.Fit"), "fit");
	obs_property_list_add_string(p, T("StreamFx.FitMode.Stretch"), "stretch");
	obs_property_set_long_description(p, T("StreamFx.FitMode.Description"));
	obs_properties_add_group(props, GROUP_OUTPUT, T("StreamFx.Group.Output"), OBS_GROUP_NORMAL, g);
}

static void add_model_group(obs_properties_t *props)
{
	obs_properties_t *g = obs_properties_create();
	obs_property_t *p =
	    obs_properties_add_path(g, SFX_SETTING_MODEL_DIR, T("StreamFx.ModelDir"), OBS_PATH_DIRECTORY, NULL, NULL);
	obs_property_set_long_description(p, T("StreamFx.ModelDir.Description"));
	p = obs_properties_add_list(g, SFX_SETTING_EXECUTION_PROVIDER, T("StreamFx.Provider"), OBS_COMBO_TYPE_LIST,
				    OBS_COMBO_FORMAT_STRING);
	obs_property_list_add_string(p, T("StreamFx.Provider.Auto"), "auto");
	obs_property_list_add_string(p, T("StreamFx.Provider.TensorRT"), "tensorrt");
	obs_property_list_add_string(p, T("StreamFx.Provider.CUDA"), "cuda");
	obs_property_list_add_string(p, T("StreamFx.Provider.DirectML"), "directml");
	obs_property_list_add_string(p, T("StreamFx.Provider.CPU"), "cpu");
	obs_property_set_long_description(p, T("StreamFx.Provider.Description"));
	obs_properties_add_group(props, GROUP_MODEL, T("StreamFx.Group.Model"), OBS_GROUP_NORMAL, g);
}

static void add_advanced_group(obs_properties_t *props, obs_data_t *settings)
{
	obs_property_t *toggle = obs_properties_add_bool(props, SFX_SETTING_SHOW_ADVANCED, T("StreamFx.ShowAdvanced"));
	obs_property_set_modified_callback(toggle, show_advanced_modified);

	obs_properties_t *g = obs_properties_create();
	obs_property_t *p =
	    obs_properties_add_int_slider(g, SFX_SETTING_STEPS, T("StreamFx.Steps"), SFX_STEPS_MIN, SFX_STEPS_MAX, 1);
	obs_property_set_long_description(p, T("StreamFx.Steps.Description"));
	p = obs_properties_add_float_slider(g, SFX_SETTING_GUIDANCE_SCALE, T("StreamFx.Guidance"), 0.0,
					    SFX_GUIDANCE_MAX, 0.1);
	obs_property_set_long_description(p, T("StreamFx.Guidance.Description"));
	p = obs_properties_add_float_slider(g, SFX_SETTING_DELTA, T("StreamFx.Delta"), 0.0, SFX_DELTA_MAX, 0.05);
	obs_property_set_long_description(p, T("StreamFx.Delta.Description"));
	p = obs_properties_add_list(g, SFX_SETTING_CFG_TYPE, T("StreamFx.CfgType"), OBS_COMBO_TYPE_LIST,
				    OBS_COMBO_FORMAT_STRING);
	obs_property_list_add_string(p, T("StreamFx.CfgType.None"), "none");
	obs_property_list_add_string(p, T("StreamFx.CfgType.Self"), "self");
	obs_property_list_add_string(p, T("StreamFx.CfgType.Initialize"), "initialize");
	obs_property_list_add_string(p, T("StreamFx.CfgType.Full"), "full");
	obs_property_set_long_description(p, T("StreamFx.CfgType.Description"));
	p = obs_properties_add_float_slider(g, SFX_SETTING_SIMILARITY_THRESHOLD, T("StreamFx.Similarity"), 0.0, 1.0,
					    0.01);
	obs_property_set_long_description(p, T("StreamFx.Similarity.Description"));
	obs_property_t *group =
	    obs_properties_add_group(props, GROUP_ADVANCED, T("StreamFx.Group.Advanced"), OBS_GROUP_NORMAL, g);
	obs_property_set_visible(group, settings && obs_data_get_bool(settings, SFX_SETTING_SHOW_ADVANCED));
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
	add_prompt_group(props, settings);
	add_effect_group(props, filter);
	add_output_group(props);
	add_model_group(props);
	add_advanced_group(props, settings);

	obs_data_release(settings);
	return props;
}
