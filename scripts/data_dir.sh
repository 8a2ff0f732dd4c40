# Sourced by the scripts that build and run the test suite, from the repository
# root. The suite reads the labeled corpora (GROUPGUARD_DATA_DIR, default
# ../shared/data, which is CMake's default too) and cannot pass without them, so
# this stops with a message before anything is built. data_args: the cmake
# option naming them, when the environment names them.
data=${GROUPGUARD_DATA_DIR:-../shared/data}
if [[ ! -d "$data/jsonl" ]]; then
  echo "$0: no labeled corpora at $data/jsonl; put them there or set GROUPGUARD_DATA_DIR" >&2
  exit 1
fi
data_args=()
if [[ -n "${GROUPGUARD_DATA_DIR:-}" ]]; then
  data_args=(-DGROUPGUARD_DATA_DIR="$(cd "$data" && pwd)")
fi
