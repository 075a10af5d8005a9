"""A DA/T 31 delivery package as a vendor would hand it in: ``n`` scanned sample volumes published
in a throw-away data folder of their own (SQLite, local storage) and delivered by ``handover
deliver``. The package is files on disk only, so the tests of the receiving side (web acceptance,
benchmarks) copy it into their incoming folder whatever their database is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from handover import idnumber
from handover.config import Settings
from handover.db import engine_for
from handover.models import Destination

from .sample_volume import SamplePerson, write_sample_volume
from .scanned_volume import DPI, make_scanned

VENDOR_COMMUNITY = Destination(county="金水区", street="经八路街道", community="纬五路社区")
NAMES = ("赵德明", "钱玉兰", "孙志刚", "李桂芳", "周国栋", "吴淑珍", "郑永福", "王秀梅", "冯建华", "陈凤英")


def make_package(work: Path, out: Path, volumes: int = 3, actor: str = "某数字化公司") -> Path:
    """Write the package of ``volumes`` scanned volumes to ``out`` (``work``: scratch folder)."""
    from archive_store.deliver import deliver
    from archive_store.publish import publish_volume

    cfg = Settings(data_dir=work / "data", database_url="", storage="local")
    for n in range(volumes):
        birth = dt.date(1950 + n % 10, 1 + n % 12, 1 + n % 28)
        person = SamplePerson(idnumber.make("410105", birth, 2 * n + 101), NAMES[n % len(NAMES)] + ("" if n < 10 else str(n)),
                              "男", birth, "郑州第一纺织厂")
        root = write_sample_volume(work / "src" / f"v{n:04d}", person, seed=n + 50, materials=3)
        make_scanned(root, f"{person.name}人事档案", DPI)
        publish_volume(cfg, root, VENDOR_COMMUNITY, "henan-zhengzhou", actor)
    deliver(cfg, out, community=VENDOR_COMMUNITY.community, actor=actor)
    engine_for(cfg.db_url).dispose()
    return out
