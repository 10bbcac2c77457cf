/* A tiny assertion layer for the plain-C tests: every failure is printed with its location and
 * counted; main returns test_summary(), which prints one result=PASS|FAIL verdict and exits non-zero
 * on any failure. */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int g_checks, g_failures;

#define CHECK(cond)                                                                                                    \
	do {                                                                                                           \
		g_checks++;                                                                                            \
		if (!(cond)) {                                                                                         \
			g_failures++;                                                                                  \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                       \
		}                                                                                                      \
	} while (0)

#define CHECK_MSG(cond, ...)                                                                                           \
	do {                                                                                                           \
		g_checks++;                                                                                            \
		if (!(cond)) {                                                                                         \
			g_failures++;                                                                                  \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);                       \
			fprintf(stderr, __VA_ARGS__);                                                                  \
			fputc('\n', stderr);                                                                           \
		}                                                                                                      \
	} while (0)

/* The message must mention `needle` (e.g. the field name). */
#define CHECK_CONTAINS(text, needle)                                                                                   \
	CHECK_MSG(strstr((text), (needle)) != NULL, "'%s' does not mention '%s'", (text), (needle))

static inline int test_summary(const char *name)
{
	bool pass = g_failures == 0 && g_checks > 0;
	printf("%s: %d checks, %d failures result=%s\n", name, g_checks, g_failures, pass ? "PASS" : "FAIL");
	return pass ? 0 : 1;
}
