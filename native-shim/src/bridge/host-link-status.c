/*
 * host-link-status.c: what the link reports. The worker's writers (state transitions, the last
 * error, the log callback) and everyone's readers (get_status, the graphics thread's
 * try_get_status, wait_event, get_names). The status block is guarded by state_lock, held for
 * memory copies only; the log callback by log_lock, which destroy takes to silence the link.
 */
#include "host-link-internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

_Static_assert(SFX_HOST_STATUS_JSON_MAX >= SFX_MAX_PAYLOAD, "a STATUS up to the payload limit must fit");

/* Hands a finished line to the owner's callback; after destroy there is none. */
static void emit(struct sfx_host_link *l, enum sfx_log_level level, const char *msg)
{
	sfx_mutex_lock(l->log_lock);
	if (l->log)
		l->log(l->log_ctx, level, msg);
	sfx_mutex_unlock(l->log_lock);
}

void sfx_link_log(struct sfx_host_link *l, enum sfx_log_level level, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(l, level, msg);
}

void sfx_link_set_error(struct sfx_host_link *l, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sfx_mutex_lock(l->state_lock);
	snprintf(l->status.last_error, sizeof(l->status.last_error), "%s", msg);
	sfx_mutex_unlock(l->state_lock);
	emit(l, SFX_LOG_WARNING, msg);
}

const char *sfx_link_state_name(enum sfx_link_state state)
{
	switch (state) {
	case SFX_LINK_STOPPED:
		return "stopped";
	case SFX_LINK_STARTING:
		return "starting";
	case SFX_LINK_CONNECTED:
		return "connected";
	case SFX_LINK_RESTARTING:
		return "restarting";
	case SFX_LINK_FAILED:
		return "failed";
	}
	return "unknown";
}

void sfx_link_set_state(struct sfx_host_link *l, enum sfx_link_state state)
{
	sfx_mutex_lock(l->state_lock);
	enum sfx_link_state old = l->status.state;
	l->status.state = state;
	uint32_t restarts = l->status.restarts;
	int delay = l->status.restart_delay_ms;
	char error[sizeof(l->status.last_error)];
	snprintf(error, sizeof(error), "%s", l->status.last_error);
	sfx_mutex_unlock(l->state_lock);
	sfx_wake_signal(l->events);
	if (old == state && state != SFX_LINK_STARTING)
		return;
	switch (state) {
	case SFX_LINK_RESTARTING:
		sfx_link_log(l, SFX_LOG_WARNING, "state: restarting the host in %d ms (restart %" PRIu32 "; %s)", delay,
			     restarts, error[0] ? error : "no reason recorded");
		break;
	case SFX_LINK_FAILED:
		sfx_link_log(l, SFX_LOG_ERROR, "state: failed, showing the input unchanged: %s",
			     error[0] ? error : "no reason recorded");
		break;
	default:
		sfx_link_log(l, SFX_LOG_INFO, "state: %s", sfx_link_state_name(state));
		break;
	}
}

/* Everything up to the JSON, then the JSON's bytes only (it is usually far shorter than 64 KiB). */
static void copy_status(struct sfx_host_status *out, const struct sfx_host_status *in)
{
	memcpy(out, in, offsetof(struct sfx_host_status, host_status_json));
	const char *end = memchr(in->host_status_json, '\0', sizeof(in->host_status_json));
	size_t n = end ? (size_t)(end - in->host_status_json) : sizeof(in->host_status_json) - 1;
	memcpy(out->host_status_json, in->host_status_json, n);
	out->host_status_json[n] = '\0';
}

void sfx_host_link_get_status(struct sfx_host_link *l, struct sfx_host_status *out)
{
	if (!l || !out)
		return;
	sfx_mutex_lock(l->state_lock);
	copy_status(out, &l->status);
	sfx_mutex_unlock(l->state_lock);
	out->frames_sent = atomic_load(&l->publish_count);
}

bool sfx_host_link_try_get_status(struct sfx_host_link *l, struct sfx_host_status *out)
{
	if (!l || !out || !sfx_mutex_trylock(l->state_lock))
		return false;
	copy_status(out, &l->status);
	sfx_mutex_unlock(l->state_lock);
	out->frames_sent = atomic_load(&l->publish_count);
	return true;
}

bool sfx_host_link_wait_event(struct sfx_host_link *l, int timeout_ms)
{
	if (!l)
		return false;
	bool r = sfx_wake_wait(l->events, timeout_ms);
	if (r)
		sfx_wake_clear(l->events);
	return r;
}

bool sfx_host_link_get_names(struct sfx_host_link *l, char *shm_name, size_t shm_cap, char *control, size_t control_cap)
{
	if (!l)
		return false;
	sfx_mutex_lock(l->state_lock);
	bool ok = l->control[0] != '\0';
	if (shm_name && shm_cap)
		snprintf(shm_name, shm_cap, "%s", l->shm_name);
	if (control && control_cap)
		snprintf(control, control_cap, "%s", l->control);
	sfx_mutex_unlock(l->state_lock);
	return ok;
}
