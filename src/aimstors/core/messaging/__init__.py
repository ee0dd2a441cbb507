"""Outbound messaging: the one path every send takes (inbox replies, automations, campaigns)."""
