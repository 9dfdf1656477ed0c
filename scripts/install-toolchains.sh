#!/usr/bin/env bash
# Installs what the grader runs student code with: bubblewrap and libseccomp (the sandbox) and the
# toolchains of its languages (Python 3, gcc, g++, Node.js, OpenJDK). Debian/Ubuntu; needs root;
# idempotent.
set -euo pipefail
missing=()
# chromium: the metrics dashboard's browser test (headless).
for pair in bwrap:bubblewrap gcc:gcc g++:g++ node:nodejs javac:default-jdk-headless python3:python3 chromium:chromium; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
# Python's libraries every run may import (NumPy, Matplotlib) and pylint, which Jobe's and
# CodeRunner's pylint-checked questions run inside the job (docs/sandbox.md: adding packages).
/usr/bin/python3 -c "import numpy, matplotlib" >/dev/null 2>&1 || missing+=(python3-numpy python3-matplotlib)
command -v pylint >/dev/null 2>&1 || missing+=(pylint)
# libseccomp: the sandbox's system-call filter is built with it (pyseccomp loads it at run time).
ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2' || missing+=(libseccomp2)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The broker's management API (every queue's ready and unacknowledged counts in one request: the
# metrics service reads it) and its Prometheus endpoint; enabled on a node running here.
if command -v rabbitmq-plugins >/dev/null 2>&1 && rabbitmqctl -q status >/dev/null 2>&1; then
  rabbitmq-plugins -q enable rabbitmq_management rabbitmq_prometheus >/dev/null
fi
