#include "model-downloads.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <obs-module.h>
#include <util/dstr.h>
#include <util/platform.h>

#include "platform/platform.h"
#include "plugin-config.h"
#include "plugin-log.h"

/* How often the worker reads the progress files: the CLI rewrites them at most every 200 ms. */
#define POLL_MS 250
/* A panel reload for a whole-percent step comes at most this often (state changes at once). */
#define PERCENT_BUMP_NS 1000000000ull
/* After a cancel request the CLI unwinds (closes files, releases its lock) within a fraction of a
 * second; one still running after this is killed. */
#define CANCEL_KILL_NS 10000000000ull
/* The download record the host writes beside the files; its presence means "installed". */
#define RECORD_FILE "streamfx-download.json"

#define T(key) obs_module_text(key)

struct job {
	struct sfx_process *proc; /* non-NULL while the download runs */
	char *progress_path;
	char *cancel_path;
	struct sfx_model_status status; /* DOWNLOADING while proc runs; the last result after */
	bool has_result;
	int last_percent;
	uint64_t last_bump_ns;
	uint64_t cancel_ns; /* when a cancel was asked for; 0: none */
};

/* Entries and jobs are parallel arrays: jobs[i] is entry i's download. */
static struct {
	bool ready;
	char problem[512];
	struct sfx_model_catalogue catalogue;
	struct sfx_model_entry *entries; /* catalogue.entries */
	struct job *jobs;
	size_t count;
	char *catalogue_path;
	char *models_dir;
	struct sfx_mutex *lock;
	struct sfx_wake *wake;
	struct sfx_thread *worker;
	atomic_bool stopping;
	atomic_uint_fast64_t generation;
} R;

static void bump(void)
{
	atomic_fetch_add(&R.generation, 1);
}

uint64_t sfx_model_downloads_generation(void)
{
	return atomic_load(&R.generation);
}

const char *sfx_model_downloads_problem(void)
{
	return R.problem;
}

size_t sfx_model_downloads_count(void)
{
	return R.ready ? R.count : 0;
}

static ptrdiff_t index_of(const char *id)
{
	for (size_t i = 0; R.ready && id && i < R.count; i++)
		if (strcmp(R.entries[i].id, id) == 0)
			return (ptrdiff_t)i;
	return -1;
}

bool sfx_model_downloads_entry(size_t index, struct sfx_model_entry *out)
{
	if (!R.ready || index >= R.count)
		return false;
	*out = R.entries[index];
	return true;
}

bool sfx_model_downloads_find(const char *id, struct sfx_model_entry *out)
{
	ptrdiff_t i = index_of(id);
	return i >= 0 && sfx_model_downloads_entry((size_t)i, out);
}

char *sfx_model_downloads_folder(const char *id)
{
	if (!R.models_dir || !id)
		return NULL;
	struct dstr path = {0};
	dstr_printf(&path, "%s/%s", R.models_dir, id);
	return path.array;
}

static void copy_string(char *out, size_t cap, const char *text)
{
	snprintf(out, cap, "%s", text ? text : "");
}

/* The ids a download of entry i fetches: itself, or a pair's two parts. */
static size_t parts_of(size_t i, const char *parts[2])
{
	const struct sfx_model_entry *e = &R.entries[i];
	if (e->model_part[0]) {
		parts[0] = e->model_part;
		parts[1] = e->vae_part;
		return 2;
	}
	parts[0] = e->id;
	return 1;
}

