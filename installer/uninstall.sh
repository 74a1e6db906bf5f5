#!/usr/bin/env sh
# Removes exactly what install.sh recorded in its manifest, and nothing else.
set -eu
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
PREFIX=$DATA/engine-studio
MANIFEST=$PREFIX/install-manifest.txt
[ -f "$MANIFEST" ] || { echo "uninstall.sh: nothing to remove (no $MANIFEST)" >&2; exit 0; }
# The prefix itself is listed last, so files outside it go first.
while IFS= read -r path; do
  case "$path" in
    "$PREFIX") rm -rf -- "$PREFIX" ;;
    "$HOME"/*) rm -f -- "$path" ;;
    *) echo "uninstall.sh: refusing to remove $path (outside your home)" >&2 ;;
  esac
done < "$MANIFEST"
echo "Engine Studio removed."
