/*
 * Latency samples for the C benchmarks: collected in memory during a run (no I/O on the measured
 * path), then written one value per line (nanoseconds) for scripts/bench.sh's report, and
 * summarised on stdout.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sample_series {
	uint64_t *values;
	size_t count;
	size_t capacity;
	size_t dropped; /* pushes past capacity (the run was longer than planned) */
};

/* Reserves room for `capacity` samples up front so push never allocates while measuring. */
bool series_init(struct sample_series *s, size_t capacity);
void series_free(struct sample_series *s);
/* Never allocates: a sample past capacity is dropped and counted in `dropped`. */
void series_push(struct sample_series *s, uint64_t value_ns);

/* p in 0..100 by nearest rank on a sorted copy; 0 when empty. */
uint64_t series_percentile(const struct sample_series *s, double p);
uint64_t series_max(const struct sample_series *s);

/* Writes <dir>/<name>.ns (one integer per line). Prints the reason and returns false on failure. */
bool series_write(const struct sample_series *s, const char *dir, const char *name);

/* "name n=.. p50=..us p99=..us max=..us" on stdout. */
void series_print(const struct sample_series *s, const char *name);
