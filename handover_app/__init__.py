"""The assembled application: the ``handover`` command line composed from each package's own
commands, and the demo that runs through all of them.

It sits above every package so that none of them, the core ``handover`` least of all, needs to
know which packages exist.
"""
