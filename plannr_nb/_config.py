"""Named defaults, in one place."""

from __future__ import annotations

from typing import Final

DEFAULT_BASE_URL: Final = "https://api.plannrcrm.com"
TOKEN_ENV_VARS: Final = ("PLANNR_ACCESS_TOKEN", "ACCESS_TOKEN")
ACCOUNT_ENV_VAR: Final = "PLANNR_ACCOUNT_UUID"
#: Another address for the API (a sandbox, or a test server).
BASE_URL_ENV_VAR: Final = "PLANNR_BASE_URL"
#: Set to 1 to use the bundled demo data even when a token is set.
DEMO_ENV_VAR: Final = "PLANNR_NB_DEMO"
#: The zone times are shown in by default (see ``pnb.options.tz``).
TZ_ENV_VAR: Final = "PLANNR_NB_TZ"
ACCOUNT_HEADER: Final = "X-PLANNR-ACCOUNT-UUID"

#: Seconds an attempt may take, from the first byte sent to the last byte read.
DEFAULT_TIMEOUT: Final = 30.0
DEFAULT_MAX_RETRIES: Final = 4
#: A ``Retry-After`` longer than this (seconds) is not slept through: the call fails at once.
MAX_RETRY_AFTER: Final = 120.0
#: Plannr documents 500 requests a minute per user.
DEFAULT_RATE_LIMIT: Final = 500
#: The rolling window of that limit, in seconds.
RATE_LIMIT_PERIOD: Final = 60.0
#: The share of the limit the client leaves unused, for clock skew and requests in flight:
#: 500 a minute becomes 480.
RATE_LIMIT_MARGIN: Final = 0.04
#: The largest response body read, on the wire and once decoded (gzip): 64 MiB.
DEFAULT_MAX_RESPONSE_BYTES: Final = 64 * 1024 * 1024
#: Hosts a token may be sent to over plain http:// (besides 127.0.0.0/8 and ::1).
LOOPBACK_NAMES: Final = frozenset({"localhost"})
#: UUIDs per list request in a batch fetch: 100 x 36 characters keeps URLs near 4 KB.
BATCH_CHUNK_SIZE: Final = 100
#: Requests in flight at once during a batch fetch.
BATCH_CONCURRENCY: Final = 8
#: The documented maximum page size.
MAX_PER_PAGE: Final = 500

#: Zone assumed for timestamps that carry no offset (Plannr is a UK product).
NAIVE_TIMESTAMP_ZONE: Final = "Europe/London"

#: Overrides the directory of the fleet history store (default: a per-user data directory).
STORE_ENV_VAR: Final = "PLANNR_NB_STORE"
#: Zone times are shown in unless ``pnb.options.tz`` or :data:`TZ_ENV_VAR` says otherwise.
DEFAULT_TZ: Final = "Europe/London"
