/*
 * The host side of protocol 1.0 for the C test hosts (tests/native/fake-host.c,
 * tests/bench/slow-host.c), built from the bridge's own pieces: the command line, the region
 * (opened and validated), the control connection, the exchanges, HELLO-time queueing and the
 * receive loop (heartbeat, flush, decode, SHUTDOWN, end of stream). What a host does with a
 * message is its own.
 */
#pragma once

#include "frame-region.h"
#include "message-codec.h"
#include "outbound-queue.h"
#include "platform.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A callback's "go on"; any other value ends test_host_run with it as the exit code. */
#define TEST_HOST_CONTINUE (-1)

struct test_host {
	const char *prefix; /* of every message, e.g. "fake-host" */
	const char *shm_name, *control;
	struct sfx_shm *shm;
	void *base;
	struct sfx_region_header *region;
	sfx_conn *conn;
	struct sfx_triple_reader in_r;
	struct sfx_triple_writer out_w;
	struct sfx_msg_decoder *dec;
	struct sfx_outbound_queue out;
};

/* Reads --shm <name> --control <address>; 0, or 2 with the usage (naming program) printed. */
int test_host_args(struct test_host *th, const char *prefix, const char *program, int argc, char **argv);

/* Opens and validates the region, connects, sets up the exchanges, decoder and queue; 0 or 2. */
int test_host_connect(struct test_host *th);

/* Queues one encoded message (n == 0: encoding failed); false, printed, when it does not fit. */
bool test_host_queue(struct test_host *th, const uint8_t *msg, size_t n);

/* on_message: every message but SHUTDOWN. after_drain (optional): once all received bytes are
 * decoded, after a wake-up that had any. Both return TEST_HOST_CONTINUE or an exit code. */
typedef int (*test_host_message_fn)(void *ctx, const struct sfx_msg *m);
typedef int (*test_host_drained_fn)(void *ctx);

/* Heartbeat, send, wait (200 ms bound), receive; returns 0 on SHUTDOWN or when the shim is gone,
 * 6 on a protocol violation, or a callback's exit code. */
int test_host_run(struct test_host *th, test_host_message_fn on_message, test_host_drained_fn after_drain, void *ctx);
