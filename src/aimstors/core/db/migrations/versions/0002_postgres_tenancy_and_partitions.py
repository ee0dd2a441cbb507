"""Postgres only: row-level security on tenant tables and default partitions for the monthly-partitioned logs.

Every tenant table gets a policy keyed on the per-transaction setting ``aimstors.tenant_ids`` (a comma-separated
id list, or ``*`` for the system scope). Tenant-scoped transactions also switch to the ``aimstors_app`` role, so the
policy holds even when the login role is a superuser. Monthly partitions are created by ``aimstors db partitions``
(and after every upgrade); the DEFAULT partition catches anything outside them.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ROLE = "aimstors_app"

# Tables whose rows belong to one tenant; ``tenants`` itself is keyed on ``id``.
TENANT_TABLES = [
    "agent_knowledge_bases",
    "agents",
    "api_keys",
    "audience_members",
    "audiences",
    "audit_log",
    "branding",
    "campaign_recipients",
    "campaigns",
    "canned_replies",
    "chunks",
    "contact_tags",
    "contacts",
    "conversations",
    "documents",
    "domains",
    "execution_steps",
    "executions",
    "integrations",
    "knowledge_bases",
    "ledger_accounts",
    "ledger_checkpoints",
    "ledger_entries",
    "ledger_transactions",
    "memberships",
    "messages",
    "notes",
    "phone_numbers",
    "plans",
    "rate_cards",
    "templates",
    "tenant_daily_metrics",
    "tenant_plans",
    "usage_events",
    "whatsapp_accounts",
    "workflow_versions",
    "workflows",
]
PARTITIONED = ["messages", "webhook_events", "usage_events", "execution_steps"]

# Two STABLE functions read the transaction's scope. Policies call them inside sub-selects, so Postgres evaluates
# them once per statement (an InitPlan) instead of once per row: a scan under RLS then costs one array test per row.
SCOPE_FNS = [
    """
CREATE OR REPLACE FUNCTION aimstors_scope_all() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(current_setting('aimstors.tenant_ids', true), '') = '*'
$$""",
    """
CREATE OR REPLACE FUNCTION aimstors_scope_ids() RETURNS bigint[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT string_to_array(nullif(nullif(current_setting('aimstors.tenant_ids', true), ''), '*'), ',')::bigint[]
$$""",
]


def _policy(column: str) -> str:
    return f"(SELECT aimstors_scope_all()) OR {column} = ANY ((SELECT aimstors_scope_ids())::bigint[])"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
    CREATE ROLE {ROLE} NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- created concurrently by another database
END $$""")
    op.execute(f"""
DO $$
BEGIN
  IF NOT pg_has_role(current_user, '{ROLE}', 'MEMBER') THEN
    EXECUTE format('GRANT {ROLE} TO %I', current_user);
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO {ROLE}', current_schema());
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO {ROLE}', current_schema());
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {ROLE}', current_schema());
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ROLE}',
                 current_schema());
  EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO {ROLE}',
                 current_schema());
END $$""")
    for fn in SCOPE_FNS:
        op.execute(fn)
    for table in ["tenants", *TENANT_TABLES]:
        column = "id" if table == "tenants" else "tenant_id"
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} USING ({_policy(column)}) WITH CHECK ({_policy(column)})"
        )
    for table in PARTITIONED:
        op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in PARTITIONED:
        op.execute(f"DROP TABLE IF EXISTS {table}_default")
    for table in ["tenants", *TENANT_TABLES]:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION IF EXISTS aimstors_scope_ids()")
    op.execute("DROP FUNCTION IF EXISTS aimstors_scope_all()")
