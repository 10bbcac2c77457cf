/* sfx-obs-harness's command line: parsing, ranges and the options each mode needs. */
#include "harness-options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void harness_usage(void)
{
	fprintf(
	    stderr,
	    "usage: sfx-obs-harness --mode passthrough|e2e|demo --module <streamfx-obs.so> --data <dir>\n"
	    "         [--host <path> | --host-from-manifest] [--frames N] [--host-frames K] [--seconds S] [--out DIR]\n"
	    "         [--size WxH] [--resolution R] [--tolerance T] [--fps F] [--model-dir DIR] [--vae-dir DIR]\n"
	    "         [--min-dropped N]\n"
	    "         fault: [--cycles N] [--hang-cycles M] [--seed S] [--max-kill-frames K] [--hang-bound-ms B]\n"
	    "                [--no-lifecycle]\n");
}

static bool parse_uint(const char *name, const char *text, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (errno || !end || *end || text[0] == '-' || v < min || v > max) {
		fprintf(stderr, "harness: %s: expected an integer in %u..%u, found '%s'\n", name, min, max, text);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

bool harness_parse_args(int argc, char **argv, struct options *o)
{
	const char *mode = NULL;
	*o = (struct options){
	    .width = 512,
	    .height = 512,
	    .resolution = 512,
	    .fps = 30,
	    .frames = 300,
	    .host_frames = 60,
	    .seconds = 10.0,
	    .tolerance = 2,
	    .fault = {
		.kill_cycles = 100, .hang_cycles = 2, .max_kill_frames = 12, .hang_bound_ms = 4500, .lifecycle = true}};
	/* Flags, options taking a path or name, and options taking a whole number in a range. */
	const struct {
		const char *name;
		bool *out;
		bool value;
	} flags[] = {
	    {"--host-from-manifest", &o->host_from_manifest, true},
	    {"--keep-filter", &o->keep_filter, true},
	    {"--freeze-host-at-close", &o->freeze_host, true},
	    {"--no-lifecycle", &o->fault.lifecycle, false},
	};
	const struct {
		const char *name;
		const char **out;
	} texts[] = {
	    {"--mode", &mode},          {"--module", &o->module_path}, {"--data", &o->data_path},
	    {"--host", &o->host_path},  {"--out", &o->out_dir},        {"--model-dir", &o->model_dir},
	    {"--vae-dir", &o->vae_dir},
	};
	uint32_t hang_bound_ms = (uint32_t)o->fault.hang_bound_ms, seconds = (uint32_t)o->seconds,
		 tolerance = (uint32_t)o->tolerance;
	const struct {
		const char *name;
		uint32_t min, max;
		uint32_t *out;
	} numbers[] = {
	    {"--frames", 1, 100000, &o->frames},
	    {"--min-dropped", 0, 100000, &o->min_dropped},
	    {"--host-frames", 1, 100000, &o->host_frames},
	    {"--cycles", 0, 100000, &o->fault.kill_cycles},
	    {"--hang-cycles", 0, 1000, &o->fault.hang_cycles},
	    {"--seed", 1, UINT32_MAX, &o->fault.seed},
	    {"--max-kill-frames", 0, 10000, &o->fault.max_kill_frames},
	    {"--hang-bound-ms", 1, 600000, &hang_bound_ms},
	    {"--seconds", 1, 3600, &seconds},
	    {"--resolution", 64, 1024, &o->resolution},
	    {"--tolerance", 0, 255, &tolerance},
	    {"--fps", 1, 240, &o->fps},
	};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool known = false;
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]) && !known; k++)
			if (!strcmp(a, flags[k].name)) {
				*flags[k].out = flags[k].value;
				known = true;
			}
		if (known)
			continue;
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "harness: %s needs a value\n", a);
			return false;
		}
		i++;
		for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]) && !known; k++)
			if (!strcmp(a, texts[k].name)) {
				*texts[k].out = v;
				known = true;
			}
		for (size_t k = 0; k < sizeof(numbers) / sizeof(numbers[0]) && !known; k++)
			if (!strcmp(a, numbers[k].name)) {
				if (!parse_uint(a, v, numbers[k].min, numbers[k].max, numbers[k].out))
					return false;
				known = true;
			}
		if (known)
			continue;
		if (!strcmp(a, "--size")) {
			unsigned w = 0, hh = 0;
			char extra;
			if (sscanf(v, "%ux%u%c", &w, &hh, &extra) != 2 || w < 64 || hh < 64 || w > 4096 || hh > 4096) {
				fprintf(stderr, "harness: --size: expected WxH with 64..4096 each, found '%s'\n", v);
				return false;
			}
			o->width = w;
			o->height = hh;
		} else {
			fprintf(stderr, "harness: unknown option '%s'\n", a);
			return false;
		}
	}
	o->fault.hang_bound_ms = (int)hang_bound_ms;
	o->seconds = seconds;
	o->tolerance = (int)tolerance;

	if (!mode) {
		fprintf(stderr, "harness: --mode is required\n");
		return false;
	} else if (!strcmp(mode, "passthrough")) {
		o->mode = MODE_PASSTHROUGH;
	} else if (!strcmp(mode, "e2e")) {
		o->mode = MODE_E2E;
	} else if (!strcmp(mode, "demo")) {
		o->mode = MODE_DEMO;
	} else if (!strcmp(mode, "fault")) {
		o->mode = MODE_FAULT;
	} else {
		fprintf(stderr, "harness: --mode: expected passthrough, e2e, demo or fault, found '%s'\n", mode);
		return false;
	}
	if (!o->module_path || !o->data_path) {
		fprintf(stderr, "harness: --module and --data are required\n");
		return false;
	}
	if (o->host_from_manifest && o->host_path) {
		fprintf(stderr, "harness: --host and --host-from-manifest exclude each other\n");
		return false;
	}
	if (o->mode != MODE_PASSTHROUGH && !o->host_path && !o->host_from_manifest) {
		fprintf(stderr, "harness: --mode %s needs --host PATH or --host-from-manifest\n", mode);
		return false;
	}
	if (o->mode == MODE_DEMO && !o->out_dir) {
		fprintf(stderr, "harness: --mode demo needs --out DIR\n");
		return false;
	}
	return true;
}

const char *harness_mode_name(enum harness_mode m)
{
	return m == MODE_E2E ? "e2e" : m == MODE_DEMO ? "demo" : m == MODE_FAULT ? "fault" : "passthrough";
}
