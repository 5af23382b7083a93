"""The package as a user installs it: a wheel (not an editable checkout), used from a directory
that has no configs/ beside it."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The project's wheel, installed (without its dependencies, which are here) into a folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", str(ROOT), "-w", str(tmp)]
    subprocess.run(build, check=True, capture_output=True, cwd=tmp)
    (wheel,) = tmp.glob("cbow_torch-*.whl")
    target = tmp / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    return target


def run_installed(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_every_module_and_config_is_in_the_wheel(installed, tmp_path):
    code = (
        "import importlib, pkgutil, cbow_torch; "
        f"assert cbow_torch.__file__.startswith({str(installed)!r}), cbow_torch.__file__; "
        "[importlib.import_module(m.name) for m in "
        "pkgutil.walk_packages(cbow_torch.__path__, 'cbow_torch.') if 'configs' not in m.name]; "
        "from cbow_torch.train.configs import bundled; print(' '.join(bundled()))"
    )
    done = run_installed(installed, tmp_path, "-c", code)
    assert done.returncode == 0, done.stderr[-2000:]
    shipped = set(done.stdout.split())
    in_checkout = {
        str(p.relative_to(ROOT / "configs").with_suffix("")) for p in ROOT.glob("configs/**/*.yaml")
    }
    assert shipped == in_checkout


def test_an_installed_package_trains_a_bundled_config_from_any_directory(installed, tmp_path):
    fast = ["--trainer.max_steps=3", "--trainer.enable_progress_bar=false", "--threads.count=1"]
    done = run_installed(
        installed, tmp_path, "-m", "cbow_torch", "fit", "--config", "word2vec", *fast
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "runs" / "word2vec" / "version_0" / "embeddings.txt").is_file()
    code = (
        "from cbow_torch import fit; "
        "v = fit(config='word2vec', trainer__max_steps=3, threads=1, out_dir='py'); "
        "print(v.source, len(v))"
    )
    done = run_installed(installed, tmp_path, "-c", code)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2] == "W1"
    # no config: the bundled default, not the classes' own defaults
    done = run_installed(installed, tmp_path, "-m", "cbow_torch", "fit", "--print_config")
    assert done.returncode == 0 and "hidden: linear" in done.stdout
