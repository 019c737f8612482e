"""The assets that connect kejiwatch's DAGs, and the inbox that the AssetWatcher watches.

    scrape_portals ──raw_pages──▶ build_marts ──marts──▶ (BI, downstream DAGs)
    ingest_documents ──raw_pages──▶ build_marts
    REST API event on ingest_requests ─┐
    file dropped in <data dir>/inbox ──┴▶ ingest_documents
"""

from __future__ import annotations

from pathlib import Path

from airflow.providers.standard.triggers.file import FileDeleteTrigger
from airflow.sdk import Asset, AssetWatcher

from kejiwatch import settings

RAW_PAGES = Asset("kejiwatch://raw_pages", group="kejiwatch")
MARTS = Asset("kejiwatch://marts", group="kejiwatch")

# An analyst asks for documents to be ingested now by posting an event on this asset through
# Airflow's REST API (POST /api/v2/assets/events, extra={"url": ...} or {"urls": [...]}).
INGEST_REQUESTS = Asset("kejiwatch://ingest_requests", group="kejiwatch")


def inbox_dir() -> Path:
    """Where analysts (or `kejiwatch airflow ingest --inbox`) drop `*.url` files, one URL a line."""
    return settings.data_dir() / "inbox"


def inbox_flag() -> Path:
    """The flag file the triggerer watches; written after the `*.url` files, deleted on pickup."""
    return inbox_dir() / "READY"


# Event-driven without a broker: the triggerer runs FileDeleteTrigger, which fires once the flag
# exists and deletes it, creating an asset event that schedules ingest_documents. The URLs stay
# in the *.url files next to it, so deleting the flag loses nothing.
INBOX = Asset(
    "kejiwatch://inbox",
    group="kejiwatch",
    watchers=[
        AssetWatcher(
            name="kejiwatch_inbox_flag",
            trigger=FileDeleteTrigger(filepath=str(inbox_flag()), poke_interval=5.0),
        )
    ],
)
