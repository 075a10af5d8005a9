"""archive_store: digitized volumes stored per community, numbered catalogs, fixity, audit and
Chinese full-text search.

Modules (small, named after what they do):
  storage/        one Storage interface; LocalStorage (folder) and S3Storage (minio client);
                  open_storage(cfg)
  tables          catalog tables on handover.db.Base (the full-text index page_fts is made by the migrations)
  numbering       档号 formatting and file names (pure)
  tokens          NFKC / CJK-space normalisation, unigram+bigram index tokens, queries (pure)
  volume_source   reading and checking a volume folder written by the ocr package
  transactions    write transactions (SQLite BEGIN IMMEDIATE, PostgreSQL advisory lock), gap-free per-community counters
  publish         publish_volume(): atomic, idempotent, resumable
  supplements     one person, one file: a second volume refused unless 补充材料 (卷号 2, 3, …)
  index           writing pages into the full-text index; its backend per database:
  fts_sqlite      FTS5 (SQLite)
  fts_postgres    tsvector + GIN (PostgreSQL)
  search          search() → list[Hit]
  verify          verify() → VerifyReport
  catalog         volume_catalog() records (案卷目录/台账), export_xlsx()
  access          查阅/外借 requests with approval
  use_register    档案利用登记簿: a month's granted uses (per community), XLSX; the 利用效果 column's schema step
  read_rule       who may see a volume's record and read its page images and PDF
  audit           record(), entries() and the filters of the audit page
  audit_chain     the audit log's hash chain, its append-only triggers, check_chain() (verify --audit)
  communities     get_or_create() (registered communities only), resolve(), confirm()/reject() (audited)
  reconcile       the 档案移交名册表 reconciled with the published volumes (pure); reconcile_source loads it
  receipts        the signed 档案移交名册表 of a street, stored with verified SHA-256
  bundle_inputs   what a bundle built after digitization takes from the reconciliation
  dat31_layout    the DA/T 31 delivery package on disk: names, schemas, manifest, declared totals
  deliver         deliver(): published volumes → a delivery package (streaming), checked as written
  four_checks     check_package() → FourChecksReport: the 四性检测 of any package folder
  sampling        draw(): the reproducible ≥ 5% inspection sample of a received package
  cli             click commands: search, verify, publish, catalog, reconcile, communities, deliver,
                  check-package, receive
"""

from . import tables  # noqa: F401 - using the package registers its tables on handover.db.Base
from . import audit_chain  # noqa: F401 - and the audit chain's flush hook and schema step
from . import use_register  # noqa: F401 - and the 利用效果 column's schema step
