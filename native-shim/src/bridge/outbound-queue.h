/*
 * Bytes waiting to go out on the non-blocking control channel. Only the worker thread uses it;
 * messages are appended whole and flushed as far as the socket accepts.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sfx_conn;

struct sfx_outbound_queue {
	uint8_t *data;
	size_t cap;
	size_t head; /* first unsent byte */
	size_t tail; /* end of queued bytes */
};

bool sfx_outq_init(struct sfx_outbound_queue *q, size_t cap);
void sfx_outq_free(struct sfx_outbound_queue *q);
void sfx_outq_clear(struct sfx_outbound_queue *q);
size_t sfx_outq_pending(const struct sfx_outbound_queue *q);
/* Appends one encoded message whole, or nothing (false) when it does not fit. */
bool sfx_outq_push(struct sfx_outbound_queue *q, const uint8_t *bytes, size_t len);
/* Space to encode into directly (at least `len` bytes after compaction), committed with _commit. */
uint8_t *sfx_outq_reserve(struct sfx_outbound_queue *q, size_t len);
void sfx_outq_commit(struct sfx_outbound_queue *q, size_t len);
/* Sends as much as the channel takes. Returns false when the channel failed or closed. */
bool sfx_outq_flush(struct sfx_outbound_queue *q, struct sfx_conn *c);
