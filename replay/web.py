"""The replay web at one moment of the scenario clock: one Site per portal, looked up by host."""

from __future__ import annotations

import functools
import importlib

from replay.content import Portal, load_portals
from replay.sites.base import Site

# platform name in a portal YAML -> "module:class" of its Site
PLATFORMS = {
    "trs_hy": "replay.sites.trs:TrsSite",
    "trs_wcm": "replay.sites.trs:TrsWcmSite",
    "hanweb": "replay.sites.hanweb:HanwebSite",
    "pageadmin": "replay.sites.pageadmin:PageAdminSite",
    "destoon": "replay.sites.destoon:DestoonSite",
    "discuz": "replay.sites.discuz:DiscuzSite",
    "innocom": "replay.sites.innocom:InnocomSite",
}


def site_class(platform: str) -> type[Site]:
    module, _, name = PLATFORMS[platform].partition(":")
    return getattr(importlib.import_module(module), name)


class Web:
    def __init__(self, day: int = 0, extra_hosts: int = 0) -> None:
        self.day = day
        self.sites: dict[str, Site] = {}
        for portal in load_portals().values():
            self.sites[portal.host] = site_class(portal.platform)(portal, day)
        self._link_reposts()
        if extra_hosts:
            from replay.sites.bench import bench_sites

            for site in bench_sites(extra_hosts, day):
                self.sites[site.portal.host] = site

    def _link_reposts(self) -> None:
        """A repost shows the URL of what it copies (Destoon's 原文地址 line); attachments of a
        reposted notice link to the original site's files."""
        where = {a.id: (s, a) for s in self.sites.values() for a in s.articles}
        for site in self.sites.values():
            for a in site.articles:
                if a.repost_of and a.repost_of in where:
                    osite, orig = where[a.repost_of]
                    a.original_url = osite.url(osite.article_path(orig))
                    for att in a.attachments:
                        src = next((o for o in orig.attachments if o["name"] == att["name"]), None)
                        if src is not None:
                            att["url"] = osite.attachment_url(orig, src)

    def site(self, host: str) -> Site | None:
        return self.sites.get(host.lower())

    def portals(self) -> list[Portal]:
        return [s.portal for s in self.sites.values()]


@functools.cache
def web(day: int = 0, extra_hosts: int = 0) -> Web:
    """Sites are immutable for a given day, so servers and the answer key share one build."""
    return Web(day, extra_hosts)
