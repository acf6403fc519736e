"""Settings: command-line flags override CLOUDLET_* environment variables override defaults."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_ACCOUNT = "000000000000"


@dataclass
class Credential:
    """One configured access key: its secret and the account it belongs to."""

    access_key: str
    secret_key: str
    account_id: str
    admin: bool = True


@dataclass
class Config:
    """Everything a cloudlet server needs to know to start."""

    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: str = "./.cloudlet"
    store: str = "sqlite"
    auth: str = ""  # "off" | "strict"; empty means: decide from the host
    region: str = "us-east-1"
    account_id: str = DEFAULT_ACCOUNT
    credentials: str = ""  # "AKID:SECRET:ACCOUNT,..."
    log_level: str = "info"
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Config:
        """Build a Config from CLOUDLET_<NAME> variables, then apply non-None overrides."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = environ.get("CLOUDLET_" + f.name.upper())
            if raw is None:
                continue
            if f.type in ("int", int):
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise ValueError(f"CLOUDLET_{f.name.upper()} must be a number, not {raw!r}") from None
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def is_loopback(self) -> bool:
        if self.host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def auth_mode(self) -> str:
        """'off' or 'strict': strict is the default whenever the server listens beyond loopback."""
        if self.auth:
            return self.auth
        return "off" if self.is_loopback else "strict"

    @property
    def store_kind(self) -> str:
        return "postgresql" if self.store.startswith(("postgresql://", "postgres://")) else "sqlite"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()

    def parsed_credentials(self) -> list[Credential]:
        """Parse the credentials setting, "AKID:SECRET:ACCOUNT[:admin|user],...".

        Keys are admins (may reset the platform) unless marked `user`. Raises ValueError on a
        malformed entry; the message never repeats the secret."""
        result = []
        seen = set()
        for entry in filter(None, (e.strip() for e in self.credentials.split(","))):
            parts = entry.split(":")
            if len(parts) not in (3, 4) or not all(parts):
                raise ValueError(
                    f"bad credential entry for {parts[0]!r}: expected AKID:SECRET:ACCOUNT[:admin|user]"
                )
            key, secret, account = parts[:3]
            role = parts[3] if len(parts) == 4 else "admin"
            if not _is_account_id(account):
                raise ValueError(f"bad credential entry for {key!r}: the account must be 12 digits")
            if role not in ("admin", "user"):
                raise ValueError(f"bad credential entry for {key!r}: the role must be admin or user")
            if key in seen:
                raise ValueError(f"access key {key!r} is listed twice")
            if key.startswith("ASIA"):
                raise ValueError(f"access key {key!r}: ASIA keys are reserved for temporary credentials")
            seen.add(key)
            result.append(Credential(key, secret, account, admin=role == "admin"))
        return result

    def validate(self) -> None:
        """Refuse settings that cannot work; raises ValueError with the reason."""
        if self.auth_mode not in ("off", "strict"):
            raise ValueError(f"--auth must be off or strict, not {self.auth!r}")
        if self.auth_mode == "strict" and not self.parsed_credentials():
            reason = "--auth strict" if self.auth else f"listening on {self.host} (beyond loopback)"
            raise ValueError(
                f"{reason} verifies every request, so it needs credentials: "
                "set CLOUDLET_CREDENTIALS=AKID:SECRET:ACCOUNT[,...] (or --credentials)"
            )
        self.parsed_credentials()
        if not _is_account_id(self.account_id):
            raise ValueError("--account-id must be 12 digits")
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"--log-level must be debug, info, warning or error, not {self.log_level!r}")
        if not 0 <= self.port < 65536:
            raise ValueError(f"--port must be between 0 and 65535, not {self.port}")


def _is_account_id(value: str) -> bool:
    return len(value) == 12 and value.isdigit()
