/*
 * Fault injection in real libobs (harness --mode fault): while frames flow through the filter, the
 * effects host is killed (SIGKILL) or frozen (SIGSTOP) at random points chosen by frame counts, and
 * the source is hidden/shown and the scene switched. Every rendered frame must be the input passed
 * through exactly or the host's output (never garbage, never missing), the effect must come back
 * after each fault, and no host process may pile up. All waits are on frame or process events,
 * each bounded.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <obs.h>

struct fault_options {
	uint32_t kill_cycles;     /* SIGKILL the host this many times */
	uint32_t hang_cycles;     /* SIGSTOP the host this many times (the shim must detect and replace it) */
	uint32_t max_kill_frames; /* a kill comes after 0..this many host frames since the effect resumed */
	uint32_t seed;            /* for the random points; printed so a run can be repeated */
	uint32_t width, height;
	int tolerance;     /* per channel, for the host's frames */
	int hang_bound_ms; /* a frozen host must be detected within this (after SIGSTOP) */
	bool lifecycle;    /* also hide/show the source and switch scenes */
};

struct fault_result {
	bool failed;
	char failure[1024];
	uint64_t frames;             /* frames OBS output during the run */
	uint64_t passthrough_frames; /* of which the input, exactly */
	uint64_t host_frames;        /* of which the host's output */
	uint64_t hidden_frames;      /* black frames while the source was hidden or off-scene */
	uint64_t fault_passthrough;  /* frames between a fault and the effect's return: passthrough */
	uint64_t fault_last_output;  /* ... or the host's last output, still shown */
	uint32_t kills, startup_kills, hangs, restarts;
	uint64_t resume_ms_max, resume_ms_sum; /* fault → the host's output again */
	uint64_t hang_detect_ms_max;           /* SIGSTOP → the shim noticed */
	uint32_t max_children;                 /* most child processes seen at once */
	uint32_t obs_frames, obs_lagged;       /* OBS's own counters over the run */
	/* Every region and control socket given to a host during the run (read from the hosts' command
	 * lines), newline-separated: after OBS shut down none may exist. Only this process's objects, so
	 * other tests running at the same time do not count. free() it. */
	char *ipc_names;
};

/* Runs the whole scenario on `source` (which carries `filter`); OBS must be running with the module
 * loaded and nothing set as output. Returns false with result->failure set on the first failure. */
bool fault_injection_run(obs_source_t *source, obs_source_t *filter, const struct fault_options *options,
			 struct fault_result *result);

/* Prints the "fault summary:" line of a finished run that took `seconds`. */
void fault_result_print_summary(const struct fault_result *r, double seconds);

/* OBS rendered on throughout the run: false with the reason in why when frames went missing
 * between OBS and the output, or OBS skipped more than 5% of its renders. */
bool fault_result_rendered_throughout(const struct fault_result *r, char *why, size_t cap);

/* Of the newline-separated paths in `names`, those that still exist (newline-separated, "" when
 * none); free() it. */
char *ipc_objects_left(const char *names);
