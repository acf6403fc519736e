"""The Platform: one running cloudlet's config, store, authenticator and loaded services."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module

from cloudlet import __version__
from cloudlet.aws.auth import Authenticator
from cloudlet.config import Config
from cloudlet.services import REGISTRY
from cloudlet.services.base import Service
from cloudlet.store import Store, open_store

log = logging.getLogger("cloudlet")


class Platform:
    """Everything one cloudlet process serves. Services load on first use."""

    def __init__(self, config: Config, store: Store | None = None) -> None:
        self.config = config
        self.started = time.time()
        self.store = store or open_store(config.store, config.data_path)
        self.service_names = sorted(REGISTRY)
        self.auth = Authenticator(self)
        self._services: dict[str, Service] = {}
        self._loading: dict[str, asyncio.Future] = {}
        self._executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="cloudlet-op")
        self.loop: asyncio.AbstractEventLoop | None = None

    async def service(self, name: str) -> Service:
        """The loaded service instance for a name, loading (and migrating) it on first use."""
        service = self._services.get(name)
        if service is not None:
            return service
        pending = self._loading.get(name)
        if pending is not None:
            return await pending
        future = self._loading[name] = asyncio.get_running_loop().create_future()
        try:
            module_name, _, class_name = REGISTRY[name].partition(":")
            cls = getattr(import_module(module_name), class_name)
            service = await self.run_sync(cls, self)
            await service.start()
            self._services[name] = service
            future.set_result(service)
            return service
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved
            raise
        finally:
            self._loading.pop(name, None)

    def loaded_service(self, name: str) -> Service | None:
        return self._services.get(name)

    async def run_sync(self, fn, *args):
        """Run a blocking call: inline with SQLite (microseconds), in a worker thread with PostgreSQL."""
        if not self.store.blocking:
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def health(self) -> dict:
        return {
            "status": "running",
            "version": __version__,
            "store": self.store.kind,
            "services": {
                name: ("loaded" if name in self._services else "available") for name in self.service_names
            },
            "uptime": round(time.time() - self.started, 3),
            "region": self.config.region,
            "auth": self.auth.mode,
        }

    async def reset(self) -> None:
        """Wipe all state: every table's rows and every service's in-memory state."""
        await self.run_sync(self.store.reset)
        for service in list(self._services.values()):
            service.reset()

    async def startup(self) -> None:
        """Bind to the running loop and load every service that already holds state.

        A service that was used before a restart has its migrations recorded; loading it now
        resumes its background duties (move tasks, retries, sweeps) without waiting for a request.
        Services never used stay unloaded, so an empty cloud starts fast."""
        self.loop = asyncio.get_running_loop()
        for name in await self.run_sync(self._services_with_state):
            try:
                await self.service(name)
            except Exception:
                log.exception("loading %s at start-up", name)

    def _services_with_state(self) -> list[str]:
        if "cloudlet_migrations" not in self.store.tables():
            return []
        with self.store.read() as conn:
            owners = {row[0] for row in conn.all("SELECT DISTINCT owner FROM cloudlet_migrations")}
        return [name for name in self.service_names if name in owners]

    async def shutdown(self) -> None:
        for service in list(self._services.values()):
            try:
                await service.stop()
            except Exception:
                log.exception("stopping %s", service.name)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.store.close()
