/*
 * Model downloads, plugin-wide: the catalogue (data/models/catalogue.json) and one registry of
 * downloads shared by every filter. A download runs as a child process,
 *   streamfx-host models download ID --dir <models> --catalogue <file>
 *                 --progress-file <models>/.ID.status.json --cancel-file <models>/.ID.cancel
 * so a stalled transfer never touches OBS's threads. One plugin worker thread polls the progress
 * files and the processes; nothing here runs on the graphics thread except
 * sfx_model_downloads_generation, an atomic read.
 *
 * Test knobs: STREAMFX_MODEL_CATALOGUE (a catalogue file instead of the plugin's),
 * STREAMFX_MODELS_DIR (instead of obs_module_config_path("models")) and
 * STREAMFX_TEST_START_DOWNLOAD=<id> (starts that download at module load, licence gate bypassed:
 * scripts/gui-screenshot.sh --model-download, which cannot click a filter's button).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model-catalogue.h"

#define SFX_MODEL_CATALOGUE_ENV     "STREAMFX_MODEL_CATALOGUE"
#define SFX_MODELS_DIR_ENV          "STREAMFX_MODELS_DIR"
#define SFX_TEST_START_DOWNLOAD_ENV "STREAMFX_TEST_START_DOWNLOAD"
#define SFX_MODEL_ERROR_MAX         1024

enum sfx_model_state {
	SFX_MODEL_ABSENT,      /* not downloaded */
	SFX_MODEL_DOWNLOADING, /* a download process runs */
	SFX_MODEL_READY,       /* every part's folder is installed (its download record exists) */
	SFX_MODEL_FAILED,      /* the last download failed: error says why */
	SFX_MODEL_CANCELLED,   /* the last download was cancelled: nothing was installed */
};

struct sfx_model_status {
	enum sfx_model_state state;
	long long bytes, total;     /* of the part now downloading */
	double rate;                /* bytes per second; 0 before it is known */
	double eta;                 /* seconds left; < 0 before it is known */
	int part_index, parts;      /* 1-based; parts > 1 for a pair */
	char via[SFX_MODEL_ID_MAX]; /* downloading as a part of this entry ("" when itself) */
	bool queued;                /* via's download fetches its other part first */
	char error[SFX_MODEL_ERROR_MAX];
};

/* Module load: reads the catalogue and resolves the models folder. Returns false (after logging
 * why) when there is no usable catalogue; the panel then says so. */
bool sfx_model_downloads_init(void);
/* Module unload: asks every running download to cancel, kills what is still running after
 * timeout_ms, reaps, and joins the worker. */
void sfx_model_downloads_shutdown(int timeout_ms);

/* Why the catalogue is unusable ("" when it is fine). */
const char *sfx_model_downloads_problem(void);
size_t sfx_model_downloads_count(void);
bool sfx_model_downloads_entry(size_t index, struct sfx_model_entry *out);
bool sfx_model_downloads_find(const char *id, struct sfx_model_entry *out);
/* The installed folder of a plain entry: <models>/<id> (bfree it). */
char *sfx_model_downloads_folder(const char *id);

/* The entry's state: a download of it (or of a pair that contains it), else what is on disk. */
bool sfx_model_downloads_status(const char *id, struct sfx_model_status *out);

/* Starts a download, or joins the one already running for the same entry (true). false with the
 * reason in err when the entry is unknown, a part is already coming with another entry, or the
 * host cannot be started. */
bool sfx_model_downloads_start(const char *id, char *err, size_t err_cap);
/* Asks a running download to stop (the CLI notices its cancel file; killed if it has not exited
 * within a few seconds). Returns whether one was running. */
bool sfx_model_downloads_cancel(const char *id);

/* Grows on every change a panel shows: a state change, or a whole-percent step at most once a
 * second. Never blocks (read on the graphics thread). */
uint64_t sfx_model_downloads_generation(void);

/* The state line of an entry: "not downloaded", "downloading 42 % · 35.0 MB/s · 1:10 left",
 * "queued (with <pair>)", "ready", "failed: <reason>", "cancelled: nothing was installed". */
void sfx_model_status_format(const struct sfx_model_status *s, char *out, size_t cap);
