#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <obs-module.h>
#include <util/dstr.h>
#include <util/platform.h>

#include "plugin-config.h"
#include "plugin-log.h"

#define PLUGIN_MANIFEST "obs-plugin.json"

#if defined(_WIN32)
#define HOST_KEY "win-x64"
#elif defined(__APPLE__)
#define HOST_KEY "osx-arm64"
#else
#define HOST_KEY "linux-x64"
#endif

static bool is_separator(char c)
{
#ifdef _WIN32
	return c == '/' || c == '\\';
#else
	return c == '/';
#endif
}

bool sfx_plugin_folder_from_binary(const char *binary_path, char *out, size_t out_cap)
{
	size_t len = binary_path ? strlen(binary_path) : 0;
	/* Strip three trailing components: the file name, "64bit", "bin". */
	for (int level = 0; level < 3; level++) {
		while (len > 0 && is_separator(binary_path[len - 1]))
			len--;
		while (len > 0 && !is_separator(binary_path[len - 1]))
			len--;
		if (len == 0)
			return false;
	}
	while (len > 1 && is_separator(binary_path[len - 1]))
		len--;
	if (len + 1 > out_cap)
		return false;
	memcpy(out, binary_path, len);
	out[len] = '\0';
	return true;
}

static bool is_relative_inside(const char *path)
{
	if (!path[0] || is_separator(path[0]))
		return false;
#ifdef _WIN32
	if (path[1] == ':')
		return false;
#endif
	/* No ".." component: the manifest may only name files inside the plugin folder. */
	const char *p = path;
	while (*p) {
		const char *start = p;
		while (*p && !is_separator(*p))
			p++;
		if (p - start == 2 && start[0] == '.' && start[1] == '.')
			return false;
		while (*p && is_separator(*p))
			p++;
	}
	return true;
}

/* Joins a manifest path (relative to the plugin folder) onto the plugin folder of this module.
 * `field` names the manifest field in messages. */
static char *resolve_in_plugin_folder(const char *manifest_path, const char *field, const char *relative)
{
	if (!relative || !relative[0]) {
		obs_log(LOG_ERROR, "%s: field '%s' missing or empty", manifest_path, field);
		return NULL;
	}
	if (!is_relative_inside(relative)) {
		obs_log(LOG_ERROR, "%s: field '%s' must be a path inside the plugin folder, found '%s'", manifest_path,
			field, relative);
		return NULL;
	}
	const char *binary = obs_get_module_binary_path(obs_current_module());
	char *binary_abs = binary ? os_get_abs_path_ptr(binary) : NULL;
	char folder[4096];
	char *result = NULL;
	if (!binary_abs || !sfx_plugin_folder_from_binary(binary_abs, folder, sizeof(folder))) {
		obs_log(LOG_ERROR, "module binary path '%s' is not <plugin>/bin/64bit/<module>; cannot resolve '%s'",
			binary ? binary : "(unknown)", field);
	} else {
		struct dstr path = {0};
		dstr_printf(&path, "%s/%s", folder, relative);
		result = path.array;
	}
	bfree(binary_abs);
	return result;
}

/* Opens data/obs-plugin.json; *path_out receives its path (bfree it). NULL after logging why. */
static obs_data_t *open_manifest(char **path_out)
{
	*path_out = obs_module_file(PLUGIN_MANIFEST);
	if (!*path_out) {
		obs_log(LOG_ERROR, "plugin data folder has no %s", PLUGIN_MANIFEST);
		return NULL;
	}
	obs_data_t *manifest = obs_data_create_from_json_file(*path_out);
	if (!manifest)
		obs_log(LOG_ERROR, "%s: not a readable JSON object", *path_out);
	return manifest;
}

static char *host_path_from_manifest(void)
{
	char *manifest_path = NULL;
	obs_data_t *manifest = open_manifest(&manifest_path);
	char *result = NULL;
	if (manifest) {
		obs_data_t *hosts = obs_data_get_obj(manifest, "host");
		if (!hosts)
			obs_log(LOG_ERROR, "%s: field 'host' missing (expected an object of platform -> path)",
				manifest_path);
		else
			result = resolve_in_plugin_folder(manifest_path, "host." HOST_KEY,
							  obs_data_get_string(hosts, HOST_KEY));
		obs_data_release(hosts);
	}
	obs_data_release(manifest);
	bfree(manifest_path);
	return result;
}

char *sfx_plugin_config_default_model_dir(void)
{
	char *manifest_path = NULL;
	obs_data_t *manifest = open_manifest(&manifest_path);
	char *result = NULL;
	if (manifest)
		result = resolve_in_plugin_folder(manifest_path, "default_model_dir",
						  obs_data_get_string(manifest, "default_model_dir"));
	if (result && !os_file_exists(result)) {
		obs_log(LOG_WARNING, "default model folder '%s' not found; the effect needs a model folder set",
			result);
		bfree(result);
		result = NULL;
	}
	obs_data_release(manifest);
	bfree(manifest_path);
	return result;
}

char *sfx_plugin_config_host_path(void)
{
	const char *env = getenv(SFX_HOST_PATH_ENV);
	char *path = NULL;
	if (env && env[0]) {
		/* The link only runs absolute paths: resolve a relative override here. */
		path = os_get_abs_path_ptr(env);
		if (!path) {
			obs_log(LOG_ERROR, "%s='%s' cannot be resolved to an absolute path", SFX_HOST_PATH_ENV, env);
			return NULL;
		}
		obs_log(LOG_INFO, "effects host from %s: %s", SFX_HOST_PATH_ENV, path);
	} else {
		path = host_path_from_manifest();
		if (!path)
			return NULL;
	}

	if (!os_file_exists(path)) {
		obs_log(LOG_ERROR, "effects host not found at '%s'", path);
		bfree(path);
		return NULL;
	}
	return path;
}
