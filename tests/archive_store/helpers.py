"""Constants shared by the archive_store tests and their conftest."""

from __future__ import annotations

from handover.models import Destination

S3_ACCESS_KEY = "handover-test"
S3_SECRET_KEY = "s3cret-for-tests-only"

JINSHUI = Destination(county="金水区", street="经八路街道", community="纬五路社区")
ERQI = Destination(county="二七区", street="五里堡街道", community="五里堡社区")
