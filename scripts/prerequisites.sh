#!/usr/bin/env bash
# Sourced by ./overlay and ./test.sh: makes sure the .NET SDK and the native libsodium are present,
# installing libsodium from Debian's packages where this is possible (root with apt-get).
# Whether the loader knows libsodium.so.23. The listing is read whole before matching: with pipefail,
# `grep -q` leaving early would kill ldconfig with SIGPIPE and make a present library look missing.
overlay_has_libsodium() {
  local listing
  listing="$(ldconfig -p 2>/dev/null || true)"
  [[ "$listing" == *libsodium.so.23* ]]
}

overlay_require_prerequisites() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "overlay: the .NET 10 SDK is required (dotnet was not found on PATH); install it and run this command again." >&2
    return 1
  fi
  if ! overlay_has_libsodium; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "overlay: installing libsodium23 from Debian's packages..." >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsodium23) >/dev/null 2>&1 || true
    fi
    if ! overlay_has_libsodium; then
      echo "overlay: the native libsodium (libsodium.so.23) is required; install it with 'sudo apt-get install libsodium23' and run this command again." >&2
      return 1
    fi
  fi
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}
