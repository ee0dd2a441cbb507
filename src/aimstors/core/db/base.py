"""Declarative base, naming convention and column types shared by every model."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, MetaData, TypeDecorator, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from aimstors.core.ids import uuid7

__all__ = [
    "RLS_ROLE",
    "Base",
    "BigId",
    "JsonDoc",
    "UTCDateTime",
    "created_at_column",
    "id_column",
    "tenant_fk",
    "utcnow",
    "uuid_pk_column",
]

# The Postgres role a tenant-scoped transaction switches to, so row-level security applies even to a superuser.
RLS_ROLE = "aimstors_app"

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit ids everywhere; on SQLite an INTEGER PRIMARY KEY is the rowid, so it must be spelled INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonDoc = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both dialects (SQLite stores naive ISO strings that sort correctly)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JsonDoc,
        list[Any]: JsonDoc,
        uuid.UUID: Uuid(),
    }


def id_column() -> Mapped[int]:
    return mapped_column(BigId, primary_key=True, autoincrement=True)


def uuid_pk_column() -> Mapped[uuid.UUID]:
    """Id of a row in a partitioned table: app-generated UUIDv7, part of a composite key with ``created_at``."""
    return mapped_column(Uuid(), primary_key=True, default=uuid7)


def created_at_column(*, primary_key: bool = False) -> Mapped[dt.datetime]:
    return mapped_column(UTCDateTime(), primary_key=primary_key, nullable=False, default=utcnow)


def tenant_fk(*, nullable: bool = False) -> Mapped[Any]:
    return mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=nullable)
