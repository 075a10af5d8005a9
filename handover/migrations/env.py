"""Alembic's entry: run the revisions on the connection handed over in ``config.attributes``.

handover.db (and ``python -m handover.migrations``) open the connection, take the lock and begin
the transaction; nothing here reads alembic.ini or a URL.
"""

from alembic import context

from handover.migrations import unmanaged


def _include_name(name, type_, parent_names) -> bool:
    return not unmanaged(name) if type_ in ("table", "index") else True


def _run() -> None:
    attrs = context.config.attributes
    conn = attrs["connection"]
    if conn is None:
        raise RuntimeError("handover.migrations runs only on a connection it is given (handover db upgrade)")
    context.configure(connection=conn, target_metadata=attrs.get("target_metadata"),
                      render_as_batch=conn.dialect.name == "sqlite",  # SQLite's ALTER TABLE is a table copy
                      include_name=_include_name, compare_type=True, compare_server_default=False)
    with context.begin_transaction():
        context.run_migrations()


_run()