bool sfx_model_downloads_init(void)
{
	const char *env_catalogue = getenv(SFX_MODEL_CATALOGUE_ENV);
	const char *env_dir = getenv(SFX_MODELS_DIR_ENV);
	if (env_catalogue && env_catalogue[0]) {
		R.catalogue_path = os_get_abs_path_ptr(env_catalogue); /* NULL when missing */
		if (!R.catalogue_path)
			snprintf(R.problem, sizeof(R.problem), "%s='%s': no such file", SFX_MODEL_CATALOGUE_ENV,
				 env_catalogue);
	} else {
		R.catalogue_path = obs_module_file("models/catalogue.json");
		if (!R.catalogue_path)
			snprintf(R.problem, sizeof(R.problem), "the plugin's data folder has no models/catalogue.json");
	}
	char *dir = env_dir && env_dir[0] ? bstrdup(env_dir) : obs_module_config_path("models");
	if (dir) {
		/* The host is given an absolute folder. Nothing is created before the first download. */
		bool absolute = dir[0] == '/' || dir[0] == '\\' || (dir[0] && dir[1] == ':');
		char cwd[4096];
		if (!absolute && os_getcwd(cwd, sizeof(cwd))) {
			struct dstr path = {0};
			dstr_printf(&path, "%s/%s", cwd, dir);
			bfree(dir);
			dir = path.array;
		}
		R.models_dir = dir;
	} else {
		snprintf(R.problem, sizeof(R.problem), "OBS gave no configuration folder for the models");
	}
	R.lock = sfx_mutex_create();
	R.wake = sfx_wake_create();
	if (R.catalogue_path && R.models_dir &&
	    sfx_model_catalogue_load(R.catalogue_path, &R.catalogue, R.problem, sizeof(R.problem))) {
		R.entries = R.catalogue.entries;
		R.count = R.catalogue.count;
		R.jobs = bzalloc(sizeof(*R.jobs) * R.count);
		R.ready = true;
		obs_log(LOG_INFO, "model catalogue %s: %zu entries; models go to %s", R.catalogue_path, R.count,
			R.models_dir);
		/* The GUI screenshot has no way to click a filter's button (obs-websocket presses only
		 * inputs' buttons): it starts its download here. */
		const char *start = getenv(SFX_TEST_START_DOWNLOAD_ENV);
		char err[512];
		if (start && start[0] && !sfx_model_downloads_start(start, err, sizeof(err)))
			obs_log(LOG_WARNING, "%s=%s: %s", SFX_TEST_START_DOWNLOAD_ENV, start, err);
		return true;
	}
	obs_log(LOG_ERROR, "model downloads unavailable: %s", R.problem);
	return false;
}

/* ---- State ---------------------------------------------------------------------------------- */

static bool installed(const char *id)
{
	struct dstr path = {0};
	dstr_printf(&path, "%s/%s/%s", R.models_dir, id, RECORD_FILE);
	bool found = os_file_exists(path.array);
	dstr_free(&path);
	return found;
}

static bool running(size_t i)
{
	return R.jobs[i].proc != NULL;
}

/* With the lock held: the running job that fetches `id` (itself, or a pair containing it). */
static ptrdiff_t running_job_with_part(const char *id)
{
	for (size_t j = 0; j < R.count; j++) {
		if (!running(j))
			continue;
		const char *parts[2];
		size_t n = parts_of(j, parts);
		for (size_t k = 0; k < n; k++)
			if (strcmp(parts[k], id) == 0)
				return (ptrdiff_t)j;
	}
	return -1;
}

bool sfx_model_downloads_status(const char *id, struct sfx_model_status *out)
{
	memset(out, 0, sizeof(*out));
	out->eta = -1;
	ptrdiff_t i = index_of(id);
	if (i < 0)
		return false;
	const char *parts[2];
	size_t n = parts_of((size_t)i, parts);

	sfx_mutex_lock(R.lock);
	ptrdiff_t via = running(i) ? i : -1;
	for (size_t k = 0; k < n && via < 0; k++)
		via = running_job_with_part(parts[k]);
	if (via >= 0) {
		*out = R.jobs[via].status;
		if (via != i) {
			/* A part of another entry's download: its own bytes while its part runs, else queued. */
			const char *job_parts[2];
			size_t job_n = parts_of((size_t)via, job_parts);
			int current =
			    out->part_index >= 1 && (size_t)out->part_index <= job_n ? out->part_index - 1 : 0;
			bool now = n == 1 && strcmp(job_parts[current], id) == 0;
			if (!now) {
				out->bytes = out->total = 0;
				out->rate = 0;
				out->eta = -1;
				out->queued = n == 1;
			}
			out->part_index = out->parts = 1;
			copy_string(out->via, sizeof(out->via), R.entries[via].id);
		}
		sfx_mutex_unlock(R.lock);
		return true;
	}
	bool has_result = R.jobs[i].has_result;
	struct sfx_model_status last = R.jobs[i].status;
	sfx_mutex_unlock(R.lock);

	bool all = true;
	for (size_t k = 0; k < n; k++)
		all = all && installed(parts[k]);
	if (all)
		out->state = SFX_MODEL_READY;
	else if (has_result && last.state != SFX_MODEL_READY)
		*out = last;
	else
		out->state = SFX_MODEL_ABSENT;
	return true;
}

