"""A PEP 517 build backend for a package written by `polc build --package`: standard library
only, so `pip install --no-index DIR` builds and installs it with nothing downloaded.

polc copies this file, as it is, into the package folder as `_polc_backend.py`; pyproject.toml
names it (`backend-path = ["."]`) and holds the package's name and version. The wheel holds
the one import package beside this file (its name is the distribution's), and is the same
bytes for the same files: entries in sorted order, with a fixed date.
"""

import base64
import hashlib
import io
import os
import tarfile
import tomllib
import zipfile

_HERE = os.path.dirname(os.path.abspath(__file__))
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip file can hold: the wheel does not depend on when it was built


def _project():
    with open(os.path.join(_HERE, "pyproject.toml"), "rb") as stream:
        project = tomllib.load(stream)["project"]
    return project["name"], project["version"], project.get("description", ""), project.get("requires-python", "")


def _metadata():
    name, version, summary, python = _project()
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", f"Summary: {summary}"]
    if python:
        lines.append(f"Requires-Python: {python}")
    return "\n".join(lines) + "\n"


def _wheel_file():
    return "Wheel-Version: 1.0\nGenerator: polc\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _package_files(name):
    """(path in the wheel, bytes) of every file of the import package, sorted."""
    found = []
    for folder, subfolders, files in os.walk(os.path.join(_HERE, name)):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for file in files:
            path = os.path.join(folder, file)
            if file.endswith((".pyc", ".tmp")):
                continue
            with open(path, "rb") as stream:
                found.append((os.path.relpath(path, _HERE).replace(os.sep, "/"), stream.read()))
    return sorted(found)


def _dist_info(name, version):
    return f"{name}-{version}.dist-info"


def _write_wheel(wheel_directory, entries):
    name, version, _summary, _python = _project()
    info = _dist_info(name, version)
    entries = [*entries, (f"{info}/METADATA", _metadata().encode("utf-8")),
               (f"{info}/WHEEL", _wheel_file().encode("utf-8"))]
    record = []
    for path, data in entries:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    entries.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode("utf-8")))
    wheel_name = f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in entries:
            entry = zipfile.ZipInfo(path, _FIXED_DATE)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(entry, data)
    return wheel_name


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    name, version, _summary, _python = _project()
    info = os.path.join(metadata_directory, _dist_info(name, version))
    os.makedirs(info, exist_ok=True)
    with open(os.path.join(info, "METADATA"), "w", encoding="utf-8") as stream:
        stream.write(_metadata())
    with open(os.path.join(info, "WHEEL"), "w", encoding="utf-8") as stream:
        stream.write(_wheel_file())
    return _dist_info(name, version)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = _project()[0]
    return _write_wheel(wheel_directory, _package_files(name))


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """An editable install: a .pth file putting this folder on sys.path."""
    name, version, _summary, _python = _project()
    return _write_wheel(wheel_directory, [(f"_{name}_editable.pth", (_HERE + "\n").encode("utf-8"))])


def build_sdist(sdist_directory, config_settings=None):
    name, version, _summary, _python = _project()
    base = f"{name}-{version}"
    sdist_name = f"{base}.tar.gz"
    files = [("pyproject.toml", None), ("_polc_backend.py", None), *_package_files(name)]
    with tarfile.open(os.path.join(sdist_directory, sdist_name), "w:gz", format=tarfile.PAX_FORMAT) as archive:
        for path, data in files:
            if data is None:
                with open(os.path.join(_HERE, path), "rb") as stream:
                    data = stream.read()
            entry = tarfile.TarInfo(f"{base}/{path}")
            entry.size, entry.mode, entry.mtime = len(data), 0o644, 0
            archive.addfile(entry, io.BytesIO(data))
        metadata = _metadata().encode("utf-8")
        entry = tarfile.TarInfo(f"{base}/PKG-INFO")
        entry.size, entry.mode, entry.mtime = len(metadata), 0o644, 0
        archive.addfile(entry, io.BytesIO(metadata))
    return sdist_name
