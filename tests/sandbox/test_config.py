"""Configuration from data, and the thread runner for synchronous code."""

from __future__ import annotations

import httpx
import pytest

from aimstors.core.errors import ConfigError
from aimstors.sandbox import SandboxConfig, SandboxThread


def test_config_from_dict() -> None:
    config = SandboxConfig.from_dict(
        {
            "port": 9000,
            "webhook_url": "http://127.0.0.1:8000/webhooks/whatsapp",
            "accounts": [
                {
                    "waba_id": "1",
                    "tokens": ["t"],
                    "phone_numbers": [
                        {"phone_number_id": "2", "display_phone_number": "+1 555 0100", "throughput_mps": 1000}
                    ],
                }
            ],
            "callbacks": {"batch_size": 50},
            "faults": {"drop": 0.1, "callback_latency": [0.1, 0.5]},
            "http_status_overrides": {"130429": 429},
        }
    )
    assert config.accounts[0].phone_numbers[0].throughput_mps == 1000
    assert config.faults.callback_latency == (0.1, 0.5) and config.http_status_overrides == {130429: 429}


@pytest.mark.parametrize(
    "data",
    [
        {"prot": 1},
        {
            "accounts": [
                {
                    "waba_id": "1",
                    "phone_numbers": [{"phone_number_id": "2", "display_phone_number": "x", "throughput_mps": 5000}],
                }
            ]
        },
        {"callbacks": {"batch_size": 0}},
    ],
)
def test_bad_config_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        SandboxConfig.from_dict(data)


def test_thread_runner_serves_synchronous_callers() -> None:
    with SandboxThread(SandboxConfig()) as running:
        response = httpx.get(f"{running.base_url}/_sandbox")
    assert response.status_code == 200 and response.json()["messages"] == 0


def test_the_sandbox_stands_alone() -> None:
    """No database, CLI, daemon or Typer behind the sandbox (the import-linter contract, checked at run time)."""
    import subprocess
    import sys

    code = (
        "import sys, aimstors.sandbox; "
        "bad = [m for m in sys.modules if m.startswith(('aimstors.core.db', 'aimstors.cli', 'aimstors.daemon', "
        "'typer', 'sqlalchemy'))]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
