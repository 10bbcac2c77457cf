#include "json-writer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void json_writer_init(struct json_writer *w)
{
	dstr_init(&w->out);
	w->need_comma = false;
}

char *json_writer_take(struct json_writer *w)
{
	char *text = w->out.array ? w->out.array : bstrdup("");
	dstr_init(&w->out);
	w->need_comma = false;
	return text;
}

void json_writer_free(struct json_writer *w)
{
	dstr_free(&w->out);
}

static void write_escaped(struct dstr *out, const char *s)
{
	dstr_cat_ch(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			dstr_cat(out, "\\\"");
			break;
		case '\\':
			dstr_cat(out, "\\\\");
			break;
		case '\n':
			dstr_cat(out, "\\n");
			break;
		case '\r':
			dstr_cat(out, "\\r");
			break;
		case '\t':
			dstr_cat(out, "\\t");
			break;
		default:
			if (*p < 0x20) {
				char esc[8];
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				dstr_cat(out, esc);
			} else {
				/* UTF-8 passes through; the settings reader already checked it. */
				dstr_cat_ch(out, (char)*p);
			}
		}
	}
	dstr_cat_ch(out, '"');
}

static void begin_value(struct json_writer *w, const char *key)
{
	if (w->need_comma)
		dstr_cat_ch(&w->out, ',');
	if (key) {
		write_escaped(&w->out, key);
		dstr_cat_ch(&w->out, ':');
	}
	w->need_comma = true;
}

void json_begin_object(struct json_writer *w)
{
	dstr_cat_ch(&w->out, '{');
	w->need_comma = false;
}

void json_end_object(struct json_writer *w)
{
	dstr_cat_ch(&w->out, '}');
	w->need_comma = true;
}

void json_begin_array(struct json_writer *w, const char *key)
{
	begin_value(w, key);
	dstr_cat_ch(&w->out, '[');
	w->need_comma = false;
}

void json_end_array(struct json_writer *w)
{
	dstr_cat_ch(&w->out, ']');
	w->need_comma = true;
}

void json_string(struct json_writer *w, const char *key, const char *value)
{
	begin_value(w, key);
	write_escaped(&w->out, value ? value : "");
}

void json_int(struct json_writer *w, const char *key, int64_t value)
{
	begin_value(w, key);
	char text[32];
	snprintf(text, sizeof(text), "%lld", (long long)value);
	dstr_cat(&w->out, text);
}

void json_double(struct json_writer *w, const char *key, double value)
{
	begin_value(w, key);
	if (!isfinite(value))
		value = 0.0;
	char text[64];
	/* Shortest form that reads back as the same double for the values sliders produce. */
	snprintf(text, sizeof(text), "%.10g", value);
	/* Locales with a decimal comma (Qt may set LC_NUMERIC) must not reach JSON. */
	for (char *c = text; *c; c++)
		if (*c == ',')
			*c = '.';
	dstr_cat(&w->out, text);
}

void json_bool(struct json_writer *w, const char *key, bool value)
{
	begin_value(w, key);
	dstr_cat(&w->out, value ? "true" : "false");
}
