"""The built Whoosh index kept between starts, in the user's own cache folder, keyed by everything it is built from.

Building the index is most of a fresh process's start (about 0.3 s); reading a built one back is a few milliseconds.
A Whoosh index's table of contents is a pickle, so opening one runs whatever it says: never open an index from a place
others can write to. This folder is the user's own: it is created 0700 and used only while it belongs to this user and
nobody else can write to it, so only code already running as this user could have put an index there, and such code
needs no pickle to do harm. Anything else (another owner, loose permissions, a read-only or full disk) and the index is
built in memory, as without a cache.

Each index sits in its own folder, index-<key>, written whole under a temporary name and renamed into place: a reader
sees a complete index or none. Two processes starting at once may both build it; the first rename wins, the other keeps
its own in memory. A cached index is read into memory, so a folder removed later (a stale key's) breaks no one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from whoosh.filedb.filestore import FileStorage, RamStorage, copy_storage
from whoosh.index import Index

log = logging.getLogger("cmmi_bot.index")

PREFIX = "index-"
BUILDING = ".building-"
STALE_AFTER = 7 * 24 * 3600  # seconds: indexes of other keys (older versions, older hints) untouched this long are removed
ABANDONED_AFTER = 3600  # seconds: a half-built folder this old was left by a process that died while building


def cache_key(documents: Sequence[Mapping[str, object]], code: Path, whoosh_version: str) -> str:
    """A hash of what the index holds (the model's and hints' text, document by document), the index code that builds
    and reads it (every module in `code`), and the Whoosh version that writes its files."""
    digest = hashlib.sha256(whoosh_version.encode())
    for path in sorted(code.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for document in documents:
        digest.update(repr(sorted(document.items())).encode() + b"\0")
    return digest.hexdigest()[:32]


def private_folder(folder: Path) -> Path | None:
    """`folder`, created 0700 if missing; None unless it is a directory owned by this user that no one else can write to
    or enter (then nothing read from it can have been planted by someone else)."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.lstat()  # lstat: a symlink, even to a good folder, is refused
    except OSError as exc:
        log.info("index cache %s unusable (%s); building the index in memory", folder, exc.strerror or exc)
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        log.warning("index cache %s is not a folder of this user's alone (owner or permissions); building the index in memory", folder)
        return None
    return folder


def _read(path: Path) -> Index:
    """The index stored in `path`, copied into memory."""
    ram = RamStorage()
    copy_storage(FileStorage(str(path), readonly=True), ram)
    return ram.open_index()


def _write(index: Index, folder: Path) -> Path:
    """A copy of an in-memory index's files under a new temporary name in `folder`."""
    building = Path(tempfile.mkdtemp(prefix=BUILDING, dir=folder))
    try:
        copy_storage(index.storage, FileStorage(str(building)))
        for file in building.iterdir():
            with open(file, "rb") as f:  # on disk before the rename makes it visible
                os.fsync(f.fileno())
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return building


def cached(folder: Path, key: str, build: Callable[[], Index]) -> Index:
    """The index for `key`: read from `folder` when it is there, else built (in memory) and stored there for the next start.
    Falls back to the built index whenever the folder cannot be used; never raises for the folder's sake."""
    root = private_folder(folder)
    if root is None:
        return build()
    final = root / f"{PREFIX}{key}"
    if final.is_dir():
        try:
            index = _read(final)
            os.utime(final)  # in use: the sweep of stale keys goes by this time
            return index
        except Exception as exc:  # a damaged cache is rebuilt, never trusted
            log.warning("index cache %s unreadable (%s); building it again", final.name, type(exc).__name__)
            _remove(final)
    index = build()
    try:
        building = _write(index, root)
    except OSError as exc:
        log.info("could not keep the index in %s (%s); it stays in memory", root, exc.strerror or exc)
        return index
    try:
        os.rename(building, final)  # atomic; fails when another process put its copy there first, which is as good
    except OSError:
        shutil.rmtree(building, ignore_errors=True)
    _sweep(root, keep=final.name)
    return index


def _remove(path: Path) -> None:
    """Move aside, then delete: a reader never sees a half-deleted index under its real name."""
    aside = path.with_name(f"{BUILDING}gone-{path.name}-{os.getpid()}")
    try:
        os.rename(path, aside)
    except OSError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def _sweep(root: Path, keep: str) -> None:
    """Remove other keys' indexes unused for STALE_AFTER and half-built folders abandoned for ABANDONED_AFTER."""
    now = time.time()
    try:
        entries = list(root.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.name == keep:
            continue
        try:
            age = now - entry.lstat().st_mtime
        except OSError:
            continue
        if entry.name.startswith(PREFIX) and age > STALE_AFTER:
            _remove(entry)
        elif entry.name.startswith(BUILDING) and age > ABANDONED_AFTER:
            shutil.rmtree(entry, ignore_errors=True)
