"""Only registered communities (in the gazetteer, or confirmed by an admin) receive volumes; the
admins' decisions are in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from archive_store import audit
from archive_store.audit import AuditFilter
from archive_store.communities import CommunityUnregistered, confirm, get_or_create, reject
from archive_store.publish import publish_volume
from archive_store.storage import open_storage
from archive_store.tables import CommunityRow, VolumeRow
from handover.db import init_db, session_scope
from handover.errors import Conflict, InputRefused
from handover.models import Destination

from .helpers import JINSHUI

NEW = Destination(county="金水区", street="经八路街道", community="经八路东社区")


def test_publish_refuses_an_unregistered_community_and_stores_nothing(cfg, make_volume):
    vol_dir, _ = make_volume()
    with pytest.raises(CommunityUnregistered) as refused:
        publish_volume(cfg, vol_dir, NEW, "henan-zhengzhou", "入库员")
    assert isinstance(refused.value, InputRefused)
    assert "“经八路东社区”不在金水区经八路街道的社区名录中" in str(refused.value)
    with session_scope(cfg) as s:
        assert s.scalar(select(func.count()).select_from(CommunityRow)) == 0
        assert s.scalar(select(func.count()).select_from(VolumeRow)) == 0
    assert list(open_storage(cfg).list("")) == []


def test_a_confirmed_community_receives_volumes_with_its_code(cfg, make_volume):
    init_db(cfg)
    with session_scope(cfg) as s:
        with pytest.raises(CommunityUnregistered, match="是否为“纬五路社区”"):
            get_or_create(s, "金水区", "经八路街道", "纬四路社区")
        confirm(s, NEW.county, NEW.street, NEW.community, "管理员甲", code="410105001009", reason="区民政局批复")
    vol_dir, _ = make_volume()
    result = publish_volume(cfg, vol_dir, NEW, "henan-zhengzhou", "入库员")
    assert result.created and "410105001009" in result.ref_no
    with session_scope(cfg) as s:
        [row] = audit.entries(s, AuditFilter(action="community_confirm"))
        assert (row.actor, row.target, row.reason) == ("管理员甲", "金水区经八路街道经八路东社区", "区民政局批复")
        assert row.detail["code"] == "410105001009"
        with pytest.raises(Conflict, match="已有案卷入库"):
            reject(s, NEW.county, NEW.street, NEW.community, "管理员甲", reason="误填")


def test_a_gazetteer_community_needs_no_confirmation(cfg, make_volume):
    vol_dir, _ = make_volume()
    assert publish_volume(cfg, vol_dir, JINSHUI, "henan-zhengzhou", "入库员").created


def test_a_rejection_is_audited(cfg):
    init_db(cfg)
    with session_scope(cfg) as s:
        reject(s, NEW.county, NEW.street, NEW.community, "管理员甲", reason="应为经七路社区")
        [row] = audit.entries(s, AuditFilter(action="community_reject"))
        assert (row.target, row.reason) == ("金水区经八路街道经八路东社区", "应为经七路社区")
        with pytest.raises(CommunityUnregistered, match="已被管理员驳回"):
            get_or_create(s, NEW.county, NEW.street, NEW.community)
