#!/usr/bin/env bash
# Installs what the grader runs student code with: bubblewrap and libseccomp (the sandbox) and the
# toolchains of its languages (Python 3, gcc, g++, Node.js, OpenJDK). Debian/Ubuntu; needs root;
# idempotent.
set -euo pipefail
missing=()
for pair in bwrap:bubblewrap gcc:gcc g++:g++ node:nodejs javac:default-jdk-headless python3:python3; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
# libseccomp: the sandbox's system-call filter is built with it (pyseccomp loads it at run time).
ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2' || missing+=(libseccomp2)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