void sfx_model_status_format(const struct sfx_model_status *s, char *out, size_t cap)
{
	switch (s->state) {
	case SFX_MODEL_ABSENT:
		snprintf(out, cap, "%s", T("StreamFx.Model.NotDownloaded"));
		return;
	case SFX_MODEL_READY:
		snprintf(out, cap, "%s", T("StreamFx.Model.Ready"));
		return;
	case SFX_MODEL_FAILED:
		snprintf(out, cap, "%s: %s", T("StreamFx.Model.Failed"), s->error);
		return;
	case SFX_MODEL_CANCELLED:
		snprintf(out, cap, "%s", T("StreamFx.Model.Cancelled"));
		return;
	case SFX_MODEL_DOWNLOADING:
		break;
	}
	struct dstr line = {0};
	dstr_copy(&line, T(s->queued ? "StreamFx.Model.Queued" : "StreamFx.Model.Downloading"));
	if (s->total > 0) {
		dstr_catf(&line, " %d %%", (int)(100.0 * (double)s->bytes / (double)s->total));
		if (s->rate >= 1e6)
			dstr_catf(&line, " · %.1f MB/s", s->rate / 1e6);
		else if (s->rate > 0)
			dstr_catf(&line, " · %.0f kB/s", s->rate / 1e3);
		if (s->eta >= 0) {
			long long left = (long long)(s->eta + 0.5);
			if (left >= 3600)
				dstr_catf(&line, " · %lld:%02lld:%02lld %s", left / 3600, left / 60 % 60, left % 60,
					  T("StreamFx.Model.Left"));
			else
				dstr_catf(&line, " · %lld:%02lld %s", left / 60, left % 60, T("StreamFx.Model.Left"));
		}
	}
	if (s->parts > 1)
		dstr_catf(&line, " · %s %d/%d", T("StreamFx.Model.Part"), s->part_index, s->parts);
	if (s->via[0])
		dstr_catf(&line, " (%s %s)", T("StreamFx.Model.Via"), s->via);
	snprintf(out, cap, "%s", line.array ? line.array : "");
	dstr_free(&line);
}

/* ---- Worker --------------------------------------------------------------------------------- */

static int percent_of(const struct sfx_model_status *s)
{
	return s->total > 0 ? (int)(100.0 * (double)s->bytes / (double)s->total) + 100 * (s->part_index - 1) : -1;
}

/* With the lock held: takes what the CLI last wrote. Returns the file's "state" (bfree it). */
static char *read_progress(struct job *job)
{
	obs_data_t *d = obs_data_create_from_json_file(job->progress_path);
	if (!d)
		return NULL; /* not written yet */
	struct sfx_model_status *s = &job->status;
	s->bytes = obs_data_get_int(d, "bytes");
	s->total = obs_data_get_int(d, "total");
	s->rate = obs_data_get_double(d, "rate");
	s->eta = obs_data_get_double(d, "eta");
	s->part_index = (int)obs_data_get_int(d, "part_index");
	s->parts = (int)obs_data_get_int(d, "parts");
	copy_string(s->error, sizeof(s->error), obs_data_get_string(d, "error"));
	char *state = bstrdup(obs_data_get_string(d, "state"));
	obs_data_release(d);
	return state;
}

