"""``python -m handover_app …``: the same as the ``handover`` console script."""

from .cli import main

main(prog_name="handover")
