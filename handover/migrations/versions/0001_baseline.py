"""baseline: the schema when migrations began, and the way up for databases made before them

A fresh database gets every table, index and constraint below, the full-text index and the audit
log's guards, and the audit chain's head. A database made by an earlier version (``create_all``
plus the ``handover.db.schema_step`` steps, no ``alembic_version``) gets the tables it lacks, then
the legacy steps (columns added, audit rows chained once, triggers), then what else is missing;
Alembic records it at this revision afterwards.

The tables are frozen here as they stood, not taken from the models: a later change to a model is
a later revision, and this one keeps building what the revisions after it expect.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The modules whose schema steps brought a database made before migrations up to this schema;
# imported here so that their steps are registered whatever the upgrading process imported.
LEGACY_STEP_MODULES = ("archive_store.audit_chain", "archive_store.use_register")

# SQLite: the full-text index (archive_store.index writes it, archive_store.search reads it):
# contentless FTS5 over archive_store.tokens' unigram and bigram tokens, rowid = pages.id.
SQLITE_FTS = ("CREATE VIRTUAL TABLE IF NOT EXISTS page_fts USING fts5("
              "uni, bi, scope, content='', tokenize='unicode61 remove_diacritics 0')")

# SQLite: the audit log is append-only and written through the hash chain (archive_store.audit_chain).
SQLITE_AUDIT_GUARDS = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_chained_insert BEFORE INSERT ON audit_log "
    "WHEN NEW.seq IS NULL OR NEW.row_hash IS NULL OR NEW.row_hash = '' "
    "OR NEW.seq > (SELECT last_seq FROM audit_chain WHERE id = 1) "
    "BEGIN SELECT RAISE(ABORT, 'audit rows are written through archive_store.audit (hash chain)'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_chain_no_delete BEFORE DELETE ON audit_chain "
    "BEGIN SELECT RAISE(ABORT, 'the audit chain head cannot be deleted'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_chain_forward_only BEFORE UPDATE ON audit_chain "
    "WHEN NEW.last_seq < OLD.last_seq OR NEW.id <> OLD.id "
    "BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END",
)


# PostgreSQL: the same guards as trigger functions (archive_store.audit_chain, whose docstring says
# why the application should not run as the tables' owner, who can drop a trigger).
PG_AUDIT_GUARDS = (
    "CREATE OR REPLACE FUNCTION handover_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE OR REPLACE FUNCTION handover_audit_chained() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.seq IS NULL OR NEW.row_hash IS NULL OR NEW.row_hash = '' OR NEW.seq > (SELECT last_seq FROM audit_chain WHERE id = 1) THEN RAISE EXCEPTION 'audit rows are written through archive_store.audit (hash chain)' USING ERRCODE = 'insufficient_privilege'; END IF; RETURN NEW; END $$",
    'DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log',
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE PROCEDURE handover_audit_refuse('audit_log is append-only: rows cannot be changed')",
    'DROP TRIGGER IF EXISTS audit_log_no_delete ON audit_log',
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE PROCEDURE handover_audit_refuse('audit_log is append-only: rows cannot be deleted')",
    'DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log',
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE PROCEDURE handover_audit_refuse('audit_log is append-only: rows cannot be deleted')",
    'DROP TRIGGER IF EXISTS audit_log_chained_insert ON audit_log',
    'CREATE TRIGGER audit_log_chained_insert BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE PROCEDURE handover_audit_chained()',
    'DROP TRIGGER IF EXISTS audit_chain_no_delete ON audit_chain',
    "CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain FOR EACH ROW EXECUTE PROCEDURE handover_audit_refuse('the audit chain head cannot be deleted')",
    'DROP TRIGGER IF EXISTS audit_chain_no_truncate ON audit_chain',
    "CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain FOR EACH STATEMENT EXECUTE PROCEDURE handover_audit_refuse('the audit chain head cannot be deleted')",
    'DROP TRIGGER IF EXISTS audit_chain_forward_only ON audit_chain',
    "CREATE TRIGGER audit_chain_forward_only BEFORE UPDATE ON audit_chain FOR EACH ROW WHEN (NEW.last_seq < OLD.last_seq OR NEW.id <> OLD.id) EXECUTE PROCEDURE handover_audit_refuse('the audit chain head only moves forward')",
)


def upgrade() -> None:
    bind = op.get_bind()
    meta = tables()
    made_before = set(sa.inspect(bind).get_table_names()) & set(meta.tables)
    meta.create_all(bind)  # checks first: a database made before migrations keeps its tables
    if made_before:
        from handover.db import run_legacy_steps

        for module in LEGACY_STEP_MODULES:
            importlib.import_module(module)
        run_legacy_steps(bind)
    head = meta.tables["audit_chain"]
    if bind.execute(sa.select(head.c.id).where(head.c.id == 1)).first() is None:
        bind.execute(head.insert().values(id=1, last_seq=0, last_hash="", legacy_rows=0, chained_at=None))
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql(SQLITE_FTS)
        for ddl in SQLITE_AUDIT_GUARDS:
            bind.exec_driver_sql(ddl)
    else:
        postgresql(bind)


# PostgreSQL: the full-text index (archive_store.fts_postgres): a tsvector of archive_store.tokens'
# positioned tokens and the community's scope lexeme per page, page_id = pages.id, in a GIN index.
POSTGRESQL_FTS = (
    "CREATE TABLE IF NOT EXISTS page_fts (page_id bigint PRIMARY KEY, doc tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS page_fts_doc ON page_fts USING gin (doc)",
)


def postgresql(bind: sa.Connection) -> None:
    """What PostgreSQL has beyond the tables: the full-text index objects (archive_store.index's
    design for PostgreSQL) and the audit log's guards (archive_store.audit_chain's trigger
    functions). Until a release ships migrations, they may be added here; after it, as a revision."""
    for ddl in (*POSTGRESQL_FTS, *PG_AUDIT_GUARDS):
        bind.exec_driver_sql(ddl)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: restore the backup taken before upgrading")


def _index(meta: sa.MetaData, name: str, table: str, columns: list[str], unique: bool) -> None:
    sa.Index(name, *(meta.tables[table].c[c] for c in columns), unique=unique)


def tables() -> sa.MetaData:
    """Every table of the schema at this revision (declared then on handover.db.Base by handover.db,
    archive_store, completeness, workers and web)."""
    meta = sa.MetaData()
    sa.Table('audit_chain', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_seq', sa.Integer(), nullable=False),
        sa.Column('last_hash', sa.String(length=64), nullable=False),
        sa.Column('legacy_rows', sa.Integer(), nullable=False),
        sa.Column('chained_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id')
    )
    sa.Table('audit_log', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('target', sa.String(length=400), nullable=False),
        sa.Column('reason', sa.String(length=400), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('outcome', sa.String(length=12), server_default='allowed', nullable=False),
        sa.Column('seq', sa.Integer(), nullable=True),
        sa.Column('prev_hash', sa.String(length=64), server_default='', nullable=False),
        sa.Column('row_hash', sa.String(length=64), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    _index(meta, 'ix_audit_log_action', 'audit_log', ['action'], False)
    _index(meta, 'ix_audit_log_actor', 'audit_log', ['actor'], False)
    _index(meta, 'ix_audit_log_at', 'audit_log', ['at'], False)
    _index(meta, 'ix_audit_log_outcome', 'audit_log', ['outcome'], False)
    _index(meta, 'ix_audit_log_seq', 'audit_log', ['seq'], True)
    sa.Table('communities', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('county', sa.String(length=64), nullable=False),
        sa.Column('street', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('county', 'street', 'name', name='uq_community_place')
    )
    _index(meta, 'ix_communities_code', 'communities', ['code'], False)
    _index(meta, 'ix_communities_name', 'communities', ['name'], False)
    sa.Table('community_decisions', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('county', sa.String(length=64), nullable=False),
        sa.Column('street', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('code', sa.String(length=12), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('county', 'street', 'name', name='uq_community_decision_place')
    )
    sa.Table('completeness_acceptances', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('ref_no', sa.String(length=64), nullable=True),
        sa.Column('volume_dir', sa.String(length=500), nullable=False),
        sa.Column('missing', sa.JSON(), nullable=False),
        sa.Column('checked_at', sa.String(length=40), nullable=False),
        sa.Column('enterprise', sa.String(length=200), nullable=False),
        sa.Column('statement_ref', sa.String(length=200), nullable=False),
        sa.Column('statement_signed_on', sa.Date(), nullable=True),
        sa.Column('accepted_by', sa.String(length=64), nullable=False),
        sa.Column('accepted_at', sa.DateTime(), nullable=False),
        sa.Column('remarks', sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    _index(meta, 'ix_completeness_acceptances_id_number', 'completeness_acceptances', ['id_number'], False)
    sa.Table('enterprises', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('uscc', sa.String(length=18), nullable=False),
        sa.Column('region', sa.String(length=64), nullable=False),
        sa.Column('location', sa.JSON(), nullable=False),
        sa.Column('insured_county', sa.String(length=64), nullable=False),
        sa.Column('legal_representative', sa.String(length=64), nullable=False),
        sa.Column('contact', sa.String(length=64), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
        sa.UniqueConstraint('uscc')
    )
    sa.Table('web_signin_failures', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    _index(meta, 'ix_web_signin_failures_at', 'web_signin_failures', ['at'], False)
    _index(meta, 'ix_web_signin_failures_key', 'web_signin_failures', ['key'], False)
    sa.Table('worker_batches', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('source_dir', sa.String(length=1000), nullable=False),
        sa.Column('profile_region', sa.String(length=64), nullable=False),
        sa.Column('engine', sa.String(length=32), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint('id')
    )
    _index(meta, 'ix_worker_batches_name', 'worker_batches', ['name'], False)
    sa.Table('community_counters', meta,
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('next_volume_no', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], ),
        sa.PrimaryKeyConstraint('community_id')
    )
    sa.Table('handover_receipts', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('county', sa.String(length=64), nullable=False),
        sa.Column('street', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=600), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by', sa.String(length=64), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    _index(meta, 'ix_handover_receipts_enterprise_id', 'handover_receipts', ['enterprise_id'], False)
    sa.Table('roster_imports', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('rows_imported', sa.Integer(), nullable=False),
        sa.Column('problems', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    sa.Table('web_users', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('display_name', sa.String(length=64), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=True),
        sa.Column('enterprise_id', sa.Integer(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('session_version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column('last_login_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], ),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username')
    )
    sa.Table('worker_dossiers', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('entry', sa.String(length=255), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('source_path', sa.String(length=1000), nullable=False),
        sa.Column('source_sha256', sa.String(length=64), nullable=False),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.Column('destination', sa.JSON(), nullable=True),
        sa.Column('profile_region', sa.String(length=64), nullable=False),
        sa.Column('stage', sa.String(length=16), nullable=False),
        sa.Column('pages_total', sa.Integer(), nullable=False),
        sa.Column('pages_done', sa.Integer(), nullable=False),
        sa.Column('failures', sa.JSON(), nullable=False),
        sa.Column('quarantine_code', sa.String(length=32), nullable=False),
        sa.Column('quarantine_reason', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('ref_no', sa.String(length=80), nullable=False),
        sa.Column('volume_id', sa.Integer(), nullable=True),
        sa.Column('publish_created', sa.Integer(), nullable=False),
        sa.Column('warnings', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['worker_batches.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('batch_id', 'entry', name='uq_worker_dossier_entry')
    )
    _index(meta, 'ix_worker_dossiers_batch_id', 'worker_dossiers', ['batch_id'], False)
    _index(meta, 'ix_worker_dossiers_id_number', 'worker_dossiers', ['id_number'], False)
    _index(meta, 'ix_worker_dossiers_source_sha256', 'worker_dossiers', ['source_sha256'], False)
    _index(meta, 'ix_worker_dossiers_stage', 'worker_dossiers', ['stage'], False)
    sa.Table('retirees', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('source_row', sa.Integer(), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('sex', sa.String(length=2), nullable=False),
        sa.Column('birth_date', sa.Date(), nullable=False),
        sa.Column('retired_on', sa.Date(), nullable=False),
        sa.Column('party_member', sa.Boolean(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('dest_county', sa.String(length=64), nullable=True),
        sa.Column('dest_street', sa.String(length=64), nullable=True),
        sa.Column('dest_community', sa.String(length=64), nullable=True),
        sa.Column('dest_code', sa.String(length=12), nullable=True),
        sa.Column('route_rule', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
        sa.ForeignKeyConstraint(['import_id'], ['roster_imports.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('id_number', name='uq_retiree_id_number')
    )
    _index(meta, 'ix_retirees_dest_county', 'retirees', ['dest_county'], False)
    _index(meta, 'ix_retirees_enterprise_id', 'retirees', ['enterprise_id'], False)
    _index(meta, 'ix_retirees_name', 'retirees', ['name'], False)
    sa.Table('web_bundles', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('error', sa.String(length=400), nullable=False),
        sa.Column('persons', sa.Integer(), nullable=False),
        sa.Column('manifest', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['web_users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token')
    )
    _index(meta, 'ix_web_bundles_enterprise_id', 'web_bundles', ['enterprise_id'], False)
    sa.Table('web_intakes', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('files', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('error', sa.String(length=400), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['web_users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token')
    )
    sa.Table('web_password_state', meta,
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.Column('must_change', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['web_users.id'], ),
        sa.PrimaryKeyConstraint('user_id')
    )
    sa.Table('web_roster_uploads', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('report', sa.JSON(), nullable=False),
        sa.Column('rows_imported', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['web_users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token')
    )
    _index(meta, 'ix_web_roster_uploads_enterprise_id', 'web_roster_uploads', ['enterprise_id'], False)
    sa.Table('web_sessions', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('must_change_password', sa.Boolean(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('end_reason', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['web_users.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash')
    )
    _index(meta, 'ix_web_sessions_ended_at', 'web_sessions', ['ended_at'], False)
    _index(meta, 'ix_web_sessions_user_id', 'web_sessions', ['user_id'], False)
    sa.Table('worker_pages', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('worker', sa.String(length=200), nullable=False),
        sa.Column('runs', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['dossier_id'], ['worker_dossiers.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dossier_id', 'seq', name='uq_worker_page')
    )
    _index(meta, 'ix_worker_pages_dossier_id', 'worker_pages', ['dossier_id'], False)
    sa.Table('worker_supplements', meta,
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['dossier_id'], ['worker_dossiers.id'], ),
        sa.PrimaryKeyConstraint('dossier_id')
    )
    sa.Table('community_holds', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('retiree_id', sa.Integer(), nullable=False),
        sa.Column('county', sa.String(length=64), nullable=False),
        sa.Column('street', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('column', sa.String(length=100), nullable=False),
        sa.Column('rule', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['retiree_id'], ['retirees.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('retiree_id')
    )
    _index(meta, 'ix_community_holds_name', 'community_holds', ['name'], False)
    sa.Table('volumes', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('volume_no', sa.Integer(), nullable=False),
        sa.Column('ref_no', sa.String(length=80), nullable=False),
        sa.Column('fonds', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('prefix', sa.String(length=400), nullable=False),
        sa.Column('originals_sha256', sa.String(length=64), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('id_reversed', sa.String(length=18), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('enterprise_name', sa.String(length=200), nullable=False),
        sa.Column('retiree_id', sa.Integer(), nullable=True),
        sa.Column('engine', sa.String(length=32), nullable=False),
        sa.Column('content_pages', sa.Integer(), nullable=False),
        sa.Column('blank_pages', sa.Integer(), nullable=False),
        sa.Column('materials', sa.Integer(), nullable=False),
        sa.Column('date_from', sa.Date(), nullable=True),
        sa.Column('date_to', sa.Date(), nullable=True),
        sa.Column('check_outcome', sa.String(length=16), nullable=False),
        sa.Column('profile_region', sa.String(length=64), nullable=False),
        sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
        sa.Column('source', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id'], ),
        sa.ForeignKeyConstraint(['retiree_id'], ['retirees.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('community_id', 'volume_no', name='uq_volume_community_no'),
        sa.UniqueConstraint('originals_sha256', name='uq_volume_originals'),
        sa.UniqueConstraint('ref_no', name='uq_volume_ref_no')
    )
    _index(meta, 'ix_volumes_community_id', 'volumes', ['community_id'], False)
    _index(meta, 'ix_volumes_id_number', 'volumes', ['id_number'], False)
    _index(meta, 'ix_volumes_id_reversed', 'volumes', ['id_reversed'], False)
    _index(meta, 'ix_volumes_name', 'volumes', ['name'], False)
    sa.Table('access_requests', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('volume_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('requester', sa.String(length=64), nullable=False),
        sa.Column('organisation', sa.String(length=200), nullable=False),
        sa.Column('reason', sa.String(length=400), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('decided_by', sa.String(length=64), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decision_note', sa.String(length=400), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('use_effect', sa.String(length=200), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    _index(meta, 'ix_access_requests_status', 'access_requests', ['status'], False)
    _index(meta, 'ix_access_requests_volume_id', 'access_requests', ['volume_id'], False)
    sa.Table('materials', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('volume_id', sa.Integer(), nullable=False),
        sa.Column('ordinal', sa.Integer(), nullable=False),
        sa.Column('seq', sa.String(length=16), nullable=False),
        sa.Column('class_code', sa.String(length=8), nullable=False),
        sa.Column('title', sa.String(length=400), nullable=False),
        sa.Column('formed_on', sa.Date(), nullable=True),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('start_page', sa.Integer(), nullable=True),
        sa.Column('end_page', sa.Integer(), nullable=True),
        sa.Column('remarks', sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    _index(meta, 'ix_materials_class_code', 'materials', ['class_code'], False)
    _index(meta, 'ix_materials_volume_id', 'materials', ['volume_id'], False)
    sa.Table('review_answers', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('volume_id', sa.Integer(), nullable=False),
        sa.Column('originals_sha256', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('field', sa.String(length=16), nullable=False),
        sa.Column('page', sa.Integer(), nullable=True),
        sa.Column('value', sa.String(length=400), nullable=False),
        sa.Column('machine_value', sa.String(length=400), nullable=False),
        sa.Column('confirmed', sa.Boolean(), nullable=False),
        sa.Column('reason_zh', sa.String(length=400), nullable=False),
        sa.Column('box', sa.JSON(), nullable=True),
        sa.Column('material', sa.String(length=400), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('volume_id', 'originals_sha256', 'key', name='uq_review_answer')
    )
    _index(meta, 'ix_review_answers_volume_id', 'review_answers', ['volume_id'], False)
    sa.Table('review_states', meta,
        sa.Column('volume_id', sa.Integer(), nullable=False),
        sa.Column('check_sha256', sa.String(length=64), nullable=False),
        sa.Column('open_items', sa.Integer(), nullable=False),
        sa.Column('waived', sa.Boolean(), nullable=False),
        sa.Column('probes', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], ),
        sa.PrimaryKeyConstraint('volume_id')
    )
    _index(meta, 'ix_review_states_open_items', 'review_states', ['open_items'], False)
    sa.Table('review_waivers', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('volume_id', sa.Integer(), nullable=False),
        sa.Column('originals_sha256', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=400), nullable=False),
        sa.Column('open_items', sa.Integer(), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    _index(meta, 'ix_review_waivers_volume_id', 'review_waivers', ['volume_id'], False)
    sa.Table('stored_objects', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('volume_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=600), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('volume_id', 'key', name='uq_object_volume_key')
    )
    _index(meta, 'ix_stored_objects_volume_id', 'stored_objects', ['volume_id'], False)
    sa.Table('volume_supplements', meta,
        sa.Column('volume_id', sa.Integer(), nullable=False),
        sa.Column('first_volume_id', sa.Integer(), nullable=False),
        sa.Column('part_no', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['first_volume_id'], ['volumes.id'], ),
        sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], ),
        sa.PrimaryKeyConstraint('volume_id'),
        sa.UniqueConstraint('first_volume_id', 'part_no', name='uq_supplement_part')
    )
    _index(meta, 'ix_volume_supplements_first_volume_id', 'volume_supplements', ['first_volume_id'], False)
    sa.Table('volume_withdrawals', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('volume_id', sa.Integer(), nullable=False),
        sa.Column('ref_no', sa.String(length=80), nullable=False),
        sa.Column('reason', sa.String(length=400), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('originals_sha256', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=400), nullable=False),
        sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
        sa.Column('republished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    _index(meta, 'ix_volume_withdrawals_volume_id', 'volume_withdrawals', ['volume_id'], False)
    sa.Table('pages', meta,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('volume_id', sa.Integer(), nullable=False),
        sa.Column('material_id', sa.Integer(), nullable=True),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('page_no', sa.Integer(), nullable=True),
        sa.Column('blank', sa.Boolean(), nullable=False),
        sa.Column('duplicate_of', sa.Integer(), nullable=True),
        sa.Column('confidence', sa.Float(), nullable=False),
        sa.Column('image_key', sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(['material_id'], ['materials.id'], ),
        sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('volume_id', 'seq', name='uq_page_volume_seq')
    )
    _index(meta, 'ix_pages_material_id', 'pages', ['material_id'], False)
    _index(meta, 'ix_pages_volume_id', 'pages', ['volume_id'], False)
    sa.Table('page_texts', meta,
        sa.Column('page_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['page_id'], ['pages.id'], ),
        sa.PrimaryKeyConstraint('page_id')
    )
    return meta
