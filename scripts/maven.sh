#!/usr/bin/env bash
# Source me: `maven ARGS...` runs Maven quietly, in batch mode, without colour. Debian's Maven (3.8)
# still writes colour resets (ESC[0m) with -Dstyle.color=never; when its output is not a terminal
# (a log, CI, `make demo > file`) they are stripped, so they never leak into what set-up prints.
maven() {
  if [[ -t 1 ]]; then
    mvn -q -B -Dstyle.color=never "$@"
  else
    mvn -q -B -Dstyle.color=never "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
  fi
}
