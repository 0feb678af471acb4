"""For deploying to Scrapyd (``scrapyd-deploy`` builds an egg from this); pyproject.toml is the project's own description."""

from setuptools import find_packages, setup

setup(
    name="pangea-archive",
    version="0.1.0",
    packages=find_packages(include=["crawler", "crawler.*"]),
    entry_points={"scrapy": ["settings = crawler.settings"]},
)
