/*
 * The Models group of the properties panel, in real libobs with the real host: the catalogue's
 * entries with their state lines; Download clicked (obs_property_button_clicked, as the OBS window
 * does) against a loopback hub (loopback-hub.py, serving the published SD-Turbo and TAESD layouts
 * as onnxruntime/sd-turbo and deinferno/taesd-onnx); a failed download names its reason in the
 * state line; the licence gate; two filters share one download; Use points the filter at the
 * folders and the host loads them.
 *
 * The hub is started before OBS (the plugin reads STREAMFX_MODEL_CATALOGUE at load) and stopped
 * after OBS shut down: the last download is still running when the module unloads, and the session
 * fails if the unload leaves any child process behind.
 */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <util/bmem.h>
#include <util/dstr.h>
#include <util/platform.h>

#include "case-support.h"
#include "controls-cases.h"

extern char **environ;

#define HUB_START_MS 30000
/* Bytes per second: the pair's ~4 MB take a few seconds, so "downloading" and its progress line are
 * seen (and a second filter can join) however fast the machine is. */
#define HUB_RATE       "1000000"
#define DOWNLOAD_MS    180000 /* the SD-Turbo layout is a few MB; a loaded 2-core machine is slow */
#define FAIL_MS        60000
#define PAIR           "sd-turbo-taesd"
#define MODEL          "sd-turbo-onnx"
#define VAE            "taesd"
#define CORRUPTED_FILE "vae_decoder/model.onnx"
/* Its first request is the pair's download; the second (step 6) is held open. */
#define HELD_FILE "vae_encoder/model.onnx"

