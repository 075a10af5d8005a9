"""What the bundle takes from the checks of published volumes (web.bundles.checked_missing): the
missing 必要材料 of settled checks, of the bundle's own retirees, and nothing from a check whose
校对 queue is still open."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from archive_store.publish import publish_volume
from archive_store.review_check import stored_check
from archive_store.storage import open_storage
from archive_store.tables import VolumeRow
from completeness.check import check_volume
from handover import idnumber
from handover.db import session_scope
from handover.policy import load_profile
from tests.support.sample_volume import SamplePerson, write_sample_volume
from web.bundles import checked_missing

from .conftest import JINSHUI, PROFILE


def test_missing_materials_of_settled_checks_only(seed, tmp_path):
    open_person = SamplePerson(idnumber.make("410105", dt.date(1955, 7, 7), 7), "赵校对")
    folder = write_sample_volume(tmp_path / "v", open_person, seed=4, materials=3, check=None)
    assert check_volume(folder, None, load_profile(PROFILE), probe_images=False).provisional
    publish_volume(seed.cfg, folder, JINSHUI, PROFILE, "入库员")
    with session_scope(seed.cfg) as s:
        vol = s.get(VolumeRow, seed.volume_c)  # 孙立平: checked, incomplete, settled
        report = stored_check(open_storage(seed.cfg), vol)
        assert report.missing_materials and not report.provisional
        people = [SimpleNamespace(id_number=vol.id_number, name="孙立平"),
                  SimpleNamespace(id_number=open_person.id_number, name=open_person.name)]
        found = checked_missing(s, seed.cfg, people)
        assert checked_missing(s, seed.cfg, people[1:]) == []  # 校对 open: nothing settled yet
    assert [(i.name, i.id_number, i.material) for i in found] == [
        ("孙立平", vol.id_number, m) for m in report.missing_materials]