static void finish(size_t i, int exit_code, const char *file_state)
{
	struct job *job = &R.jobs[i];
	struct sfx_model_status *s = &job->status;
	if (exit_code == 0 && file_state && strcmp(file_state, "ready") == 0) {
		s->state = SFX_MODEL_READY;
		s->error[0] = '\0';
		obs_log(LOG_INFO, "model '%s' downloaded and verified into %s", R.entries[i].id, R.models_dir);
		/* A part's own earlier failure is history now: if its folder goes away it is "not downloaded". */
		const char *parts[2];
		size_t n = parts_of(i, parts);
		for (size_t k = 0; k < n; k++) {
			ptrdiff_t p = index_of(parts[k]);
			if (p >= 0)
				R.jobs[p].has_result = false;
		}
	} else if (file_state && strcmp(file_state, "cancelled") == 0) {
		s->state = SFX_MODEL_CANCELLED;
		obs_log(LOG_INFO, "model '%s': download cancelled; nothing was installed", R.entries[i].id);
	} else {
		s->state = SFX_MODEL_FAILED;
		if (!s->error[0] || exit_code == 0) {
			if (exit_code < 0)
				snprintf(s->error, sizeof(s->error), "the download process was killed (signal %d)",
					 -exit_code);
			else
				snprintf(s->error, sizeof(s->error),
					 "the download process exited with status %d without a reason", exit_code);
		}
		obs_log(LOG_WARNING, "model '%s': download failed: %s", R.entries[i].id, s->error);
	}
	job->has_result = true;
	sfx_process_destroy(job->proc);
	job->proc = NULL;
	os_unlink(job->progress_path);
	os_unlink(job->cancel_path);
	bump();
}

static void poll_jobs(void)
{
	uint64_t now = os_gettime_ns();
	sfx_mutex_lock(R.lock);
	for (size_t i = 0; i < R.count; i++) {
		struct job *job = &R.jobs[i];
		if (!job->proc)
			continue;
		int exit_code = 0;
		bool alive = sfx_process_running(job->proc, &exit_code);
		/* Read after the exit check: a process that has exited wrote its final state before. */
		char *file_state = read_progress(job);
		if (!alive) {
			finish(i, exit_code, file_state);
		} else {
			if (job->cancel_ns && now - job->cancel_ns > CANCEL_KILL_NS) {
				obs_log(LOG_WARNING,
					"model '%s': the download did not stop within %llu s of cancel; killing it",
					R.entries[i].id, CANCEL_KILL_NS / 1000000000ull);
				sfx_process_kill(job->proc);
			}
			int percent = percent_of(&job->status);
			if (percent != job->last_percent && now - job->last_bump_ns >= PERCENT_BUMP_NS) {
				job->last_percent = percent;
				job->last_bump_ns = now;
				bump();
			}
		}
		bfree(file_state);
	}
	sfx_mutex_unlock(R.lock);
}

static void worker_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&R.stopping)) {
		sfx_wake_wait(R.wake, POLL_MS);
		if (atomic_load(&R.stopping))
			break;
		sfx_wake_clear(R.wake);
		poll_jobs();
	}
}

/* ---- Start / cancel ------------------------------------------------------------------------- */

static char *side_file(const char *id, const char *suffix)
{
	struct dstr path = {0};
	dstr_printf(&path, "%s/.%s.%s", R.models_dir, id, suffix);
	return path.array;
}

