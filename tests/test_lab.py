"""The main job: `make lab` brings up JupyterLab serving the course."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from utils import REPO_ROOT as ROOT  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab`, exactly as the README says, with a fixed port and token added."""
    port, token = free_port(), "course-test-token"
    home = tmp_path_factory.mktemp("home")
    lab_args = f"--no-browser --port={port} --ip=127.0.0.1 --IdentityProvider.token={token}"
    server = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_ARGS={lab_args}"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "HOME": str(home)},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            get(f"{base}/api/status?token={token}")
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                os.killpg(server.pid, signal.SIGKILL)
                pytest.fail("`make lab` did not bring up JupyterLab within 120 s")
            time.sleep(0.5)
    yield base, token
    os.killpg(server.pid, signal.SIGTERM)  # make and the jupyter server it started
    server.wait(timeout=30)


def test_lab_page_is_served(lab):
    base, token = lab
    status, body = get(f"{base}/lab?token={token}")
    assert status == 200 and b"JupyterLab" in body


def test_contents_api_lists_the_course_folders(lab):
    base, token = lab
    _, body = get(f"{base}/api/contents?token={token}")
    names = {entry["name"] for entry in json.loads(body)["content"]}
    assert {"lessons", "exercises", "solutions", "utils", "data"} <= names


def test_contents_api_lists_lessons(lab):
    base, token = lab
    _, body = get(f"{base}/api/contents/lessons?token={token}")
    listing = json.loads(body)
    assert listing["type"] == "directory"
    assert any(entry["name"].endswith(".ipynb") for entry in listing["content"])


def test_setup_enables_exactly_the_nbgrader_plugins_the_course_uses():
    from utils.lab_extensions import DISABLED, ENABLED

    listing = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"],
                             capture_output=True, text=True, check=True)
    text = listing.stdout + listing.stderr
    disabled_part = text.split("Disabled extensions:", 1)[1] if "Disabled extensions:" in text else ""
    disabled = {line.strip() for line in disabled_part.splitlines() if line.strip().startswith("@jupyter/nbgrader:")}
    assert disabled == {f"@jupyter/nbgrader:{name}" for name in DISABLED}
    assert not any(f"@jupyter/nbgrader:{name}" in disabled for name in ENABLED)


def test_setup_turns_off_the_jupyter_news_popup():
    """JupyterLab 4 asks "get notified about official Jupyter news?" in a pop-up over every
    page until someone answers; `make setup` answers "no" for the environment."""
    from jupyter_server.services.config.manager import ConfigManager

    from utils.lab_extensions import QUIET_SETTINGS

    overrides = ConfigManager(config_dir_name="labconfig").get("default_setting_overrides")
    notification = overrides.get("@jupyterlab/apputils-extension:notification", {})
    assert notification == QUIET_SETTINGS["@jupyterlab/apputils-extension:notification"]
    assert notification["fetchNews"] == "false"
