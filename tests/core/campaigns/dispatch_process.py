"""A dispatcher process for the crash and multi-process tests (run as a script, never collected by pytest).

Settings come from the environment (``AIMSTORS_DATABASE_URL``, ``AIMSTORS_SECRET_KEYS``, ``AIMSTORS_META_GRAPH_URL``);
it sends one campaign until it stops, then prints ``report accepted=… unknown=… stopped=…``. A test may kill it
at any moment with SIGKILL.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys

from aimstors.core.campaigns import Dispatcher, DispatchOptions
from aimstors.core.services import build
from aimstors.core.settings import load_settings


async def main(args: argparse.Namespace) -> None:
    services = build(load_settings())
    options = dataclasses.replace(
        DispatchOptions(), control_interval=0.05, heartbeat_interval=args.heartbeat, lease_seconds=args.lease,
        request_timeout=2.0, flush_interval=0.05,
    )  # fmt: skip
    try:
        print("ready", flush=True)
        report = await Dispatcher(services, args.tenant, args.campaign, options).run()
        print(
            f"report accepted={report.accepted} unknown={report.unknown} stopped={report.stopped_because}", flush=True
        )
    finally:
        await services.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenant", type=int, required=True)
    parser.add_argument("--campaign", type=int, required=True)
    parser.add_argument("--lease", type=float, default=1.0)
    parser.add_argument("--heartbeat", type=float, default=0.3)
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
