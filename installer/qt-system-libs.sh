#!/usr/bin/env sh
# Checks that the system libraries Qt's xcb platform plugin links against are present, before
# the window starts. Without them Qt aborts with "Could not load the Qt platform plugin xcb"
# and names only the first missing library; a fresh Debian/Ubuntu desktop lacks three
# (libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1).
#
#   qt-system-libs.sh [--install] FILE...
#
# FILEs are the plugin and the Qt libraries it loads (PySide6/Qt/plugins/platforms/libqxcb.so,
# PySide6/Qt/lib/libQt6XcbQpa.so.6). Exit 0: nothing missing (or all installed with --install
# as root). Exit 1: something missing; the one command that installs it is printed.
set -u

install=0
if [ "${1:-}" = "--install" ]; then install=1; shift; fi
[ $# -gt 0 ] || { echo "usage: qt-system-libs.sh [--install] FILE..." >&2; exit 2; }

# Debian/Ubuntu package of each library the xcb plugin needs that a minimal desktop may lack.
package_of() {
  case "$1" in
    libxcb-cursor.so.*) echo libxcb-cursor0 ;;
    libxcb-icccm.so.*) echo libxcb-icccm4 ;;
    libxcb-keysyms.so.*) echo libxcb-keysyms1 ;;
    libxcb-image.so.*) echo libxcb-image0 ;;
    libxcb-render-util.so.*) echo libxcb-render-util0 ;;
    libxcb-xkb.so.*) echo libxcb-xkb1 ;;
    libxkbcommon-x11.so.*) echo libxkbcommon-x11-0 ;;
    libxkbcommon.so.*) echo libxkbcommon0 ;;
    libxcb-shape.so.*) echo libxcb-shape0 ;;
    libxcb-randr.so.*) echo libxcb-randr0 ;;
    libxcb-xinerama.so.*) echo libxcb-xinerama0 ;;
    libxcb-xinput.so.*) echo libxcb-xinput0 ;;
    libxcb-sync.so.*) echo libxcb-sync1 ;;
    libxcb-xfixes.so.*) echo libxcb-xfixes0 ;;
    libxcb-shm.so.*) echo libxcb-shm0 ;;
    libxcb-render.so.*) echo libxcb-render0 ;;
    libxcb.so.*) echo libxcb1 ;;
    libX11-xcb.so.*) echo libx11-xcb1 ;;
    libX11.so.*) echo libx11-6 ;;
    libSM.so.*) echo libsm6 ;;
    libICE.so.*) echo libice6 ;;
    libfontconfig.so.*) echo libfontconfig1 ;;
    libfreetype.so.*) echo libfreetype6 ;;
    libEGL.so.*) echo libegl1 ;;
    libGL.so.*) echo libgl1 ;;
    libOpenGL.so.*) echo libopengl0 ;;
    libdbus-1.so.*) echo libdbus-1-3 ;;
    libglib-2.0.so.*) echo libglib2.0-0 ;;
    *) echo "" ;;
  esac
}

for f in "$@"; do
  [ -e "$f" ] || { echo "qt-system-libs.sh: no such file: $f" >&2; exit 2; }
done

missing() {
  for f in "$@"; do
    ldd "$f" 2>/dev/null | awk '/=> not found/ { print $1 }'
  done | sort -u
}

libs=$(missing "$@")
[ -z "$libs" ] && exit 0

pkgs=""
unknown=""
for lib in $libs; do
  p=$(package_of "$lib")
  if [ -n "$p" ]; then
    case " $pkgs " in *" $p "*) ;; *) pkgs="$pkgs $p" ;; esac
  else
    unknown="$unknown $lib"
  fi
done
pkgs=${pkgs# }

if [ "$install" = 1 ] && [ -n "$pkgs" ] && [ -z "$unknown" ] && [ "$(id -u)" = 0 ] \
   && command -v apt-get >/dev/null 2>&1; then
  echo "Installing the system libraries Qt's window needs: $pkgs" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
  libs=$(missing "$@")
  [ -z "$libs" ] && exit 0
  echo "still missing after apt-get install: $(echo $libs)" >&2
  exit 1
fi

echo "Engine Studio's window needs system libraries that this machine lacks: $(echo $libs)" >&2
if [ -n "$pkgs" ]; then
  echo "Install them with:" >&2
  echo "  sudo apt-get install -y $pkgs" >&2
fi
[ -n "$unknown" ] && echo "No known Debian package for:$unknown (find it with: apt-file search NAME)" >&2
echo "(Headless use needs none of them: the command line, or QT_QPA_PLATFORM=offscreen.)" >&2
exit 1
