"""Build the two board packages, the Debian way: dpkg-deb around a virtualenv that carries the programs.

    .venv/bin/python scripts/build_packages.py                    # dist/officepass-{door,kiosk}_VERSION_amd64.deb
    .venv/bin/python scripts/build_packages.py --arch arm64 door   # for Raspberry Pi OS bookworm (64-bit)

Each package carries /opt/officepass/{door,kiosk}: a virtualenv on Debian's own Python 3.11 (it links to
/usr/bin/python3.11), holding the project's wheel with its extra and every library it needs, compiled, so
nothing is fetched or written at install. Beside it: the systemd unit, the udev rule (door), the alert
rules, the Mosquitto file and the docs; maintainer scripts make the service user, its groups and its
state folder, and enable the unit (deploy/debian/*.in). The libraries are taken as wheels for the target's
architecture (`pip --platform`), so an arm64 package is built on any machine, without emulation: every
dependency of the door has manylinux wheels for aarch64; the kiosk's Qt has none for bookworm's glibc.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3.11"  # Debian bookworm's and Raspberry Pi OS bookworm's own interpreter
GLIBC_MINOR = 36  # bookworm's glibc 2.36: wheels for manylinux_2_17 up to 2_36 run there
ARCHES = {"amd64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Package:
    """One board package: what it installs and how its service runs."""

    name: str
    extra: str
    unit: str
    user: str
    groups: str
    state: str
    other: str  # the other officepass package (purge leaves shared files while it is installed)
    priority: int
    depends: tuple[str, ...]
    recommends: tuple[str, ...]
    summary: str
    description: str

    @property
    def venv(self) -> str:
        """Where the virtualenv is installed."""
        return f"/opt/officepass/{self.name.removeprefix('officepass-')}"


COMMON_DEPENDS = ("python3.11", "adduser", "init-system-helpers (>= 1.54~)")
PACKAGES = {
    "door": Package(
        "officepass-door",
        "lockd",
        "officepass-lockd",
        "officepass-lockd",
        "gpio",
        "/var/lib/officepass",
        "officepass-kiosk",
        50,
        COMMON_DEPENDS,
        ("mosquitto", "mosquitto-clients", "chrony | time-daemon"),
        "door controller of the officepass coworking network (lockd)",
        "lockd opens a door only for a signed, fresh, unreplayed MQTT 5 unlock command tied to a valid\n"
        "reservation, drives the lock relay through GPIO (lgpio: Raspberry Pi 4 and 5), watches the door\n"
        "and publishes its state, alarms and audit. With officepass-site, which sets a site up from its file.",
    ),
    "kiosk": Package(
        "officepass-kiosk",
        "kiosk",
        "officepass-kiosk",
        "officepass-kiosk",
        "video input audio render",
        "/var/lib/officepass-kiosk",
        "officepass-door",
        40,
        (
            *COMMON_DEPENDS,
            "cage",
            "fonts-noto-cjk",
            "libzbar0",
            "alsa-utils",
            "libegl1",
            "libgl1",
            "libgl1-mesa-dri",
            "libfontconfig1",
            "libfreetype6",
            "libdbus-1-3",
            "libglib2.0-0",
            "libxkbcommon0",
            "libwayland-client0",
            "libwayland-cursor0",
            "libwayland-egl1",
        ),
        ("mosquitto-clients",),
        "reception kiosk of the officepass coworking network",
        "The kiosk shows a rotating front-desk 2D code, scans the code on a member's phone, verifies the\n"
        "signed pass offline, applies the facility's rules, shows the verdict and reports every check-in\n"
        "to the platform. Full screen under the cage Wayland compositor. With officepass-site.",
    ),
}
CONFIGURE = {  # what each package's postinst does besides the common steps
    "door": (
        "    # the GPIO chips to group gpio (plain Debian has neither the group nor the rule; Raspberry Pi OS has"
        " them)\n"
        "    if [ -d /run/udev ] && command -v udevadm >/dev/null; then\n"
        "        udevadm control --reload || true\n"
        "        udevadm trigger --subsystem-match=gpio || true\n"
        "    fi"
    ),
    "kiosk": "    :",
}


def project_version() -> str:
    """The version pyproject.toml gives."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def build_wheel(work: Path) -> Path:
    """The project's wheel, built from a copy of the checkout (a build leaves folders in the tree it builds)."""
    source = work / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "var", ".lgd-nfy*"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "wheel"), str(source)], check=True
    )
    (wheel,) = (work / "wheel").glob("officepass_edge-*.whl")
    return wheel


