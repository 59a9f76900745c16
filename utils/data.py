"""Fetch, verify and load the course datasets.

Files are described in ``data/manifest.toml`` and land in ``data/``. pooch does
the downloading: it writes to a temporary file beside the target and moves it
into place only after our verification passed, so ``data/`` never holds a
half-written or unverified file.

Where files come from:
- by default, the upstream URLs in the manifest;
- if ``COURSE_DATA_MIRROR`` is set, from that folder or base URL instead
  (CI points it at a folder of verified copies).
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pooch

MIRROR_ENV = "COURSE_DATA_MIRROR"
DATA_DIR_ENV = "COURSE_DATA_DIR"

from utils import REPO_ROOT  # noqa: E402
MANIFEST = REPO_ROOT / "data" / "manifest.toml"


class DataError(RuntimeError):
    """A dataset is missing, unreachable or fails verification."""


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    filename: str
    url: str
    licence: str
    citation: str
    separator: str
    rows: int
    columns: int
    column_names: tuple[str, ...]
    file_sha256: str
    content_sha256: str


def manifest() -> dict[str, Dataset]:
    with MANIFEST.open("rb") as f:
        raw = tomllib.load(f)
    return {
        name: Dataset(name=name, **{**entry, "column_names": tuple(entry["column_names"])})
        for name, entry in raw.items()
    }


def dataset(name: str) -> Dataset:
    known = manifest()
    if name not in known:
        raise DataError(f"Unknown dataset {name!r}; the course has: {', '.join(known)}.")
    return known[name]


def data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or REPO_ROOT / "data")


# ---------------------------------------------------------------- verification

def file_checksum(path: Path) -> str:
    return pooch.file_hash(str(path), alg="sha256")


def _read_as_text(path: Path, separator: str) -> pd.DataFrame:
    """The table with every cell as text, for checks independent of dtypes."""
    return pd.read_csv(path, sep=separator, dtype=str, keep_default_na=False, encoding="utf-8")


def content_checksum(table: pd.DataFrame) -> str:
    """sha256 of the table's header and cells, whitespace-trimmed.

    Independent of line endings and trailing spaces, so an upstream copy that
    differs from ours only in those passes; any changed value does not.
    """
    trimmed = table.rename(columns=str.strip).apply(lambda column: column.str.strip())
    text = trimmed.to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_ALL)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def problems(path: Path, ds: Dataset) -> list[str]:
    """What is wrong with the file at ``path`` as a copy of ``ds``; empty if it is good."""
    if file_checksum(path) == ds.file_sha256:
        return []  # the exact verified bytes: no need to parse
    try:
        table = _read_as_text(path, ds.separator)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        return [f"it cannot be read as a {ds.separator!r}-separated UTF-8 table ({str(err).strip()})"]
    found = []
    names = tuple(c.strip() for c in table.columns)
    if names != ds.column_names:
        missing = [c for c in ds.column_names if c not in names]
        detail = f"missing {missing[:3]}" if missing else f"found {list(names)[:4]}..."
        found.append(f"it has the wrong columns ({len(names)} instead of {ds.columns}; {detail})")
    if len(table) != ds.rows:
        found.append(f"it has {len(table)} rows instead of {ds.rows}")
    if not found and content_checksum(table) != ds.content_sha256:
        found.append("its values differ from the verified copy (content checksum mismatch)")
    return found


# ---------------------------------------------------------------- fetching

def _how_to_fix(ds: Dataset) -> str:
    return (
        f"Connect to the internet and re-run, or set {MIRROR_ENV} to a folder or URL "
        f"holding a verified {ds.filename} (see data/README.md)."
    )


def _source(ds: Dataset) -> tuple[str, object]:
    """The URL or path to fetch ``ds`` from, and the pooch downloader for it."""
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    if not mirror:
        return ds.url, pooch.HTTPDownloader(progressbar=False, timeout=60)
    if mirror.startswith(("http://", "https://", "ftp://")):
        return f"{mirror.rstrip('/')}/{ds.filename}", pooch.HTTPDownloader(progressbar=False, timeout=60)
    source = Path(mirror).expanduser() / ds.filename

    def copy_from_folder(url, output_file, _pooch):
        shutil.copyfile(url, output_file)

    return str(source), copy_from_folder


def _verifying(downloader, ds: Dataset, source: str):
    """Wrap a pooch downloader so the temporary file is verified before pooch
    moves it into data/. Raising here makes pooch delete the temporary file."""

    def download(url, output_file, pooch_instance):
        downloader(url, output_file, pooch_instance)
        found = problems(Path(output_file), ds)
        if found:
            raise DataError(
                f"The {ds.title} file fetched from {source} is not the verified copy: "
                f"{'; '.join(found)}. Nothing was saved. {_how_to_fix(ds)}"
            )

    return download


def fetch(name: str) -> Path:
    """Make sure a verified copy of dataset ``name`` is in data/; return its path."""
    ds = dataset(name)
    target = data_dir() / ds.filename
    bad_copy = ""
    try:
        if target.exists():
            found = problems(target, ds)
            if not found:
                return target
            bad_copy = f"The copy at {target} is damaged: {'; '.join(found)}."
        source, downloader = _source(ds)
        pooch.get_logger().setLevel("WARNING")  # pooch logs to stderr at INFO
        tmp_name = f".tmp-{ds.filename}"
        (target.parent / tmp_name).unlink(missing_ok=True)  # never trust a leftover
        pooch.retrieve(
            url=source,
            known_hash=None,
            fname=tmp_name,
            path=str(target.parent),
            downloader=_verifying(downloader, ds, source),
        )
        # pooch has moved the verified temporary into place under tmp_name;
        # an atomic rename makes it the real file.
        os.replace(target.parent / tmp_name, target)
        target.chmod(0o644)  # pooch's temporary files are private; data is not
        return target
    except DataError as err:
        raise DataError(f"{bad_copy} {err}".strip()) from None
    except FileNotFoundError as err:
        raise DataError(
            f"{ds.title} is not in {target.parent} and could not be fetched: "
            f"{err.filename or err} does not exist. {_how_to_fix(ds)}"
        ) from None
    except PermissionError as err:
        raise DataError(
            f"{ds.title}: no permission to read or write {err.filename or target.parent}. "
            f"Make {target.parent} readable and writable, or set {DATA_DIR_ENV} to a folder that is."
        ) from None
    except Exception as err:  # network errors from requests, OSError, ...
        raise DataError(
            f"{ds.title} could not be fetched from {_source(ds)[0]} into {target.parent} "
            f"({type(err).__name__}: {err}). {_how_to_fix(ds)}"
        ) from None


def load(name: str) -> pd.DataFrame:
    """The verified dataset ``name`` as a DataFrame, fetching it on first use."""
    ds = dataset(name)
    path = fetch(name)
    return pd.read_csv(path, sep=ds.separator)


def load_red_wine() -> pd.DataFrame:
    """Red Wine Quality: 1599 wines, 11 physicochemical inputs and ``quality``."""
    return load("red_wine")


def load_spotify() -> pd.DataFrame:
    """Spotify Songs: 32833 tracks, 23 columns as in TidyTuesday."""
    return load("spotify")


def main(argv: list[str] | None = None) -> int:
    """``python -m utils.data fetch`` fetches every dataset;
    ``python -m utils.data checksum NAME FILE`` prints the manifest checksums of FILE."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["checksum"] and len(args) == 3:
        ds = dataset(args[1])
        path = Path(args[2])
        print(f'file_sha256 = "{file_checksum(path)}"')
        print(f'content_sha256 = "{content_checksum(_read_as_text(path, ds.separator))}"')
        return 0
    if args[:1] == ["fetch"]:
        names = args[1:] or list(manifest())
        try:
            for name in names:
                print(f"{name}: {fetch(name)} verified")
        except DataError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    print(main.__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
