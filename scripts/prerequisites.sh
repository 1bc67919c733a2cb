#!/usr/bin/env bash
# Sourced by ./overlay and ./test.sh: makes sure the .NET SDK is present. Nothing else is needed from the
# system: the native libsodium ships with the build (the libsodium NuGet package), and the binding says
# in one sentence when it cannot load it.
overlay_require_prerequisites() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "overlay: the .NET 10 SDK is required (dotnet was not found on PATH); install it and run this command again." >&2
    return 1
  fi
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}
