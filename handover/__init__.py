"""handover: transfer of SOE retirees to community management (国有企业退休人员社会化管理)."""

__version__ = "0.1.0"
