"""Generate docs/configuration.md from wetest/config/names.py (the one table of settings).

.venv/bin/python scripts/gen_config_doc.py          # write
.venv/bin/python scripts/gen_config_doc.py --check  # fail when out of date (a test runs it)
"""

from __future__ import annotations

import sys
from pathlib import Path

from wetest.config import names

HEADER = """# Configuration

Generated from `wetest/config/names.py` by `scripts/gen_config_doc.py`; do not edit by hand.

One naming rule: file key `x_y` in `[tool.wetest]` of the nearest `pyproject.toml` (or the file
named by `--wetest-config` / `WETEST_CONFIG`) = env `WETEST_X_Y` = option `--wetest-x-y` (the
`wetest` CLI also accepts `--x-y`). Precedence: option > env > file > default. `wetest config`
prints every value with its source; pytest prints the main ones in its header.

Ecosystem variables keep their meaning, one rank below wetest's own variable: `KUBECONFIG`
(for `kubeconfig`), `USE_EXISTING_CLUSTER=true` (for `backend=existing`). Binaries follow
controller-runtime: `TEST_ASSET_<NAME>` > `KUBEBUILDER_ASSETS` > `assets_dir` > the cache.

| key | env | option | default | meaning |
|---|---|---|---|---|
"""


def render() -> str:
    rows = []
    for s in names.SETTINGS:
        default = f"`{s.default}`" if s.default else "(empty)"
        meaning = s.meaning.replace("|", "\\|")
        rows.append(f"| `{s.key}` | `{s.env}` | `{s.option}` | {default} | {meaning} |")
    return HEADER + "\n".join(rows) + "\n"


def main() -> int:
    path = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
    text = render()
    if "--check" in sys.argv:
        if not path.is_file() or path.read_text() != text:
            print(f"{path} is out of date. Run: .venv/bin/python scripts/gen_config_doc.py")
            return 1
        return 0
    path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
