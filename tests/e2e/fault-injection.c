#include "fault-injection.h"

#include "child-processes.h"
#include "pattern-source.h"
#include "test-pattern.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <util/platform.h>

#define STARTUP_FRAMES_MAX 30 /* black frames OBS may output before the source is first drawn */
/* Input frames between a fault and an output that only a new host can have made: the raw video
 * callback runs a few frames behind the render, so the old host may have seen a few more inputs. */
#define RESUME_MARGIN       10
#define FRAME_GAP_LIMIT_MS  2000 /* no frame for this long: OBS stopped rendering */
#define RESUME_LIMIT_FRAMES 1200 /* 20 s at 60 fps: a fault must be repaired within this */
#define HIDDEN_FRAMES       30
#define PROCESS_EXIT_MS     5000

struct run {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	obs_source_t *source;
	obs_source_t *filter;
	const struct fault_options *o;
	struct fault_result *r;

	/* Guarded by lock; written by the video output thread unless noted. */
	uint64_t frames;
	uint64_t startup_frames;
	bool seen_valid;
	uint32_t input_t; /* the input drawn for the newest frame */
	uint64_t host_frames;
	bool allow_black;            /* main: the source is hidden or off-scene */
	bool allow_black_until_next; /* main: shown again; black may linger until a valid frame */
	bool in_fault;               /* main: between a fault and the effect's return */
	bool want_resume;            /* main: waiting for an output made from an input after resume_after */
	bool resume_any;             /* main: any host frame counts (the very first one) */
	uint16_t resume_after;
	bool resumed;
	uint64_t resumed_ns;

	/* Main thread only. */
	char *ipc_names; /* newline-separated, see fault_result.ipc_names */
	size_t ipc_len;
	int64_t last_named_pid;
};

static void fail_locked(struct run *x, const char *fmt, ...)
{
	if (x->r->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->r->failure, sizeof(x->r->failure), fmt, ap);
	va_end(ap);
	x->r->failed = true;
}

#define FAIL(x, ...)                                                                                                   \
	do {                                                                                                           \
		pthread_mutex_lock(&(x)->lock);                                                                        \
		fail_locked((x), __VA_ARGS__);                                                                         \
		pthread_mutex_unlock(&(x)->lock);                                                                      \
	} while (0)

static bool failed(struct run *x)
{
	pthread_mutex_lock(&x->lock);
	bool f = x->r->failed;
	pthread_mutex_unlock(&x->lock);
	return f;
}

/* ---- Every frame OBS outputs (video output thread) -------------------------------------------- */

static void on_frame(void *param, struct video_data *frame)
{
	struct run *x = param;
	const size_t row = frame->linesize[0];
	uint32_t t = 0, t_in = 0;
	enum frame_kind kind = pattern_classify(frame->data[0], row, &t);
	bool have_in = pattern_source_t_at(x->source, frame->timestamp, &t_in);
	struct frame_diff diff = {0};
	if (kind != FRAME_UNKNOWN)
		pattern_compare(frame->data[0], x->o->width, x->o->height, row, t, kind,
				kind == FRAME_PASSTHROUGH ? 0 : x->o->tolerance, &diff);

	pthread_mutex_lock(&x->lock);
	x->frames++;
	if (have_in)
		x->input_t = t_in;
	if (kind == FRAME_UNKNOWN) {
		const uint8_t *px = frame->data[0] + (PATTERN_MARKER_SIZE / 2) * row + (PATTERN_MARKER_SIZE / 2) * 4;
		if (!x->seen_valid && x->startup_frames < STARTUP_FRAMES_MAX)
			x->startup_frames++;
		else if (x->allow_black || x->allow_black_until_next)
			x->r->hidden_frames++;
		else
			fail_locked(
			    x, "frame %" PRIu64 ": neither the input nor the host's output (marker BGRA %u,%u,%u,%u)%s",
			    x->frames, px[0], px[1], px[2], px[3], x->in_fault ? " during a host fault" : "");
	} else {
		x->seen_valid = true;
		x->allow_black_until_next = false;
		if (diff.mismatched)
			fail_locked(x,
				    "frame %" PRIu64 " (%s of input t=%u): %" PRIu64
				    " pixels off, max error %d; first at (%u,%u)%s",
				    x->frames, frame_kind_name(kind), t, diff.mismatched, diff.max_error, diff.first_x,
				    diff.first_y, x->in_fault ? " during a host fault" : "");
		if (kind == FRAME_PASSTHROUGH) {
			x->r->passthrough_frames++;
			if (x->in_fault && !x->resumed)
				x->r->fault_passthrough++;
		} else {
			x->r->host_frames++;
			x->host_frames++;
			bool newer = (int16_t)(uint16_t)((uint16_t)t - x->resume_after) > 0;
			if (x->want_resume && !x->resumed && (x->resume_any || newer)) {
				x->resumed = true;
				x->resumed_ns = os_gettime_ns();
			} else if (x->in_fault && !x->resumed) {
				x->r->fault_last_output++;
			}
		}
	}
	pthread_mutex_unlock(&x->lock);
	pthread_cond_broadcast(&x->cond);
}

