# Shared by the q8 command's test scripts, sourced once q8_bin and emulator are set: runs the
# command, counts checks, and holds a temporary folder removed at exit.
run() { "${emulator[@]}" "$q8_bin" "$@"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
  local what=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi
}
# expect_exit DESCRIPTION EXIT EXPECTED_TEXT ARGS...: `q8 ARGS` must exit with EXIT (a number,
# or "nonzero" for any failure) and print the text (stdout or stderr).
expect_exit() {
  local what=$1 code=$2 text=$3; shift 3
  local out; out=$(run "$@" 2>&1); local rc=$?
  local exit_ok=$([ "$code" = nonzero ] && echo $((rc != 0)) || echo $((rc == code)))
  if [ "$exit_ok" = 1 ] && grep -qF -- "$text" <<<"$out"; then pass=$((pass + 1));
  else fail=$((fail + 1)); echo "FAIL: $what: exit $rc, output: $out"; fi
}
# expect_error DESCRIPTION EXPECTED_TEXT ARGS...: q8 must exit non-zero and say the text.
expect_error() { local what=$1 text=$2; shift 2; expect_exit "$what" nonzero "$text" "$@"; }