bool sfx_model_downloads_start(const char *id, char *err, size_t err_cap)
{
	ptrdiff_t i = index_of(id);
	if (i < 0) {
		snprintf(err, err_cap, "no model '%s' in the catalogue%s%s", id ? id : "", R.problem[0] ? ": " : "",
			 R.problem);
		return false;
	}
	struct job *job = &R.jobs[i];
	const char *parts[2];
	size_t n = parts_of((size_t)i, parts);

	sfx_mutex_lock(R.lock);
	if (running((size_t)i)) {
		sfx_mutex_unlock(R.lock);
		return true; /* one download per entry: a second request joins it */
	}
	for (size_t k = 0; k < n; k++) {
		/* A part coming with another entry (the pair, or the part on its own) is not fetched twice;
		 * the host's lock file would refuse it anyway, this names what to wait for. */
		ptrdiff_t other = running_job_with_part(parts[k]);
		if (other >= 0) {
			snprintf(err, err_cap, "'%s' is already being downloaded with '%s'; wait for it or cancel it",
				 parts[k], R.entries[other].id);
			sfx_mutex_unlock(R.lock);
			return false;
		}
	}

	char *host = sfx_plugin_config_host_path();
	if (!host) {
		snprintf(err, err_cap, "the effects host (which downloads models) was not found; see the OBS log");
		sfx_mutex_unlock(R.lock);
		return false;
	}
	os_mkdirs(R.models_dir);
	bfree(job->progress_path);
	bfree(job->cancel_path);
	job->progress_path = side_file(id, "status.json");
	job->cancel_path = side_file(id, "cancel");
	/* Leftovers of an earlier run would read as this run's state or cancel it at once. */
	os_unlink(job->progress_path);
	os_unlink(job->cancel_path);
	const char *argv[] = {host,
			      "models",
			      "download",
			      id,
			      "--dir",
			      R.models_dir,
			      "--catalogue",
			      R.catalogue_path,
			      "--progress-file",
			      job->progress_path,
			      "--cancel-file",
			      job->cancel_path,
			      NULL};
	char spawn_err[512];
	job->proc = sfx_process_spawn(host, argv, spawn_err, sizeof(spawn_err));
	bfree(host);
	memset(&job->status, 0, sizeof(job->status));
	job->status.eta = -1;
	job->cancel_ns = 0;
	job->last_percent = -1;
	job->last_bump_ns = 0;
	if (!job->proc) {
		job->status.state = SFX_MODEL_FAILED;
		job->has_result = true;
		copy_string(job->status.error, sizeof(job->status.error), spawn_err);
		snprintf(err, err_cap, "%s", spawn_err);
		sfx_mutex_unlock(R.lock);
		bump();
		return false;
	}
	job->status.state = SFX_MODEL_DOWNLOADING;
	job->status.parts = (int)n;
	job->status.part_index = 1;
	obs_log(LOG_INFO, "model '%s': download started (pid %lld) into %s", id, (long long)sfx_process_pid(job->proc),
		R.models_dir);
	if (!R.worker)
		R.worker = sfx_thread_start(worker_main, NULL);
	bool have_worker = R.worker != NULL;
	sfx_mutex_unlock(R.lock);
	if (!have_worker)
		obs_log(LOG_ERROR, "model downloads: no worker thread (%s); progress will not show",
			sfx_platform_error());
	bump();
	return true;
}

static void request_cancel(struct job *job)
{
	FILE *f = os_fopen(job->cancel_path, "wb");
	if (f)
		fclose(f);
	else
		obs_log(LOG_WARNING, "cannot write %s; the download will be killed instead", job->cancel_path);
	if (!job->cancel_ns)
		job->cancel_ns = os_gettime_ns();
}

bool sfx_model_downloads_cancel(const char *id)
{
	ptrdiff_t i = index_of(id);
	if (i < 0)
		return false;
	sfx_mutex_lock(R.lock);
	bool was = running((size_t)i);
	if (was) {
		request_cancel(&R.jobs[i]);
		obs_log(LOG_INFO, "model '%s': cancel requested", id);
	}
	sfx_mutex_unlock(R.lock);
	if (was)
		sfx_wake_signal(R.wake);
	return was;
}

void sfx_model_downloads_shutdown(int timeout_ms)
{
	atomic_store(&R.stopping, true);
	if (R.wake)
		sfx_wake_signal(R.wake);
	if (R.worker)
		sfx_thread_join(R.worker);
	R.worker = NULL;

	/* The worker is gone: this thread owns the jobs now. */
	uint64_t deadline = os_gettime_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (size_t i = 0; R.ready && i < R.count; i++)
		if (R.jobs[i].proc)
			request_cancel(&R.jobs[i]);
	for (size_t i = 0; R.ready && i < R.count; i++) {
		struct job *job = &R.jobs[i];
		if (!job->proc)
			continue;
		uint64_t now = os_gettime_ns();
		int left_ms = now < deadline ? (int)((deadline - now) / 1000000ull) : 0;
		int code = 0;
		if (!sfx_process_wait(job->proc, left_ms, &code))
			obs_log(LOG_WARNING, "model '%s': download still running at unload; killed", R.entries[i].id);
		sfx_process_destroy(job->proc); /* kills if still running, reaps */
		job->proc = NULL;
	}
	for (size_t i = 0; R.jobs && i < R.count; i++) {
		bfree(R.jobs[i].progress_path);
		bfree(R.jobs[i].cancel_path);
	}
	sfx_model_catalogue_free(&R.catalogue);
	bfree(R.jobs);
	bfree(R.catalogue_path);
	bfree(R.models_dir);
	sfx_wake_destroy(R.wake);
	sfx_mutex_destroy(R.lock);
	memset(&R, 0, sizeof(R));
}
