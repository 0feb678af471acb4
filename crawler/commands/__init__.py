"""Project commands. ``crawl`` replaces Scrapy's own to give honest exit statuses."""
