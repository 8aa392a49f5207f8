"""Every setting the code reads is defined in settings.py and documented in
docs/configuration.md, and every environment variable settings.py reads is documented too."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", "node_modules", ".git"}


def _python_files():
    for path in ROOT.rglob("*.py"):
        if not SKIP & set(path.relative_to(ROOT).parts):
            yield path


def _documented() -> str:
    return (ROOT / "docs" / "configuration.md").read_text()


def test_it_defines_and_documents_every_warmup_setting_the_code_reads():
    used = set()
    for path in _python_files():
        text = path.read_text()
        used |= set(re.findall(r"settings\.(WARMUP_[A-Z0-9_]+)", text))
        used |= set(re.findall(r"getattr\(\s*settings,\s*[\"'](WARMUP_[A-Z0-9_]+)", text))

    assert used, "the scan found no setting at all: the pattern is wrong"
    assert sorted(name for name in used if not hasattr(settings, name)) == []
    docs = _documented()
    assert sorted(name for name in used if f"`{name}`" not in docs) == []


def test_it_documents_every_environment_variable_settings_reads():
    source = (ROOT / "warmup_site" / "settings.py").read_text()
    names = set(re.findall(r"env_[a-z_]+\(\s*\"([A-Z0-9_]+)\"", source))

    assert len(names) > 20
    docs = _documented()
    assert sorted(name for name in names if f"`{name}`" not in docs) == []
