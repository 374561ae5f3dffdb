#!/bin/sh
# Print a Python 3.12+ interpreter: on PATH first, then under pyenv. Django 6 needs 3.12+.
for candidate in python3.13 python3.12 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then
    command -v "$candidate"; exit 0
  fi
done
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for version in "$root"/versions/3.13* "$root"/versions/3.12*; do
  if [ -x "$version/bin/python3" ]; then echo "$version/bin/python3"; exit 0; fi
done
echo "CrisisGov needs Python 3.12 or newer (Django 6 requires it)." >&2
echo "Install it, e.g. 'apt-get install python3.12 python3.12-venv' or 'pyenv install 3.12'." >&2
exit 1
