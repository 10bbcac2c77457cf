#include "filter-settings.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include <util/bmem.h>
#include <util/dstr.h>

#include "json-writer.h"
#include "plugin-log.h"

/* Streamer-facing defaults: a scene prompt, and a few looks to cycle through with hotkeys. */
static const char *const default_styles[] = {
    "Anime: anime illustration, cel shading, vibrant colors",
    "Oil painting: oil painting, thick brush strokes, impressionist",
    "Cyberpunk: cyberpunk, neon lights, futuristic glow",
    "Pencil sketch: pencil sketch, graphite, hand-drawn lines",
};

static const char *const cfg_type_names[] = {"none", "self", "initialize", "full"};
static const char *const fit_mode_names[] = {"crop", "fit", "stretch"};
static const char *const provider_names[] = {"auto", "tensorrt", "cuda", "directml", "cpu"};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *sfx_cfg_type_name(enum sfx_cfg_type t)
{
	return (size_t)t < COUNT_OF(cfg_type_names) ? cfg_type_names[t] : "self";
}

const char *sfx_fit_mode_name(enum sfx_fit_mode m)
{
	return (size_t)m < COUNT_OF(fit_mode_names) ? fit_mode_names[m] : "crop";
}

const char *sfx_provider_name(enum sfx_provider p)
{
	return (size_t)p < COUNT_OF(provider_names) ? provider_names[p] : "auto";
}

void sfx_filter_settings_defaults(obs_data_t *settings)
{
	obs_data_set_default_string(settings, SFX_SETTING_PROMPT, "a person in a room");
	obs_data_set_default_string(settings, SFX_SETTING_NEGATIVE_PROMPT, "blurry, low quality");

	obs_data_array_t *styles = obs_data_array_create();
	for (size_t i = 0; i < COUNT_OF(default_styles); i++) {
		obs_data_t *item = obs_data_create();
		obs_data_set_string(item, "value", default_styles[i]);
		obs_data_array_push_back(styles, item);
		obs_data_release(item);
	}
	obs_data_set_default_array(settings, SFX_SETTING_STYLES, styles);
	obs_data_array_release(styles);

	obs_data_set_default_int(settings, SFX_SETTING_STYLE_INDEX, 0);
	obs_data_set_default_double(settings, SFX_SETTING_STRENGTH, 0.5);
	obs_data_set_default_int(settings, SFX_SETTING_STEPS, 1);
	obs_data_set_default_double(settings, SFX_SETTING_GUIDANCE_SCALE, 1.0);
	obs_data_set_default_double(settings, SFX_SETTING_DELTA, 1.0);
	obs_data_set_default_string(settings, SFX_SETTING_CFG_TYPE, "self");
	obs_data_set_default_int(settings, SFX_SETTING_SEED, 2);
	obs_data_set_default_double(settings, SFX_SETTING_SIMILARITY_THRESHOLD, 0.0);
	obs_data_set_default_int(settings, SFX_SETTING_RESOLUTION, SFX_RESOLUTION_DEFAULT);
	obs_data_set_default_string(settings, SFX_SETTING_FIT_MODE, "crop");
	obs_data_set_default_string(settings, SFX_SETTING_MODEL_DIR, "");
	obs_data_set_default_string(settings, SFX_SETTING_EXECUTION_PROVIDER, "auto");
	obs_data_set_default_int(settings, SFX_SETTING_TRANSITION_FRAMES, 8);
	obs_data_set_default_bool(settings, SFX_SETTING_BYPASS, false);
}

/* ---- Reading --------------------------------------------------------------------------------- */

/* Length of the longest prefix of s (at most max bytes) that does not split a UTF-8 sequence. */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static char *read_text(obs_data_t *settings, const char *key, size_t max, const char *who)
{
	const char *value = obs_data_get_string(settings, key);
	size_t len = strlen(value);
	size_t keep = utf8_prefix(value, len, max);
	if (keep != len)
		obs_log(LOG_WARNING, "'%s' setting '%s': expected at most %zu bytes, found %zu; using the first %zu",
			who, key, max, len, keep);
	return bstrdup_n(value, keep);
}

static double read_double(obs_data_t *settings, const char *key, double min, double max, const char *who)
{
	double value = obs_data_get_double(settings, key);
	if (isnan(value)) {
		double fallback = obs_data_get_default_double(settings, key);
		obs_log(LOG_WARNING, "'%s' setting '%s': expected a number in %g..%g, found NaN; using %g", who, key,
			min, max, fallback);
		return fallback;
	}
	double clamped = value < min ? min : value > max ? max : value;
	if (clamped != value)
		obs_log(LOG_WARNING, "'%s' setting '%s': expected a number in %g..%g, found %g; using %g", who, key,
			min, max, value, clamped);
	return clamped;
}

