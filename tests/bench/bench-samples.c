#include "bench-samples.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool series_init(struct sample_series *s, size_t capacity)
{
	s->values = calloc(capacity ? capacity : 1, sizeof(uint64_t));
	s->count = 0;
	s->capacity = s->values ? capacity : 0;
	return s->values != NULL;
}

void series_free(struct sample_series *s)
{
	free(s->values);
	memset(s, 0, sizeof(*s));
}

void series_push(struct sample_series *s, uint64_t value_ns)
{
	if (s->count < s->capacity)
		s->values[s->count++] = value_ns;
	else
		s->dropped++;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

uint64_t series_percentile(const struct sample_series *s, double p)
{
	if (!s->count)
		return 0;
	uint64_t *sorted = malloc(s->count * sizeof(uint64_t));
	if (!sorted)
		return 0;
	memcpy(sorted, s->values, s->count * sizeof(uint64_t));
	qsort(sorted, s->count, sizeof(uint64_t), compare_u64);
	/* Nearest rank: the smallest value with at least p% of the samples at or below it. */
	size_t rank = (size_t)((p / 100.0) * (double)s->count + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->count)
		rank = s->count;
	uint64_t v = sorted[rank - 1];
	free(sorted);
	return v;
}

uint64_t series_max(const struct sample_series *s)
{
	uint64_t m = 0;
	for (size_t i = 0; i < s->count; i++)
		if (s->values[i] > m)
			m = s->values[i];
	return m;
}

bool series_write(const struct sample_series *s, const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.ns", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
		return false;
	}
	for (size_t i = 0; i < s->count; i++)
		fprintf(f, "%" PRIu64 "\n", s->values[i]);
	if (fclose(f) != 0) {
		fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
		return false;
	}
	return true;
}

void series_print(const struct sample_series *s, const char *name)
{
	printf("%s n=%zu p50=%.1fus p99=%.1fus max=%.1fus%s\n", name, s->count, series_percentile(s, 50) / 1e3,
	       series_percentile(s, 99) / 1e3, series_max(s) / 1e3, s->dropped ? " (samples dropped: capacity)" : "");
}
