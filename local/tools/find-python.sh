#!/usr/bin/env bash
# Prints the path of a Python interpreter for the virtual environments.
# Prefers 3.12 (the Lambda runtime's version) and falls back to any python3 >= 3.11.
set -euo pipefail
candidates=(python3.12)
if command -v pyenv >/dev/null 2>&1; then
  for dir in "$(pyenv root)"/versions/3.12*/bin; do candidates+=("$dir/python3.12"); done
fi
candidates+=(python3)
for candidate in "${candidates[@]}"; do
  if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)' >/dev/null 2>&1; then
    command -v "$candidate"; exit 0
  fi
done
for candidate in python3; do
  if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; then
    command -v "$candidate"; exit 0
  fi
done
echo "find-python: no Python 3.11+ interpreter found" >&2
exit 1