static long long read_int(obs_data_t *settings, const char *key, long long min, long long max, const char *who)
{
	long long value = obs_data_get_int(settings, key);
	long long clamped = value < min ? min : value > max ? max : value;
	if (clamped != value)
		obs_log(LOG_WARNING, "'%s' setting '%s': expected an integer in %lld..%lld, found %lld; using %lld",
			who, key, min, max, value, clamped);
	return clamped;
}

/* Index of the value in names, or the default's index with a warning listing the choices. */
static int read_choice(obs_data_t *settings, const char *key, const char *const *names, size_t count, const char *who)
{
	const char *value = obs_data_get_string(settings, key);
	for (size_t i = 0; i < count; i++)
		if (strcmp(value, names[i]) == 0)
			return (int)i;
	const char *fallback = obs_data_get_default_string(settings, key);
	int fallback_index = 0;
	for (size_t i = 0; i < count; i++)
		if (fallback && strcmp(fallback, names[i]) == 0)
			fallback_index = (int)i;
	struct dstr expected = {0};
	for (size_t i = 0; i < count; i++) {
		if (i)
			dstr_cat(&expected, i + 1 == count ? " or " : ", ");
		dstr_cat(&expected, names[i]);
	}
	obs_log(LOG_WARNING, "'%s' setting '%s': expected %s, found '%s'; using '%s'", who, key, expected.array, value,
		names[fallback_index]);
	dstr_free(&expected);
	return fallback_index;
}

static void read_styles(struct sfx_filter_settings *out, obs_data_t *settings, const char *who)
{
	obs_data_array_t *array = obs_data_get_array(settings, SFX_SETTING_STYLES);
	size_t count = obs_data_array_count(array);
	if (count > SFX_STYLES_MAX) {
		obs_log(LOG_WARNING, "'%s' setting '%s': expected at most %d entries, found %zu; using the first %d",
			who, SFX_SETTING_STYLES, SFX_STYLES_MAX, count, SFX_STYLES_MAX);
		count = SFX_STYLES_MAX;
	}
	out->styles = count ? bzalloc(count * sizeof(char *)) : NULL;
	out->style_count = count;
	for (size_t i = 0; i < count; i++) {
		obs_data_t *item = obs_data_array_item(array, i);
		/* Every entry is kept, empty ones too, so indexes match the list the streamer sees. */
		char key[64];
		snprintf(key, sizeof(key), "%s[%zu]", SFX_SETTING_STYLES, i);
		const char *value = item ? obs_data_get_string(item, "value") : "";
		size_t len = strlen(value);
		size_t keep = utf8_prefix(value, len, SFX_STYLE_MAX_BYTES);
		if (keep != len)
			obs_log(LOG_WARNING,
				"'%s' setting '%s': expected at most %d bytes, found %zu; using the first %zu", who,
				key, SFX_STYLE_MAX_BYTES, len, keep);
		out->styles[i] = bstrdup_n(value, keep);
		obs_data_release(item);
	}
	obs_data_array_release(array);
}

static int read_style_index(obs_data_t *settings, size_t style_count, const char *who)
{
	long long value = obs_data_get_int(settings, SFX_SETTING_STYLE_INDEX);
	long long max = (long long)style_count - 1;
	if (value >= -1 && value <= max)
		return (int)value;
	long long clamped = value < -1 ? -1 : max;
	/* With no styles at all, any index simply means "no style": nothing to warn about. */
	if (style_count > 0)
		obs_log(LOG_WARNING,
			"'%s' setting '%s': expected -1 (no style) or 0..%lld (%zu styles), found %lld; using %lld",
			who, SFX_SETTING_STYLE_INDEX, max, style_count, value, clamped);
	return (int)clamped;
}

