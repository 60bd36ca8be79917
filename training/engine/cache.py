"""Loaded models kept per worker process, the least recently used dropped past a size."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable


class ModelCache[Model]:
    """A small LRU of loaded models: a worker serves the same few models again and again, and
    loading one costs seconds, but each holds hundreds of MB."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._models: OrderedDict[str, Model] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], Model]) -> Model:
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        model = load()  # outside the lock: another model may be served meanwhile
        with self._lock:
            self._models[key] = model
            self._models.move_to_end(key)
            while len(self._models) > self.size:
                self._models.popitem(last=False)
        return model

    def info(self) -> dict:
        with self._lock:
            return {"size": len(self._models), "max": self.size, "keys": list(self._models)}

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
