"""Change events for the core's state objects, in the spirit of napari's evented models: an
object owns named emitters, a front end connects to the ones it shows, and the object never
knows who listens. No Qt here: the window re-emits on its own thread where it must.

    events = Events("build", "run")
    events.build.connect(print)
    events.build(entry)             # every connected callback gets `entry`
"""

from __future__ import annotations

from typing import Any, Callable

Callback = Callable[[Any], None]


class Emitter:
    """One named event: callbacks in the order they were connected."""

    def __init__(self, name: str):
        self.name = name
        self._callbacks: list[Callback] = []

    def connect(self, callback: Callback) -> Callback:
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def __call__(self, value: Any = None) -> None:
        for callback in list(self._callbacks):   # a callback may disconnect itself
            callback(value)


class Events:
    """A group of emitters, one attribute per name."""

    def __init__(self, *names: str):
        self.names = names
        for name in names:
            setattr(self, name, Emitter(name))

    def __getattr__(self, name: str) -> Emitter:
        # Only reached for names not given: say which exist instead of a bare AttributeError.
        raise AttributeError(f"no event {name!r}; these exist: {', '.join(self.__dict__.get('names', ()))}")
