"""The read rule as a table: role × status × community × approved request → verdict."""

from __future__ import annotations

import pytest

from archive_store.read_rule import (ADMIN, ARCHIVE, COMMUNITY, ENTERPRISE, Reader, Shelved, Verdict,
                                     verdict)
from archive_store.tables import PENDING, PUBLISHED, VOID, WITHDRAWN

OWN, OTHER = 7, 8
A, S, N, R = Verdict.ABSENT, Verdict.OUT_OF_SCOPE, Verdict.NEEDS_REQUEST, Verdict.READ

CASES = [
    # role, reader's community, volume status, volume's community, approved request, verdict
    (ADMIN, None, PUBLISHED, OTHER, False, R),
    (ARCHIVE, None, PUBLISHED, OTHER, False, R),
    (ARCHIVE, None, WITHDRAWN, OWN, False, R),  # custodians still read a 退回 volume
    (ARCHIVE, None, PENDING, OWN, False, A),  # an unfinished publish is nobody's to read
    (ADMIN, None, VOID, OWN, True, A),
    (COMMUNITY, OWN, PUBLISHED, OWN, False, N),  # sees the record, images need a request
    (COMMUNITY, OWN, PUBLISHED, OWN, True, R),
    (COMMUNITY, OWN, PUBLISHED, OTHER, True, S),  # a request does not widen the community
    (COMMUNITY, OWN, WITHDRAWN, OWN, True, A),  # 退回: out of community staff's sight
    (COMMUNITY, OWN, PENDING, OWN, True, A),
    (COMMUNITY, None, PUBLISHED, OWN, True, S),  # community staff without a community see nothing
    (ENTERPRISE, None, PUBLISHED, OWN, True, S),
    ("visitor", None, PUBLISHED, OWN, False, S),
]


@pytest.mark.parametrize("role,community,status,volume_community,approved,expected", CASES)
def test_verdict(role, community, status, volume_community, approved, expected):
    reader = Reader("某人", role, community)
    assert verdict(reader, Shelved(status, volume_community), approved_request=approved) is expected


def test_scope_follows_the_role():
    assert Reader("a", ADMIN).scope is None and Reader("b", ARCHIVE, OWN).scope is None
    assert Reader("c", COMMUNITY, OWN).scope == [OWN]
    assert Reader("d", COMMUNITY).scope == [] and Reader("e", ENTERPRISE, OWN).scope == []
