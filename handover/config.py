"""All configuration in one place.

Precedence: environment variables (HANDOVER_*) > ``handover.toml`` in the working directory
(or the file named by HANDOVER_CONFIG) > defaults. Every setting is documented in README.md.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
POLICIES_DIR = TEMPLATES_DIR / "policies"
GAZETTEER_DIR = TEMPLATES_DIR / "gazetteer"
FONTS_CONF = TEMPLATES_DIR / "fonts.conf"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("handover-data")
    # SQLAlchemy URL; empty means SQLite inside data_dir.
    database_url: str = ""
    # Extra folder of policy profiles (*.toml) a bureau adds without touching code.
    policies_dir: Path | None = None
    # Object storage: "local" (folder inside data_dir) or "s3" (minio client).
    storage: str = "local"
    s3_endpoint: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "handover"
    s3_secure: bool = False
    # Celery broker; empty means jobs run embedded, in-process.
    broker: str = ""
    # Seconds before a dead machine's unacknowledged tasks go to another worker, and how often
    # workers look for them; per-page OCR limit; assemble + check + publish limit per dossier.
    visibility_timeout: int = 3600
    restore_interval: int = 10
    page_time_limit: int = 300
    finish_time_limit: int = 1800
    # OCR
    ocr_engine: str = "rapidocr"
    # Volume PDFs as PDF/A-2b (sRGB output intent, XMP identification) for long-term keeping.
    pdfa: bool = True
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    # PDF font for the reportlab documents ("path[#index]"); Noto via a cached TrueType conversion.
    pdf_font: str = ""
    pdf_noto: bool = True
    # The office's time zone: times are stored in UTC and shown in this zone.
    timezone: str = "Asia/Shanghai"
    # Who runs CLI commands, for the audit log (default: the login name).
    user: str = ""
    # Web
    secret_key: str = ""
    max_upload_mb: int = 200
    # Scanning-room folder whose sub-folders archive staff may ingest from the browser (empty: off).
    intake_root: Path | None = None
    # Folder where vendors' DA/T 31 delivery packages are put for acceptance (验收), one
    # sub-folder per package; the web page lists it and never takes a path from the user.
    # Empty: <data_dir>/incoming.
    incoming_dir: Path | None = None
    # Hours after which the web front end's finished temporary files are removed.
    web_temp_hours: int = 72
    # A signed-in session ends after this many minutes without a request, and this many hours
    # after sign-in whatever happens (GB/T 22239: 登录连接超时自动退出).
    session_idle_minutes: int = 30
    session_hours: int = 8
    # The session cookie's Secure flag: "auto" (when the request came over https), "always"
    # (behind an https reverse proxy that talks http to us), "never".
    cookie_secure: str = "auto"
    # Failed sign-ins allowed per (address, user name) in 5 minutes; an address as a whole (an
    # office behind one NAT address) gets signin_address_limit before every name is refused.
    signin_limit: int = 5
    signin_address_limit: int = 100
    # Days after which a password must be changed at the next sign-in; 0 = never.
    password_max_age_days: int = 90
    # 水印: page images and PDFs served to archive staff and admins carry the visible mark
    # (viewer, organisation, time) too; off: their working views go without it. Everyone else's
    # always do, and every copy carries the invisible per-download identifier (archive_store.watermark).
    watermark_custodians: bool = True
    # 三员分立: the 系统管理员, 安全保密管理员 and 安全审计员 hold the administrator duties apart
    # (web.admin_duties). Off: one combined ``admin`` does all three (small offices; warned on the
    # admin pages).
    admin_separation: bool = True

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'handover.sqlite3').resolve()}"

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"

    @property
    def incoming_root(self) -> Path:
        return self.incoming_dir or self.data_dir / "incoming"


def _coerce(name: str, raw: object) -> object:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind in ("Path", "Path | None"):
        return Path(str(raw)) if raw not in (None, "") else None
    if kind == "bool":
        return str(raw).strip().lower() in ("1", "true", "yes", "on")
    if kind == "int":
        return int(raw)
    return str(raw)


def load_settings(env: dict[str, str] | None = None, config_file: Path | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    values: dict[str, object] = {}
    path = config_file or Path(env.get("HANDOVER_CONFIG", "handover.toml"))
    if path.is_file():
        with path.open("rb") as fh:
            for key, raw in tomllib.load(fh).items():
                if key in {f.name for f in fields(Settings)}:
                    values[key] = _coerce(key, raw)
    for f in fields(Settings):
        raw = env.get(f"HANDOVER_{f.name.upper()}")
        if raw is not None:
            values[f.name] = _coerce(f.name, raw)
    if values.get("data_dir") is None:
        values.pop("data_dir", None)
    return Settings(**values)


def to_env(cfg: Settings) -> dict[str, str]:
    """``cfg`` as HANDOVER_* variables, for a child process that must see the same settings."""
    out = {}
    for f in fields(Settings):
        value = getattr(cfg, f.name)
        out[f"HANDOVER_{f.name.upper()}"] = ("1" if value else "0") if isinstance(value, bool) else \
            "" if value is None else str(value)
    return out


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
