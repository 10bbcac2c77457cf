# obs_install_layout: installs the plugin folder the way OBS loads it, links the host in as
# bin/64bit/streamfx-host, and runs the e2e check with the module finding the host itself through
# data/obs-plugin.json (no STREAMFX_HOST_PATH).
#   cmake -DBUILD_DIR=... -DPREFIX=... -DHOST=... -DHARNESS=... [-DMODEL_DIR=...] [-DLAUNCHER=a;b] -P this
foreach(var BUILD_DIR PREFIX HOST HARNESS)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "install-layout-test: -D${var}= is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" --component plugin
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()

foreach(f bin/64bit/streamfx-obs.so data/obs-plugin.json data/locale/en-US.ini)
  if(NOT EXISTS "${PREFIX}/${f}")
    message(FATAL_ERROR "installed plugin folder lacks ${f}")
  endif()
endforeach()

# A link, not a copy: a published host finds its runtime libraries next to its real path.
file(CREATE_LINK "${HOST}" "${PREFIX}/bin/64bit/streamfx-host" SYMBOLIC RESULT rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot link ${HOST} into the plugin folder: ${rc}")
endif()

set(model_args "")
if(MODEL_DIR)
  set(model_args --model-dir "${MODEL_DIR}")
endif()
execute_process(
  COMMAND ${LAUNCHER} "${HARNESS}" --mode e2e --frames 300 --host-frames 30 --host-from-manifest ${model_args}
          --module "${PREFIX}/bin/64bit/streamfx-obs.so" --data "${PREFIX}/data"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "harness failed (${rc}) on the installed layout")
endif()