/* ---- Waiting on frames ------------------------------------------------------------------------ */

typedef bool (*frame_pred)(struct run *x, void *arg);

/* Waits, frame by frame, until pred holds (checked under the lock), for at most max_frames frames.
 * A gap of FRAME_GAP_LIMIT_MS without any frame is a failure of its own: OBS stopped rendering. */
static bool wait_frames(struct run *x, frame_pred pred, void *arg, uint64_t max_frames, const char *what)
{
	pthread_mutex_lock(&x->lock);
	const uint64_t start = x->frames;
	while (!x->r->failed && !pred(x, arg)) {
		if (x->frames - start > max_frames) {
			fail_locked(x, "%s: not within %" PRIu64 " frames", what, max_frames);
			break;
		}
		uint64_t before = x->frames;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += FRAME_GAP_LIMIT_MS / 1000;
		int rc = 0;
		while (x->frames == before && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&x->cond, &x->lock, &ts);
		if (x->frames == before) {
			fail_locked(x, "%s: OBS output no frame for %d ms (frame %" PRIu64 ")", what,
				    FRAME_GAP_LIMIT_MS, x->frames);
			break;
		}
	}
	bool ok = !x->r->failed;
	pthread_mutex_unlock(&x->lock);
	return ok;
}

static bool pred_resumed(struct run *x, void *arg)
{
	(void)arg;
	return x->resumed;
}

struct count_arg {
	uint64_t target;
};

static bool pred_host_frames(struct run *x, void *arg)
{
	return x->host_frames >= ((struct count_arg *)arg)->target;
}

static bool pred_frames(struct run *x, void *arg)
{
	return x->frames >= ((struct count_arg *)arg)->target;
}

/* ---- The filter's view ------------------------------------------------------------------------ */

struct link_view {
	long long host_pid, link_state, restarts;
};

static struct link_view read_link(struct run *x)
{
	struct link_view v = {0};
	calldata_t cd = {0};
	if (proc_handler_call(obs_source_get_proc_handler(x->filter), "get_stats", &cd)) {
		v.host_pid = calldata_int(&cd, "host_pid");
		v.link_state = calldata_int(&cd, "link_state");
		v.restarts = calldata_int(&cd, "restarts");
	}
	calldata_free(&cd);
	return v;
}

struct link_arg {
	struct run *x;
	long long restarts_above;
	long long pid_other_than;
	struct link_view seen;
};

/* The link restarted past a count (it noticed the fault and reaped the old host). */
static bool pred_restarted(struct run *x, void *arg)
{
	struct link_arg *a = arg;
	a->seen = read_link(x);
	return a->seen.restarts > a->restarts_above;
}

