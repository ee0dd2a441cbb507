"""`secrets rotate`: every stored secret ends under the newest key and still decrypts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from aimstors.core.db import Database, Scope
from aimstors.core.db.models import Tenant, WhatsAppAccount
from aimstors.core.errors import AuthenticationFailed
from aimstors.core.security import Keyring, generate_key_entry
from aimstors.core.security.stored_secrets import rotate, secret_context


async def test_rotation_reencrypts_everything_once(db: Database) -> None:
    old, new = generate_key_entry("old"), generate_key_entry("new")
    before = Keyring.from_entries([old])
    async with db.session(Scope.system(), write=True) as s:
        tenant = Tenant(slug="t", name="t", kind="workspace", path="/")
        s.add(tenant)
        await s.flush()
        accounts = [WhatsAppAccount(tenant_id=tenant.id, waba_id=f"waba{i}") for i in range(3)]
        s.add_all(accounts)
        await s.flush()
        for i, account in enumerate(accounts):
            context = secret_context("whatsapp_accounts", "access_token_enc", account.id)
            account.access_token_enc = before.encrypt(f"EAAG-token-{i}", context)
        ids = [a.id for a in accounts]

    after = Keyring.from_entries([new, old])
    reports = await rotate(db, after, batch_size=2)
    assert (reports[0].table, reports[0].total, reports[0].reencrypted) == ("whatsapp_accounts", 3, 3)

    only_new = Keyring.from_entries([new])
    async with db.session(Scope.system()) as s:
        tokens = dict((await s.execute(select(WhatsAppAccount.id, WhatsAppAccount.access_token_enc))).all())
    for i, row_id in enumerate(ids):
        context = secret_context("whatsapp_accounts", "access_token_enc", row_id)
        assert only_new.decrypt(tokens[row_id], context) == f"EAAG-token-{i}"
        with pytest.raises(AuthenticationFailed):
            before.decrypt(tokens[row_id], context)
    again = await rotate(db, after)
    assert again[0].reencrypted == 0
