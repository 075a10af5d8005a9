"""Test support shared by the tests and the benchmarks (which put the repository root on sys.path):
throw-away servers (``seaweed``, ``local_cluster``) and scoring against sample truth (``evaluation``).
Nothing here is part of the installed product."""
