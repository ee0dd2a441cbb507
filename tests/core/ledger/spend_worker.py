"""A separate OS process for the concurrency tests: fires N concurrent spends at one tenant, prints the tally.

Usage: python spend_worker.py DATABASE_URL TENANT_ID COUNT AMOUNT KEY_PREFIX START_AT_EPOCH
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from aimstors.core import ledger
from aimstors.core.db import Database
from aimstors.core.errors import InsufficientFunds


async def main(url: str, tenant_id: int, count: int, amount: int, prefix: str, start_at: float) -> None:
    db = Database(url)
    try:
        await ledger.platform_root_id(db)  # warm up outside the race
        await asyncio.sleep(max(0.0, start_at - time.time()))
        results = await asyncio.gather(
            *(ledger.spend(db, tenant_id, amount, key=f"{prefix}-{i}") for i in range(count)),
            return_exceptions=True,
        )
    finally:
        await db.dispose()
    tally = {
        "applied": sum(isinstance(r, ledger.Receipt) for r in results),
        "insufficient": sum(isinstance(r, InsufficientFunds) for r in results),
        "other": [repr(r) for r in results if not isinstance(r, ledger.Receipt | InsufficientFunds)],
    }
    print(json.dumps(tally))


if __name__ == "__main__":
    url, tenant, count, amount, prefix, start_at = sys.argv[1:7]
    asyncio.run(main(url, int(tenant), int(count), int(amount), prefix, float(start_at)))
