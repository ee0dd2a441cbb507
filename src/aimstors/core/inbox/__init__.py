"""The team inbox: conversations, their messages and notes, canned replies."""
