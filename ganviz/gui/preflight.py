"""Before Qt starts: is there a display, and can Qt's platform plugin load? (imports no Qt)

Qt aborts the process (SIGABRT, exit 134, maybe a core dump) when it finds no usable
platform plugin, and its message blames libxcb-cursor0 even when the display is simply
missing. :func:`problem` finds the same causes first and returns one line saying what
is missing and what to do; the CLI prints it and exits with 2. Only Linux is checked:
macOS and Windows ship their platform plugin with PySide6.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: Qt platforms that need no display server (``QT_QPA_PLATFORM=offscreen`` etc.).
NO_DISPLAY_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc", "linuxfb",
                                  "eglfs", "vkkhrdisplay"})

#: Qt's own choice when QT_QPA_PLATFORM is unset (PySide6 >= 6.6 tries Wayland first).
DEFAULT_PLATFORMS = ("wayland", "xcb")

#: soname -> (Debian/Ubuntu package, Fedora package) for what the xcb plugin links.
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libXau.so.6": ("libxau6", "libXau"),
    "libXdmcp.so.6": ("libxdmcp6", "libXdmcp"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
}

#: Checked with ctypes when ``ldd`` is not available (what the xcb plugin links).
XCB_SONAMES = tuple(PACKAGES)

#: Loaded at run time by some Qt builds, so ``ldd`` may not list it.
CURSOR_SONAME = "libxcb-cursor.so.0"


@dataclass
class Probe:
    """The system look-ups, replaceable in tests."""

    plugin_dir: Callable[[], Path | None]
    ldd: Callable[[Path], dict[str, bool] | None]
    can_load: Callable[[str], bool]
    x_reachable: Callable[[str], bool | None]
    distro: Callable[[], str]


def problem(env: Mapping[str, str] | None = None, system: str | None = None,
            probe: Probe | None = None) -> str | None:
    """Why the window cannot open here (one line), or None when Qt should start."""
    env = os.environ if env is None else env
    system = sys.platform if system is None else system
    if not system.startswith("linux"):
        return None
    probe = probe or default_probe()
    names = _platforms(env)
    if any(n in NO_DISPLAY_PLATFORMS for n in names):
        return None
    if any(n.startswith("wayland") for n in names) and _wayland_usable(env, probe):
        return None
    if "xcb" not in names:
        return None  # a platform we do not know: let Qt speak for itself
    display = env.get("DISPLAY", "")
    if not display:
        return _no_display(env)
    missing = missing_xcb_libraries(probe)
    if missing:
        return _missing_libraries(missing, probe.distro())
    if probe.x_reachable(display) is False:
        return (f"cannot connect to the X display DISPLAY={display!r}: is the desktop (X "
                f"server) running? Over ssh log in with ssh -X; {_headless()}")
    return None


def _platforms(env: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt will try, in order (``"vnc:size=800x600"`` -> ``"vnc"``)."""
    text = env.get("QT_QPA_PLATFORM", "").strip()
    if not text:
        return list(DEFAULT_PLATFORMS)
    return [part.split(":", 1)[0].strip().lower() for part in text.split(";") if part.strip()]


def _wayland_socket(env: Mapping[str, str]) -> Path | None:
    name = env.get("WAYLAND_DISPLAY", "") or "wayland-0"
    if os.path.isabs(name):
        return Path(name)
    runtime = env.get("XDG_RUNTIME_DIR", "")
    return Path(runtime) / name if runtime else None


def _wayland_usable(env: Mapping[str, str], probe: Probe) -> bool:
    """A Wayland compositor socket exists and the wayland plugin's libraries load."""
    socket = _wayland_socket(env)
    if socket is None or not socket.exists():
        return False
    folder = probe.plugin_dir()
    if folder is None or not (folder / "libqwayland.so").exists():
        return True  # other Qt layout: trust the compositor
    libs = probe.ldd(folder / "libqwayland.so")
    return libs is None or all(libs.values())


