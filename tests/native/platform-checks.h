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
