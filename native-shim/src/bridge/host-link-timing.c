/*
 * host-link-timing.c: the link's environment knobs and timing. Resolves the supervision bounds
 * (restart backoff and its cap, the hang timeout, the tick the hang checks run at) from the config
 * or the STREAMFX_* environment, the test knob that drops inputs, and the deadline arithmetic the
 * worker's waits share. Nothing here waits or touches the region.
 */
#include "host-link-internal.h"

#include <stdlib.h>

/* A timing knob: the config value, else a valid environment value, else the default. */
static int resolve_timing(struct sfx_host_link *l, int configured, const char *env, int min, int fallback)
{
	if (configured > 0)
		return configured < min ? min : configured > TIMING_MAX_MS ? TIMING_MAX_MS : configured;
	const char *text = getenv(env);
	if (!text || !text[0])
		return fallback;
	char *end = NULL;
	long v = strtol(text, &end, 10);
	if (*end || v < min || v > TIMING_MAX_MS) {
		sfx_link_log(l, SFX_LOG_WARNING, "%s='%s' ignored: expected an integer in %d..%d (ms); using %d", env,
			     text, min, TIMING_MAX_MS, fallback);
		return fallback;
	}
	return (int)v;
}

/* A test knob: a count from the environment (0 when unset or invalid). */
static int resolve_count(struct sfx_host_link *l, const char *env, int max)
{
	const char *text = getenv(env);
	if (!text || !text[0])
		return 0;
	char *end = NULL;
	long v = strtol(text, &end, 10);
	if (*end || v < 0 || v > max) {
		sfx_link_log(l, SFX_LOG_WARNING, "%s='%s' ignored: expected an integer in 0..%d", env, text, max);
		return 0;
	}
	if (v)
		sfx_link_log(l, SFX_LOG_WARNING, "%s=%ld: dropping every %ld-th input frame (test knob)", env, v, v);
	return (int)v;
}

void sfx_link_resolve_knobs(struct sfx_host_link *l, const struct sfx_host_link_config *config)
{
	l->connect_timeout_ms =
	    config->connect_timeout_ms > 0 ? config->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	l->backoff_ms =
	    resolve_timing(l, config->restart_backoff_ms, "STREAMFX_RESTART_BACKOFF_MS", 1, DEFAULT_BACKOFF_MS);
	l->backoff_max_ms = resolve_timing(l, config->restart_backoff_max_ms, "STREAMFX_RESTART_BACKOFF_MAX_MS", 1,
					   DEFAULT_BACKOFF_MAX_MS);
	if (l->backoff_max_ms < l->backoff_ms)
		l->backoff_max_ms = l->backoff_ms;
	l->drop_every = (uint32_t)resolve_count(l, "STREAMFX_TEST_DROP_INPUT_EVERY", 1000);
	/* Below a second the host's 250 ms heartbeat could look like a hang. */
	l->hang_timeout_ms =
	    resolve_timing(l, config->hang_timeout_ms, "STREAMFX_HANG_TIMEOUT_MS", 1000, DEFAULT_HANG_TIMEOUT_MS);
	l->tick_ms = l->hang_timeout_ms / 4 < TICK_MAX_MS ? l->hang_timeout_ms / 4 : TICK_MAX_MS;
	l->status.restart_delay_ms = l->backoff_ms;
	l->status.hang_timeout_ms = l->hang_timeout_ms;
}

uint64_t sfx_link_deadline_ns(int ms)
{
	return sfx_monotonic_ns() + (uint64_t)ms * 1000000ull;
}

int sfx_link_ms_left(uint64_t deadline_ns, uint64_t now_ns)
{
	return (int)((deadline_ns - now_ns + 999999) / 1000000);
}

int sfx_link_next_backoff(const struct sfx_host_link *l, int backoff)
{
	/* Doubling up to the cap: a host that keeps dying costs one spawn per cap interval. */
	return backoff > l->backoff_max_ms / 2 ? l->backoff_max_ms : backoff * 2;
}
