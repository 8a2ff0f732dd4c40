# Sourced by the scripts that build and run the test suite, from the repository
# root. The suite reads the labeled corpora (GROUPGUARD_DATA_DIR, default
# ../shared/data beside the repository) and cannot pass without them, so this
# stops with a message before anything is built. data_args: the cmake option
# naming them, always given, so that a build configured earlier with another
# folder reads the one checked here.
if [[ -n "${GROUPGUARD_DATA_DIR:-}" ]]; then
  data=$GROUPGUARD_DATA_DIR
else
  data=$PWD/../shared/data  # CMake's own default, spelled as it spells it
fi
if [[ ! -d "$data/jsonl" ]]; then
  echo "$0: no labeled corpora at $data/jsonl; put them there or set GROUPGUARD_DATA_DIR" >&2
  exit 1
fi
[[ "$data" == /* ]] || data=$(cd "$data" && pwd)
data_args=(-DGROUPGUARD_DATA_DIR="$data")
