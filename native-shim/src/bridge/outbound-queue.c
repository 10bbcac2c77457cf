#include "outbound-queue.h"

#include "../platform/platform.h"

#include <stdlib.h>
#include <string.h>

bool sfx_outq_init(struct sfx_outbound_queue *q, size_t cap)
{
	q->data = malloc(cap);
	q->cap = q->data ? cap : 0;
	q->head = q->tail = 0;
	return q->data != NULL;
}

void sfx_outq_free(struct sfx_outbound_queue *q)
{
	free(q->data);
	q->data = NULL;
	q->cap = q->head = q->tail = 0;
}

void sfx_outq_clear(struct sfx_outbound_queue *q)
{
	q->head = q->tail = 0;
}

size_t sfx_outq_pending(const struct sfx_outbound_queue *q)
{
	return q->tail - q->head;
}

uint8_t *sfx_outq_reserve(struct sfx_outbound_queue *q, size_t len)
{
	if (q->cap - q->tail < len && q->head > 0) {
		memmove(q->data, q->data + q->head, q->tail - q->head);
		q->tail -= q->head;
		q->head = 0;
	}
	return q->cap - q->tail >= len ? q->data + q->tail : NULL;
}

void sfx_outq_commit(struct sfx_outbound_queue *q, size_t len)
{
	q->tail += len;
}

bool sfx_outq_push(struct sfx_outbound_queue *q, const uint8_t *bytes, size_t len)
{
	uint8_t *p = sfx_outq_reserve(q, len);
	if (!p)
		return false;
	memcpy(p, bytes, len);
	sfx_outq_commit(q, len);
	return true;
}

bool sfx_outq_flush(struct sfx_outbound_queue *q, struct sfx_conn *c)
{
	while (q->head < q->tail) {
		int64_t n = sfx_conn_send(c, q->data + q->head, q->tail - q->head);
		if (n < 0)
			return false;
		if (n == 0)
			break;
		q->head += (size_t)n;
	}
	if (q->head == q->tail)
		q->head = q->tail = 0;
	return true;
}
