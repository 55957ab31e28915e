"""The foundation: health check, error pages, languages, settings that keep the portal safe to run."""

import os
import re
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse


def test_healthz_is_200_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


@pytest.mark.parametrize(
    "database_url",
    ["sqlite:////nonexistent-directory/db.sqlite3", "postgres://liaison:liaison@127.0.0.1:1/liaison"],
    ids=["sqlite-missing-file", "postgres-refused"],
)
def test_healthz_is_503_when_the_database_is_unreachable(database_url):
    """A separate process whose database cannot be reached answers /healthz with 503."""
    code = (
        "import django; django.setup(); from django.test import Client;"
        "print(Client(SERVER_NAME='localhost').get('/healthz').status_code)"
    )
    env = {**os.environ, "DATABASE_URL": database_url}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "503"


def test_home_page_is_in_chinese_by_default(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="zh-hans" class="no-js">' in response.text
    assert "代表联络站门户" in response.text


def test_language_switch_sets_english(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    assert '<html lang="en" class="no-js">' in response.text
    assert "Deputy Liaison Station Portal" in response.text


def test_unknown_page_is_a_friendly_404_in_the_portal_look(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.text
    assert "Traceback" not in response.text


def test_server_error_page_shows_no_stack_trace(client, db, settings):
    from stations.views.errors import server_error

    response = server_error(client.get("/").wsgi_request)
    assert response.status_code == 500
    assert "出错了" in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_pages_reference_no_remote_assets(client, db):
    html = client.get("/").text
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html
    assert "/static/bootstrap/css/bootstrap.min.css" in html


@pytest.mark.parametrize("locale", ["zh_Hans"])
def test_translation_catalogue_is_complete(locale):
    catalogue = polib.pofile(str(settings.BASE_DIR / "locale" / locale / "LC_MESSAGES" / "django.po"))
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not missing, f"untranslated strings: {missing[:20]}"
    assert not fuzzy, f"fuzzy strings: {fuzzy[:20]}"


def test_sqlite_default_uses_wal_and_immediate_transactions(tmp_path):
    """A real SQLite file opened through the settings: WAL journal, IMMEDIATE transactions."""
    code = (
        "import django; django.setup();"
        "from django.db import connection; from django.conf import settings;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode');"
        "print(c.fetchone()[0], settings.DATABASES['default']['OPTIONS']['transaction_mode'])"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["wal", "IMMEDIATE"]


def test_each_english_string_has_one_chinese_translation_across_the_parts():
    """The parts' translation files feed one catalogue: two different Chinese texts for one English string
    would let the later file silently win on every page that uses it."""
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted((settings.BASE_DIR / "locale" / "zh_Hans" / "strings").glob("*.txt")):
        for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
            english, chinese = (line.strip() for line in block.splitlines() if line.strip())
            english = " ".join(english.split())
            if english in seen and seen[english][1] != chinese:
                clashes.append(f"{english!r}: {seen[english][0]} says {seen[english][1]}, {path.name} says {chinese}")
            seen.setdefault(english, (path.name, chinese))
    assert not clashes, "\n".join(clashes)


def test_every_environment_variable_is_documented():
    """Each variable the settings read is in .env.example and in the README's configuration table."""
    read = set(re.findall(r'env(?:\.\w+)?\("([A-Z_]+)"', (settings.BASE_DIR / "liaison" / "settings.py").read_text()))
    example = (settings.BASE_DIR / ".env.example").read_text()
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert read, "no variables found: the pattern no longer matches settings.py"
    assert [name for name in sorted(read) if name not in example] == []
    assert [name for name in sorted(read) if f"`{name}`" not in readme] == []


def test_every_scrollable_table_can_be_reached_and_scrolled_with_the_keyboard():
    """axe's scrollable-region-focusable: a container that scrolls sideways takes focus (tabindex="0") and
    names itself as a region, so a keyboard user can reach it and scroll with the arrow keys."""
    templates = Path(__file__).resolve().parent.parent / "templates"
    containers = [
        (path.name, tag)
        for path in templates.rglob("*.html")
        for tag in re.findall(r'<div[^>]*class="[^"]*table-responsive[^"]*"[^>]*>', path.read_text(encoding="utf-8"))
    ]
    assert len(containers) >= 10
    for name, tag in containers:
        assert 'tabindex="0"' in tag and 'role="region"' in tag, (name, tag)
        assert "aria-label=" in tag or "aria-labelledby=" in tag, (name, tag)


def test_data_migrations_write_on_the_connection_migrate_runs_on():
    """migrate runs as the tables' owner (stations.db_roles); a data migration that writes through the default
    connection reaches the portal's runtime role — on a test database set up by the owner, the wrong database."""
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "stations" / "migrations"
    offenders = [
        path.name
        for path in sorted(folder.glob("0*.py"))
        if "RunPython" in (text := path.read_text())
        and ".objects." in text
        and "schema_editor.connection.alias" not in text
    ]
    assert not offenders, f"data migrations writing through the default connection: {offenders}"
