"""A new user's first run: the display preflight, presets in the wheel, the window's icon."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganviz.gui import preflight
from ganviz.gui.preflight import Probe, problem

ROOT = Path(__file__).resolve().parent.parent

LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /x/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f44)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f44)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f44)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f25)
"""

LDD_ALL_FOUND = """\
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x1)
\tlibxcb-icccm.so.4 => /lib/x86_64-linux-gnu/libxcb-icccm.so.4 (0x1)
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x1)
"""


def fake_probe(tmp_path: Path, ldd_text: str | None = LDD_ALL_FOUND, *,
               loadable: frozenset[str] | None = None, reachable: bool | None = True,
               distro: str = "") -> Probe:
    """A probe over a fake plugin folder; ``ldd_text=None`` means ldd is absent."""
    folder = tmp_path / "platforms"
    folder.mkdir(exist_ok=True)
    (folder / "libqxcb.so").write_bytes(b"")
    loadable = frozenset(preflight.XCB_SONAMES) if loadable is None else loadable
    return Probe(plugin_dir=lambda: folder,
                 ldd=lambda path: None if ldd_text is None else preflight.parse_ldd(ldd_text),
                 can_load=lambda name: name in loadable,
                 x_reachable=lambda display: reachable,
                 distro=lambda: distro)


def exploding_probe() -> Probe:
    def boom(*_):
        raise AssertionError("no system look-up expected")
    return Probe(plugin_dir=boom, ldd=boom, can_load=boom, x_reachable=boom, distro=boom)


def headless_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a shell without any display (and no Wayland socket)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")}
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    env["XDG_RUNTIME_DIR"] = str(runtime)
    return env


# ------------------------------------------------------------------ no display
def test_no_display_exits_2_with_one_line_and_no_qt(tmp_path):
    """`python main.py` without a display: one line about the display, exit 2, no abort."""
    proc = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=headless_env(tmp_path),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("ganviz: error: no display")
    assert "DISPLAY" in line and "ssh -X" in line
    assert "python main.py train" in line and "python main.py compare" in line
    assert "libxcb" not in line and "qt.qpa" not in proc.stderr
    assert proc.stdout == ""


