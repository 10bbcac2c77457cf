#include "model-catalogue.h"

#include <stdio.h>
#include <string.h>

#include <obs-module.h>
#include <util/platform.h>

#include "plugin-log.h"

static void copy_string(char *out, size_t cap, const char *text)
{
	snprintf(out, cap, "%s", text ? text : "");
}

ptrdiff_t sfx_model_catalogue_index(const struct sfx_model_catalogue *c, const char *id)
{
	for (size_t i = 0; c && id && i < c->count; i++)
		if (strcmp(c->entries[i].id, id) == 0)
			return (ptrdiff_t)i;
	return -1;
}

/* Reads one entry; false (after logging file, field, expected and found) when it is unusable. */
static bool read_entry(const char *path, size_t index, obs_data_t *item, struct sfx_model_entry *e)
{
	memset(e, 0, sizeof(*e));
	const char *id = obs_data_get_string(item, "id");
	if (!id[0] || strlen(id) >= SFX_MODEL_ID_MAX || strpbrk(id, "/\\. ") != NULL) {
		obs_log(LOG_ERROR,
			"%s: models[%zu].id: expected a plain name under %d bytes, found '%s'; entry skipped", path,
			index, SFX_MODEL_ID_MAX, id);
		return false;
	}
	copy_string(e->id, sizeof(e->id), id);
	copy_string(e->name, sizeof(e->name),
		    obs_data_has_user_value(item, "name") ? obs_data_get_string(item, "name") : id);
	copy_string(e->kind, sizeof(e->kind), obs_data_get_string(item, "kind"));
	obs_data_t *parts = obs_data_get_obj(item, "parts");
	if (parts) {
		copy_string(e->model_part, sizeof(e->model_part), obs_data_get_string(parts, "model_dir"));
		copy_string(e->vae_part, sizeof(e->vae_part), obs_data_get_string(parts, "vae_dir"));
		obs_data_release(parts);
		if (!e->model_part[0] || !e->vae_part[0]) {
			obs_log(LOG_ERROR,
				"%s: models[%zu] ('%s').parts: expected model_dir and vae_dir, found '%s' and '%s'; "
				"entry skipped",
				path, index, id, e->model_part, e->vae_part);
			return false;
		}
		return true;
	}
	obs_data_t *licence = obs_data_get_obj(item, "licence");
	if (licence) {
		copy_string(e->licence_name, sizeof(e->licence_name), obs_data_get_string(licence, "name"));
		copy_string(e->licence_url, sizeof(e->licence_url), obs_data_get_string(licence, "url"));
		e->must_accept = obs_data_get_bool(licence, "must_accept");
		obs_data_release(licence);
	}
	e->approx_bytes = obs_data_get_int(item, "approx_bytes");
	return true;
}

/* A pair takes its size and licence from its parts (which must be plain entries of the file). */
static bool complete_pair(const char *path, const struct sfx_model_catalogue *all, struct sfx_model_entry *e)
{
	const char *names[2] = {e->model_part, e->vae_part};
	const struct sfx_model_entry *parts[2] = {NULL, NULL};
	for (int k = 0; k < 2; k++) {
		ptrdiff_t i = sfx_model_catalogue_index(all, names[k]);
		if (i < 0 || all->entries[i].model_part[0]) {
			obs_log(LOG_ERROR,
				"%s: '%s'.parts: expected the id of a plain entry, found '%s'; entry skipped", path,
				e->id, names[k]);
			return false;
		}
		parts[k] = &all->entries[i];
	}
	e->approx_bytes = parts[0]->approx_bytes + parts[1]->approx_bytes;
	const struct sfx_model_entry *l = parts[1]->must_accept && !parts[0]->must_accept ? parts[1] : parts[0];
	copy_string(e->licence_name, sizeof(e->licence_name), l->licence_name);
	copy_string(e->licence_url, sizeof(e->licence_url), l->licence_url);
	e->must_accept = parts[0]->must_accept || parts[1]->must_accept;
	return true;
}

bool sfx_model_catalogue_load(const char *path, struct sfx_model_catalogue *out, char *problem, size_t problem_cap)
{
	memset(out, 0, sizeof(*out));
	obs_data_t *root = obs_data_create_from_json_file(path);
	if (!root) {
		snprintf(problem, problem_cap, "%s: %s", path,
			 os_file_exists(path) ? "not a readable JSON object" : "no such file");
		return false;
	}
	obs_data_array_t *models = obs_data_get_array(root, "models");
	size_t n = obs_data_array_count(models);
	if (!models || n == 0) {
		snprintf(problem, problem_cap, "%s: models: expected a non-empty array, found none", path);
		obs_data_array_release(models);
		obs_data_release(root);
		return false;
	}
	struct sfx_model_catalogue read = {.entries = bzalloc(sizeof(struct sfx_model_entry) * n)};
	for (size_t i = 0; i < n; i++) {
		obs_data_t *item = obs_data_array_item(models, i);
		if (item && read_entry(path, i, item, &read.entries[read.count]))
			read.count++;
		obs_data_release(item);
	}
	obs_data_array_release(models);
	obs_data_release(root);
	/* Pairs are completed against everything read: their parts may come after them in the file. */
	out->entries = bzalloc(sizeof(struct sfx_model_entry) * (read.count ? read.count : 1));
	for (size_t i = 0; i < read.count; i++) {
		struct sfx_model_entry e = read.entries[i];
		if (e.model_part[0] && !complete_pair(path, &read, &e))
			continue;
		out->entries[out->count++] = e;
	}
	bfree(read.entries);
	if (out->count == 0) {
		snprintf(problem, problem_cap, "%s: no usable entry (see the log)", path);
		sfx_model_catalogue_free(out);
		return false;
	}
	return true;
}

void sfx_model_catalogue_free(struct sfx_model_catalogue *c)
{
	bfree(c->entries);
	memset(c, 0, sizeof(*c));
}
