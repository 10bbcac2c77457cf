/*
 * sfx-bench-slow-host: an effects host that takes a fixed time per frame, to show that a slow host
 * costs OBS's graphics thread nothing. Plays the host side of protocol 1.0 with the bridge's own
 * pieces (as tests/native/fake-host.c does): validate the region, connect, HELLO, take the newest
 * input on FRAME_READY, "work" for SFX_BENCH_HOST_DELAY_MS (default 100) by waiting on a timer,
 * publish the frame unchanged, FRAME_DONE; heartbeat; exit on SHUTDOWN or end of stream.
 *
 *   sfx-bench-slow-host --shm <name> --control <address>
 *
 * The timed wait is the simulated model's run time (the workload), not synchronisation.
 */
#include "test-host.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_DELAY_MS 100

static struct test_host g_host;

static int delay_from_env(void)
{
	const char *text = getenv("SFX_BENCH_HOST_DELAY_MS");
	if (!text || !text[0])
		return DEFAULT_DELAY_MS;
	char *end;
	long v = strtol(text, &end, 10);
	if (*end || v < 0 || v > 10000) {
		fprintf(stderr, "slow-host: SFX_BENCH_HOST_DELAY_MS: expected 0..10000, found '%s'; using %d\n", text,
			DEFAULT_DELAY_MS);
		return DEFAULT_DELAY_MS;
	}
	return (int)v;
}

/* Takes the newest input, spends delay_ms on it, publishes it unchanged. 1 done, 0 nothing new, -1 error. */
static int process_newest(void *base, struct sfx_triple_reader *in_r, struct sfx_triple_writer *out_w,
			  struct sfx_wake *timer, int delay_ms, uint32_t *out_seq, uint32_t done[3])
{
	struct sfx_region_header *h = sfx_region_header(base);
	uint32_t stride = h->slot_stride, max_w = h->max_width, max_h = h->max_height;
	char err[256];
	int t = sfx_triple_take(in_r, err, sizeof(err));
	if (t <= 0) {
		if (t < 0)
			fprintf(stderr, "slow-host: input exchange: %s\n", err);
		return t;
	}
	const uint8_t *in = sfx_region_slot(base, stride, SFX_DIR_INPUT, in_r->front);
	struct sfx_slot_header ih;
	memcpy(&ih, in, sizeof(ih));
	if (!sfx_slot_validate(&ih, max_w, max_h, stride, err, sizeof(err))) {
		fprintf(stderr, "slow-host: input slot: %s\n", err);
		return -1;
	}
	uint64_t t0 = sfx_monotonic_ns();
	if (delay_ms > 0)
		sfx_wake_wait(timer, delay_ms); /* the workload: nothing ever signals this wake */
	uint8_t *out = sfx_region_slot(base, stride, SFX_DIR_OUTPUT, out_w->back);
	memcpy(out + SFX_SLOT_HEADER_SIZE, in + SFX_SLOT_HEADER_SIZE, (size_t)ih.row_bytes * ih.height);
	struct sfx_slot_header oh = ih;
	oh.sequence = ++*out_seq;
	oh.source_sequence = ih.sequence;
	oh.process_us = (uint32_t)((sfx_monotonic_ns() - t0) / 1000);
	memcpy(out, &oh, sizeof(oh));
	if (!sfx_triple_publish(out_w, err, sizeof(err))) {
		fprintf(stderr, "slow-host: output exchange: %s\n", err);
		return -1;
	}
	done[0] = oh.sequence;
	done[1] = oh.source_sequence;
	done[2] = oh.process_us;
	return 1;
}

struct slow_host {
	struct sfx_wake *timer;
	int delay_ms;
	uint32_t out_seq;
	bool frame_ready;
};

static int on_message(void *ctx, const struct sfx_msg *m)
{
	struct slow_host *sh = ctx;
	if (m->type == SFX_MSG_FRAME_READY)
		sh->frame_ready = true;
	return TEST_HOST_CONTINUE;
}

/* Everything received is drained: one frame for any number of FRAME_READY wake-ups. */
static int after_drain(void *ctx)
{
	struct slow_host *sh = ctx;
	if (!sh->frame_ready)
		return TEST_HOST_CONTINUE;
	sh->frame_ready = false;
	uint32_t done[3];
	uint8_t msg[256];
	int r = process_newest(g_host.base, &g_host.in_r, &g_host.out_w, sh->timer, sh->delay_ms, &sh->out_seq, done);
	if (r < 0)
		return 6;
	if (r > 0 && !test_host_queue(&g_host, msg, sfx_msg_encode_u32s(msg, sizeof(msg), SFX_MSG_FRAME_DONE, done, 3)))
		return 5;
	return TEST_HOST_CONTINUE;
}

int main(int argc, char **argv)
{
	int rc = test_host_args(&g_host, "slow-host", "sfx-bench-slow-host", argc, argv);
	if (rc)
		return rc;
	struct slow_host sh = {.delay_ms = delay_from_env()};
	rc = test_host_connect(&g_host);
	if (rc)
		return rc;
	sh.timer = sfx_wake_create();
	if (!sh.timer) {
		fprintf(stderr, "slow-host: %s\n", sfx_platform_error());
		return 2;
	}

	uint8_t msg[256];
	if (!test_host_queue(
		&g_host, msg,
		sfx_msg_encode_hello(msg, sizeof(msg), SFX_PROTOCOL_MAJOR, SFX_PROTOCOL_MINOR, (uint32_t)getpid())))
		return 5;
	char status[128];
	snprintf(status, sizeof(status), "{\"state\":\"ready\",\"provider\":\"bench-slow-host\",\"latency_ms\":%d}",
		 sh.delay_ms);
	if (!test_host_queue(&g_host, msg, sfx_msg_encode(msg, sizeof(msg), SFX_MSG_STATUS, status, strlen(status))))
		return 5;
	atomic_store(&g_host.region->host_state, SFX_HOST_READY);
	return test_host_run(&g_host, on_message, after_drain, &sh);
}
