"""Writing files so that a crash never loses the previous version.

A file opened with "w" is truncated at once: a save that dies half-way (disk full, a kill, an
exception while serialising) leaves a broken file where a good one was. Here the new content
goes to a temporary file in the same folder, is flushed to disk, and only then takes the
destination's name with `os.replace`, which is atomic: a reader sees the old file or the new
one, never a mixture.

The new file behaves as if written in place: a read-only file is refused with PermissionError
(as `open(path, "w")` would refuse it) and left as it was, a symbolic link is written through to
its target (the link stays a link), and the permissions of the file replaced are kept. Any
error names the file being written, not the temporary one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def replaced_atomically(path: str | os.PathLike[str]) -> Iterator[str]:
    """Yield a temporary path beside `path`; when the block succeeds it replaces `path`.

    If the block raises, the temporary file is removed and `path` is left untouched.
    """
    path = os.fspath(path)
    if os.path.islink(path):  # write through the link, as editors do: the link stays, its target changes
        path = os.path.realpath(path)
    if os.path.exists(path):  # asked as open(path, "w") asks, without changing the file: may we write it?
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: the folder {folder!r} does not exist")
    stem, ext = os.path.splitext(os.path.basename(path))
    handle, temporary = tempfile.mkstemp(prefix=f".{stem}.", suffix=f"{ext}.tmp", dir=folder)
    os.close(handle)
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        if isinstance(error, OSError) and error.filename in (None, temporary):
            raise type(error)(error.errno, f"{error.strerror}{_limit_note(error)}", path) from error
        raise


def _limit_note(error: OSError) -> str:
    """Why a write may have failed, when a limit of this process explains it."""
    if error.errno == errno.EFBIG:
        return " (the file size limit of this process, ulimit -f, was reached; the previous file is kept)"
    return ""


def write_text_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` (UTF-8) to `path`, replacing any previous file only once it is complete."""
    with replaced_atomically(path) as temporary:
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(text)


def _mode_for(path: str) -> int:
    """The permissions the file should get: those of the file it replaces, or what `open` would
    give a new one (0o666 less the umask), not the private 0o600 of a temporary file."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
