/*
 * The model catalogue (data/models/catalogue.json, docs/models.md "The catalogue") as the panel needs
 * it: ids, names, kinds, licences, sizes and pairs. The host's downloader reads the same file and
 * checks it fully; this side skips (and logs) an entry it cannot use, naming file, field, expected
 * and found.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SFX_MODEL_ID_MAX 64

/* One catalogue entry. A pair names two other entries (model_part, vae_part); its size is theirs
 * together and its licence the first of its parts' that must be accepted (else the first part's). */
struct sfx_model_entry {
	char id[SFX_MODEL_ID_MAX];
	char name[160];
	char kind[32]; /* "stream-diffusion" or "autoencoder" */
	char licence_name[160];
	char licence_url[512];
	bool must_accept;
	long long approx_bytes;
	char model_part[SFX_MODEL_ID_MAX]; /* "" unless a pair */
	char vae_part[SFX_MODEL_ID_MAX];
};

struct sfx_model_catalogue {
	struct sfx_model_entry *entries;
	size_t count;
};

/* Reads `path`; false with the reason in `problem` when the file is unusable or has no usable entry. */
bool sfx_model_catalogue_load(const char *path, struct sfx_model_catalogue *out, char *problem, size_t problem_cap);
/* The entry's index, or -1. */
ptrdiff_t sfx_model_catalogue_index(const struct sfx_model_catalogue *c, const char *id);
void sfx_model_catalogue_free(struct sfx_model_catalogue *c);