static uint32_t read_resolution(obs_data_t *settings, const char *who)
{
	long long value = obs_data_get_int(settings, SFX_SETTING_RESOLUTION);
	long long clamped = value < SFX_RESOLUTION_MIN   ? SFX_RESOLUTION_MIN
			    : value > SFX_RESOLUTION_MAX ? SFX_RESOLUTION_MAX
							 : value;
	/* Latent sizes are resolution / 8 and UNets halve them three times: multiples of 64. */
	clamped = (clamped + SFX_RESOLUTION_STEP / 2) / SFX_RESOLUTION_STEP * SFX_RESOLUTION_STEP;
	if (clamped > SFX_RESOLUTION_MAX)
		clamped = SFX_RESOLUTION_MAX;
	if (clamped != value)
		obs_log(LOG_WARNING, "'%s' setting '%s': expected a multiple of %d in %d..%d, found %lld; using %lld",
			who, SFX_SETTING_RESOLUTION, SFX_RESOLUTION_STEP, SFX_RESOLUTION_MIN, SFX_RESOLUTION_MAX, value,
			clamped);
	return (uint32_t)clamped;
}

void sfx_filter_settings_read(struct sfx_filter_settings *out, obs_data_t *settings, const char *who)
{
	memset(out, 0, sizeof(*out));
	if (!who)
		who = "filter";
	out->prompt = read_text(settings, SFX_SETTING_PROMPT, SFX_PROMPT_MAX_BYTES, who);
	out->negative_prompt = read_text(settings, SFX_SETTING_NEGATIVE_PROMPT, SFX_PROMPT_MAX_BYTES, who);
	read_styles(out, settings, who);
	out->style_index = read_style_index(settings, out->style_count, who);
	out->strength = read_double(settings, SFX_SETTING_STRENGTH, 0.0, 1.0, who);
	out->steps = (int)read_int(settings, SFX_SETTING_STEPS, SFX_STEPS_MIN, SFX_STEPS_MAX, who);
	out->guidance_scale = read_double(settings, SFX_SETTING_GUIDANCE_SCALE, 0.0, SFX_GUIDANCE_MAX, who);
	out->delta = read_double(settings, SFX_SETTING_DELTA, 0.0, SFX_DELTA_MAX, who);
	out->cfg_type = (enum sfx_cfg_type)read_choice(settings, SFX_SETTING_CFG_TYPE, cfg_type_names,
						       COUNT_OF(cfg_type_names), who);
	out->seed = read_int(settings, SFX_SETTING_SEED, 0, SFX_SEED_MAX, who);
	out->similarity_threshold = read_double(settings, SFX_SETTING_SIMILARITY_THRESHOLD, 0.0, 1.0, who);
	out->resolution = read_resolution(settings, who);
	out->fit_mode = (enum sfx_fit_mode)read_choice(settings, SFX_SETTING_FIT_MODE, fit_mode_names,
						       COUNT_OF(fit_mode_names), who);
	out->model_dir = read_text(settings, SFX_SETTING_MODEL_DIR, SFX_MODEL_DIR_MAX_BYTES, who);
	out->execution_provider = (enum sfx_provider)read_choice(settings, SFX_SETTING_EXECUTION_PROVIDER,
								 provider_names, COUNT_OF(provider_names), who);
	out->transition_frames =
	    (int)read_int(settings, SFX_SETTING_TRANSITION_FRAMES, 0, SFX_TRANSITION_FRAMES_MAX, who);
	out->bypass = obs_data_get_bool(settings, SFX_SETTING_BYPASS);
}

void sfx_filter_settings_free(struct sfx_filter_settings *s)
{
	bfree(s->prompt);
	bfree(s->negative_prompt);
	for (size_t i = 0; i < s->style_count; i++)
		bfree(s->styles[i]);
	bfree(s->styles);
	bfree(s->model_dir);
	memset(s, 0, sizeof(*s));
}

/* ---- Styles and the prompt ------------------------------------------------------------------- */

static void copy_trimmed(const char *begin, const char *end, char *out, size_t cap)
{
	while (begin < end && isspace((unsigned char)*begin))
		begin++;
	while (end > begin && isspace((unsigned char)end[-1]))
		end--;
	size_t len = (size_t)(end - begin);
	if (cap == 0)
		return;
	if (len >= cap)
		len = utf8_prefix(begin, len, cap - 1);
	memcpy(out, begin, len);
	out[len] = '\0';
}

void sfx_style_name(const char *entry, char *out, size_t cap)
{
	const char *colon = strchr(entry, ':');
	copy_trimmed(entry, colon ? colon : entry + strlen(entry), out, cap);
}

void sfx_style_text(const char *entry, char *out, size_t cap)
{
	const char *colon = strchr(entry, ':');
	copy_trimmed(colon ? colon + 1 : entry, entry + strlen(entry), out, cap);
}

