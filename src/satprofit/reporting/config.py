"""The JSON run config a report notebook receives (as the path in its ``config_path`` parameter).

Only code writes it (``satprofit report``), so every client-supplied string (a client id) travels
inside JSON, never as code or as a path. A notebook reads it with :func:`load_config`.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from satprofit.constants import DEFAULT_SEED
from satprofit.io.loader import atomic_write_text

#: Fewest clients behind any portfolio benchmark shown to a client (else it is omitted).
MIN_BENCHMARK_CLIENTS = 5


@dataclass(frozen=True)
class ReportConfig:
    """What one report renders.

    Attributes
    ----------
    run : str
        Run folder written by ``satprofit fit`` (absolute path; read, never written).
    kind : {"client", "portfolio"}
    client_id : str or None
        The client (``kind="client"``), as in the data; None for the portfolio report.
    seed : int
        Seed of the what-if draws.
    min_benchmark_clients : int
        Fewest clients behind a benchmark shown to a client.
    data : str or None
        The data folder the run was fitted on (absolute path; runs do not record it).
    encoding : str or None
        Encoding of the data folder's CSV files when they are not UTF-8.
    """

    run: str
    kind: str = "client"
    client_id: str | None = None
    seed: int = DEFAULT_SEED
    min_benchmark_clients: int = MIN_BENCHMARK_CLIENTS
    data: str | None = None
    encoding: str | None = None

    def __post_init__(self):
        if self.kind not in ("client", "portfolio"):
            raise ValueError(f"report kind must be 'client' or 'portfolio', not {self.kind!r}")
        if self.kind == "client" and not self.client_id:
            raise ValueError("a client report needs a client_id")

    def write(self, path: str | os.PathLike) -> Path:
        """Write the config as JSON (atomically); returns the path."""
        return write_json_config(self, path)


def write_json_config(config, path: str | os.PathLike) -> Path:
    """Write a config dataclass as JSON (atomically); returns the path."""
    return atomic_write_text(Path(path), json.dumps(asdict(config), indent=2))


def read_json_config(cls, path: str | os.PathLike, what: str = "report"):
    """A config dataclass ``cls`` read from JSON written by :func:`write_json_config`; unknown
    keys are refused (a config of another kind or version)."""
    data = json.loads(Path(path).read_text())
    unknown = set(data) - set(cls.__dataclass_fields__)
    if unknown:
        raise ValueError(f"{path}: unknown {what} config keys {sorted(unknown)}")
    return cls(**data)


def load_config(path: str | os.PathLike) -> ReportConfig:
    """Read a config written by :meth:`ReportConfig.write`."""
    return read_json_config(ReportConfig, path)
