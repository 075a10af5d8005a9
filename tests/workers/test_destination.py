"""Where a dossier is filed: only a registered community (gazetteer or confirmed) receives it; a
manifest naming another holds the dossier back before its pages are read."""

from __future__ import annotations

import pytest

from archive_store.communities import confirm
from handover.config import settings
from handover.db import session_scope
from workers.destination import NoDestination, filing_for
from workers.tables import DossierRow

from .conftest import REGION


def dossier(community: str) -> DossierRow:
    return DossierRow(batch_id=0, entry="a", id_number="", name="赵六", profile_region=REGION,
                      destination={"county": "金水区", "street": "经八路街道", "community": community})


def test_a_manifest_naming_an_unregistered_community_is_held_back_until_confirmed(data_dir):
    with pytest.raises(NoDestination, match="接收社区未登记：“民主路社区”不在金水区经八路街道的社区名录中"):
        filing_for(dossier("民主路社区"), settings())
    assert filing_for(dossier("经七路社区"), settings()).destination.community == "经七路社区"
    with session_scope() as s:
        confirm(s, "金水区", "经八路街道", "民主路社区", "管理员")
    assert filing_for(dossier("民主路社区"), settings()).destination.community == "民主路社区"