/* A new host process exists (spawned, maybe not connected yet). */
static bool pred_new_pid(struct run *x, void *arg)
{
	struct link_arg *a = arg;
	a->seen = read_link(x);
	return a->seen.host_pid > 0 && a->seen.host_pid != a->pid_other_than;
}

/* ---- Processes -------------------------------------------------------------------------------- */

static void remember_name(struct run *x, const char *path)
{
	size_t n = strlen(path);
	/* Already known (the region stays the same for the whole link)? */
	for (const char *p = x->ipc_names; p && *p;) {
		const char *nl = strchr(p, '\n');
		if ((size_t)(nl - p) == n && strncmp(p, path, n) == 0)
			return;
		p = nl + 1;
	}
	x->ipc_names = realloc(x->ipc_names, x->ipc_len + n + 2);
	memcpy(x->ipc_names + x->ipc_len, path, n);
	x->ipc_len += n;
	x->ipc_names[x->ipc_len++] = '\n';
	x->ipc_names[x->ipc_len] = '\0';
}

/* Reads "--shm <name> --control <path>" from a host's command line (it must still be alive). */
static void remember_host_names(struct run *x, int64_t pid)
{
	if (pid <= 0 || pid == x->last_named_pid)
		return;
	char path[64], args[4096];
	snprintf(path, sizeof(path), "/proc/%lld/cmdline", (long long)pid);
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	size_t n = fread(args, 1, sizeof(args) - 1, f);
	fclose(f);
	args[n] = '\0';
	x->last_named_pid = pid;
	const char *prev = NULL;
	for (size_t i = 0; i < n; i += strlen(args + i) + 1) {
		const char *arg = args + i;
		if (prev && strcmp(prev, "--shm") == 0) {
			char shm[128];
			snprintf(shm, sizeof(shm), "/dev/shm/%s", arg[0] == '/' ? arg + 1 : arg);
			remember_name(x, shm);
		} else if (prev && strcmp(prev, "--control") == 0) {
			remember_name(x, arg);
		}
		prev = arg;
	}
}

/* A pidfd for `pid`, only if it is our own child: an unreaped child's pid cannot be reused, so the
 * signal cannot reach an unrelated process. -1 when it is not (any more). */
static int child_pidfd(long long pid)
{
	int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (fd < 0)
		return -1;
	int64_t kids[16];
	size_t n = child_processes_list(kids, 16);
	for (size_t i = 0; i < n && i < 16; i++)
		if (kids[i] == pid)
			return fd;
	close(fd);
	return -1;
}

static bool pidfd_signal(int fd, int sig)
{
	return syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) == 0;
}

