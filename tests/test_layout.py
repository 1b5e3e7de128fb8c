"""The shape of the system: three surfaces over one core that knows nothing of the web."""
from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import kiosk.core

ROOT = Path(__file__).resolve().parent.parent
# What the core must never pull in: the web framework, the SMS gateway's library, the model runtime.
NOT_IN_THE_CORE = ("flask", "werkzeug", "jinja2", "flask_babel", "wtforms", "twilio", "ctranslate2", "sentencepiece")


def _imported_after(statement: str) -> set[str]:
    script = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_the_core_imports_no_web_framework_sms_gateway_or_model_runtime():
    modules = [f"kiosk.core.{m.name}" for m in pkgutil.iter_modules(kiosk.core.__path__) if m.name != "migrations"]
    assert "kiosk.core.cases" in modules and "kiosk.core.jobs" in modules
    loaded = _imported_after("\n".join(f"import {m}" for m in modules))
    assert not {name.split(".")[0] for name in loaded} & set(NOT_IN_THE_CORE)


def test_the_sms_gateway_does_not_import_the_worker():
    loaded = _imported_after("import sms.outbound")
    assert "kiosk.worker" not in loaded
