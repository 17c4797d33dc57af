"""docs/configuration.md is generated from core/settings.py and must not drift from it."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "settings_reference", ROOT / "scripts" / "settings_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_configuration_page_is_what_the_generator_writes():
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert page == _generator().render(), "run .venv/bin/python scripts/settings_reference.py"


def test_every_setting_has_a_row_with_its_meaning():
    from core.settings import Settings

    page = _generator().render()
    for name in Settings.__dataclass_fields__:
        row = next(line for line in page.splitlines() if f"`FOOTCAST_{name.upper()}`" in line)
        assert row.rstrip(" |").split("|")[-1].strip(), name


def test_a_setting_without_a_comment_fails_the_generation(tmp_path):
    generator = _generator()
    source = generator.SOURCE.read_text(encoding="utf-8")
    stripped = source.replace("  #: RabbitMQ", "")
    assert stripped != source
    generator.SOURCE = tmp_path / "settings.py"
    generator.SOURCE.write_text(stripped, encoding="utf-8")
    with pytest.raises(generator.UndocumentedSetting, match="broker_url"):
        generator.render()
