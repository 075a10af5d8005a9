"""Tables of the completeness package, declared on the shared ``handover.db.Base``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from handover.db import Base


class AcceptanceRow(Base):
    """An incomplete volume accepted on the strength of the enterprise's signed 书面说明."""

    __tablename__ = "completeness_acceptances"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    ref_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    volume_dir: Mapped[str] = mapped_column(String(500), default="")
    missing: Mapped[list] = mapped_column(JSON)  # what the statement covers
    checked_at: Mapped[str] = mapped_column(String(40), default="")  # the check.json it accepted
    enterprise: Mapped[str] = mapped_column(String(200), default="")
    statement_ref: Mapped[str] = mapped_column(String(200))  # 书面说明: file name, 文号 or archive ref
    statement_signed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    accepted_by: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    remarks: Mapped[str] = mapped_column(String(500), default="")
