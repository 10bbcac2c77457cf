/*
 * sfx-obs-harness's command line (the modes and options are listed in harness-main.c): what each
 * run asks for, parsed and checked before OBS starts.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "fault-injection.h"

enum harness_mode { MODE_PASSTHROUGH, MODE_E2E, MODE_DEMO, MODE_FAULT };

struct options {
	enum harness_mode mode;
	const char *module_path;
	const char *data_path;
	const char *host_path;
	const char *out_dir;
	const char *model_dir;   /* sent as the filter's model_dir setting */
	const char *vae_dir;     /* sent as the filter's vae_dir setting (autoencoder from another folder) */
	bool host_from_manifest; /* let the module find the host through data/obs-plugin.json */
	bool keep_filter;        /* leave the filter on its source: OBS closing with the filter in use */
	bool freeze_host;        /* SIGSTOP the host right before OBS shuts down */
	uint32_t width, height;
	uint32_t resolution;
	uint32_t fps;
	uint32_t frames;      /* passthrough: frames to check; e2e: host output must start within */
	uint32_t host_frames; /* e2e: host frames to check after the first */
	double seconds;
	int tolerance;
	uint32_t min_dropped;       /* --min-dropped: at least this many input frames must count as dropped */
	struct fault_options fault; /* --mode fault */
};

/* Prints the usage line to stderr. */
void harness_usage(void);
/* Fills o from argv with the defaults for what is not given; false (said on stderr) when an option
 * is unknown, out of range or missing for the mode. */
bool harness_parse_args(int argc, char **argv, struct options *o);
/* "passthrough", "e2e", "demo" or "fault", as the summary line prints it. */
const char *harness_mode_name(enum harness_mode m);
