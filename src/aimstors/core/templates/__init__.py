"""Message templates: the local copy of each template per (WhatsApp account, name, language)."""
