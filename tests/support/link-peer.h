/*
 * The shim side that the C test peers share (tests/native/bridge-peer.c,
 * tests/bench/bridge-roundtrip.c): their number options and the bounded wait for the host link.
 */
#pragma once

#include "host-link.h"

#include <stdbool.h>
#include <stdint.h>

/* A whole string as a u32 (decimal, 0x hex or 0 octal); false for anything else. */
bool link_peer_parse_u32(const char *s, uint32_t *out);

/* Called before each status check while waiting (may be NULL). */
typedef void (*link_peer_round_fn)(struct sfx_host_link *link, void *ctx);

/* Waits on link events until the link is connected, at most limit_ms; false with the reason
 * printed as "<who>: ..." on failure or timeout. stopped_fails: a STOPPED link counts as failed
 * (a listen-only link stops once its one host is gone). */
bool link_peer_wait_connected(struct sfx_host_link *link, int limit_ms, bool stopped_fails, const char *who,
			      link_peer_round_fn on_round, void *ctx);