def platform_tags(arch: str) -> list[str]:
    """Every wheel platform tag a bookworm machine of this architecture runs."""
    machine = ARCHES[arch]
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(GLIBC_MINOR, 16, -1)]
    return [*tags, f"manylinux2014_{machine}", f"linux_{machine}"]


def install_venv(venv: Path, target: str, wheel: Path, extra: str, arch: str) -> None:
    """A virtualenv for `target` (its final path) at venv: Debian's python3.11, and the wheel with its extra."""
    (venv / "bin").mkdir(parents=True)
    site = venv / "lib" / "python3.11" / "site-packages"
    for name in ("python3.11", "python3", "python"):
        (venv / "bin" / name).symlink_to(PYTHON if name == "python3.11" else "python3.11")
    (venv / "lib64").symlink_to("lib")
    (venv / "pyvenv.cfg").write_text(
        f"home = {Path(PYTHON).parent}\ninclude-system-site-packages = false\n"
        f"version = 3.11\nexecutable = {PYTHON}\ncommand = {PYTHON} -m venv {target}\n"
    )
    tags = [flag for tag in platform_tags(arch) for flag in ("--platform", tag)]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-compile",
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--implementation",
            "cp",
            "--abi",
            "cp311",
            *tags,
            "--target",
            str(site),
            f"{wheel}[{extra}]",
        ],
        check=True,
    )
    for script in (site / "bin").iterdir():  # pip --target puts the console scripts here, for its own Python
        lines = script.read_text().splitlines(keepends=True)
        script.write_text(f"#!{target}/bin/python\n" + "".join(lines[1:]))
        script.chmod(0o755)
        script.rename(venv / "bin" / script.name)
    (site / "bin").rmdir()


