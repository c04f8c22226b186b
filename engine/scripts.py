"""Loads lua/*.lua once and runs each through EVALSHA.

A file is named `<verb_noun>-<numkeys>.lua` and opens with a header (BullMQ style) that
lists every KEYS[i] and ARGV[i] and what it returns; tests/lua checks each header against
its file name and body. Every call is checked against the key count of its file name.
A line `--- @include "<name>"` is replaced by lua/includes/<name>.lua (shared helpers).
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from redis.exceptions import NoScriptError

LUA_DIR = Path(__file__).resolve().parent.parent / "lua"
_NAME = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)-(?P<numkeys>\d+)\.lua$")
_INCLUDE = re.compile(r'^--- @include "([a-z0-9_]+)"$', re.M)

#: Called as observer(script, keys) before every script call; tests assert slots with it.
observers: list[Callable[[Script, Sequence[str]], None]] = []


def _included(match: re.Match) -> str:
    return (LUA_DIR / "includes" / f"{match[1]}.lua").read_text(encoding="utf-8").rstrip("\n")


class Script:
    """One Lua file: its name, key count, source and SHA-1."""

    def __init__(self, path: Path):
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"{path.name}: a script file is named <verb_noun>-<numkeys>.lua")
        self.path = path
        self.name = match["name"]
        self.numkeys = int(match["numkeys"])
        self.source = _INCLUDE.sub(_included, path.read_text(encoding="utf-8"))
        self.sha = hashlib.sha1(self.source.encode()).hexdigest()

    def check(self, keys: Sequence[str]) -> None:
        if len(keys) != self.numkeys:
            raise TypeError(f"{self.name} takes {self.numkeys} keys, got {len(keys)}")
        for observe in observers:
            observe(self, keys)

    def __call__(self, client: Any, keys: Sequence[str], args: Sequence[Any] = ()) -> Any:
        """Run on `client` (a client or a cluster client); loads the script if the server
        lacks it (after a restart or SCRIPT FLUSH) and runs it again. For pipelines: Batch."""
        self.check(keys)
        try:
            return client.evalsha(self.sha, self.numkeys, *keys, *args)
        except NoScriptError:
            client.script_load(self.source)
            return client.evalsha(self.sha, self.numkeys, *keys, *args)

    def __repr__(self) -> str:
        return f"<Script {self.path.name}>"


class Batch:
    """Commands sent together in one round trip: a non-transactional pipeline (split by node
    on a cluster). A script call that meets NOSCRIPT did not run: it is loaded and run again.

        batch = Batch(r)
        batch.script(_apply, keys, args)
        batch.raw("XADD", stream, "*", "field", "value")
        applied, entry_id = batch.execute()
    """

    def __init__(self, client: Any):
        self.client = client
        self.pipe = client.pipeline(transaction=False)
        self._scripts: list[tuple[Script, Sequence[str], Sequence[Any]] | None] = []

    def __len__(self) -> int:
        return len(self._scripts)

    def script(self, script: Script, keys: Sequence[str], args: Sequence[Any] = ()) -> None:
        script.check(keys)
        # as a raw command: a cluster pipeline refuses its evalsha() method, but routes
        # EVALSHA by its keys like any other command
        self.pipe.execute_command("EVALSHA", script.sha, script.numkeys, *keys, *args)
        self._scripts.append((script, keys, args))

    def raw(self, *command: Any) -> None:
        """A command as Redis spells it, without the client method's argument handling (for
        hot loops): batch.raw("XADD", key, "*", "field", "value")."""
        self.pipe.execute_command(*command)
        self._scripts.append(None)

    def execute(self) -> list[Any]:
        """Every command's result, in order; the first error other than NOSCRIPT is raised.

        A script this client has not loaded yet is loaded first (once per client), so that
        the calls run in their order: a call that meets NOSCRIPT runs again after the
        others, which is out of order when a later call depends on it (after Redis lost
        its scripts, a restart)."""
        known = _known_shas(self.client)
        for script in {entry[0].sha: entry[0] for entry in self._scripts if entry}.values():
            if known is not None and script.sha not in known:
                self.client.script_load(script.source)
                known.add(script.sha)
        results = self.pipe.execute(raise_on_error=False)
        missing = [
            i for i, result in enumerate(results) if isinstance(result, NoScriptError) and self._scripts[i]
        ]
        if missing:  # load each script once, then run the calls again in one more round trip
            for script in {self._scripts[i][0].name: self._scripts[i][0] for i in missing}.values():
                self.client.script_load(script.source)
            again = self.client.pipeline(transaction=False)
            for i in missing:
                script, keys, args = self._scripts[i]
                again.execute_command("EVALSHA", script.sha, script.numkeys, *keys, *args)
            for i, result in zip(missing, again.execute(raise_on_error=False), strict=True):
                results[i] = result
        self._scripts.clear()
        for result in results:
            if isinstance(result, Exception):
                raise result
        return results


#: client -> the SHA-1s this process has loaded through it (weakly: a client's own set).
_shas: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _known_shas(client: Any) -> set[str] | None:
    try:
        return _shas.setdefault(client, set())
    except TypeError:  # not weakly referenceable: rely on NOSCRIPT alone
        return None


_loaded: dict[str, Script] = {}


def all_scripts() -> dict[str, Script]:
    """Every script in lua/, by name."""
    if not _loaded:
        for path in sorted(LUA_DIR.glob("*.lua")):
            script = Script(path)
            if script.name in _loaded:
                raise ValueError(f"two scripts are named {script.name}")
            _loaded[script.name] = script
    return _loaded


def load(name: str) -> Script:
    """The script called `name` (the file name without `-<numkeys>.lua`)."""
    return all_scripts()[name]
