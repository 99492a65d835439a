# The Scrapy side of `make bench-peers`: crawls the bookstore site from its
# index, following same-host links, and extracts each page's title and
# price (what scrape's --field does), at 100 requests in flight.
#   scrapy runspider bookspider.py -a start=URL -O items.jsonl
from urllib.parse import urlsplit

from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class BookSpider(CrawlSpider):
    name = "books"
    custom_settings = {
        "CONCURRENT_REQUESTS": 100,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 100,
        "CONCURRENT_REQUESTS_PER_IP": 0,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }

    def __init__(self, start, *args, **kwargs):
        self.start_urls = [start]
        self.allowed_domains = [urlsplit(start).hostname]
        self.rules = (
            # Same host: the offsite middleware checks allowed_domains
            # (LinkExtractor's allow_domains would compare host:port).
            Rule(LinkExtractor(), callback="parse_item", follow=True),
        )
        super().__init__(*args, **kwargs)

    def parse_start_url(self, response):
        return self.parse_item(response)

    def parse_item(self, response):
        yield {
            "url": response.url,
            "title": response.css("title::text").get(),
            "price": response.css("p.price::text").get(),
        }
