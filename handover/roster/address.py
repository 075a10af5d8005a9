"""Splitting a free-text Chinese address into province / city / county / street / community.

Rosters written from the seed form carry one text column (居住地详细地址); routing needs the parts.
The split is by administrative suffixes, so it works for places the gazetteer does not list.
"""

from __future__ import annotations

import re

from ..models import Address

_MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
_PATTERN = re.compile(
    r"^(?P<province>.{2,7}?(?:省|自治区))?"
    r"(?P<city>.{1,9}?(?:市|自治州|地区|盟))?"
    r"(?P<county>.{1,9}?(?:区|县|市|旗))?"
    r"(?P<street>.{1,9}?(?:街道办事处|街道|镇|乡))?"
    r"(?P<community>.{1,12}?(?:社区|居委会|村委会|村(?!社区|委会)))?"
    r"(?P<detail>.*)$"
)


def parse_address(raw: str) -> Address:
    s = re.sub(r"\s+", "", raw or "")
    province = ""
    for m in _MUNICIPALITIES:
        if s.startswith(m):
            province, s = m, s[len(m):]
            if s.startswith(m):  # 重庆市重庆市渝中区…
                s = s[len(m):]
            s = m + s  # keep the city part for the pattern
            break
    match = _PATTERN.match(s)
    if not match:
        return Address(detail=raw or "")
    parts = {k: v or "" for k, v in match.groupdict().items()}
    if province:
        parts["province"] = province
        parts["city"] = parts["city"] or province
    return Address(**parts)
