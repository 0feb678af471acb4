"""``pangea-archive``: Scrapy's command line with this package's settings, from any folder.

``pangea-archive crawl blog -a start_url=...`` is ``scrapy crawl blog ...`` run outside a
checkout (Scrapy finds a project through a ``scrapy.cfg`` in the folder or above it, or
through ``SCRAPY_SETTINGS_MODULE``; this sets the latter when neither is there).
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.cmdline import execute

    sys.argv[0] = "pangea-archive"
    execute()
    return 0


if __name__ == "__main__":
    sys.exit(main())
