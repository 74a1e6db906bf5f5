#!/usr/bin/env sh
# Installs the bundle under the user's home (no root needed) and records every file it wrote
# in a manifest, so uninstall.sh removes exactly what was installed.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
PREFIX=$DATA/engine-studio
BIN_DIR=$HOME/.local/bin
MANIFEST=$PREFIX/install-manifest.txt

[ -x "$HERE/engine-studio/engine-studio" ] || { echo "install.sh: no bundle beside this script ($HERE/engine-studio)" >&2; exit 2; }
if [ -e "$PREFIX" ]; then
  [ -f "$MANIFEST" ] || { echo "install.sh: $PREFIX exists and was not installed by this script; remove it first" >&2; exit 2; }
  sh "$HERE/uninstall.sh" >/dev/null
fi
mkdir -p "$PREFIX" "$BIN_DIR" "$DATA/applications" "$DATA/icons/hicolor/scalable/apps"
cp -R "$HERE/engine-studio" "$PREFIX/bundle"
cp "$HERE/uninstall.sh" "$PREFIX/uninstall.sh"
ln -sf "$PREFIX/bundle/engine-studio" "$BIN_DIR/engine-studio"
sed "s|@BIN@|$PREFIX/bundle/engine-studio|" "$HERE/engine-studio.desktop" > "$DATA/applications/engine-studio.desktop"
cp "$HERE/engine-studio.svg" "$DATA/icons/hicolor/scalable/apps/engine-studio.svg"
{
  echo "$BIN_DIR/engine-studio"
  echo "$DATA/applications/engine-studio.desktop"
  echo "$DATA/icons/hicolor/scalable/apps/engine-studio.svg"
  echo "$PREFIX"
} > "$MANIFEST"
# The window needs system libraries for Qt's xcb plugin that a fresh desktop may lack: install
# them as root, otherwise print the one command that would (the command line works without them).
QT_LIBS=$(find "$PREFIX/bundle" \( -name libqxcb.so -o -name 'libQt6XcbQpa.so.*' \) -type f 2>/dev/null)
if [ -n "$QT_LIBS" ]; then
  # shellcheck disable=SC2086
  sh "$HERE/qt-system-libs.sh" --install $QT_LIBS || echo "install.sh: the window will not start until the libraries above are installed" >&2
fi
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$DATA/applications" 2>/dev/null || true
echo "Engine Studio installed in $PREFIX; run 'engine-studio' (in $BIN_DIR) or find it in the application menu."
