"""File names that come from an archive, a WARC file or a setting are input: before a file
is opened or made by such a name, it is checked to lie inside its folder."""

from __future__ import annotations

from pathlib import Path


class UnsafePath(ValueError):
    """A name that would lead outside its folder (or is no file name at all)."""


def file_in(folder: Path, name) -> Path:
    """``folder / name``, when ``name`` is a plain file name (no folder part, no ``..``, not
    absolute) and the file, if it is there, is no symbolic link out of ``folder``;
    ``UnsafePath`` says why not."""
    if not isinstance(name, str) or not name or name in (".", "..") or any(c in name for c in "/\\\0"):
        raise UnsafePath(f"{name!r} is not a file name in {folder}")
    path = folder / name
    if path.is_symlink():
        target = path.resolve()
        if target.parent != folder.resolve():
            raise UnsafePath(f"{name!r} in {folder} is a link to a file elsewhere")
    return path
