#include "filter-settings.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include <util/bmem.h>
#include <util/dstr.h>

#include "plugin-log.h"

/* Field access by the table's offsets: the generated struct and table agree by construction. */
#define FIELD(s, spec, type) ((type *)((char *)(s) + (spec)->offset))

const struct sfx_setting_spec *sfx_setting_find(const char *key)
{
	for (size_t i = 0; i < SFX_SETTING_COUNT; i++)
		if (strcmp(sfx_setting_specs[i].key, key) == 0)
			return &sfx_setting_specs[i];
	return NULL;
}

const char *sfx_choice_name(enum sfx_setting_id id, int value)
{
	const struct sfx_setting_spec *spec = &sfx_setting_specs[id];
	if (spec->kind != SFX_KIND_CHOICE)
		return "";
	if (value < 0 || (size_t)value >= spec->choice_count)
		value = (int)spec->default_number;
	return spec->choices[value].value;
}

void sfx_filter_settings_defaults(obs_data_t *settings)
{
	for (size_t i = 0; i < SFX_SETTING_COUNT; i++) {
		const struct sfx_setting_spec *spec = &sfx_setting_specs[i];
		switch (spec->kind) {
		case SFX_KIND_TEXT:
		case SFX_KIND_PATH:
		case SFX_KIND_CHOICE:
			obs_data_set_default_string(settings, spec->key, spec->default_text);
			break;
		case SFX_KIND_TEXT_LIST: {
			/* The editable list's own layout: [{"value": "..."}]. */
			obs_data_array_t *list = obs_data_array_create();
			for (size_t j = 0; j < spec->default_list_count; j++) {
				obs_data_t *item = obs_data_create();
				obs_data_set_string(item, "value", spec->default_list[j]);
				obs_data_array_push_back(list, item);
				obs_data_release(item);
			}
			obs_data_set_default_array(settings, spec->key, list);
			obs_data_array_release(list);
			break;
		}
		case SFX_KIND_INT:
			obs_data_set_default_int(settings, spec->key, (long long)spec->default_number);
			break;
		case SFX_KIND_FLOAT:
			obs_data_set_default_double(settings, spec->key, spec->default_number);
			break;
		case SFX_KIND_BOOL:
			obs_data_set_default_bool(settings, spec->key, spec->default_number != 0.0);
			break;
		}
	}
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

static char *checked_text(const char *value, const char *key, size_t max, const char *who)
{
	size_t len = strlen(value);
	size_t keep = utf8_prefix(value, len, max);
	if (keep != len)
		obs_log(LOG_WARNING, "'%s' setting '%s': expected at most %zu bytes, found %zu; using the first %zu",
			who, key, max, len, keep);
	return bstrdup_n(value, keep);
}

static double read_double(obs_data_t *settings, const struct sfx_setting_spec *spec, const char *who)
{
	double value = obs_data_get_double(settings, spec->key);
	if (isnan(value)) {
		obs_log(LOG_WARNING, "'%s' setting '%s': expected a number in %g..%g, found NaN; using %g", who,
			spec->key, spec->min, spec->max, spec->default_number);
		return spec->default_number;
	}
	double clamped = value < spec->min ? spec->min : value > spec->max ? spec->max : value;
	if (clamped != value)
		obs_log(LOG_WARNING, "'%s' setting '%s': expected a number in %g..%g, found %g; using %g", who,
			spec->key, spec->min, spec->max, value, clamped);
	return clamped;
}

/* Clamped to the range, then to the nearest step above min (resolution: multiples of 64). */
static int64_t read_int(obs_data_t *settings, const struct sfx_setting_spec *spec, const char *who)
{
	long long value = obs_data_get_int(settings, spec->key);
	long long min = (long long)spec->min, max = (long long)spec->max, step = (long long)spec->step;
	long long clamped = value < min ? min : value > max ? max : value;
	if (step > 1) {
		clamped = min + (clamped - min + step / 2) / step * step;
		if (clamped > max)
			clamped -= step;
	}
	if (clamped != value) {
		if (step > 1)
			obs_log(LOG_WARNING,
				"'%s' setting '%s': expected a multiple of %lld in %lld..%lld, found %lld; using %lld",
				who, spec->key, step, min, max, value, clamped);
		else
			obs_log(LOG_WARNING,
				"'%s' setting '%s': expected an integer in %lld..%lld, found %lld; using %lld", who,
				spec->key, min, max, value, clamped);
	}
	return clamped;
}

/* Index of the value among the choices, or the default's index with a warning listing them. */
static int read_choice(obs_data_t *settings, const struct sfx_setting_spec *spec, const char *who)
{
	const char *value = obs_data_get_string(settings, spec->key);
	for (size_t i = 0; i < spec->choice_count; i++)
		if (strcmp(value, spec->choices[i].value) == 0)
			return (int)i;
	int fallback = (int)spec->default_number;
	struct dstr expected = {0};
	for (size_t i = 0; i < spec->choice_count; i++) {
		if (i)
			dstr_cat(&expected, i + 1 == spec->choice_count ? " or " : ", ");
		dstr_cat(&expected, spec->choices[i].value);
	}
	obs_log(LOG_WARNING, "'%s' setting '%s': expected %s, found '%s'; using '%s'", who, spec->key, expected.array,
		value, spec->choices[fallback].value);
	dstr_free(&expected);
	return fallback;
}

static void read_text_list(struct sfx_filter_settings *out, obs_data_t *settings, const struct sfx_setting_spec *spec,
			   const char *who)
{
	obs_data_array_t *array = obs_data_get_array(settings, spec->key);
	size_t count = obs_data_array_count(array);
	if (count > spec->max_items) {
		obs_log(LOG_WARNING, "'%s' setting '%s': expected at most %zu entries, found %zu; using the first %zu",
			who, spec->key, spec->max_items, count, spec->max_items);
		count = spec->max_items;
	}
	char **items = count ? bzalloc(count * sizeof(char *)) : NULL;
	for (size_t i = 0; i < count; i++) {
		obs_data_t *item = obs_data_array_item(array, i);
		/* Every entry is kept, empty ones too, so indexes match the list the streamer sees. */
		char key[64];
		snprintf(key, sizeof(key), "%s[%zu]", spec->key, i);
		items[i] = checked_text(item ? obs_data_get_string(item, "value") : "", key, spec->max_bytes, who);
		obs_data_release(item);
	}
	obs_data_array_release(array);
	*FIELD(out, spec, char **) = items;
	*(size_t *)((char *)out + spec->count_offset) = count;
}

/* The schema's range (-1..max_items-1), narrowed to the styles there are. */
static int64_t read_style_index(obs_data_t *settings, size_t style_count, const char *who)
{
	long long value = obs_data_get_int(settings, SFX_SETTING_STYLE_INDEX);
	long long max = (long long)style_count - 1;
	if (value >= SFX_SETTING_STYLE_INDEX_MIN && value <= max)
		return value;
	long long clamped = value < SFX_SETTING_STYLE_INDEX_MIN ? SFX_SETTING_STYLE_INDEX_MIN : max;
	/* With no styles at all, any index simply means "no style": nothing to warn about. */
	if (style_count > 0)
		obs_log(LOG_WARNING,
			"'%s' setting '%s': expected -1 (no style) or 0..%lld (%zu styles), found %lld; using %lld",
			who, SFX_SETTING_STYLE_INDEX, max, style_count, value, clamped);
	return clamped;
}

void sfx_filter_settings_read(struct sfx_filter_settings *out, obs_data_t *settings, const char *who)
{
	memset(out, 0, sizeof(*out));
	if (!who)
		who = "filter";
	for (size_t i = 0; i < SFX_SETTING_COUNT; i++) {
		const struct sfx_setting_spec *spec = &sfx_setting_specs[i];
		switch (spec->kind) {
		case SFX_KIND_TEXT:
		case SFX_KIND_PATH:
			*FIELD(out, spec, char *) =
			    checked_text(obs_data_get_string(settings, spec->key), spec->key, spec->max_bytes, who);
			break;
		case SFX_KIND_TEXT_LIST:
			read_text_list(out, settings, spec, who);
			break;
		case SFX_KIND_INT:
			/* style_index is read once the styles are known, below. */
			if (i != SFX_SETTING_ID_STYLE_INDEX)
				*FIELD(out, spec, int64_t) = read_int(settings, spec, who);
			break;
		case SFX_KIND_FLOAT:
			*FIELD(out, spec, double) = read_double(settings, spec, who);
			break;
		case SFX_KIND_BOOL:
			*FIELD(out, spec, bool) = obs_data_get_bool(settings, spec->key);
			break;
		case SFX_KIND_CHOICE:
			*FIELD(out, spec, int) = read_choice(settings, spec, who);
			break;
		}
	}
	out->style_index = read_style_index(settings, out->style_count, who);
}

void sfx_filter_settings_free(struct sfx_filter_settings *s)
{
	for (size_t i = 0; i < SFX_SETTING_COUNT; i++) {
		const struct sfx_setting_spec *spec = &sfx_setting_specs[i];
		if (spec->kind == SFX_KIND_TEXT || spec->kind == SFX_KIND_PATH) {
			bfree(*FIELD(s, spec, char *));
		} else if (spec->kind == SFX_KIND_TEXT_LIST) {
			char **items = *FIELD(s, spec, char **);
			size_t count = *(size_t *)((char *)s + spec->count_offset);
			for (size_t j = 0; j < count; j++)
				bfree(items[j]);
			bfree(items);
		}
	}
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
	char style[SFX_SETTING_STYLES_MAX_BYTES + 1] = "";
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
	obs_data_t *data = obs_data_create();
	for (size_t i = 0; i < SFX_SETTING_COUNT; i++) {
		const struct sfx_setting_spec *spec = &sfx_setting_specs[i];
		switch (spec->kind) {
		case SFX_KIND_TEXT:
		case SFX_KIND_PATH: {
			const char *text = *FIELD(s, spec, char *);
			/* The host is told the folder to load, never "the default". */
			if (i == SFX_SETTING_ID_MODEL_DIR && (!text || !text[0]))
				text = default_model_dir;
			obs_data_set_string(data, spec->key, text ? text : "");
			break;
		}
		case SFX_KIND_TEXT_LIST: {
			char **items = *FIELD(s, spec, char **);
			size_t count = *(size_t *)((char *)s + spec->count_offset);
			obs_data_array_t *list = obs_data_array_create();
			for (size_t j = 0; j < count; j++) {
				obs_data_t *item = obs_data_create();
				obs_data_set_string(item, "value", items[j]);
				obs_data_array_push_back(list, item);
				obs_data_release(item);
			}
			obs_data_set_array(data, spec->key, list);
			obs_data_array_release(list);
			break;
		}
		case SFX_KIND_INT:
			obs_data_set_int(data, spec->key, (long long)*FIELD(s, spec, int64_t));
			break;
		case SFX_KIND_FLOAT:
			obs_data_set_double(data, spec->key, *FIELD(s, spec, double));
			break;
		case SFX_KIND_BOOL:
			obs_data_set_bool(data, spec->key, *FIELD(s, spec, bool));
			break;
		case SFX_KIND_CHOICE:
			obs_data_set_string(data, spec->key,
					    sfx_choice_name((enum sfx_setting_id)i, *FIELD(s, spec, int)));
			break;
		}
	}

	char *effective = sfx_effective_prompt(s);
	obs_data_set_string(data, SFX_CONFIG_EFFECTIVE_PROMPT, effective);
	bfree(effective);
	char name[SFX_SETTING_STYLES_MAX_BYTES + 1] = "";
	if (s->style_index >= 0 && (size_t)s->style_index < s->style_count)
		sfx_style_name(s->styles[s->style_index], name, sizeof(name));
	obs_data_set_string(data, SFX_CONFIG_STYLE_NAME, name);
	obs_data_set_bool(data, SFX_CONFIG_ACTIVE, active);

	/* libobs writes it (jansson: escaped, '.' decimals whatever the locale, 17 significant digits). */
	char *json = bstrdup(obs_data_get_json(data));
	obs_data_release(data);
	return json;
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
