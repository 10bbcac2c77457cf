/* The host link's supervisor against the C fake host: missing binary, early exit and restart with
 * backoff, crash during frames, version mismatch, hang detection, bad settings, prompt destroy.
 * usage: test-host-link <path of fake-host> */
#define _GNU_SOURCE 1

#include "host-link.h"
#include "platform.h"
#include "test-check.h"

#include <stdlib.h>

static const char *g_fake;
static int g_host_logs;

static void log_cb(void *ctx, enum sfx_log_level level, const char *message)
{
	(void)ctx;
	if (strncmp(message, "host: ", 6) == 0)
		g_host_logs++;
	fprintf(stderr, "  [log %d] %s\n", (int)level, message);
}

typedef bool (*pred_fn)(const struct sfx_host_status *st);

static bool wait_for(struct sfx_host_link *l, pred_fn pred, int timeout_ms, struct sfx_host_status *st)
{
	uint64_t deadline = sfx_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		sfx_host_link_get_status(l, st);
		if (pred(st))
			return true;
		uint64_t now = sfx_monotonic_ns();
		if (now >= deadline)
			return false;
		sfx_host_link_wait_event(l, (int)((deadline - now) / 1000000) + 1);
	}
}

static bool is_failed(const struct sfx_host_status *st)
{
	return st->state == SFX_LINK_FAILED;
}
static bool is_connected(const struct sfx_host_status *st)
{
	return st->state == SFX_LINK_CONNECTED;
}
static bool two_restarts(const struct sfx_host_status *st)
{
	return st->restarts >= 2;
}
static bool reconnected(const struct sfx_host_status *st)
{
	return st->restarts >= 1 && st->state == SFX_LINK_CONNECTED;
}
static bool restarted(const struct sfx_host_status *st)
{
	return st->restarts >= 1;
}
static bool has_status_json(const struct sfx_host_status *st)
{
	return st->host_status_json[0] != 0;
}

static struct sfx_host_link *make(const char *path, const char *mode)
{
	setenv("SFX_FAKE_HOST_MODE", mode, 1);
	struct sfx_host_link_config cfg = {.host_path = path, .max_width = 32, .max_height = 16, .log = log_cb};
	struct sfx_host_link *l = sfx_host_link_create(&cfg);
	CHECK(l != NULL);
	return l;
}

static bool publish_one(struct sfx_host_link *l)
{
	size_t cap;
	uint8_t *px = sfx_host_link_input_begin(l, &cap);
	if (!px)
		return false;
	memset(px, 10, 32 * 4 * 16);
	sfx_host_link_input_publish(l, 32, 16, 32 * 4, SFX_PIXEL_BGRA8, sfx_monotonic_ns());
	return true;
}

static void finish(struct sfx_host_link *l)
{
	uint64_t t0 = sfx_monotonic_ns();
	sfx_host_link_destroy(l);
	CHECK(sfx_monotonic_ns() - t0 < 100000000ull); /* returns at once */
	CHECK(sfx_host_link_wait_all(5000));
}

static void test_missing_binary(void)
{
	struct sfx_host_status st;
	struct sfx_host_link *l = make("/nonexistent/dir/streamfx-host", "invert");
	CHECK(wait_for(l, is_failed, 5000, &st));
	CHECK_CONTAINS(st.last_error, "/nonexistent/dir/streamfx-host");
	CHECK(sfx_host_link_input_begin(l, NULL) == NULL);
	finish(l);
}

static void test_early_exit_restarts(void)
{
	struct sfx_host_status st;
	struct sfx_host_link *l = make(g_fake, "exit-early");
	CHECK(wait_for(l, two_restarts, 8000, &st));
	CHECK_CONTAINS(st.last_error, "exit code 4");
	finish(l);
}

static void test_connect_frames_and_crash(void)
{
	struct sfx_host_status st;
	g_host_logs = 0;
	struct sfx_host_link *l = make(g_fake, "invert");
	CHECK(wait_for(l, is_connected, 10000, &st));
	CHECK(st.host_pid > 0);
	CHECK(wait_for(l, has_status_json, 5000, &st));
	CHECK_CONTAINS(st.host_status_json, "\"provider\":\"fake\"");
	CHECK(g_host_logs >= 1);
	/* Several publishes in a row are coalesced; the newest one comes back. */
	uint32_t last = 0;
	for (int i = 0; i < 5; i++) {
		CHECK(publish_one(l));
		last = i == 0 ? 0 : last;
	}
	struct sfx_frame_view v;
	bool got = false;
	uint64_t deadline = sfx_monotonic_ns() + 5000000000ull;
	while (!got && sfx_monotonic_ns() < deadline) {
		while (sfx_host_link_output_take(l, &v))
			got = v.source_sequence == 4;
		if (!got)
			sfx_host_link_wait_event(l, 200);
	}
	CHECK(got);
	CHECK(got && v.format == SFX_PIXEL_BGRA8 && v.width == 32 && v.pixels[0] == 245 && v.pixels[3] == 10);
	(void)last;
	sfx_host_link_get_status(l, &st);
	CHECK(st.frames_sent == 5 && st.frames_received >= 1 && st.frames_received <= 5);

	/* Bad settings are refused at the API. */
	sfx_host_link_configure(l, "{\"a\":");
	sfx_host_link_get_status(l, &st);
	CHECK_CONTAINS(st.last_error, "JSON object");
	finish(l);

	/* A host that crashes on its first frame is restarted and connects again. */
	l = make(g_fake, "crash");
	CHECK(wait_for(l, is_connected, 10000, &st));
	CHECK(publish_one(l));
	CHECK(wait_for(l, reconnected, 10000, &st));
	CHECK_CONTAINS(st.last_error, "host");
	finish(l);
}

static void test_bad_major_fails(void)
{
	struct sfx_host_status st;
	struct sfx_host_link *l = make(g_fake, "bad-major");
	CHECK(wait_for(l, is_failed, 10000, &st));
	CHECK_CONTAINS(st.last_error, "version_major");
	CHECK_CONTAINS(st.last_error, "found 2");
	finish(l);
}

static void test_hang_detected(void)
{
	struct sfx_host_status st;
	struct sfx_host_link *l = make(g_fake, "hang");
	CHECK(wait_for(l, is_connected, 10000, &st));
	CHECK(publish_one(l));
	uint64_t t0 = sfx_monotonic_ns();
	CHECK(wait_for(l, restarted, 8000, &st));
	uint64_t took = sfx_monotonic_ns() - t0;
	CHECK_MSG(took >= 2900000000ull && took < 6000000000ull, "hang detected after %llu ms",
		  (unsigned long long)(took / 1000000));
	CHECK_CONTAINS(st.last_error, "hung");
	finish(l);
}

static void test_destroy_while_starting(void)
{
	struct sfx_host_link *l = make(g_fake, "invert");
	finish(l);
	/* Many at once, for module unload. */
	struct sfx_host_link *ls[4];
	for (int i = 0; i < 4; i++)
		ls[i] = make(g_fake, "invert");
	for (int i = 0; i < 4; i++)
		sfx_host_link_destroy(ls[i]);
	CHECK(sfx_host_link_wait_all(8000));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test-host-link <fake-host path>\n");
		return 2;
	}
	g_fake = argv[1];
	struct sfx_host_link_config bad = {.host_path = g_fake, .max_width = 0, .max_height = 10};
	CHECK(sfx_host_link_create(&bad) == NULL);
	test_missing_binary();
	test_early_exit_restarts();
	test_connect_frames_and_crash();
	test_bad_major_fails();
	test_hang_detected();
	test_destroy_while_starting();
	return test_summary("test-host-link");
}
