"""The package installs offline into a virtual environment that sees Debian's packages, and the
installed copy (module, library scenarios) works outside the build tree."""

import os
import shutil
import subprocess
import sys

import pytest

SOURCE = os.environ.get("RMQSIM_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("RMQSIM_BUILD_DIR", "")


@pytest.mark.skipif(not BUILD, reason="RMQSIM_BUILD_DIR (an existing build tree) is not set")
def test_pip_install_offline(tmp_path):
    src = tmp_path / "python"
    shutil.copytree(os.path.join(SOURCE, "python"), src,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)],
                   check=True)
    env = dict(os.environ, RMQSIM_SOURCE_DIR=os.path.abspath(SOURCE),
               RMQSIM_BUILD_DIR=os.path.abspath(BUILD))
    env.pop("PYTHONPATH", None)
    env.pop("RMQSIM_LIBRARY", None)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--no-build-isolation", "--no-index",
                    "--quiet", str(src)], check=True, env=env, cwd=tmp_path)
    code = ("import rmqsim; print(rmqsim.__file__); "
            "s = rmqsim.Simulation.from_file(rmqsim.library('idle'), seed=2, "
            "overrides={'phases.chaos': '1m'}); print(s.result().ok)")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], check=True, env=env,
                         cwd=tmp_path, capture_output=True, text=True).stdout.split()
    assert out[0].startswith(str(venv)), out
    assert out[1] == "True", out
