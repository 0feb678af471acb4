"""What users deploy is the product alone: the wheel holds ``crawler`` and nothing of the
tools beside it (the replica, the benchmarks, the demo, the golden-file tool, the tests).
The Scrapyd egg is checked the same way in ``test_scrapyd.py``."""

import re
import shutil
import subprocess
import sys
import zipfile

from .conftest import ROOT


def test_the_wheel_holds_only_the_product(tmp_path):
    project = tmp_path / "project"
    for folder in ("crawler", "devtools", "tests"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__", "artifacts"))
    for name in ("setup.py", "pyproject.toml", "README.md", "scrapy.cfg"):
        shutil.copy(ROOT / name, project / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(tmp_path / "dist"), str(project)],
        capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert {name.split("/")[0] for name in names} == {"crawler", "pangea_archive-0.1.0.dist-info"}
    assert "crawler/spiders/blog.py" in names and "crawler/settings.py" in names
    assert not [name for name in names if TOOLS.search(name)]


# The tools' modules, wherever they would sit.
TOOLS = re.compile(r"(^|/)(replica|bench\w*|demo|savefixture|replica_settings|conftest|test_\w+)(/|\.py$)")