def test_no_display_check_runs_before_pyside6_is_imported(tmp_path):
    code = ("import sys; from ganviz.cli import main; rc = main([]); "
            "print('PySide6' in sys.modules); sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=headless_env(tmp_path),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.split() == ["False"]


def test_no_display_wins_over_missing_libraries(tmp_path):
    env = {"XDG_RUNTIME_DIR": str(tmp_path)}
    message = problem(env, "linux", fake_probe(tmp_path, LDD_MISSING))
    assert message is not None and message.startswith("no display")
    assert "libxcb" not in message


def test_wayland_display_without_compositor_is_named(tmp_path):
    env = {"WAYLAND_DISPLAY": "wayland-7", "XDG_RUNTIME_DIR": str(tmp_path)}
    message = problem(env, "linux", fake_probe(tmp_path))
    assert message is not None and "WAYLAND_DISPLAY='wayland-7'" in message


def test_wayland_compositor_socket_is_enough(tmp_path):
    (tmp_path / "wayland-0").touch()
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": str(tmp_path)}
    assert problem(env, "linux", fake_probe(tmp_path, LDD_MISSING)) is None


# ------------------------------------------------------------ missing libraries
@pytest.mark.parametrize(("distro", "apt", "dnf"), [
    ("", True, True), ("debian", True, False), ("fedora", False, True)])
def test_missing_xcb_libraries_named_with_packages(tmp_path, distro, apt, dnf):
    message = problem({"DISPLAY": ":0"}, "linux",
                      fake_probe(tmp_path, LDD_MISSING, distro=distro))
    assert message is not None and "\n" not in message
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in message
    assert "libxcb-cursor.so.0" not in message  # ldd found it
    assert ("sudo apt install libxcb-icccm4 libxcb-keysyms1" in message) is apt
    assert ("sudo dnf install xcb-util-wm xcb-util-keysyms" in message) is dnf
    assert "train" in message and "compare" in message


def test_cursor_library_loaded_at_run_time_is_checked(tmp_path):
    """Qt builds that dlopen libxcb-cursor: ldd does not list it, so it is loaded to check."""
    probe = fake_probe(tmp_path, "\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)\n",
                       loadable=frozenset(preflight.XCB_SONAMES) - {"libxcb-cursor.so.0"})
    message = problem({"DISPLAY": ":0"}, "linux", probe)
    assert message is not None and "libxcb-cursor0" in message and "xcb-util-cursor" in message


def test_without_ldd_a_known_list_is_loaded(tmp_path):
    missing = {"libxcb-keysyms.so.1", "libxkbcommon-x11.so.0"}
    probe = fake_probe(tmp_path, None, loadable=frozenset(preflight.XCB_SONAMES) - missing)
    message = problem({"DISPLAY": ":0"}, "linux", probe)
    assert message is not None
    assert "sudo apt install libxcb-keysyms1 libxkbcommon-x11-0" in message


def test_unknown_soname_is_still_named(tmp_path):
    ldd = "\tlibQt6XcbQpa.so.6 => not found\n\tlibxcb-cursor.so.0 => /l/x.so (0x1)\n"
    message = problem({"DISPLAY": ":0"}, "linux", fake_probe(tmp_path, ldd))
    assert message is not None and "provide libQt6XcbQpa.so.6" in message


def test_unreachable_x_display_is_named(tmp_path):
    message = problem({"DISPLAY": ":42"}, "linux", fake_probe(tmp_path, reachable=False))
    assert message is not None and "DISPLAY=':42'" in message and "ssh -X" in message


@pytest.mark.parametrize("reachable", [True, None])
def test_display_with_all_libraries_passes(tmp_path, reachable):
    assert problem({"DISPLAY": ":0"}, "linux", fake_probe(tmp_path, reachable=reachable)) is None


def test_real_x_probe_refuses_a_display_nobody_serves(tmp_path):
    if preflight.x_reachable(":0") is None:
        pytest.skip("libxcb.so.1 is not installed")
    assert preflight.x_reachable(":93") is False  # no X server on display 93 here


# -------------------------------------------------------------- checks skipped
@pytest.mark.parametrize("platform", ["offscreen", "minimal", "vnc:size=800x600",
                                      "xcb;offscreen", "OFFSCREEN"])
def test_platforms_without_display_skip_the_checks(platform):
    assert problem({"QT_QPA_PLATFORM": platform}, "linux", exploding_probe()) is None


@pytest.mark.parametrize("system", ["darwin", "win32"])
def test_macos_and_windows_are_not_checked(system):
    assert problem({}, system, exploding_probe()) is None


def test_offscreen_window_command_gets_past_the_preflight(monkeypatch):
    """With QT_QPA_PLATFORM=offscreen, the window command reaches run_app (replaced here)."""
    import ganviz.gui.app as app

    seen = []
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setattr(app, "run_app", lambda cfg, **kw: seen.append(cfg) or 0)
    from ganviz.cli import main

    assert main(["--device", "cpu"]) == 0
    assert len(seen) == 1


# ------------------------------------------------------------------- helpers
def test_parse_ldd():
    libs = preflight.parse_ldd(LDD_MISSING)
    assert libs == {"libQt6XcbQpa.so.6": True, "libxcb-cursor.so.0": True,
                    "libxcb-icccm.so.4": False, "libxcb-keysyms.so.1": False,
                    "libxcb.so.1": True}


@pytest.mark.parametrize(("text", "family"), [
    ('ID=debian\nVERSION_ID="12"\n', "debian"),
    ('ID=linuxmint\nID_LIKE="ubuntu debian"\n', "debian"),
    ('ID=fedora\n', "fedora"),
    ('ID="rocky"\nID_LIKE="rhel centos fedora"\n', "fedora"),
    ('ID=arch\n', ""),
])
def test_distro_family(tmp_path, text, family):
    path = tmp_path / "os-release"
    path.write_text(text, encoding="utf-8")
    assert preflight.distro_family(path) == family
    assert preflight.distro_family(tmp_path / "absent") == ""


# ------------------------------------------------------------ presets in the wheel
def _pip(*args: str, cwd: Path) -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    proc = subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_wheel_ships_presets_and_runs_one_from_another_folder(tmp_path):
    """Build the wheel, install it into a folder and train a preset from somewhere else."""
    import zipfile

    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        (src / name).write_bytes((ROOT / name).read_bytes())
    import shutil

    shutil.copytree(ROOT / "ganviz", src / "ganviz",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w",
         str(tmp_path / "dist"), str(src), cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("ganviz-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    data = [p.relative_to(ROOT).as_posix() for p in (ROOT / "ganviz" / "resources").rglob("*")
            if p.is_file()]
    assert any(p.endswith(".toml") for p in data) and any(p.endswith(".svg") for p in data)
    assert set(data) <= shipped, set(data) - shipped

    site = tmp_path / "site"
    _pip("install", "--no-deps", "--no-index", "-q", "--target", str(site), str(wheel),
         cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = ("import sys, ganviz.core.config as c; print(c.__file__); "
            "sys.argv = ['ganviz'] + sys.argv[1:]; from ganviz.cli import main; "
            "sys.exit(main())")
    out = elsewhere / "X"
    proc = subprocess.run([sys.executable, "-c", code, "train", "--preset", "veegan-ring",
                           "--steps", "2", "--seeds", "0", "--estimators", "plugin",
                           "--device", "cpu", "--quiet", "--out", str(out)],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    imported = Path(proc.stdout.splitlines()[0])
    assert imported.is_relative_to(site), f"imported the editable copy: {imported}"
    assert (out / "summary.json").is_file() and (out / "checkpoint.pt").is_file()
    assert 'latent_dim = 256' in (out / "config.toml").read_text(encoding="utf-8")


def test_no_presets_found_says_where_it_looked(tmp_path, monkeypatch, capsys):
    from ganviz.cli import main
    from ganviz.core import config

    monkeypatch.setattr(config, "PRESET_DIR", tmp_path / "presets")
    with pytest.raises(config.ConfigError) as info:
        config.load_preset("default")
    message = str(info.value)
    assert str(tmp_path / "presets") in message and "allowed:" not in message
    assert main(["train", "--preset", "veegan-ring", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganviz: error: --preset: no bundled presets found in")
    assert not (tmp_path / "o").exists()


def test_unknown_preset_lists_the_bundled_ones():
    from ganviz.core import config

    with pytest.raises(config.ConfigError, match=r"allowed: default, pacgan-grid, "):
        config.load_preset("nope")


# ------------------------------------------------------------ README media, icon
def test_readme_opens_with_commands_then_media():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert lines[2:6] == ["```", lines[3], lines[4], "```"]
    assert lines[3].startswith("make run") and lines[4].startswith("make test")
    pictures = [ln for ln in lines[6:12] if ln.startswith("![")]
    assert [p.rsplit("(", 1)[1].rstrip(")") for p in pictures] == [
        "docs/media/window.png", "docs/media/training.gif"]
    assert (ROOT / "docs" / "make_media.py").is_file()
    gif = ROOT / "docs" / "media" / "training.gif"
    assert gif.read_bytes()[:6] == b"GIF89a" and gif.stat().st_size < 400_000
    assert (ROOT / "docs" / "media" / "window.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_desktop_file_names_the_command_and_icon():
    text = (ROOT / "resources" / "ganviz.desktop").read_text(encoding="utf-8")
    entries = dict(ln.split("=", 1) for ln in text.splitlines() if "=" in ln)
    assert text.startswith("[Desktop Entry]\n")
    assert entries["Exec"] == "ganviz" and entries["Icon"] == "ganviz"
    assert entries["Categories"] == "Science;Education;" and entries["Type"] == "Application"


def test_window_gets_the_icon(qtbot, monkeypatch, small_cfg):
    """run_app sets the icon on the application and the window (event loop not entered)."""
    from PySide6.QtWidgets import QApplication

    from ganviz.gui import app as gui_app

    icon = gui_app.app_icon()
    assert not icon.isNull() and not icon.pixmap(32, 32).isNull()
    qapp = QApplication.instance()
    names = (qapp.applicationName(), qapp.organizationName(), qapp.desktopFileName())
    shown = []
    monkeypatch.setattr(QApplication, "exec", lambda self=None: 0)
    monkeypatch.setattr("ganviz.gui.window.MainWindow.show",
                        lambda self: shown.append(self) or qtbot.addWidget(self))
    assert gui_app.run_app(small_cfg) == 0
    (window,) = shown
    assert not QApplication.instance().windowIcon().isNull()
    assert not window.windowIcon().isNull()
    assert QApplication.desktopFileName() == "ganviz"
    window.close()
    qapp.setApplicationName(names[0])
    qapp.setOrganizationName(names[1])
    qapp.setDesktopFileName(names[2])
