"""Write a local .env with a freshly generated SECRET_KEY, once. An existing .env is never touched."""

import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    target = ROOT / ".env"
    if target.exists():
        return
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    key = secrets.token_urlsafe(50)
    target.write_text(example.replace("SECRET_KEY=change-me", f"SECRET_KEY={key}"), encoding="utf-8")
    target.chmod(0o600)
    sys.stdout.write("wrote .env with a new SECRET_KEY\n")


if __name__ == "__main__":
    main()
