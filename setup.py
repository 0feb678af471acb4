"""For ``scrapyd-deploy``, which builds an egg with ``setup.py bdist_egg``: everything it
needs (name, version, packages, the ``scrapy`` settings entry point) is in pyproject.toml."""

from setuptools import setup

setup()
