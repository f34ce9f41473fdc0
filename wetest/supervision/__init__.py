"""The stack supervisor: one background process owns the stack and the controller target.

Shared by `wetest up` and the pytest plugin (which both sit one layer up): spawn it, wait until
it reports ready, talk to it (restart the controller, stop DataStorage), stop it.
"""
