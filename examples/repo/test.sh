#!/bin/sh
# test.sh: checks calc.sh; exits non-zero on the first failure.
. ./calc.sh
fail=0
check() {
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1 gave $2, expected $3"
    fail=1
  else
    echo "ok: $1"
  fi
}
check "add 2 3" "$(add 2 3)" 5
check "mul 4 5" "$(mul 4 5)" 20
exit $fail
