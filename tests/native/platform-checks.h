/* The platform-layer checks whose assertions are the same on POSIX (test-platform.c) and on Win32
 * under Wine (tests/windows/test-platform-win32.c): each platform file must give the bridge the
 * same wake and accept behaviour. Include after test-check.h. */
#pragma once

#include "platform.h"
#include "test-check.h"

/* A signalled wake ends a wait at once, stays signalled until cleared, and shows in conn_wait. */
static inline void check_wake_signal_and_clear(struct sfx_wake *w)
{
	CHECK(!sfx_wake_wait(w, 0));
	sfx_wake_signal(w);
	sfx_wake_signal(w);
	CHECK(sfx_wake_wait(w, 0));
	CHECK(sfx_wake_wait(w, 0)); /* stays signalled until cleared */
	CHECK(sfx_conn_wait(NULL, w, false, 0) == SFX_READY_WAKE);
	sfx_wake_clear(w);
	CHECK(!sfx_wake_wait(w, 20));
}

/* A wake interrupts accept: no connection, at once, and the error says why. */
static inline void check_wake_interrupts_accept(void)
{
	char addr[256];
	sfx_listener *l = sfx_listener_create(addr, sizeof(addr));
	struct sfx_wake *w = sfx_wake_create();
	sfx_wake_signal(w);
	uint64_t t0 = sfx_monotonic_ns();
	CHECK(sfx_listener_accept_wake(l, 0, w, 5000) == NULL);
	CHECK(sfx_monotonic_ns() - t0 < 1000000000ull);
	CHECK_CONTAINS(sfx_platform_error(), "wake");
	sfx_wake_destroy(w);
	sfx_listener_destroy(l);
}

/* A connected pair: nothing to read at first, two bytes through, the server's send buffer filled
 * until send reports 0 (it never blocks), then the client's close seen as the end of the stream.
 * Closes the client. wait_writable and max_rounds are the platform's (socket or pipe). */
static inline void check_conn_stream(sfx_conn *server, sfx_conn *client, bool wait_writable, int max_rounds)
{
	uint8_t byte;
	CHECK(sfx_conn_recv(server, &byte, 1) == 0); /* would block */
	CHECK(sfx_conn_wait(server, NULL, false, 10) == 0);
	CHECK(sfx_conn_send(client, "hi", 2) == 2);
	CHECK(sfx_conn_wait(server, NULL, wait_writable, 1000) & SFX_READY_READ);
	char buf[8] = {0};
	CHECK(sfx_conn_recv(server, buf, sizeof(buf)) == 2 && memcmp(buf, "hi", 2) == 0);
	static uint8_t chunk[65536];
	int64_t n;
	int rounds = 0;
	while ((n = sfx_conn_send(server, chunk, sizeof(chunk))) > 0 && rounds < max_rounds)
		rounds++;
	CHECK_MSG(n == 0, "send never reported a full buffer (%d rounds, last %lld)", rounds, (long long)n);
	sfx_conn_close(client);
	CHECK(sfx_conn_wait(server, NULL, false, 1000) & (SFX_READY_READ | SFX_READY_ERROR));
	CHECK(sfx_conn_recv(server, buf, sizeof(buf)) == -1);
}
