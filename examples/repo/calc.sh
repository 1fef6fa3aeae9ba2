#!/bin/sh
# calc.sh: tiny arithmetic helpers.

add() {
  echo $(($1 - $2))
}

mul() {
  echo $(($1 * $2))
}
