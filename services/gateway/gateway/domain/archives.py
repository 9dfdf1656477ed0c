"""Judge0's `additional_files`: a zip unpacked into plain files beside the program, safely — no
path that leaves the directory (`../`, absolute, a drive or backslash), no links, no folders (the
program's directory is flat here), a bounded number of entries and of bytes, read within the bound
whatever an entry's header claims (a zip bomb stops at the limit). Pure: bytes in, files out."""

import io
import re
import stat
import zipfile

from gradeflow_shared.events import RUN_FILE_NAME

MAX_ENTRIES = 20  # as many as a run carries (schemas.MAX_RUN_FILES)
MAX_BYTES = 8 * 1024 * 1024


class UnsafeArchive(ValueError):
    pass


def unpack(
    data: bytes, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES
) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise UnsafeArchive(f"not a zip archive: {exc}") from None
    if len(entries) > max_entries:
        raise UnsafeArchive(f"{len(entries)} entries, over {max_entries}")
    files: list[tuple[str, bytes]] = []
    total = 0
    for entry in entries:
        name = entry.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise UnsafeArchive(f"{name!r} leaves the program's directory")
        if stat.S_ISLNK(entry.external_attr >> 16):
            raise UnsafeArchive(f"{name!r} is a link")
        if entry.is_dir() or "/" in name or "\\" in name:
            raise UnsafeArchive(f"{name!r}: folders are not supported, only files beside the program")
        if not re.fullmatch(RUN_FILE_NAME, name):
            raise UnsafeArchive(f"{name!r} is not a plain file name")
        with archive.open(entry) as f:
            content = f.read(max_bytes - total + 1)
        total += len(content)
        if total > max_bytes:
            raise UnsafeArchive(f"the files take over {max_bytes} bytes")
        files.append((name, content))
    return files
