/*
 * Where the effects host lives. The installed plugin folder is
 *   <plugin>/bin/64bit/streamfx-obs.so   (this module)
 *   <plugin>/data/obs-plugin.json        (names the host relative to <plugin>)
 * and STREAMFX_HOST_PATH overrides the lookup (tests, development builds).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SFX_HOST_PATH_ENV "STREAMFX_HOST_PATH"

/* Returns the absolute path of the host executable (bmalloc'd; bfree it), or NULL after logging
 * why (missing/invalid obs-plugin.json, missing field, file not found). */
char *sfx_plugin_config_host_path(void);

/* The absolute path of the plugin's default model folder (manifest field default_model_dir), or
 * NULL after logging why. bfree it. */
char *sfx_plugin_config_default_model_dir(void);

/* The plugin folder for a module binary path: the directory three levels above it
 * (<plugin>/bin/64bit/<module>). Returns false when the path is too shallow. */
bool sfx_plugin_folder_from_binary(const char *binary_path, char *out, size_t out_cap);
