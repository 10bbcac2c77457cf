/*
 * A small JSON object writer for the CONFIGURE message. obs_data cannot hold an array of plain
 * strings (its arrays hold objects), and the host reads "styles" as one, so the shim writes the
 * JSON itself. Numbers are written with '.' whatever the process locale says.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <util/dstr.h>

struct json_writer {
	struct dstr out;
	bool need_comma; /* a value was written at the current nesting level */
};

void json_writer_init(struct json_writer *w);
/* The finished text (bmalloc'd, the caller bfrees it); the writer is empty afterwards. */
char *json_writer_take(struct json_writer *w);
void json_writer_free(struct json_writer *w);

void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w, const char *key);
void json_end_array(struct json_writer *w);

/* key is NULL for an array element. */
void json_string(struct json_writer *w, const char *key, const char *value);
void json_int(struct json_writer *w, const char *key, int64_t value);
void json_double(struct json_writer *w, const char *key, double value);
void json_bool(struct json_writer *w, const char *key, bool value);
