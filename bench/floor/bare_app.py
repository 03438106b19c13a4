"""A bare FastAPI app with one trivial route, served like `dangjian serve` (the /healthz floor).

python bench/floor/bare_app.py PORT WORKERS
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from app.cli import SERVER_OPTIONS  # the repository's root on the path first


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


if __name__ == "__main__":
    sys.path.insert(0, __import__("os").path.dirname(__file__))
    uvicorn.run(
        "bare_app:create_app",
        factory=True,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        workers=int(sys.argv[2]),
        **SERVER_OPTIONS,
    )
