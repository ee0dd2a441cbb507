"""CSV export (streamed, one column per attribute, filtered) and naming a contact by id or number."""

from __future__ import annotations

import csv
import io

import pytest
from tests.contacts_world import Shops, add_contacts, set_contact

from aimstors.core import contacts
from aimstors.core.contacts import AttributeCondition, ContactFilter
from aimstors.core.contacts.export import BATCH_SIZE
from aimstors.core.db.base import utcnow
from aimstors.core.errors import NotFound


async def test_export_streams_every_contact_with_attribute_columns(shops: Shops) -> None:
    rows = [{"wa_id": f"1555010{i:04d}", "profile_name": f"P{i}", "attributes": {"city": "Paris"}} for i in range(3)]
    rows[0]["attributes"] = {"city": "Rome", "name": "nickname", "vip": True}
    rows += [{"wa_id": f"1666010{i:04d}"} for i in range(BATCH_SIZE + 5)]  # more than one batch
    ids = await add_contacts(shops.db, shops.a, rows)
    await set_contact(shops.db, shops.a, "15550100001", opted_out_at=utcnow())
    await contacts.update_contact(shops.db, shops.system, ids["15550100000"], tenant_slug="shop-a", add_tags=["b", "a"])
    out = io.StringIO()
    count = await contacts.export_contacts(shops.db, shops.system, out, tenant_slug="shop-a")
    assert count == len(rows)
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(table[0]) == [
        "id", "phone", "name", "tags", "opted_out", "opted_out_at", "last_inbound_at", "created_at",
        "city", "attribute:name", "vip",
    ]  # fmt: skip
    first = table[0]
    assert (first["phone"], first["name"], first["tags"], first["city"]) == ("+15550100000", "P0", "a;b", "Rome")
    assert (first["attribute:name"], first["vip"], first["opted_out"]) == ("nickname", "true", "false")
    assert table[1]["opted_out"] == "true" and table[1]["opted_out_at"]
    assert len(table) == count
    filtered = io.StringIO()
    where = ContactFilter(attributes=[AttributeCondition("city", "equals", "Rome")])
    assert await contacts.export_contacts(shops.db, shops.system, filtered, tenant_slug="shop-a", where=where) == 1
    assert "+15550100000" in filtered.getvalue() and "+15550100001" not in filtered.getvalue()


async def test_find_contact_by_id_or_number_within_the_workspace(shops: Shops) -> None:
    ids = await add_contacts(shops.db, shops.a, [{"wa_id": "447911123456", "profile_name": "Bob"}])
    other = await add_contacts(shops.db, shops.b, [{"wa_id": "15550100009"}])
    bob = ids["447911123456"]
    for ref in (str(bob), "+44 7911 123456", "0044 7911 123456", "+447911123456"):
        assert (await contacts.find_contact(shops.db, shops.system, ref, tenant_slug="shop-a")).id == bob
    with pytest.raises(NotFound):
        await contacts.find_contact(shops.db, shops.system, "+15550100009", tenant_slug="shop-a")
    with pytest.raises(NotFound):
        await contacts.find_contact(shops.db, shops.system, str(other["15550100009"]), tenant_slug="shop-a")
