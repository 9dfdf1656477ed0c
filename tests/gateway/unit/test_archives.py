"""Judge0's additional_files, unpacked safely: plain files come out; a path leaving the
directory, a link, a folder, too many entries or a zip bomb are refused, naming the entry."""

import io
import stat
import zipfile

import pytest

from gateway.domain.archives import UnsafeArchive, unpack


def _zip(*entries: tuple[str, bytes], link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
        if link is not None:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def test_plain_files_come_out_as_they_went_in() -> None:
    assert unpack(_zip(("data.txt", b"3 4\n"), ("words.csv", b"a,b\n"))) == [
        ("data.txt", b"3 4\n"),
        ("words.csv", b"a,b\n"),
    ]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (_zip(("../escape.txt", b"x")), "leaves"),
        (_zip(("/etc/cron.d/x", b"x")), "leaves"),
        (_zip(("a/../../b", b"x")), "leaves"),
        (_zip(("..\\..\\win.txt", b"x")), "leaves"),
        (_zip(link="passwd"), "link"),
        (_zip(("dir/inner.txt", b"x")), "folders"),
        (_zip((".hidden", b"x")), "plain file name"),
        (_zip(*((f"f{i}.txt", b"x") for i in range(21))), "entries"),
        (_zip(("bomb.txt", b"\0" * (9 * 1024 * 1024))), "over"),
        (b"not a zip at all", "not a zip"),
    ],
)
def test_an_unsafe_archive_is_refused_naming_why(data: bytes, says: str) -> None:
    with pytest.raises(UnsafeArchive, match=says):
        unpack(data)