static bool pidfd_exited_within(int fd, int timeout_ms)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	int r;
	do {
		r = poll(&pf, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	return r > 0;
}

static void note_children(struct run *x)
{
	int64_t kids[16];
	size_t n = child_processes_list(kids, 16);
	pthread_mutex_lock(&x->lock);
	if (n > x->r->max_children)
		x->r->max_children = (uint32_t)n;
	/* One host at a time: a second child would be a leak or a restart storm. */
	if (n > 1)
		fail_locked(x, "%zu child processes at once (one host at a time expected)", n);
	pthread_mutex_unlock(&x->lock);
}

static uint32_t next_random(uint32_t *state)
{
	uint32_t v = *state;
	v ^= v << 13;
	v ^= v >> 17;
	v ^= v << 5;
	*state = v;
	return v;
}

/* ---- Phases ----------------------------------------------------------------------------------- */

/* From now on, the effect counts as back once a host frame of an input after the current one shows. */
static void arm_resume(struct run *x, bool in_fault)
{
	pthread_mutex_lock(&x->lock);
	x->resume_after = (uint16_t)(x->input_t + RESUME_MARGIN);
	x->resumed = false;
	x->want_resume = true;
	x->in_fault = in_fault;
	pthread_mutex_unlock(&x->lock);
}

static bool wait_resumed(struct run *x, uint64_t fault_ns, const char *what)
{
	if (!wait_frames(x, pred_resumed, NULL, RESUME_LIMIT_FRAMES, what))
		return false;
	pthread_mutex_lock(&x->lock);
	uint64_t ms = (x->resumed_ns - fault_ns) / 1000000;
	x->in_fault = false;
	x->want_resume = false;
	x->resume_any = false;
	if (fault_ns) {
		x->r->resume_ms_sum += ms;
		if (ms > x->r->resume_ms_max)
			x->r->resume_ms_max = ms;
	}
	pthread_mutex_unlock(&x->lock);
	return true;
}

/* Hide/show and scene switch: the host is idle meanwhile, and neither is a fault: same host after,
 * no restart, the effect back at once. */
static bool lifecycle_phase(struct run *x, obs_scene_t *main_scene, obs_sceneitem_t *item, bool switch_scene)
{
	struct link_view before = read_link(x);
	obs_scene_t *other = NULL;
	pthread_mutex_lock(&x->lock);
	x->allow_black = true;
	struct count_arg until = {x->frames + HIDDEN_FRAMES};
	pthread_mutex_unlock(&x->lock);
	if (switch_scene) {
		other = obs_scene_create_private("fault-other");
		obs_set_output_source(0, obs_scene_get_source(other));
	} else {
		obs_sceneitem_set_visible(item, false);
	}
	bool ok = wait_frames(x, pred_frames, &until, HIDDEN_FRAMES + 10, switch_scene ? "scene switched" : "hidden");
	arm_resume(x, false);
	pthread_mutex_lock(&x->lock);
	x->allow_black = false;
	x->allow_black_until_next = true;
	pthread_mutex_unlock(&x->lock);
	if (switch_scene) {
		obs_set_output_source(0, obs_scene_get_source(main_scene));
		obs_scene_release(other);
	} else {
		obs_sceneitem_set_visible(item, true);
	}
	const char *what = switch_scene ? "effect back after switching the scene back" : "effect back after showing";
	ok = ok && wait_resumed(x, 0, what);
	struct link_view after = read_link(x);
	if (ok && (after.restarts != before.restarts || after.host_pid != before.host_pid))
		FAIL(x, "%s: host pid %lld → %lld, restarts %lld → %lld (expected the same idle host)", what,
		     before.host_pid, after.host_pid, before.restarts, after.restarts);
	return !failed(x);
}

/* One SIGKILL (and sometimes a second one while the replacement starts up), or one SIGSTOP. */
static bool fault_cycle(struct run *x, bool hang, bool startup_kill, uint32_t *faults)
{
	struct link_view v = read_link(x);
	int fd = child_pidfd(v.host_pid);
	remember_host_names(x, v.host_pid);
	if (fd < 0) {
		FAIL(x, "host pid %lld (link state %lld) is not a child of OBS", v.host_pid, v.link_state);
		return false;
	}
	arm_resume(x, true);
	uint64_t fault_ns = os_gettime_ns();
	if (!pidfd_signal(fd, hang ? SIGSTOP : SIGKILL)) {
		FAIL(x, "signalling host %lld failed: %s", v.host_pid, strerror(errno));
		close(fd);
		return false;
	}
	(*faults)++;
	struct link_arg la = {.x = x, .restarts_above = v.restarts};
	bool ok = wait_frames(x, pred_restarted, &la, RESUME_LIMIT_FRAMES,
			      hang ? "frozen host detected" : "killed host detected");
	if (ok && hang) {
		uint64_t ms = (os_gettime_ns() - fault_ns) / 1000000;
		pthread_mutex_lock(&x->lock);
		x->r->hangs++;
		if (ms > x->r->hang_detect_ms_max)
			x->r->hang_detect_ms_max = ms;
		if (ms > (uint64_t)x->o->hang_bound_ms)
			fail_locked(x, "frozen host %lld detected after %" PRIu64 " ms, bound %d ms", v.host_pid, ms,
				    x->o->hang_bound_ms);
		pthread_mutex_unlock(&x->lock);
	} else if (ok) {
		pthread_mutex_lock(&x->lock);
		x->r->kills++;
		pthread_mutex_unlock(&x->lock);
	}
	/* The restart is counted after teardown reaped the host: it must be gone now, not a zombie. */
	if (ok && !pidfd_exited_within(fd, PROCESS_EXIT_MS))
		FAIL(x, "host %lld still running after the link restarted", v.host_pid);
	close(fd);
	if (ok && process_exists(v.host_pid)) {
		char d[128];
		process_describe(v.host_pid, d, sizeof(d));
		FAIL(x, "old host %s still exists after the restart (not reaped)", d);
	}
	if (!failed(x) && startup_kill) {
		/* Kill the replacement as soon as it exists: mid-spawn, before or during the handshake. */
		la.pid_other_than = v.host_pid;
		if (wait_frames(x, pred_new_pid, &la, RESUME_LIMIT_FRAMES, "replacement host spawned")) {
			int fd2 = child_pidfd(la.seen.host_pid);
			remember_host_names(x, la.seen.host_pid);
			if (fd2 >= 0) {
				struct link_arg lb = {.x = x, .restarts_above = la.seen.restarts};
				if (pidfd_signal(fd2, SIGKILL)) {
					(*faults)++;
					if (wait_frames(x, pred_restarted, &lb, RESUME_LIMIT_FRAMES,
							"host killed during startup detected")) {
						pthread_mutex_lock(&x->lock);
						x->r->startup_kills++;
						pthread_mutex_unlock(&x->lock);
					}
				}
				close(fd2);
			}
			/* else: it already went (reaped between our two reads); nothing to kill */
		}
	}
	note_children(x);
	if (failed(x))
		return false;
	if (!wait_resumed(x, fault_ns, hang ? "effect back after a frozen host" : "effect back after a kill"))
		return false;
	struct link_view now = read_link(x);
	if ((long long)*faults != now.restarts) {
		FAIL(x, "%u faults but %lld restarts (each fault must cost exactly one restart)", *faults,
		     now.restarts);
		return false;
	}
	return true;
}

bool fault_injection_run(obs_source_t *source, obs_source_t *filter, const struct fault_options *o,
			 struct fault_result *r)
{
	memset(r, 0, sizeof(*r));
	struct run x = {.source = source, .filter = filter, .o = o, .r = r};
	pthread_mutex_init(&x.lock, NULL);
	pthread_cond_init(&x.cond, NULL);

	obs_scene_t *scene = obs_scene_create_private("fault-main");
	obs_sceneitem_t *item = obs_scene_add(scene, source);
	uint32_t obs_frames0 = obs_get_total_frames(), obs_lagged0 = obs_get_lagged_frames();
	obs_add_raw_video_callback(NULL, on_frame, &x);
	obs_set_output_source(0, obs_scene_get_source(scene));

	uint32_t rng = o->seed ? o->seed : 1;
	uint32_t faults = 0;
	x.resume_any = true;
	arm_resume(&x, false);
	bool ok = wait_resumed(&x, 0, "first host frame");
	note_children(&x);
	if (ok && o->lifecycle)
		ok = lifecycle_phase(&x, scene, item, false) && lifecycle_phase(&x, scene, item, true);

	const uint32_t total = o->kill_cycles + o->hang_cycles;
	uint32_t hangs_done = 0;
	for (uint32_t i = 0; ok && i < total; i++) {
		/* Frozen hosts spread evenly among the kills. */
		bool hang = hangs_done < o->hang_cycles &&
			    (uint64_t)(i + 1) * (o->hang_cycles + 1) >= (uint64_t)(hangs_done + 1) * (total + 1);
		if (hang)
			hangs_done++;
		bool startup_kill = !hang && next_random(&rng) % 5 == 0;
		pthread_mutex_lock(&x.lock);
		struct count_arg wait_host = {x.host_frames + next_random(&rng) % (o->max_kill_frames + 1)};
		pthread_mutex_unlock(&x.lock);
		ok = wait_frames(&x, pred_host_frames, &wait_host, RESUME_LIMIT_FRAMES, "host frames before a fault") &&
		     fault_cycle(&x, hang, startup_kill, &faults);
		if (ok && (i + 1) % 10 == 0)
			printf("fault: %u/%u cycles done (%u kills, %u during startup, %u frozen)\n", i + 1, total,
			       r->kills, r->startup_kills, r->hangs);
	}
	if (ok && o->lifecycle)
		ok = lifecycle_phase(&x, scene, item, false);

	remember_host_names(&x, read_link(&x).host_pid);
	obs_set_output_source(0, NULL);
	obs_remove_raw_video_callback(on_frame, &x);
	r->ipc_names = x.ipc_names;
	r->frames = x.frames;
	r->obs_frames = obs_get_total_frames() - obs_frames0;
	r->obs_lagged = obs_get_lagged_frames() - obs_lagged0;
	r->restarts = (uint32_t)read_link(&x).restarts;
	obs_sceneitem_remove(item);
	obs_scene_release(scene);
	pthread_cond_destroy(&x.cond);
	pthread_mutex_destroy(&x.lock);
	return !r->failed;
}

/* ---- IPC objects ------------------------------------------------------------------------------ */

char *ipc_objects_left(const char *names)
{
	char *out = calloc(1, strlen(names ? names : "") + 1);
	for (const char *p = names; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char path[4096];
		snprintf(path, sizeof(path), "%.*s", (int)len, p);
		struct stat st;
		if (lstat(path, &st) == 0) {
			strcat(out, path);
			strcat(out, "\n");
		}
		p += len + (nl ? 1 : 0);
	}
	return out;
}

void fault_result_print_summary(const struct fault_result *r, double seconds)
{
	uint32_t faults = r->kills + r->startup_kills + r->hangs;
	printf("fault summary: seconds=%.1f frames=%" PRIu64 " obs_frames=%u obs_lagged=%u passthrough=%" PRIu64
	       " host=%" PRIu64 " hidden=%" PRIu64 " kills=%u startup_kills=%u hangs=%u restarts=%u"
	       " fault_frames_passthrough=%" PRIu64 " fault_frames_last_output=%" PRIu64
	       " resume_ms_avg=%.0f resume_ms_max=%" PRIu64 " hang_detect_ms_max=%" PRIu64 " max_children=%u\n",
	       seconds, r->frames, r->obs_frames, r->obs_lagged, r->passthrough_frames, r->host_frames,
	       r->hidden_frames, r->kills, r->startup_kills, r->hangs, r->restarts, r->fault_passthrough,
	       r->fault_last_output, faults ? (double)r->resume_ms_sum / faults : 0.0, r->resume_ms_max,
	       r->hang_detect_ms_max, r->max_children);
}

bool fault_result_rendered_throughout(const struct fault_result *r, char *why, size_t cap)
{
	/* Its output reached us frame for frame (a few may still be in the output queue when the
	 * callback is removed), and the render loop did not fall behind (lagged frames are renders it
	 * skipped). A blocked graphics thread would lag for every fault (122 faults, 3 s for each
	 * freeze); 5% leaves room for a busy 2-core machine, where another test running alongside costs
	 * ~1.5%. The figure is printed in the summary. */
	uint64_t in_flight = r->obs_frames > r->frames ? r->obs_frames - r->frames : r->frames - r->obs_frames;
	if (in_flight > 4) {
		snprintf(why, cap, "OBS rendered %u frames but %" PRIu64 " reached the output", r->obs_frames,
			 r->frames);
		return false;
	}
	if ((uint64_t)r->obs_lagged * 20 > r->obs_frames) {
		snprintf(why, cap, "OBS skipped %u of %u renders (lagged): the graphics thread fell behind",
			 r->obs_lagged, r->obs_frames);
		return false;
	}
	return true;
}