static struct {
	pid_t hub;
	char *work;      /* this run's folder: catalogue and models */
	char *models;    /* STREAMFX_MODELS_DIR */
	char *catalogue; /* the rewritten catalogue */
} M;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *dir)
{
	if (dir && os_file_exists(dir))
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

bool case_model_downloads_prepare(const struct case_options *o)
{
	CHECK(o->python && o->hub_script && o->catalogue && o->layout_model && o->layout_vae,
	      "model-downloads needs --python, --hub-script, --catalogue, --layout-model and --layout-vae");
	CHECK(os_file_exists(o->layout_model) && os_file_exists(o->layout_vae),
	      "published layouts missing: %s, %s (scripts/build.sh makes them)", o->layout_model, o->layout_vae);
	/* Plain malloc: these outlive OBS (cleanup runs after session_stop counts libobs allocations). */
	if (asprintf(&M.work, "%s/model-downloads-%d", o->work_dir, (int)getpid()) < 0 ||
	    asprintf(&M.models, "%s/models", M.work) < 0 || asprintf(&M.catalogue, "%s/catalogue.json", M.work) < 0) {
		check_fail("out of memory");
		return false;
	}
	remove_tree(M.work);
	os_mkdirs(M.work);

	struct dstr model_repo = {0}, vae_repo = {0}, corrupt = {0}, hold = {0};
	dstr_printf(&model_repo, "onnxruntime/sd-turbo=%s", o->layout_model);
	dstr_printf(&vae_repo, "deinferno/taesd-onnx=%s", o->layout_vae);
	dstr_printf(&corrupt, "deinferno/taesd-onnx:%s", CORRUPTED_FILE);
	dstr_printf(&hold, "deinferno/taesd-onnx:%s:2", HELD_FILE);
	/* Through sh, which starts the hub in the background, prints its pid and exits: the hub is then
	 * no child of this process, so it can outlive OBS's shutdown (a download is still talking to it
	 * when the module unloads, and session_stop counts this process's children). */
	const char *argv[] = {"/bin/sh",
			      "-c",
			      "\"$0\" \"$@\" & echo \"pid $!\"",
			      o->python,
			      o->hub_script,
			      "--repo",
			      model_repo.array,
			      "--repo",
			      vae_repo.array,
			      "--catalogue-in",
			      o->catalogue,
			      "--catalogue-out",
			      M.catalogue,
			      "--corrupt-once",
			      corrupt.array,
			      "--rate",
			      HUB_RATE,
			      "--hold",
			      hold.array,
			      NULL};
	/* The hub prints "ready <url>" on its stdout once it listens and the catalogue is written (after
	 * sh's "pid N" line). */
	int out[2];
	CHECK(pipe(out) == 0, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	pid_t sh = 0;
	int r = posix_spawn(&sh, "/bin/sh", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	dstr_free(&model_repo);
	dstr_free(&vae_repo);
	dstr_free(&corrupt);
	dstr_free(&hold);
	if (r != 0) {
		close(out[0]);
		check_fail("could not start %s %s: %s", o->python, o->hub_script, strerror(r));
		return false;
	}
	char line[512] = {0};
	size_t have = 0;
	uint64_t deadline = os_gettime_ns() + HUB_START_MS * 1000000ull;
	while (!strstr(line, "ready ") || !strchr(strstr(line, "ready "), '\n')) {
		if (have + 1 >= sizeof(line))
			break;
		uint64_t now = os_gettime_ns();
		struct pollfd pfd = {.fd = out[0], .events = POLLIN};
		if (now >= deadline || poll(&pfd, 1, (int)((deadline - now) / 1000000ull) + 1) <= 0)
			break;
		ssize_t n = read(out[0], line + have, sizeof(line) - 1 - have);
		if (n <= 0)
			break; /* the hub exited: its stderr says why */
		have += (size_t)n;
	}
	close(out[0]);
	waitpid(sh, NULL, 0);
	long long pid = 0;
	if (sscanf(line, "pid %lld", &pid) == 1)
		M.hub = (pid_t)pid;
	const char *ready = strstr(line, "ready ");
	CHECK(M.hub > 0 && ready && os_file_exists(M.catalogue),
	      "the loopback hub did not come up within %d ms (it printed '%s')", HUB_START_MS, line);
	printf("  loopback hub (pid %d): %s", (int)M.hub, ready + 6);
	setenv("STREAMFX_MODEL_CATALOGUE", M.catalogue, 1);
	setenv("STREAMFX_MODELS_DIR", M.models, 1);
	return true;
}

void case_model_downloads_cleanup(void)
{
	if (M.hub > 0) {
		kill(M.hub, SIGTERM); /* not our child (see prepare): nothing to reap */
		M.hub = 0;
	}
	remove_tree(M.work);
	free(M.work);
	free(M.models);
	free(M.catalogue);
	memset(&M, 0, sizeof(M));
}

/* ---- Reading the panel, as the OBS window shows it ------------------------------------------ */

/* The text of entry `id`'s state line in a fresh panel (bfree it); "" when the line is missing. */
static char *state_line(obs_source_t *filter, const char *id)
{
	obs_properties_t *props = obs_source_properties(filter);
	struct dstr key = {0};
	dstr_printf(&key, "model_state.%s", id);
	obs_property_t *p = props ? obs_properties_get(props, key.array) : NULL;
	char *text = bstrdup(p ? obs_property_description(p) : "");
	dstr_free(&key);
	obs_properties_destroy(props);
	return text;
}

/* Clicks the button `prefix<id>` of a fresh panel; *visible / *enabled as the panel had them. */
static bool click(obs_source_t *filter, const char *prefix, const char *id, bool *visible, bool *enabled)
{
	obs_properties_t *props = obs_source_properties(filter);
	struct dstr key = {0};
	dstr_printf(&key, "%s%s", prefix, id);
	obs_property_t *p = props ? obs_properties_get(props, key.array) : NULL;
	bool found = p && obs_property_get_type(p) == OBS_PROPERTY_BUTTON;
	if (found) {
		if (visible)
			*visible = obs_property_visible(p);
		if (enabled)
			*enabled = obs_property_enabled(p);
		obs_property_button_clicked(p, filter);
	} else {
		check_fail("the panel has no button '%s'", key.array);
	}
	dstr_free(&key);
	obs_properties_destroy(props);
	return found;
}

struct state_wait {
	obs_source_t *filter;
	const char *id;
	const char *fragment;
};

static bool state_has(void *arg)
{
	struct state_wait *w = arg;
	char *text = state_line(w->filter, w->id);
	bool has = strstr(text, w->fragment) != NULL;
	bfree(text);
	return has;
}

static bool wait_state(obs_source_t *filter, const char *id, const char *fragment, int timeout_ms)
{
	struct state_wait w = {filter, id, fragment};
	if (session_wait_until(state_has, &w, timeout_ms))
		return true;
	char *text = state_line(filter, id);
	check_fail("'%s' never showed '%s' within %d ms; its state line: %s", id, fragment, timeout_ms, text);
	bfree(text);
	return false;
}

static bool folder_installed(const char *id)
{
	struct dstr path = {0};
	dstr_printf(&path, "%s/%s/streamfx-download.json", M.models, id);
	bool found = os_file_exists(path.array);
	dstr_free(&path);
	return found;
}

static bool host_model_loaded(void *arg)
{
	char *text, *host;
	filter_get_status(arg, &text, &host);
	bool ready = strstr(host, "\"state\":\"ready\"") != NULL;
	bfree(text);
	bfree(host);
	return ready;
}

struct refresh_wait {
	obs_source_t *filter;
	long long before;
};

static bool refreshed_since(void *arg)
{
	struct refresh_wait *w = arg;
	struct filter_stats st;
	filter_stats_read(w->filter, &st);
	return st.status_refreshes > w->before;
}

/* ---- The case ------------------------------------------------------------------------------- */

static bool run(obs_source_t *filter, obs_source_t *filter2)
{
	/* 1. Every entry, not downloaded; the licence gate where the catalogue says so. */
	const char *ids[] = {MODEL, VAE, PAIR};
	for (size_t i = 0; i < 3; i++) {
		char *text = state_line(filter, ids[i]);
		printf("  panel: %s\n", text);
		CHECK(strstr(text, "not downloaded"), "'%s' should start as not downloaded, the panel says: '%s'",
		      ids[i], text);
		bfree(text);
	}
	obs_properties_t *props = obs_source_properties(filter);
	obs_property_t *licence = obs_properties_get(props, "model_licence." PAIR);
	obs_property_t *accept = obs_properties_get(props, "model_licence_accepted." PAIR);
	CHECK(licence &&
		  strstr(obs_property_description(licence), "<a href=\"https://huggingface.co/stabilityai/sd-turbo"),
	      "the pair's licence line with its link is missing: %s",
	      licence ? obs_property_description(licence) : "(none)");
	CHECK(accept && obs_property_get_type(accept) == OBS_PROPERTY_BOOL, "no 'I accept' box for the pair");
	CHECK(!obs_properties_get(props, "model_licence_accepted." VAE), "TAESD (MIT) should need no acceptance");
	obs_properties_destroy(props);

	session_log_mark();
	bool visible = false, enabled = true;
	CHECK(click(filter, "model_download.", PAIR, &visible, &enabled), "no Download button");
	CHECK(visible && !enabled, "Download for the pair should be shown but disabled before the licence is accepted");
	CHECK(session_log_has("'" PAIR "' not downloaded: its licence", "must be accepted first", NULL),
	      "a Download before accepting the licence was not refused in the log");
	char *text = state_line(filter, PAIR);
	CHECK(strstr(text, "not downloaded"), "a refused Download changed the state: %s", text);
	bfree(text);
	printf("  ok: three entries, the licence line links the licence, Download waits for acceptance\n");

	/* 2. A failed download names its reason (the hub corrupts one TAESD file once). */
	CHECK(click(filter, "model_download.", VAE, NULL, NULL), "no Download button for TAESD");
	if (!wait_state(filter, VAE, "failed:", FAIL_MS))
		return false;
	text = state_line(filter, VAE);
	printf("  panel: %s\n", text);
	CHECK(strstr(text, "checksum mismatch") && strstr(text, "'" CORRUPTED_FILE "'"),
	      "the failure should name the checksum mismatch and the file: %s", text);
	bfree(text);
	CHECK(!folder_installed(VAE), "a failed download left an installed folder");
	printf("  ok: a corrupted file fails the download with a named reason; nothing installed\n");

	/* 3. Accept; a download cancelled while it runs installs nothing and says so. */
	update_json(filter, "{\"model_licence_accepted." PAIR "\": true}");
	CHECK(click(filter, "model_download.", PAIR, NULL, &enabled), "no Download button");
	CHECK(enabled, "Download for the pair stays disabled after the licence was accepted");
	if (!wait_state(filter, PAIR, "downloading", 5000))
		return false;
	CHECK(click(filter, "model_cancel.", PAIR, &visible, NULL) && visible, "no Cancel shown while downloading");
	if (!wait_state(filter, PAIR, "cancelled", FAIL_MS))
		return false;
	text = state_line(filter, PAIR);
	printf("  panel: %s\n", text);
	bfree(text);
	CHECK(!folder_installed(MODEL) && !folder_installed(VAE), "a cancelled download left an installed folder");
	printf("  ok: Cancel stops the download; nothing installed\n");

	/* 4. Download the pair; the second filter's Download joins the same download. */
	struct filter_stats before;
	filter_stats_read(filter, &before);
	session_log_mark();
	CHECK(click(filter, "model_download.", PAIR, &visible, &enabled), "no Download button");
	CHECK(enabled, "Download for the pair stays disabled after the licence was accepted");
	CHECK(session_log_has("model '" PAIR "': download started", NULL), "no download process was started");
	if (!wait_state(filter2, PAIR, "downloading", 5000) || !wait_state(filter, PAIR, " %", 10000))
		return false;
	text = state_line(filter, PAIR);
	printf("  panel: %s\n", text);
	bool progress_line = strstr(text, "downloading ") && strstr(text, "part ");
	bfree(text);
	CHECK(progress_line, "the state line during the download lacks the progress or the part");
	update_json(filter2, "{\"model_licence_accepted." PAIR "\": true}");
	session_log_mark();
	CHECK(click(filter2, "model_download.", PAIR, NULL, NULL), "no Download button on the second filter");
	CHECK(!session_log_has("not downloaded", NULL), "the second filter's Download was refused");
	if (!wait_state(filter, PAIR, "ready", DOWNLOAD_MS))
		return false;
	CHECK(!session_log_has("download started", NULL), "the second filter's Download started a second download");
	CHECK(folder_installed(MODEL) && folder_installed(VAE), "'ready' but the folders are not installed in %s",
	      M.models);
	char *config = filter_get_config(filter);
	bool leaked = strstr(config, "model_licence") != NULL;
	bfree(config);
	CHECK(!leaked, "the panel-only licence key reached the host's CONFIGURE");
	for (size_t i = 0; i < 3; i++) {
		char *t2 = state_line(filter2, ids[i]);
		CHECK(strstr(t2, "ready"), "the second filter's panel shows '%s' as: %s", ids[i], t2);
		bfree(t2);
	}
	/* The open panel is asked to reload for the download's changes (once a second at most, and not
	 * within 2 s of a settings change such as the licence box). */
	struct refresh_wait rw = {filter, before.status_refreshes};
	bool refreshed = session_wait_until(refreshed_since, &rw, 10000);
	struct filter_stats after;
	filter_stats_read(filter, &after);
	CHECK(refreshed,
	      "the download's state changes never asked the open panel to refresh (status_refreshes %lld -> %lld)",
	      before.status_refreshes, after.status_refreshes);
	printf("  ok: the pair downloaded once for two filters (panel refreshes asked: %lld)\n",
	       after.status_refreshes - before.status_refreshes);

	/* 5. Use: model_dir and vae_dir point at the downloaded folders and the host loads them. */
	CHECK(click(filter, "model_use.", PAIR, &visible, NULL) && visible, "Use is not shown for a ready entry");
	struct dstr want = {0};
	dstr_printf(&want, "\"model_dir\":\"%s/" MODEL "\"", M.models);
	bool configured = wait_config_has(filter, want.array, SETTLE_MS);
	dstr_printf(&want, "\"vae_dir\":\"%s/" VAE "\"", M.models);
	configured = configured && wait_config_has(filter, want.array, SETTLE_MS);
	dstr_free(&want);
	if (!configured)
		return false;
	if (!wait_host_ready(filter, HOST_START_MS))
		return false;
	if (!session_wait_until(host_model_loaded, filter, HOST_START_MS)) {
		char *t, *host;
		filter_get_status(filter, &t, &host);
		check_fail("the downloaded pair never loaded: host STATUS %s", host);
		bfree(t);
		bfree(host);
		return false;
	}
	if (!wait_host_frames(filter, 5, HOST_START_MS))
		return false;
	printf("  ok: Use set model_dir and vae_dir; the host loaded the download and returns frames\n");

	/* 6. A download still running when OBS shuts down: the module's unload stops and reaps it
	 * (session_stop fails on any child process left). The hub holds TAESD's second file. */
	struct dstr taesd = {0};
	dstr_printf(&taesd, "%s/" VAE, M.models);
	remove_tree(taesd.array);
	dstr_free(&taesd);
	if (!wait_state(filter, VAE, "not downloaded", 5000))
		return false;
	CHECK(click(filter, "model_download.", VAE, NULL, NULL), "no Download button for TAESD");
	/* A percentage: the first file is in, the second is the one the hub holds. */
	if (!wait_state(filter, VAE, "downloading", 5000) || !wait_state(filter, VAE, " %", 30000))
		return false;
	text = state_line(filter, VAE);
	printf("  panel: %s\n", text);
	bfree(text);
	printf("  ok: TAESD downloading (its second file held by the hub) as OBS shuts down\n");
	return true;
}

bool case_model_downloads(const struct case_options *o)
{
	(void)o;
	obs_source_t *source, *filter, *source2, *filter2;
	const char *json = "{\"execution_provider\":\"cpu\",\"resolution\":256}";
	if (!make_filtered_source("models source", "models filter", STILL_WIDTH, STILL_HEIGHT, 1, json, &source,
				  &filter))
		return false;
	if (!make_filtered_source("models source 2", "models filter 2", STILL_WIDTH, STILL_HEIGHT, 2, json, &source2,
				  &filter2))
		return false;
	obs_set_output_source(0, source);
	bool ok = run(filter, filter2);
	obs_set_output_source(0, NULL);
	obs_source_release(filter2);
	obs_source_release(source2);
	obs_source_release(filter);
	obs_source_release(source);
	return ok;
}

/* ---- A catalogue with bad entries (no hub, no host) ----------------------------------------- */

static const char bad_catalogue[] =
    "{\"format_version\": 1, \"hub\": \"http://127.0.0.1:1\", \"models\": [\n"
    " {\"id\": \"../evil\", \"name\": \"Evil\", \"kind\": \"autoencoder\", \"repo\": \"a/b\"},\n"
    " {\"id\": \"good\", \"name\": \"Good one\", \"kind\": \"autoencoder\", \"repo\": \"a/b\",\n"
    "  \"licence\": {\"name\": \"MIT\", \"url\": \"https://example.invalid/mit\", \"must_accept\": false},\n"
    "  \"approx_bytes\": 5000000},\n"
    " {\"id\": \"pair\", \"name\": \"Pair\", \"kind\": \"stream-diffusion\",\n"
    "  \"parts\": {\"model_dir\": \"missing\", \"vae_dir\": \"good\"}}]}\n";

bool case_model_catalogue_prepare(const struct case_options *o)
{
	if (asprintf(&M.work, "%s/model-catalogue-%d", o->work_dir, (int)getpid()) < 0 ||
	    asprintf(&M.models, "%s/models", M.work) < 0 || asprintf(&M.catalogue, "%s/catalogue.json", M.work) < 0) {
		check_fail("out of memory");
		return false;
	}
	remove_tree(M.work);
	os_mkdirs(M.work);
	CHECK(os_quick_write_utf8_file(M.catalogue, bad_catalogue, sizeof(bad_catalogue) - 1, false), "cannot write %s",
	      M.catalogue);
	setenv("STREAMFX_MODEL_CATALOGUE", M.catalogue, 1);
	setenv("STREAMFX_MODELS_DIR", M.models, 1);
	return true;
}

/* Each unusable entry is skipped with a log line naming the file, the field, what was expected and
 * what was found; the usable one is listed. */
bool case_model_catalogue(const struct case_options *o)
{
	(void)o;
	CHECK(session_log_has(M.catalogue, "models[0].id: expected a plain name", "found '../evil'", NULL),
	      "no log line names the bad id");
	CHECK(session_log_has(M.catalogue, "'pair'.parts: expected the id of a plain entry, found 'missing'", NULL),
	      "no log line names the pair's missing part");
	obs_source_t *source, *filter;
	if (!make_filtered_source("catalogue source", "catalogue filter", 64, 64, 1, NULL, &source, &filter))
		return false;
	char *good = state_line(filter, "good");
	char *pair = state_line(filter, "pair");
	char *evil = state_line(filter, "../evil");
	printf("  panel: %s\n", good);
	bool ok = strstr(good, "Good one (~5 MB): not downloaded") && !pair[0] && !evil[0];
	bfree(good);
	bfree(pair);
	bfree(evil);
	obs_source_release(filter);
	obs_source_release(source);
	CHECK(ok, "the panel should list 'good' alone");
	printf("  ok: bad entries skipped and named in the log; the good one listed\n");
	return true;
}
