"""The clause parser follows DOMAIN §0.4, and the shipped catalogue is the contract's."""

from __future__ import annotations

import hashlib

from wetest.report import clauses

SAMPLE = """\
## 2. Controller behaviour
### 2.3 The PipelineRun
- WE-PR-001 [Core] Name = `wfe-` + the first 16 lowercase hex characters of SHA-256 over the
  UTF-8 bytes of `spec.targetResource`.
- WE-FIN-002 [Ext] The finalizer name is `workflowexecution.kubernaut.ai/workflowexecution-cleanup`.
## 3. Conditions (profile Conditions)
| ID | Type | Status |
|---|---|---|
| WE-COND-010 | TektonPipelineCreated | True |
### 4.1 Which events
| WE-AUD-010 | Pending→Running (adoption — SHOULD, [Ext]) | `workflow.started` |
| WE-AUD-015 [Ext, L25 only] | →Skipped | `workflow.skipped` |
### 5.2 Endpoints
| DS-HLT-001 | `GET /health` | 200 |
- DS-DB-002 [DS, OPTIONAL] Kubernaut partitions by RANGE.
### 6.1 Environment
- ENV-005 [seed] DataStorage at `http://localhost:18100`.
- should create PipelineRun when WFE is created → WE-PR-001..004, WE-RUN-010
"""


def test_parse_takes_bullet_tags_and_section_profiles_for_rows() -> None:
    found = clauses.parse(SAMPLE)
    assert {cid: c.profile for cid, c in found.items()} == {
        "WE-PR-001": "Core",
        "WE-FIN-002": "Ext",
        "WE-COND-010": "Cond",
        "WE-AUD-010": "Audit",
        "WE-AUD-015": "Ext",
        "DS-HLT-001": "DS",
        "DS-DB-002": "DS",
        "ENV-005": "Env",
    }
    assert found["WE-PR-001"].title.startswith("Name = `wfe-` + the first 16")
    assert found["WE-COND-010"].title == "TektonPipelineCreated True"


def test_long_titles_are_cut_to_about_80_characters() -> None:
    text = "- WE-CRD-001 [Core] " + "word " * 40
    title = clauses.parse(text)["WE-CRD-001"].title
    assert len(title) == clauses.TITLE_LENGTH
    assert title.endswith("…")


def test_clause_set_hash_is_sha256_of_sorted_ids() -> None:
    expected = hashlib.sha256(b"DS-API-001\nWE-PR-001\nWE-PR-002").hexdigest()
    assert clauses.clause_set_hash(["WE-PR-002", "DS-API-001", "WE-PR-001"]) == expected


def test_shipped_catalogue_holds_every_profile() -> None:
    catalogue = clauses.load()
    assert len(catalogue) == 140
    counts = {tag: sum(c.profile == tag for c in catalogue.values()) for tag in clauses.TAGS}
    assert counts == {"Core": 61, "Cond": 14, "Audit": 11, "Ext": 18, "DS": 27, "Env": 9}
    assert catalogue["WE-STAT-004"].profile == "Audit"
    assert catalogue["WE-AUD-011"].profile == "Audit"
    assert catalogue["DS-HLT-003"].profile == "DS"


def test_to_json_round_trips_through_load_format() -> None:
    found = clauses.parse(SAMPLE)
    text = clauses.to_json(found)
    assert '"WE-COND-010": {' in text
    assert text.endswith("}\n")


def test_tag_of_accepts_every_spelling_the_run_files_use() -> None:
    spellings = ["core", "conditions", "Cond", "audit", "extended", "datastorage", "DS"]
    assert [clauses.tag_of(s) for s in spellings] == [
        "Core", "Cond", "Cond", "Audit", "Ext", "DS", "DS",
    ]  # fmt: skip
    assert clauses.tag_of("nonsense") is None