def missing_xcb_libraries(probe: Probe) -> list[str]:
    """Sonames the xcb platform plugin needs but the dynamic loader cannot find."""
    folder = probe.plugin_dir()
    plugin = folder / "libqxcb.so" if folder is not None else None
    libs = probe.ldd(plugin) if plugin is not None and plugin.exists() else None
    if libs is None:
        return [name for name in XCB_SONAMES if not probe.can_load(name)]
    if CURSOR_SONAME not in libs:
        libs[CURSOR_SONAME] = probe.can_load(CURSOR_SONAME)
    return sorted(name for name, found in libs.items() if not found)


def _no_display(env: Mapping[str, str]) -> str:
    wayland = env.get("WAYLAND_DISPLAY", "")
    where = (f"WAYLAND_DISPLAY={wayland!r} names no running compositor and DISPLAY is unset"
             if wayland else "DISPLAY and WAYLAND_DISPLAY are unset")
    return (f"no display to open the window on ({where}): start ganviz from a desktop "
            f"session, or over ssh log in with ssh -X; {_headless()}")


def _missing_libraries(missing: list[str], distro: str) -> str:
    apt = _unique(PACKAGES[s][0] for s in missing if s in PACKAGES)
    dnf = _unique(PACKAGES[s][1] for s in missing if s in PACKAGES)
    unknown = [s for s in missing if s not in PACKAGES]
    installs = []
    if apt and distro != "fedora":
        installs.append(f"sudo apt install {' '.join(apt)}")
    if dnf and distro != "debian":
        installs.append(f"{'Fedora: ' if distro != 'fedora' else ''}"
                        f"sudo dnf install {' '.join(dnf)}")
    if unknown:
        installs.append(f"install the packages that provide {', '.join(unknown)}")
    return (f"the window cannot start: Qt's xcb platform plugin needs {', '.join(missing)}, "
            f"which the system lacks; install them ({'; '.join(installs)}), or {_headless()}")


def _headless() -> str:
    """How to work without a window, spelled the way ganviz was started."""
    cmd = "python main.py" if Path(sys.argv[0]).name == "main.py" else "ganviz"
    return f"without a window use the headless commands {cmd} train or {cmd} compare"


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


# ------------------------------------------------------------------ real look-ups
def default_probe() -> Probe:
    """The look-ups that ask this machine."""
    return Probe(plugin_dir=pyside_platform_dir, ldd=run_ldd, can_load=can_load,
                 x_reachable=x_reachable, distro=distro_family)


def pyside_platform_dir() -> Path | None:
    """PySide6's ``Qt/plugins/platforms`` folder, found without importing PySide6."""
    try:
        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        folder = Path(root) / "Qt" / "plugins" / "platforms"
        if folder.is_dir():
            return folder
    return None


def parse_ldd(text: str) -> dict[str, bool]:
    """``ldd`` output -> {soname: found} (the loader and vdso lines are left out)."""
    libs: dict[str, bool] = {}
    for line in text.splitlines():
        left, sep, right = line.strip().partition("=>")
        if not sep:
            continue
        name = left.strip()
        found = "not found" not in right
        libs[name] = libs.get(name, True) and found
    return libs


def run_ldd(path: Path) -> dict[str, bool] | None:
    """Run ``ldd`` on ``path``; None when ldd is absent or fails."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        out = subprocess.run([ldd, str(path)], capture_output=True, text=True, timeout=20,
                             env={**os.environ, "LC_ALL": "C"}, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    libs = parse_ldd(out.stdout)
    return libs or None


def can_load(soname: str) -> bool:
    """Whether the dynamic loader finds ``soname``."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def x_reachable(display: str) -> bool | None:
    """Whether an X connection to ``display`` opens (None: cannot tell, no libxcb)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return None
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    conn = xcb.xcb_connect(display.encode(), None)
    if not conn:
        return False
    try:
        return xcb.xcb_connection_has_error(conn) == 0
    finally:
        xcb.xcb_disconnect(conn)


def distro_family(os_release: Path = Path("/etc/os-release")) -> str:
    """"debian", "fedora" or "" (unknown) from /etc/os-release, to name the right installer."""
    try:
        text = os_release.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    ids = set()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids.update(value.strip().strip("\"'").lower().split())
    if ids & {"debian", "ubuntu"}:
        return "debian"
    if ids & {"fedora", "rhel", "centos"}:
        return "fedora"
    return ""
