/*
 * sfx-obs-controls: the streamer's controls of the streamfx-obs filter, checked in real, headless
 * libobs against a real effects host.
 *
 *   sfx-obs-controls --case keys|image-effect|hidden|hotkeys|roundtrip|instances|diffusion|source-kinds|
 *                           model-downloads|model-catalogue
 *                    --module <streamfx-obs.so> --data <data dir> [--host <streamfx-host>]
 *                    [--invert-model <pack>] [--diffusion-model <pack>] [--keys k1,k2] [--work <dir>]
 *                    [--python python3 --hub-script loopback-hub.py --catalogue catalogue.json
 *                     --layout-model <layout> --layout-vae <layout>]   (model-downloads)
 *
 * Exit status 0 when every check passed, 1 on a failed check, 2 on bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <util/platform.h>

#include "controls-cases.h"
#include "obs-session.h"

struct case_entry {
	const char *name;
	bool (*run)(const struct case_options *o);
	bool needs_host;
	bool needs_invert;
	bool needs_diffusion;
	bool (*prepare)(const struct case_options *o); /* before OBS starts; may be NULL */
	void (*cleanup)(void);                         /* after OBS shut down; may be NULL */
};

static const struct case_entry cases[] = {
    {"keys", case_keys, true, true, false},
    {"image-effect", case_image_effect, true, true, false},
    {"hidden", case_hidden, true, true, false},
    {"hotkeys", case_hotkeys, true, true, false},
    {"roundtrip", case_roundtrip, false, false, false},
    {"instances", case_instances, true, true, false},
    {"diffusion", case_diffusion, true, false, true},
    {"source-kinds", case_source_kinds, true, true, false},
    {"model-downloads", case_model_downloads, true, false, false, case_model_downloads_prepare,
     case_model_downloads_cleanup},
    {"model-catalogue", case_model_catalogue, false, false, false, case_model_catalogue_prepare,
     case_model_downloads_cleanup},
};

static void usage(void)
{
	fprintf(stderr, "usage: sfx-obs-controls --case NAME --module <streamfx-obs.so> --data <dir> [--host PATH]\n"
			"         [--invert-model DIR] [--diffusion-model DIR] [--keys k1,k2] [--work DIR]\n"
			"cases:");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		fprintf(stderr, " %s", cases[i].name);
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	const char *name = NULL;
	struct session_options so = {.width = 640, .height = 360, .fps = 30};
	struct case_options co = {.work_dir = "."};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "sfx-obs-controls: %s needs a value\n", a);
			usage();
			return 2;
		}
		i++;
		if (!strcmp(a, "--case"))
			name = v;
		else if (!strcmp(a, "--module"))
			so.module_path = v;
		else if (!strcmp(a, "--data"))
			so.data_path = v;
		else if (!strcmp(a, "--host"))
			so.host_path = v;
		else if (!strcmp(a, "--invert-model"))
			co.invert_model_dir = v;
		else if (!strcmp(a, "--diffusion-model"))
			co.diffusion_model_dir = v;
		else if (!strcmp(a, "--keys"))
			co.keys = v;
		else if (!strcmp(a, "--work"))
			co.work_dir = v;
		else if (!strcmp(a, "--python"))
			co.python = v;
		else if (!strcmp(a, "--hub-script"))
			co.hub_script = v;
		else if (!strcmp(a, "--catalogue"))
			co.catalogue = v;
		else if (!strcmp(a, "--layout-model"))
			co.layout_model = v;
		else if (!strcmp(a, "--layout-vae"))
			co.layout_vae = v;
		else {
			fprintf(stderr, "sfx-obs-controls: unknown option '%s'\n", a);
			usage();
			return 2;
		}
	}
	const struct case_entry *c = NULL;
	for (size_t i = 0; name && i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(cases[i].name, name))
			c = &cases[i];
	if (!c || !so.module_path || !so.data_path) {
		fprintf(stderr, "sfx-obs-controls: %s\n",
			!name ? "--case is required"
			: !c  ? "unknown --case"
			      : "--module and --data are required");
		usage();
		return 2;
	}
	const char *missing = c->needs_host && !so.host_path                  ? "--host"
			      : c->needs_invert && !co.invert_model_dir       ? "--invert-model"
			      : c->needs_diffusion && !co.diffusion_model_dir ? "--diffusion-model"
									      : NULL;
	if (missing) {
		fprintf(stderr, "sfx-obs-controls: case '%s' needs %s\n", c->name, missing);
		return 2;
	}
	if (!c->needs_host)
		so.host_path = NULL;
	os_mkdirs(co.work_dir);

	uint64_t start = os_gettime_ns();
	bool ok = (!c->prepare || c->prepare(&co)) && session_start(&so) && c->run(&co);
	bool clean = session_stop();
	if (c->cleanup)
		c->cleanup();
	ok = ok && clean && !check_failed();
	printf("controls case %s: %s (%.1f s)\n", c->name, ok ? "PASS" : "FAIL",
	       (double)(os_gettime_ns() - start) / 1e9);
	return ok ? 0 : 1;
}