def compile_venv(stage: Path, venv: Path) -> None:
    """Byte-compile everything as it will stand on the board (paths, hashes): nothing is written under /opt."""
    # -x: PySide6 carries Jinja templates named *.tmpl.py, which are not Python and are never imported
    subprocess.run(
        [
            PYTHON,
            "-m",
            "compileall",
            "-q",
            "-j0",
            "-x",
            r"\.tmpl\.py$",
            "--invalidation-mode",
            "checked-hash",
            "-s",
            str(stage),
            "-p",
            "/",
            str(venv),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def copy(source: Path, target: Path, mode: int = 0o644) -> None:
    """One file into the package's tree."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(mode)


def lay_out(stage: Path, key: str, package: Package, version: str) -> None:
    """The unit, udev rule, alert rules, Mosquitto file and docs, and the commands on PATH (the site file comes from
    the platform's operator: the repository's examples are rehearsal files, with the demo keys, and stay there)."""
    deploy, docs = ROOT / "deploy", stage / "usr" / "share" / "doc" / package.name
    copy(
        deploy / "systemd" / f"{package.unit}.service", stage / "lib" / "systemd" / "system" / f"{package.unit}.service"
    )
    if key == "door":
        copy(
            deploy / "udev" / "99-officepass-gpio.rules",
            stage / "lib" / "udev" / "rules.d" / "99-officepass-gpio.rules",
        )
    share = stage / "usr" / "share" / package.name
    for name in ("officepass-alerts.yml", "officepass-alerts.test.yml"):
        copy(deploy / "prometheus" / name, share / "prometheus" / name)
    copy(deploy / "mosquitto" / "officepass.conf", share / "mosquitto" / "officepass.conf")
    for doc in sorted((ROOT / "docs").glob("*.md")):
        copy(doc, docs / doc.name)
    copy(ROOT / "README.md", docs / "README.md")
    (docs / "copyright").write_text(COPYRIGHT.format(package=package.name, venv=package.venv))
    with gzip.GzipFile(docs / "changelog.Debian.gz", "wb", mtime=0) as changelog:
        changelog.write(CHANGELOG.format(package=package.name, version=version).encode())
    bin_dir = stage / "usr" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / package.unit).symlink_to(f"{package.venv}/bin/{package.unit}")


def control_files(stage: Path, key: str, package: Package, version: str, arch: str) -> None:
    """DEBIAN/: control, the maintainer scripts from deploy/debian, and md5sums."""
    debian = stage / "DEBIAN"
    debian.mkdir()
    size = sum(path.lstat().st_size for path in stage.rglob("*") if path.is_file()) // 1024
    (debian / "control").write_text(
        f"Package: {package.name}\nVersion: {version}\nArchitecture: {arch}\n"
        "Maintainer: officepass-edge developers <edge@officepass.invalid>\n"
        f"Installed-Size: {size}\nDepends: {', '.join(package.depends)}\n"
        f"Recommends: {', '.join(package.recommends)}\nSection: net\nPriority: optional\n"
        f"Description: {package.summary}\n" + "".join(f" {line}\n" for line in package.description.splitlines())
    )
    values = {
        "PACKAGE": package.name,
        "UNIT": package.unit,
        "USER": package.user,
        "GROUPS": package.groups,
        "STATE": package.state,
        "VENV": package.venv,
        "PRIORITY": str(package.priority),
        "OTHER": package.other,
        "CONFIGURE": CONFIGURE[key],
    }
    for script in ("postinst", "prerm", "postrm"):
        text = (ROOT / "deploy" / "debian" / f"{script}.in").read_text()
        for name, value in values.items():
            text = text.replace(f"@{name}@", value)
        (debian / script).write_text(text)
        (debian / script).chmod(0o755)
    sums = [
        f"{hashlib.md5(path.read_bytes()).hexdigest()}  {path.relative_to(stage)}"
        for path in sorted(stage.rglob("*"))
        if path.is_file() and not path.is_symlink() and debian not in path.parents
    ]
    (debian / "md5sums").write_text("\n".join(sums) + "\n")


def normalise_modes(stage: Path) -> None:
    """Folders 755, files 644 or 755 when executable: what lintian and dpkg expect of a package's tree."""
    for path in stage.rglob("*"):
        if path.is_symlink():
            continue
        executable = path.is_dir() or path.stat().st_mode & stat.S_IXUSR
        path.chmod(0o755 if executable else 0o644)


def build(key: str, wheel: Path, out: Path, version: str, arch: str, work: Path, compression: str = "xz") -> Path:
    """One package, built in work and written to out."""
    package = PACKAGES[key]
    stage = work / package.name
    venv = stage / package.venv.lstrip("/")
    install_venv(venv, package.venv, wheel, package.extra, arch)
    compile_venv(stage, venv)  # bytecode is the same on every architecture
    lay_out(stage, key, package, version)
    normalise_modes(stage)
    control_files(stage, key, package, version, arch)
    target = out / f"{package.name}_{version}_{arch}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", str(stage), str(target)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return target


def host_arch() -> str:
    """This machine's Debian architecture name."""
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: officepass-edge
Comment: {package} carries a virtualenv in {venv}; each library in it keeps its own licence in its
 *.dist-info folder (lib/python3.11/site-packages).

Files: *
License: Apache-2.0
 On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.
"""
CHANGELOG = """{package} ({version}) bookworm; urgency=medium

  * Built by scripts/build_packages.py from the officepass-edge checkout.

 -- officepass-edge developers <edge@officepass.invalid>  Sun, 06 Dec 2026 00:00:00 +0900
"""


def main(argv: list[str] | None = None) -> int:
    """Build the packages asked for and print where each is."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", metavar="PACKAGE", help=f"{' and/or '.join(PACKAGES)} (default: both)")
    parser.add_argument("--arch", choices=list(ARCHES), default=host_arch())
    parser.add_argument("--version", default=project_version(), help="the packages' version (default: pyproject's)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--wheel", type=Path, help="use this wheel instead of building one from the checkout")
    parser.add_argument(
        "--compression",
        choices=["xz", "none"],
        default="xz",
        help="xz (default: the smallest) or none (the fastest, for tests)",
    )
    args = parser.parse_args(argv)
    unknown = set(args.packages) - set(PACKAGES)
    if unknown:
        parser.error(f"no package {', '.join(sorted(unknown))} (there are: {', '.join(PACKAGES)})")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="officepass-packages-") as temporary:
        work = Path(temporary)
        wheel = args.wheel or build_wheel(work)
        for key in args.packages or list(PACKAGES):
            print(build(key, wheel, args.out, args.version, args.arch, work, args.compression))
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
