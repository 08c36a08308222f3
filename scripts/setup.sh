#!/usr/bin/env bash
# Makes this machine ready for mesolyte. A Vulkan driver is required: when none is found,
# install Mesa's software driver lavapipe (package mesa-vulkan-drivers), which runs every
# WGSL shader on the CPU. With a GPU driver present this installs nothing.
# With --test, also install what the test suite needs: Python with VTK (python3-vtk9), so
# that VTK's own reader can check our .vti files, and Chromium (optional), which renders a
# sweep's index.html.
set -euo pipefail

want_test_tools=0
[ "${1:-}" = "--test" ] && want_test_tools=1

have_vulkan() {
  ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' || return 1
  local files="${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-}}"
  if [ -n "$files" ]; then return 0; fi
  local d
  for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    if ls "$d"/*.json >/dev/null 2>&1; then return 0; fi
  done
  return 1
}

install_packages() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "setup: need root (or sudo) to install: $*" >&2; exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: no apt-get; install these with your package manager: $*" >&2; exit 1
  fi
  echo "setup: installing $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

if have_vulkan; then
  echo "setup: Vulkan driver found"
else
  echo "setup: no Vulkan driver found; installing Mesa's lavapipe (software Vulkan on the CPU)"
  install_packages mesa-vulkan-drivers
fi

if [ "$want_test_tools" = 1 ]; then
  if /usr/bin/python3 -c "import vtk, numpy" >/dev/null 2>&1 || python3 -c "import vtk, numpy" >/dev/null 2>&1; then
    echo "setup: Python VTK found"
  else
    install_packages python3-vtk9 python3-numpy
  fi
  # A headless browser renders a sweep's index.html in a test (skipped without one).
  if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    echo "setup: Chromium found"
  else
    ( install_packages chromium ) || echo "setup: no Chromium; the index.html render test will skip"
  fi
fi
