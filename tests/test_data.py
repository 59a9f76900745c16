"""The data loader: verified copies load; anything else fails clearly and leaves nothing behind."""

import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pandas as pd
import pytest

from utils import data
from utils.data import DataError

SHARED = Path(data.REPO_ROOT).parent / "shared" / "data"


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A mirror folder holding verified copies (from the repo's own fetched data)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    for ds in data.manifest().values():
        shutil.copyfile(data.fetch(ds.name), folder / ds.filename)
    monkeypatch.setenv(data.MIRROR_ENV, str(folder))
    return folder


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv(data.DATA_DIR_ENV, str(folder))
    return folder


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_good_files_load_with_expected_shape_and_columns(mirror, data_dir):
    wine = data.load_red_wine()
    songs = data.load_spotify()
    assert wine.shape == (1599, 12)
    assert list(wine.columns)[:2] == ["fixed acidity", "volatile acidity"]
    assert wine["quality"].between(3, 8).all()
    assert round(wine["quality"].mean(), 3) == 5.636
    assert songs.shape == (32833, 23)
    assert songs["track_popularity"].dtype.kind == "i"
    assert leftovers(data_dir) == ["spotify_songs.csv", "winequality-red.csv"]


def test_second_load_uses_the_cache(mirror, data_dir):
    data.load_red_wine()
    (mirror / "winequality-red.csv").unlink()  # the mirror is no longer needed
    assert data.load_red_wine().shape == (1599, 12)


def test_same_content_with_other_line_endings_passes(mirror, data_dir):
    wine = mirror / "winequality-red.csv"
    wine.write_bytes(wine.read_bytes().replace(b"\n", b"\r\n"))
    assert data.file_checksum(wine) != data.dataset("red_wine").file_sha256
    assert data.load_red_wine().shape == (1599, 12)


def _damage(mirror: Path, how: str) -> None:
    wine = mirror / "winequality-red.csv"
    raw = wine.read_bytes()
    if how == "truncated":
        wine.write_bytes(raw[: len(raw) // 2])
    elif how == "altered value":  # one density 0.9978 -> 0.9979: same shape, wrong content
        wine.write_bytes(raw.replace(b";0.9978;", b";0.9979;", 1))
    elif how == "wrong file":
        shutil.copyfile(mirror / "spotify_songs.csv", wine)
    elif how == "other table":  # parses fine, but it is not this dataset
        wine.write_text("a;b;c\n" + "1;2;3\n" * 1599)
    elif how == "empty":
        wine.write_bytes(b"")
    elif how == "binary":
        wine.write_bytes(bytes(range(256)) * 50)


@pytest.mark.parametrize("how, reason", [
    ("truncated", "rows instead of 1599"),
    ("altered value", "values differ"),
    ("wrong file", "cannot be read"),
    ("other table", "wrong columns"),
    ("empty", "cannot be read"),
    ("binary", "cannot be read"),
])
def test_bad_download_raises_clear_error_and_saves_nothing(mirror, data_dir, how, reason):
    _damage(mirror, how)
    with pytest.raises(DataError) as caught:
        data.load_red_wine()
    message = str(caught.value)
    assert reason in message
    assert "Red Wine Quality" in message and str(mirror) in message
    assert data.MIRROR_ENV in message  # says how to fix it
    assert leftovers(data_dir) == []


def test_missing_file_in_mirror_raises_clear_error(mirror, data_dir):
    (mirror / "spotify_songs.csv").unlink()
    with pytest.raises(DataError, match="spotify_songs.csv") as caught:
        data.load_spotify()
    assert data.MIRROR_ENV in str(caught.value)
    assert leftovers(data_dir) == []


def test_offline_without_mirror_raises_clear_error(data_dir, monkeypatch):
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    unreachable = dict(data.manifest())
    unreachable["red_wine"] = data.Dataset(**{**unreachable["red_wine"].__dict__,
                                              "url": "http://127.0.0.1:9/winequality-red.csv"})
    monkeypatch.setattr(data, "manifest", lambda: unreachable)
    with pytest.raises(DataError) as caught:
        data.load_red_wine()
    message = str(caught.value)
    assert "could not be fetched" in message and "127.0.0.1:9" in message
    assert "Connect to the internet" in message and data.MIRROR_ENV in message
    assert leftovers(data_dir) == []


def test_damaged_cache_is_replaced_from_a_good_mirror(mirror, data_dir):
    data.load_red_wine()
    cached = data_dir / "winequality-red.csv"
    cached.write_bytes(cached.read_bytes()[:1000])
    assert data.load_red_wine().shape == (1599, 12)
    assert data.problems(cached, data.dataset("red_wine")) == []


def test_damaged_cache_with_bad_mirror_names_both_problems(mirror, data_dir):
    data.load_red_wine()
    cached = data_dir / "winequality-red.csv"
    cached.write_bytes(cached.read_bytes()[:1000])
    _damage(mirror, "truncated")
    with pytest.raises(DataError) as caught:
        data.load_red_wine()
    assert str(cached) in str(caught.value) and str(mirror) in str(caught.value)
    assert leftovers(data_dir) == ["winequality-red.csv"]  # no temporary files


def test_recovers_once_the_mirror_is_fixed(mirror, data_dir, tmp_path):
    good = tmp_path / "good.csv"
    shutil.copyfile(mirror / "winequality-red.csv", good)
    _damage(mirror, "truncated")
    with pytest.raises(DataError):
        data.load_red_wine()
    shutil.copyfile(good, mirror / "winequality-red.csv")
    assert data.load_red_wine().shape == (1599, 12)


def test_mirror_url_over_http(mirror, data_dir, monkeypatch):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(mirror))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv(data.MIRROR_ENV, f"http://127.0.0.1:{server.server_address[1]}/")
        assert data.load_red_wine().shape == (1599, 12)
        (mirror / "spotify_songs.csv").unlink()
        with pytest.raises(DataError, match="404|Not Found"):
            data.load_spotify()
    finally:
        server.shutdown()
    assert leftovers(data_dir) == ["winequality-red.csv"]


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(DataError, match="red_wine, spotify"):
        data.load("mnist")


def test_data_dir_that_is_not_a_directory(mirror, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv(data.DATA_DIR_ENV, str(blocker / "data"))
    with pytest.raises(DataError, match="Red Wine Quality"):
        data.load_red_wine()


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs the shared verified copies")
def test_manifest_matches_the_shared_verified_copies():
    for ds in data.manifest().values():
        assert data.file_checksum(SHARED / ds.filename) == ds.file_sha256
        assert data.problems(SHARED / ds.filename, ds) == []


def test_cli_fetch_reports_errors_without_traceback(mirror, data_dir, capsys):
    _damage(mirror, "wrong file")
    assert data.main(["fetch", "red_wine"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_loader_returns_plain_dataframe(mirror, data_dir):
    assert isinstance(data.load_red_wine(), pd.DataFrame)


# ---------------------------------------------------------------- a mirror that is down, an unreadable folder

def test_mirror_folder_missing_raises_clear_error(data_dir, tmp_path, monkeypatch):
    gone = tmp_path / "unmounted-share"
    monkeypatch.setenv(data.MIRROR_ENV, str(gone))
    with pytest.raises(DataError) as caught:
        data.load_red_wine()
    assert str(gone) in str(caught.value) and data.MIRROR_ENV in str(caught.value)
    assert leftovers(data_dir) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(folder: Path, port: int = 0, handler_class=http.server.SimpleHTTPRequestHandler):
    handler = functools.partial(handler_class, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_http_mirror_refusing_connections_then_back(mirror, data_dir, monkeypatch):
    port = _free_port()  # nothing listens there: connections are refused
    monkeypatch.setenv(data.MIRROR_ENV, f"http://127.0.0.1:{port}/")
    with pytest.raises(DataError) as caught:
        data.load_red_wine()
    message = str(caught.value)
    assert "could not be fetched" in message and f"127.0.0.1:{port}" in message
    assert data.MIRROR_ENV in message
    assert leftovers(data_dir) == []
    server = _serve(mirror, port)  # the mirror is back: the next run just works
    try:
        assert data.load_red_wine().shape == (1599, 12)
    finally:
        server.shutdown()
        server.server_close()
    assert leftovers(data_dir) == ["winequality-red.csv"]


class _CutOffHandler(http.server.SimpleHTTPRequestHandler):
    """Announces the whole file, sends half of it, and hangs up."""

    def do_GET(self):
        body = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True


def test_download_cut_off_half_way_leaves_nothing_half_written(mirror, data_dir, monkeypatch):
    server = _serve(mirror, handler_class=_CutOffHandler)
    try:
        monkeypatch.setenv(data.MIRROR_ENV, f"http://127.0.0.1:{server.server_address[1]}/")
        with pytest.raises(DataError, match="Red Wine Quality"):
            data.load_red_wine()
    finally:
        server.shutdown()
        server.server_close()
    assert leftovers(data_dir) == []
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    assert data.load_red_wine().shape == (1599, 12)


LOAD_AS_ANOTHER_USER = """
import json, sys
from utils import data
try:
    print(json.dumps({"shape": list(data.load_red_wine().shape)}))
except data.DataError as err:
    print(json.dumps({"error": str(err)}))
"""


def _load_as_unprivileged_user(data_folder: Path, mirror_folder: Path) -> dict:
    """Load in a child process that file permissions apply to (root ignores them)."""
    env = {**os.environ, data.DATA_DIR_ENV: str(data_folder), data.MIRROR_ENV: str(mirror_folder)}
    command = [sys.executable, "-c", LOAD_AS_ANOTHER_USER]
    if os.geteuid() == 0:  # drop root's power over permissions in a user namespace
        if shutil.which("bwrap") is None:
            pytest.skip("running as root without bubblewrap: file permissions cannot be tested")
        command = ["bwrap", "--die-with-parent", "--unshare-user", "--uid", "65534", "--gid", "65534",
                   "--dev-bind", "/", "/", *command]
    done = subprocess.run(command, env=env, cwd="/", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_unreadable_data_directory_raises_clear_error_then_recovers(mirror):
    """A data folder the user may not read or write (mode 000): a clear error naming the
    folder and the setting to change, nothing written; once fixed, the next run works."""
    base = Path(tempfile.mkdtemp())
    try:
        shared = base / "mirror"
        shutil.copytree(mirror, shared)
        folder = base / "data"
        folder.mkdir(mode=0o000)
        folder.chmod(0o000)
        got = _load_as_unprivileged_user(folder, shared)
        assert "error" in got, got
        assert "no permission" in got["error"] and str(folder) in got["error"]
        assert data.DATA_DIR_ENV in got["error"]  # says how to fix it
        assert leftovers(folder) == []
        folder.chmod(0o777)  # fixed: the next run fetches and verifies
        assert _load_as_unprivileged_user(folder, shared) == {"shape": [1599, 12]}
        assert leftovers(folder) == ["winequality-red.csv"]
    finally:
        if (base / "data").exists():
            (base / "data").chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)
