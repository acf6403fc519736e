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
            if raw is not None:
                values[f.name] = int(raw) if f.type in ("int", int) else raw
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
        """Parse the credentials setting; raises ValueError on a malformed entry."""
        result = []
        for entry in filter(None, (e.strip() for e in self.credentials.split(","))):
            parts = entry.split(":")
            if len(parts) != 3 or not all(parts):
                raise ValueError(f"bad credential entry {entry!r}: expected AKID:SECRET:ACCOUNT")
            result.append(Credential(parts[0], parts[1], parts[2]))
        return result

    def validate(self) -> None:
        """Refuse settings that cannot work; raises ValueError with the reason."""
        if self.auth_mode not in ("off", "strict"):
            raise ValueError(f"--auth must be off or strict, not {self.auth!r}")
        if self.auth_mode == "strict" and not self.parsed_credentials():
            raise ValueError(
                "strict authentication needs credentials: set CLOUDLET_CREDENTIALS=AKID:SECRET:ACCOUNT"
            )
        if not (len(self.account_id) == 12 and self.account_id.isdigit()):
            raise ValueError("--account-id must be 12 digits")
