"""The daemon: Meta webhooks, the REST API and live events, plus the workers and the scheduler."""
