"""Every setting is documented in the README (datasette's habit)."""

from assistant.config import REPO_ROOT, Settings, setting_docs


def test_every_setting_is_documented_in_the_readme():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name, _, _ in setting_docs() if f"`{name}`" not in readme]
    assert missing == []


def test_environment_overrides_defaults():
    settings = Settings.load({"LODESTONE_TOP_K": "3", "LODESTONE_VERIFY_CITATIONS": "false"})
    assert settings.top_k == 3 and settings.verify_citations is False
