"""kb's settings: one model, read one way: defaults < config file < environment < command line.

The config file is `config.toml` in kb's config directory (`~/.config/kb/config.toml` on Linux;
KB_CONFIG names another file). Every key is optional; docs/settings.md lists them all:

    db = "~/team/kb.sqlite"                 # KB_DB, --db
    actor = "ana"                           # KB_ACTOR, --actor
    parallel = false                        # KB_PARALLEL: never fork the review's parts

    [tui]
    theme = "textual-light"                 # KB_THEME
    cursor_blink = false                    # KB_CURSOR_BLINK
    keymap = { "app.quick_log" = "ctrl+l" } # KB_KEYMAP, as JSON

    [sources.unleash]                       # also launchdarkly, flagsmith, growthbook
    url = "https://unleash.example.com"     # KB_UNLEASH_URL, --url (and _PROJECT, _ENVIRONMENT)
    token = "..."                           # better: KB_UNLEASH_TOKEN in the environment

    [silent.weights]                        # the silent-failure detector's tuning (kb/silent/defaults.toml)
    no-baseline = 0

The files kb read before config.toml still count, beneath it: `sources.toml` (the [sources] tables
without their prefix), `silent.toml` (the [silent] tables) and `kb_tui.yaml` (the [tui] keys), in the
same directory. A command may name one more file for its section (`kb flags pull --config`, `kb silent
--config`), read above the config file. Standard library only (tomllib and PyYAML only when a file is
there): the read commands and the TUI's first frame load this.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import KBError

APP = "kb"
CONFIG_FILE = "config.toml"
CONFIG_ENV = "KB_CONFIG"
VENDORS = ("unleash", "launchdarkly", "flagsmith", "growthbook")
SOURCE_KEYS = ("url", "project", "environment", "token")
# the files read before config.toml, per section: (file name, section) in the order they are read
EARLIER_FILES = (("sources.toml", "sources"), ("silent.toml", "silent"), ("kb_tui.yaml", "tui"))

# platformdirs is imported where a directory is asked for: with --db or $KB_DB (every script and
# test) a command never needs it (`setting` reads no file when the command line or the environment
# gives the value), and importing it costs a read command a tenth of its start-up


def default_db_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "kb.sqlite"


def config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def log_dir() -> Path:
    """Where kb keeps the traceback of an unexpected error (the user state dir)."""
    import platformdirs

    return Path(platformdirs.user_state_dir(APP, appauthor=False))


class Secret:
    """A token that never prints itself: not in a repr, an f-string, a log line or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class TUISettings:
    theme: str = "textual-dark"
    cursor_blink: bool = True
    keymap: Mapping[str, str] = field(default_factory=dict)  # binding id -> key(s)


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """A flag system's settings as given; kb.flagsync.settings checks them before a pull."""

    url: str = ""
    project: str = ""
    environment: str = ""
    token: Secret = field(default=Secret(""), repr=False)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting kb has, each from the first place that gives it (`load`)."""

    db: Path
    actor: str
    parallel: bool
    tui: TUISettings
    sources: Mapping[str, SourceSettings]
    # the [silent] tables of each file that has them, lowest first: (file, tables); kb.silent.config
    # lays them over its packaged defaults, checking every key and naming the file of a bad one
    silent: tuple[tuple[str, dict[str, Any]], ...]
    files: tuple[str, ...]  # the files read, lowest first


# every setting with one value: dotted name -> (environment variable, kind)
FIELDS: dict[str, tuple[str, str]] = {
    "db": ("KB_DB", "path"),
    "actor": ("KB_ACTOR", "str"),
    "parallel": ("KB_PARALLEL", "bool"),
    "tui.theme": ("KB_THEME", "str"),
    "tui.cursor_blink": ("KB_CURSOR_BLINK", "bool"),
    "tui.keymap": ("KB_KEYMAP", "keymap"),
    **{f"sources.{v}.{k}": (f"KB_{v.upper()}_{k.upper()}", "str") for v in VENDORS for k in SOURCE_KEYS},
}
_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def config_file(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    named = env.get(CONFIG_ENV)
    return Path(named).expanduser() if named else config_dir() / CONFIG_FILE


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file, or one line naming the file and what is wrong with it."""
    import tomllib

    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise KBError(f"cannot read the config file ({exc.strerror})", str(path)) from None
    except UnicodeDecodeError as exc:
        raise KBError(f"not UTF-8 text (byte {exc.start})", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise KBError(f"not valid TOML ({exc})", str(path)) from None
    except ValueError as exc:  # a number tomllib cannot convert (more than 4,300 digits)
        text = str(exc)
        problem = "a number with more than 4,300 digits" if "digits" in text else text[:80]
        raise KBError(f"not valid TOML ({problem})", str(path)) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise KBError(f"not a readable YAML file ({type(exc).__name__})", str(path)) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise KBError("must be a mapping of settings", str(path))
    return loaded


def _flatten(data: dict[str, Any], where: str, section: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A file's settings as {dotted name: value}, and its [silent] tables; `section` when the file holds
    one section's keys without their prefix. Unknown names are errors, not silently ignored settings."""
    if section == "silent":
        return {}, data
    if section is not None:
        data = {section: data}
    flat: dict[str, Any] = {}
    silent: dict[str, Any] = {}
    for key, value in data.items():
        if key == "silent" and section is None:
            if not isinstance(value, dict):
                raise KBError("silent must be a table", where)
            silent = value
        elif key in ("tui", "sources"):
            if not isinstance(value, dict):
                raise KBError(f"{key} must be a table", where)
            for sub, inner in value.items():
                name = f"{key}.{sub}"
                if key == "sources":
                    shown = f"[{sub}]" if section == "sources" else f"[sources.{sub}]"
                    if sub not in VENDORS:
                        raise KBError(f"unknown table {shown}; the flag systems are {', '.join(VENDORS)}", where)
                    if not isinstance(inner, dict):
                        raise KBError(f"{shown} must be a table", where)
                    for k, v in inner.items():
                        if k not in SOURCE_KEYS:
                            raise KBError(f"{shown} {k}: unknown key; the keys are {', '.join(SOURCE_KEYS)}", where)
                        flat[f"{name}.{k}"] = v
                elif name in FIELDS:
                    flat[name] = inner
                else:
                    known = ", ".join(n.split(".")[1] for n in FIELDS if n.startswith("tui."))
                    raise KBError(f"unknown setting {name!r}; the [tui] settings are {known}", where)
        elif key in FIELDS:
            flat[key] = value
        else:
            known = "db, actor, parallel, [tui], [sources.<flag system>], [silent]"
            raise KBError(f"unknown setting {key!r}; the settings are {known}", where)
    return flat, silent


def _from_file(name: str, kind: str, value: Any, where: str) -> Any:
    shown = name.replace("sources.", "")
    if kind == "bool":
        if not isinstance(value, bool):
            raise KBError(f"{shown}: must be true or false", where)
        return value
    if kind == "keymap":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise KBError(f"{shown}: must be a table of binding id = key", where)
        return {str(k): v for k, v in value.items()}
    if isinstance(value, bool) or not isinstance(value, str | int):  # a project id may be written as a number
        raise KBError(f"{shown}: must be a string", where)
    return Path(str(value)).expanduser() if kind == "path" else str(value)


def _from_env(var: str, kind: str, text: str) -> Any:
    if kind == "bool":
        word = text.strip().lower()
        if word not in _YES + _NO:
            raise KBError(f"{text!r} is not yes or no (use one of {', '.join(_YES + _NO)})", var)
        return word in _YES
    if kind == "keymap":
        import json

        try:
            keymap = json.loads(text)
        except ValueError:
            keymap = None
        if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
            raise KBError('must be a JSON object of binding id to key, e.g. {"app.help": "f12"}', var)
        return keymap
    return Path(text).expanduser() if kind == "path" else text


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def load(
    cli: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    section_file: tuple[str, str | os.PathLike[str]] | None = None,
) -> Settings:
    """The settings, each from the first place that gives it: `cli` (dotted names, None = not given),
    the environment (an empty variable counts as unset), the files (the command's `section_file`, then
    config.toml, then the earlier files), the default."""
    env = os.environ if environ is None else environ
    given = {k: v for k, v in (cli or {}).items() if v is not None and v != ""}
    directory = config_dir()
    layers: list[tuple[Path, str | None]] = [(directory / name, section) for name, section in EARLIER_FILES]
    layers.append((config_file(env), None))
    files: list[str] = []
    from_files: dict[str, Any] = {}
    silent: list[tuple[str, dict[str, Any]]] = []
    for path, section in layers:
        if path.is_file():
            data = _read_yaml(path) if path.suffix == ".yaml" else read_toml(path)
            _take(data, str(path), section, from_files, silent, files)
    if section_file is not None:  # named on the command line: it must exist
        section, named = section_file
        path = Path(named).expanduser()
        _take(read_toml(path), str(path), section, from_files, silent, files)

    values: dict[str, Any] = {}
    for name, (var, kind) in FIELDS.items():
        if name in given:
            values[name] = Path(given[name]).expanduser() if kind == "path" else given[name]
        elif env.get(var):
            values[name] = _from_env(var, kind, env[var])
        elif name in from_files:
            values[name] = from_files[name]
    tui = TUISettings(**{name[4:]: value for name, value in values.items() if name.startswith("tui.")})

    def text(name: str) -> str:
        return str(values.get(name, "")).strip()

    sources = {
        v: SourceSettings(
            url=text(f"sources.{v}.url"),
            project=text(f"sources.{v}.project"),
            environment=text(f"sources.{v}.environment"),
            token=Secret(text(f"sources.{v}.token")),
        )
        for v in VENDORS
    }
    return Settings(
        db=values.get("db") or default_db_path(),
        actor=values.get("actor") or _user(),
        parallel=values.get("parallel", True),
        tui=tui,
        sources=sources,
        silent=tuple(silent),
        files=tuple(files),
    )


def _take(
    data: dict[str, Any],
    where: str,
    section: str | None,
    from_files: dict[str, Any],
    silent: list[tuple[str, dict[str, Any]]],
    files: list[str],
) -> None:
    flat, tables = _flatten(data, where, section)
    from_files.update((k, _from_file(k, FIELDS[k][1], v, where)) for k, v in flat.items())
    if tables:
        silent.append((where, tables))
    files.append(where)


def setting(name: str, given: Any = None, *, environ: Mapping[str, str] | None = None) -> Any:
    """One setting by its dotted name (a key of FIELDS), in the same order as `load`; the files are read
    only when neither the command line (`given`) nor the environment gives it."""
    var, kind = FIELDS[name]
    if given is not None and given != "":
        return Path(os.fspath(given)).expanduser() if kind == "path" else given
    env = os.environ if environ is None else environ
    if env.get(var):
        return _from_env(var, kind, env[var])
    settings = load(environ=env)
    value: Any = settings
    for part in name.split("."):
        value = value[part] if isinstance(value, Mapping) else getattr(value, part)
    return value


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The database file: --db, else KB_DB, else `db` in the config file, else the user data dir."""
    path: Path = setting("db", explicit)
    return path


def resolve_actor(explicit: str | None = None) -> str:
    """Who is acting: --actor, else KB_ACTOR, else `actor` in the config file, else the user's login name."""
    return str(setting("actor", explicit))
