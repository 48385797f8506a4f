"""Files shared with the bot: a names CSV fetched from Slack's file host, bounded, with the bot token
sent only to Slack's own hosts; and a screening's results written back as CSV text.

>>> slack_hosts("http://127.0.0.1:8080/api/")
{'127.0.0.1'}
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import httpx

from assistant.errors import ScreeningFileInvalid
from assistant.schema import Screening

MAX_FILE_BYTES = 5 * 1024 * 1024
SLACK_FILE_HOSTS = {"files.slack.com", "slack.com"}
CSV_TYPES = {"csv", "text/csv", "application/csv", "text/plain"}


def slack_hosts(api_url: str) -> set[str]:
    """The hosts the bot token may be sent to: Slack's file host, or the configured Web API's host."""
    host = urlsplit(api_url).hostname or ""
    return {host} if host not in {"slack.com", "www.slack.com"} else set(SLACK_FILE_HOSTS)


def is_csv(file: dict) -> bool:
    name = str(file.get("name") or "").lower()
    return name.endswith(".csv") or str(file.get("filetype") or "").lower() == "csv" or file.get("mimetype") == "text/csv"


def download(url: str, token: str, hosts: set[str], limit: int = MAX_FILE_BYTES, timeout: float = 30) -> bytes:
    """The file's bytes, or ScreeningFileInvalid naming the problem (another host, too big, unreachable)."""
    parts = urlsplit(url or "")
    if parts.scheme not in {"https", "http"} or parts.hostname not in hosts:
        raise ScreeningFileInvalid("That file is not on Slack's file host, so it was not fetched.")
    try:
        with httpx.stream("GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout) as response:
            if response.status_code != 200:
                raise ScreeningFileInvalid(f"Slack did not hand over the file (HTTP {response.status_code}).")
            data = bytearray()
            for piece in response.iter_bytes():
                data += piece
                if len(data) > limit:
                    raise ScreeningFileInvalid(f"The file is over {limit // (1024 * 1024)} MB; split it.")
            return bytes(data)
    except httpx.HTTPError as error:
        raise ScreeningFileInvalid(f"Could not fetch the file from Slack ({type(error).__name__}).") from None


def results_csv(screenings: list[Screening]) -> str:
    """One row per screened name, the columns of ``lodestone screen --file --out results.csv``."""
    from assistant.screening import RESULT_COLUMNS, result_row

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RESULT_COLUMNS)
    writer.writeheader()
    for screening in screenings:
        writer.writerow(result_row(screening))
    return out.getvalue()
