/*
 * The controls tests, one function per CTest case. Each runs inside a started session and returns
 * false after reporting the first failed check.
 */
#pragma once

#include <stdbool.h>

struct case_options {
	const char *invert_model_dir;    /* image-effect pack that inverts colours */
	const char *diffusion_model_dir; /* stream-diffusion pack */
	const char *keys;                /* diffusion: comma-separated keys to vary */
	const char *work_dir;            /* roundtrip: where the scene collection is written */
	/* model-downloads: the loopback hub and what it serves */
	const char *python;       /* python3 */
	const char *hub_script;   /* tests/obs-controls/loopback-hub.py */
	const char *catalogue;    /* the shipped catalogue (its hub URL is rewritten) */
	const char *layout_model; /* served as onnxruntime/sd-turbo */
	const char *layout_vae;   /* served as deinferno/taesd-onnx */
};

bool case_keys(const struct case_options *o);
bool case_image_effect(const struct case_options *o);
bool case_hidden(const struct case_options *o);
bool case_hotkeys(const struct case_options *o);
bool case_roundtrip(const struct case_options *o);
bool case_instances(const struct case_options *o);
bool case_diffusion(const struct case_options *o);
bool case_source_kinds(const struct case_options *o);
bool case_model_downloads(const struct case_options *o);
/* Before OBS starts (the plugin reads the catalogue at load) and after OBS shut down (the hub
 * outlives the session so that a download is still running at the module's unload). */
bool case_model_downloads_prepare(const struct case_options *o);
void case_model_downloads_cleanup(void);
/* A catalogue with unusable entries (shares the cleanup). */
bool case_model_catalogue(const struct case_options *o);
bool case_model_catalogue_prepare(const struct case_options *o);
