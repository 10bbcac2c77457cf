#include "link-peer.h"

#include "platform.h"

#include <stdio.h>
#include <stdlib.h>

bool link_peer_parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	if (!*s || *end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

bool link_peer_wait_connected(struct sfx_host_link *link, int limit_ms, bool stopped_fails, const char *who,
			      link_peer_round_fn on_round, void *ctx)
{
	uint64_t deadline = sfx_monotonic_ns() + (uint64_t)limit_ms * 1000000ull;
	for (;;) {
		if (on_round)
			on_round(link, ctx);
		struct sfx_host_status st;
		sfx_host_link_get_status(link, &st);
		if (st.state == SFX_LINK_CONNECTED)
			return true;
		if (st.state == SFX_LINK_FAILED || (stopped_fails && st.state == SFX_LINK_STOPPED)) {
			fprintf(stderr, "%s: link failed: %s\n", who, st.last_error);
			return false;
		}
		uint64_t now = sfx_monotonic_ns();
		if (now >= deadline) {
			fprintf(stderr, "%s: not connected within %d ms (state %d, last error: %s)\n", who, limit_ms,
				(int)st.state, st.last_error);
			return false;
		}
		sfx_host_link_wait_event(link, (int)((deadline - now) / 1000000) + 1);
	}
}
