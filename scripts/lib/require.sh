# Installs Debian packages that are missing, each named as PACKAGE:PROBE where
# PROBE is a command on PATH or an absolute file path that the package provides.
# Retries while another apt holds the lock. Sourced by scripts/test and scripts/demo.
require_packages() {
  local missing=() spec pkg probe
  for spec in "$@"; do
    pkg=${spec%%:*}
    probe=${spec#*:}
    if [[ $probe == /* ]]; then
      [[ -e $probe ]] || missing+=("$pkg")
    else
      command -v "$probe" >/dev/null 2>&1 || missing+=("$pkg")
    fi
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  echo "== installing ${missing[*]}"
  local sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  local attempt
  for attempt in 1 2 3 4 5; do
    if "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; then
      return 0
    fi
    echo "apt-get failed (attempt $attempt); retrying in 5 s" >&2
    sleep 5
  done
  echo "error: could not install ${missing[*]}" >&2
  return 1
}
