"""SOPS + age secrets: round trips, no plaintext in the repository, no secret in logs."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import structlog
import yaml

from core.logging import MASK, SECRET_KEY_PATTERN, SecretRedactor, configure_logging
from core.settings import Settings

from .conftest import ROOT
from .secrets_scan import (
    DEV_KEY,
    ENCRYPTED,
    SECRET_PATTERNS,
    find_plaintext_secrets,
    repository_files,
    sops_recipients,
    unencrypted_values,
)

SECRETS = ROOT / "secrets"
SOPS_CONFIG = SECRETS / ".sops.yaml"


def _sops() -> str:
    found = shutil.which("sops") or str(ROOT / ".venv" / "bin" / "sops")
    if not os.access(found, os.X_OK):
        pytest.fail("sops is missing: it comes from the dev extra (make venv)")
    return found


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: run scripts/deploy-tools.sh (Debian package age)")
    return found


def _dev_env() -> dict[str, str]:
    return {**os.environ, "SOPS_AGE_KEY_FILE": str(ROOT / DEV_KEY)}


def _decrypt(path: Path) -> dict[str, str]:
    out = subprocess.run(
        [_sops(), "decrypt", "--output-type", "json", str(path)],
        env=_dev_env(), capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def dev_secrets() -> dict[str, str]:
    return _decrypt(SECRETS / "dev.enc.yaml")


def _creation_rules() -> dict[str, str]:
    rules = yaml.safe_load(SOPS_CONFIG.read_text())["creation_rules"]
    return {("dev" if "dev" in r["path_regex"] else "prod"): r["age"] for r in rules}


def _public_key_of(key_file: Path) -> str:
    out = subprocess.run(
        [_tool("age-keygen"), "-y", str(key_file)], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_dev_secrets_round_trip_through_sops_and_age(dev_secrets, tmp_path):
    plain = tmp_path / "dev.enc.yaml"  # named like the real file so the dev rule applies
    plain.write_text(yaml.safe_dump(dev_secrets))
    encrypted = subprocess.run(
        [_sops(), "--config", str(SOPS_CONFIG), "encrypt", str(plain)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    for value in dev_secrets.values():
        assert value not in encrypted
    again = tmp_path / "again.enc.yaml"
    again.write_text(encrypted)
    assert sops_recipients(again) == {_creation_rules()["dev"]}
    assert _decrypt(again) == dev_secrets


def test_the_committed_dev_key_opens_the_dev_file_and_says_it_is_for_development_only():
    key_file = ROOT / DEV_KEY
    assert "DEVELOPMENT ONLY" in key_file.read_text().splitlines()[0]
    assert _public_key_of(key_file) == _creation_rules()["dev"]
    assert sops_recipients(SECRETS / "dev.enc.yaml") == {_creation_rules()["dev"]}


def test_production_secrets_are_encrypted_only_to_the_production_key():
    assert sops_recipients(SECRETS / "prod.enc.yaml") == {_creation_rules()["prod"]}
    assert _creation_rules()["prod"] != _creation_rules()["dev"]
    with pytest.raises(subprocess.CalledProcessError):
        _decrypt(SECRETS / "prod.enc.yaml")  # the dev key cannot open it


def test_every_value_in_every_secrets_file_is_encrypted():
    files = sorted(SECRETS.glob("*.enc.yaml"))
    assert {f.name for f in files} >= {"dev.enc.yaml", "prod.enc.yaml"}
    for path in files:
        assert unencrypted_values(yaml.safe_load(path.read_text())) == [], path.name


def test_dev_and_production_files_hold_the_same_keys():
    dev = set(yaml.safe_load((SECRETS / "dev.enc.yaml").read_text())) - {"sops"}
    prod = set(yaml.safe_load((SECRETS / "prod.enc.yaml").read_text())) - {"sops"}
    assert dev == prod


def _secret_values(secrets: dict[str, str]) -> set[str]:
    """Passwords and keys of a secrets file: values named like secrets, URL passwords."""
    values = {v for k, v in secrets.items() if SECRET_KEY_PATTERN.search(k)}
    return values | {urlsplit(v).password or "" for v in secrets.values()} - {""}


def test_no_file_in_the_repository_holds_a_plaintext_secret(dev_secrets):
    known = _secret_values(dev_secrets)
    assert len(known) >= 4
    findings = find_plaintext_secrets(ROOT, repository_files(ROOT), known)
    assert findings == []


def test_the_plaintext_check_finds_planted_secrets(tmp_path, dev_secrets):
    planted = {
        "key.txt": "AGE-SECRET-KEY-1" + "Q" * 58,
        "id_rsa": "-----BEGIN RSA " + "PRIVATE KEY-----\nMII...",
        "aws.env": "AWS_ACCESS_KEY_ID=" + "AKIA" + "ABCDEFGHIJKLMNOP",
        "config.yaml": f"password: {dev_secrets['REDIS_PASSWORD']}",
    }
    for name, text in planted.items():
        (tmp_path / name).write_text(text)
    findings = find_plaintext_secrets(tmp_path, sorted(planted), _secret_values(dev_secrets))
    assert len(findings) == len(planted), findings
    assert set(SECRET_PATTERNS) >= {"age private key", "private key block"}
    assert unencrypted_values({"A": "plain", "sops": {}}) == ["A"]
    assert ENCRYPTED.match(yaml.safe_load((SECRETS / "dev.enc.yaml").read_text())["REDIS_PASSWORD"])


def test_secrets_env_script_runs_a_command_with_the_decrypted_values(dev_secrets):
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "secrets-env.sh"), "secrets/dev.enc.yaml", "--",
         "sh", "-c", 'printf "%s" "$REDIS_PASSWORD"'],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert out.stdout == dev_secrets["REDIS_PASSWORD"]


def test_secrets_env_script_prints_exports_a_shell_can_eval(dev_secrets):
    script = (
        'eval "$(bash scripts/secrets-env.sh secrets/dev.enc.yaml)" && '
        'printf "%s\\n" "$FOOTCAST_BROKER_URL" "$AWS_SECRET_ACCESS_KEY"'
    )
    out = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    expected = [dev_secrets["FOOTCAST_BROKER_URL"], dev_secrets["AWS_SECRET_ACCESS_KEY"]]
    assert out.stdout.splitlines() == expected


def test_secrets_k8s_script_renders_a_valid_kubernetes_secret(dev_secrets):
    out = subprocess.run(
        ["bash", "scripts/secrets-k8s.sh", "secrets/dev.enc.yaml", "footcast-secrets", "ns1"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    secret = yaml.safe_load(out.stdout)
    kubernetes_validate.validate(secret, "1.27", strict=True)
    assert secret["metadata"] == {
        "name": "footcast-secrets", "namespace": "ns1",
        "labels": {"app.kubernetes.io/part-of": "footcast"},
    }  # fmt: skip
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert decoded == dev_secrets


def test_every_secret_key_the_chart_reads_is_in_the_secrets_files(dev_secrets):
    from .conftest import pod_spec, render

    wanted = set()
    for manifest in render():
        spec = pod_spec(manifest)
        for container in [
            *(spec or {}).get("initContainers", []),
            *(spec or {}).get("containers", []),
        ]:
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    wanted.add(ref["key"])
    assert wanted and wanted <= set(dev_secrets)


def test_chart_settings_and_dev_secrets_make_valid_settings(dev_secrets):
    from .conftest import find, render

    config = find(render(), "ConfigMap", "footcast-settings")["data"]
    env = {k: v for k, v in {**config, **dev_secrets}.items() if k.startswith("FOOTCAST_")}
    settings = Settings.from_env(env)
    assert settings.broker_url == dev_secrets["FOOTCAST_BROKER_URL"]


def test_logs_never_print_secret_values_from_the_dev_file(dev_secrets):
    settings = Settings.from_env(
        {k: v for k, v in dev_secrets.items() if k.startswith("FOOTCAST_")}
        | {"FOOTCAST_LOG_FORMAT": "json"}
    )
    stream = io.StringIO()
    configure_logging(settings, stream=stream)
    log = structlog.get_logger("deploy")
    log.info(f"connecting to {settings.broker_url}", database=settings.database_url)
    log.warning("cache down", url=settings.cache_url, aws_secret_access_key="anything")
    output = stream.getvalue()
    for name in ("RABBITMQ_DEFAULT_PASS", "POSTGRES_PASSWORD", "REDIS_PASSWORD"):
        assert dev_secrets[name] not in output, name
    assert json.loads(output.splitlines()[-1])["aws_secret_access_key"] == MASK


def test_secret_redactor_masks_every_dev_secret_value(dev_secrets):
    redactor = SecretRedactor(dev_secrets.values())
    event = {
        "event": f"s3 login {dev_secrets['AWS_SECRET_ACCESS_KEY']}",
        "detail": dict(dev_secrets),
    }
    event = redactor(None, "info", {**event, "detail": str(event["detail"])})
    text = json.dumps(event)
    for name, value in dev_secrets.items():
        if name != "AWS_ACCESS_KEY_ID":  # a user name, not a secret
            assert value not in text, name
