"""Roster intake: read .xlsx/.csv retiree lists, validate every row, import into the catalog."""

from .problems import Problem, Severity
from .reader import RosterFileError
from .scan import RosterResult, RosterScan, load_roster

__all__ = ["Problem", "RosterFileError", "RosterResult", "RosterScan", "Severity", "load_roster"]