char *sfx_effective_prompt(const struct sfx_filter_settings *s)
{
	char style[SFX_STYLE_MAX_BYTES + 1] = "";
	if (s->style_index >= 0 && (size_t)s->style_index < s->style_count)
		sfx_style_text(s->styles[s->style_index], style, sizeof(style));
	char *prompt = bmalloc(strlen(s->prompt) + 1);
	copy_trimmed(s->prompt, s->prompt + strlen(s->prompt), prompt, strlen(s->prompt) + 1);

	struct dstr out = {0};
	dstr_copy(&out, prompt);
	if (prompt[0] && style[0])
		dstr_cat(&out, ", ");
	dstr_cat(&out, style);
	bfree(prompt);
	return out.array ? out.array : bstrdup("");
}

/* ---- CONFIGURE ------------------------------------------------------------------------------- */

char *sfx_filter_settings_to_json(const struct sfx_filter_settings *s, const char *default_model_dir, bool active)
{
	struct json_writer w;
	json_writer_init(&w);
	json_begin_object(&w);
	json_string(&w, SFX_SETTING_PROMPT, s->prompt);
	json_string(&w, SFX_SETTING_NEGATIVE_PROMPT, s->negative_prompt);
	json_begin_array(&w, SFX_SETTING_STYLES);
	for (size_t i = 0; i < s->style_count; i++)
		json_string(&w, NULL, s->styles[i]);
	json_end_array(&w);
	json_int(&w, SFX_SETTING_STYLE_INDEX, s->style_index);
	json_double(&w, SFX_SETTING_STRENGTH, s->strength);
	json_int(&w, SFX_SETTING_STEPS, s->steps);
	json_double(&w, SFX_SETTING_GUIDANCE_SCALE, s->guidance_scale);
	json_double(&w, SFX_SETTING_DELTA, s->delta);
	json_string(&w, SFX_SETTING_CFG_TYPE, sfx_cfg_type_name(s->cfg_type));
	json_int(&w, SFX_SETTING_SEED, s->seed);
	json_double(&w, SFX_SETTING_SIMILARITY_THRESHOLD, s->similarity_threshold);
	json_int(&w, SFX_SETTING_RESOLUTION, s->resolution);
	json_string(&w, SFX_SETTING_FIT_MODE, sfx_fit_mode_name(s->fit_mode));
	const char *model_dir = s->model_dir && s->model_dir[0] ? s->model_dir
				: default_model_dir             ? default_model_dir
								: "";
	json_string(&w, SFX_SETTING_MODEL_DIR, model_dir);
	json_string(&w, SFX_SETTING_EXECUTION_PROVIDER, sfx_provider_name(s->execution_provider));
	json_int(&w, SFX_SETTING_TRANSITION_FRAMES, s->transition_frames);
	json_bool(&w, SFX_SETTING_BYPASS, s->bypass);

	char *effective = sfx_effective_prompt(s);
	json_string(&w, SFX_CONFIG_EFFECTIVE_PROMPT, effective);
	bfree(effective);
	char name[SFX_STYLE_MAX_BYTES + 1] = "";
	if (s->style_index >= 0 && (size_t)s->style_index < s->style_count)
		sfx_style_name(s->styles[s->style_index], name, sizeof(name));
	json_string(&w, SFX_CONFIG_STYLE_NAME, name);
	json_bool(&w, SFX_CONFIG_ACTIVE, active);
	json_end_object(&w);
	return json_writer_take(&w);
}

/* ---- Capture geometry ------------------------------------------------------------------------ */

static uint32_t even_at_least_2(double v)
{
	uint32_t n = (uint32_t)(v + 0.5);
	n &= ~1u;
	return n < 2 ? 2 : n;
}

void sfx_capture_size(uint32_t cx, uint32_t cy, uint32_t resolution, enum sfx_fit_mode fit, uint32_t max_side,
		      uint32_t *width, uint32_t *height)
{
	if (!cx || !cy) {
		*width = *height = resolution;
		return;
	}
	double shortest = cx < cy ? cx : cy, longest = cx < cy ? cy : cx;
	/* Crop fills the model square with the short side; fit and stretch see the whole frame. */
	double scale = (fit == SFX_FIT_CROP ? resolution / shortest : resolution / longest);
	if (longest * scale > max_side)
		scale = max_side / longest;
	*width = even_at_least_2(cx * scale);
	*height = even_at_least_2(cy * scale);
	if (*width > max_side)
		*width = max_side & ~1u;
	if (*height > max_side)
		*height = max_side & ~1u;
}
