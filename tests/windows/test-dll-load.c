/* Loads streamfx-obs.dll under Wine next to a stand-in obs.dll (exporting the names in
 * obs-imports.def): the loader resolves every import, the C runtime and TLS set up, the module's
 * entry points are exported, obs_module_ver runs and answers the libobs API version it was built
 * for, and nothing of the bridge leaks into the export table. */
#include "test-check.h"

#include <obs-config.h>
#include <stdint.h>

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

int main(void)
{
	char path[MAX_PATH];
	DWORD n = GetModuleFileNameA(NULL, path, sizeof(path));
	char *slash = n > 0 && n < sizeof(path) ? strrchr(path, '\\') : NULL;
	CHECK(slash != NULL);
	if (!slash)
		return test_summary("test-dll-load");
	snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "streamfx-obs.dll");
	HMODULE dll = LoadLibraryExA(path, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
	CHECK_MSG(dll != NULL, "LoadLibrary %s failed (%lu)", path, (unsigned long)GetLastError());
	if (!dll)
		return test_summary("test-dll-load");
	static const char *const entry_points[] = {
	    "obs_module_load",       "obs_module_unload",      "obs_module_set_pointer", "obs_module_ver",
	    "obs_module_set_locale", "obs_module_free_locale", "obs_module_get_string",  "obs_module_description",
	};
	for (size_t i = 0; i < sizeof(entry_points) / sizeof(entry_points[0]); i++)
		CHECK_MSG(GetProcAddress(dll, entry_points[i]) != NULL, "%s is not exported", entry_points[i]);
	CHECK_MSG(GetProcAddress(dll, "sfx_host_link_create") == NULL, "the bridge is exported");
	typedef uint32_t (*ver_fn)(void);
	ver_fn ver = (ver_fn)(void (*)(void))GetProcAddress(dll, "obs_module_ver");
	if (ver)
		CHECK_MSG(ver() == LIBOBS_API_VER, "obs_module_ver() = 0x%08x, expected 0x%08x", ver(),
			  (unsigned)LIBOBS_API_VER);
	CHECK(FreeLibrary(dll));
	return test_summary("test-dll-load");
}
