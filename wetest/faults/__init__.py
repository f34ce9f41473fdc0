"""Fault injection: outages, restarts, kills, pauses and conflict storms, as composable faults.

Used by the ``we_faults`` fixture (``wetest.plugin.faults``) and by ``bench/chaos.py``. Each
fault acts through the stack supervisor's command channel (``wetest.stack.control``) or a
signal to a recorded process, and restores the stack afterwards. Which targets a fault
applies to is in :data:`outages.APPLIES`.
"""
