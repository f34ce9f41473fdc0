"""Evidence of a failure, collected by the library: the plugin calls it, and so can a script.

``collect`` (in ``wetest.evidence.collect``) gathers what one test touched — WE/PipelineRun YAML,
Events, audit events, the controller log cut to its objects, the API calls on them, the stack's
state, the wait history and a timeline — and writes it as files. ``timeline`` builds the
timeline. Reading evidence back for the triage report is ``wetest.report``'s job.
"""
