"""The manual-inspection sample of a received package (DA/T 31-2017 §12.3: ≥ 5% of the volumes),
drawn so that anyone can draw it again: the same 档号 and the same seed give the same sample.

Pure. The seed is recorded with the draw (audit log, command output); without one given, a new
random seed is made, so a vendor cannot know in advance which volumes will be looked at.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass

MIN_SHARE = 0.05


@dataclass(frozen=True)
class Sample:
    seed: str
    share: float
    population: int
    ref_nos: tuple[str, ...]  # in the order of the catalogue

    def as_dict(self) -> dict:
        return {"seed": self.seed, "share": self.share, "population": self.population, "ref_nos": list(self.ref_nos)}


def new_seed() -> str:
    return secrets.token_hex(8)


def draw(ref_nos: list[str], seed: str, share: float = MIN_SHARE) -> Sample:
    """At least ``share`` of the volumes (rounded up, at least one of a non-empty package). The
    draw depends on the set of 档号 and the seed only, not on the catalogue's order."""
    if share < MIN_SHARE or share > 1:
        raise ValueError(f"抽检比例应在 {MIN_SHARE:.0%} 到 100% 之间")
    unique = sorted(set(ref_nos))
    k = min(len(unique), math.ceil(len(unique) * share)) if unique else 0
    chosen = set(random.Random(f"dat31-sample:{seed}").sample(unique, k))
    ordered = tuple(r for r in dict.fromkeys(ref_nos) if r in chosen)
    return Sample(seed, share, len(unique), ordered)
