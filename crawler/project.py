"""The Scrapy settings module ``scrapy.cfg`` names, so Scrapy's own commands (``scrapy list``,
``scrapy crawl reports -a source=ID``) run gongkai's spider with exactly the settings
``gongkai crawl`` builds: from the config in ``$GONGKAI_CONFIG`` (else ./gongkai.toml)."""

from __future__ import annotations

import os

from gongkai.crawler.config import load_config
from gongkai.crawler.settings import scrapy_settings

globals().update(scrapy_settings(load_config(os.environ.get("GONGKAI_CONFIG"), os.environ)))
SPIDER_MODULES = ["gongkai.crawler.spiders"]
NEWSPIDER_MODULE = "gongkai.crawler.spiders"
