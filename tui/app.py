"""The duvi console: keyboard first, works over SSH at 80x24, in 16 colours, without a mouse.
Screens never touch httpx or SQLite: their workers call the app's one engine handle
(`core.api.ConsoleApi`, opened once, closed when the app ends) and post typed messages back;
one handler turns a worker's error into a visible message, never a crash.

Start-up paints first and loads second: `duvi` hands over how to load the settings, the main
screen's skeleton is drawn, then the settings (pydantic) and the status load in a worker."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message

import tui.textsafe  # noqa: F401 (first: no text from data reaches the terminal raw, see there)
from core.errors import DuviError
from tui.i18n import N_, _
from tui.screens.main import MainScreen
from tui.textsafe import markup
from tui.workers import ShowsWorkerErrors

if TYPE_CHECKING:
    from textual.screen import Screen

    from core.api import ConsoleApi
    from core.config import Settings


def _duvi_commands() -> type:
    """The palette's provider, imported when the palette first opens (not before the first
    frame: textual.command is a tenth of the start-up)."""
    from tui.commands import DuviCommands

    return DuviCommands


# The palette's language commands, each always in its own language
LANGUAGE_COMMANDS = {"nb": "Språk: norsk", "en": "Language: English"}

# Textual's own palette commands (App.get_system_commands), named and explained in the
# language: their English titles and helps as Textual 8 writes them are the msgids.
SYSTEM_COMMAND_WORDS = {
    "Theme": N_("Theme"),
    "Change the current theme": N_("Change the current theme"),
    "Quit": N_("Quit"),
    "Quit the application as soon as possible": N_("Quit the application as soon as possible"),
    "Keys": N_("Keys"),
    "Hide the keys and widget help panel": N_("Hide the keys and widget help panel"),
    "Show help for the focused widget and a summary of available keys": N_(
        "Show help for the focused widget and a summary of available keys"
    ),
    "Minimize": N_("Minimize"),
    "Minimize the widget and restore to normal size": N_(
        "Minimize the widget and restore to normal size"
    ),
    "Maximize": N_("Maximize"),
    "Maximize the focused widget": N_("Maximize the focused widget"),
    "Screenshot": N_("Screenshot"),
    "Save an SVG 'screenshot' of the current screen": N_(
        "Save an SVG 'screenshot' of the current screen"
    ),
}


def _system_word(text: str) -> str:
    """A Textual command's title or help in the language; one Textual adds later as it is."""
    return _(SYSTEM_COMMAND_WORDS[text]) if text in SYSTEM_COMMAND_WORDS else text


class SettingsReady(Message):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings


class DuviApp(ShowsWorkerErrors, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "duvi"
    BINDINGS = [  # noqa: RUF012 - Textual API
        # f1 too: in a text field (setup, settings) `?` is typed, replacing the selected value
        Binding("question_mark,f1", "help", N_("Help"), id="help"),
        Binding("ctrl+q", "quit", N_("Quit"), id="quit"),
        # Both keys in one binding: Textual adds its own ctrl+p only when no binding of the
        # app opens the palette, so a lone `colon` binding took ctrl+p away (D8)
        Binding("colon,ctrl+p", "command_palette", N_("Commands"), show=False, id="palette"),
    ]
    COMMANDS = App.COMMANDS | {_duvi_commands}

    def __init__(self, settings: Settings | Callable[[], Settings]) -> None:
        # NO_COLOR: the terminal's own colours for all text. Textual reads (and removes)
        # NO_COLOR in App.__init__ and then drops every colour only for an ANSI app; for any
        # other it keeps a grey scale of the theme's colours, which is not the terminal's.
        super().__init__(ansi_color=True if "NO_COLOR" in os.environ else None)
        self.settings: Settings | None = None
        self.api: ConsoleApi | None = None  # the engine handle, once the settings are read
        self.startup_error: DuviError | None = None
        self._load = settings if callable(settings) else None
        if self.console.color_system != "truecolor":
            self.theme = "ansi-dark"  # the terminal's own 16 colours over plain SSH
        if not callable(settings):
            self.apply_settings(settings)

    def apply_settings(self, settings: Settings) -> None:
        from core.api import ConsoleApi  # light: it opens the store on first use, in a worker

        self.settings = settings
        self.api = ConsoleApi(settings)
        self.animation_level = settings.animations  # "none" suits SSH (and tests)
        self.show_sub_title()
        if settings.theme != "auto":
            self.theme = settings.theme
        if settings.keymap:
            self.set_keymap(settings.keymap)
        disable = getattr(self._driver, "_disable_mouse_support", None)
        if not settings.mouse and disable is not None and self._driver is not None:
            # Textual decides mouse reporting when it starts; the setting is known only now.
            disable()
            self._driver._mouse = False  # and it stays off after a suspend/resume

    def show_sub_title(self) -> None:
        settings = self.settings
        if settings is None:
            return
        if settings.read_only:
            self.sub_title = _("SANDBOX · READ-ONLY") if settings.sandbox else _("LIVE · READ-ONLY")
        else:
            self.sub_title = _("SANDBOX") if settings.sandbox else _("LIVE")
        from tui.widgets.header import ScreenHeader  # it watches nothing: told here

        for screen in self.screen_stack:
            for header in screen.query(ScreenHeader):
                header.refresh()

    async def switch_language(self, language: str) -> None:
        """The palette's "Språk: norsk" / "Language: English": every screen on the stack
        is drawn again in `language` (its `language_changed`), for this session only."""
        from core.config import config_file_path
        from core.i18n import set_language

        lang = set_language(language)
        self.show_sub_title()
        for screen in list(self.screen_stack):
            changed = getattr(screen, "language_changed", None)
            if changed is not None:
                await changed()
        self.notify(
            _(
                'To keep it, write language = "{lang}" in {path}, or set DUVI_LANGUAGE={lang}.'
            ).format(lang=lang, path=config_file_path()),
            # Each in its own language, whichever is current (not translated)
            title=LANGUAGE_COMMANDS[lang],
        )

    def get_default_screen(self) -> MainScreen:
        # The first screen, not one pushed over Textual's empty default: one screen fewer
        # mounted, styled and switched away from before the first frame.
        return MainScreen()

    def on_mount(self) -> None:
        self.call_after_refresh(gc.enable)  # off from the launcher until the first frame
        if self._load is not None:
            self.call_after_refresh(self._load_settings)

    def _load_settings(self) -> None:
        self.run_worker(self._read_settings, thread=True, exit_on_error=False, group="settings")

    def _read_settings(self) -> None:
        assert self._load is not None
        try:
            settings = self._load()
            refuse_unknown_bindings(settings.keymap)
        except DuviError as exc:
            self.startup_error = exc  # printed by the launcher once the terminal is back
            self.call_from_thread(self.exit, return_code=exc.exit_code)
            return
        self.post_message(SettingsReady(settings))

    def on_settings_ready(self, message: SettingsReady) -> None:
        self.apply_settings(message.settings)
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.settings_ready()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            yield command._replace(
                title=_system_word(command.title), help=_system_word(command.help)
            )

    def action_command_palette(self) -> None:
        """Textual's palette with its search field's prompt in the language."""
        from textual.command import CommandPalette

        from tui.palette import Palette

        if self.use_command_palette and not CommandPalette.is_open(cast("App[object]", self)):
            self.push_screen(Palette(id="--command-palette", placeholder=_("Search for commands…")))

    def action_help_quit(self) -> None:
        """ctrl+c does not quit: Textual's hint, in the language (its markup is read no more,
        tui/textsafe.py)."""
        for active in self.active_bindings.values():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(
                    markup(
                        _("Press [b]$key[/b] to quit the console."),
                        key=self.get_key_display(active.binding),
                    ),
                    title=_("Do you want to quit?"),
                )
                return

    @on(events.DeliveryComplete)
    def screenshot_saved(self, event: events.DeliveryComplete) -> None:
        """Textual's note of a saved screenshot (palette: Screenshot), in the language, its
        path shown as it is; Textual's own would read the path as markup."""
        if event.name != "screenshot":
            return
        event.prevent_default()  # App's handler comes after this one: it is not called
        if event.path is None:
            self.notify(_("Screenshot saved."), title=_("Screenshot"))
        else:
            saved = _("Screenshot saved to [$text-success]$path[/].")
            self.notify(markup(saved, path=str(event.path)), title=_("Screenshot"))

    def action_help(self) -> None:
        """The keys of the screen in view (`?` on every screen)."""
        from tui.screens.help import HelpScreen, help_rows, screen_name

        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        self.push_screen(HelpScreen(help_rows(screen, self), screen_name(screen)))

    def on_unmount(self) -> None:
        if self.api is not None:
            self.api.close()


def binding_ids() -> set[str]:
    """Every binding id the console's app, screens and widgets declare: what `keymap` can name."""
    import importlib
    import pkgutil

    from textual.dom import DOMNode

    import tui.screens
    import tui.widgets

    for package in (tui.screens, tui.widgets):  # a screen not opened yet is not imported yet
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
    ids: set[str] = set()
    classes: list[type] = [DOMNode]
    while classes:
        cls = classes.pop()
        classes += cls.__subclasses__()
        ids |= {b.id for b in vars(cls).get("BINDINGS", ()) if isinstance(b, Binding) and b.id}
    return ids


def refuse_unknown_bindings(keymap: dict[str, str]) -> None:
    """Textual ignores a keymap entry whose id no binding has: a typo would silently leave the
    key as it was. Refused at start, like any other bad setting (exit 3)."""
    if not keymap:
        return
    from core.errors import ConfigError

    known = binding_ids()
    unknown = sorted(set(keymap) - known)
    if unknown:
        from difflib import get_close_matches

        guesses = [g for u in unknown for g in get_close_matches(u, known, n=1)]
        raise ConfigError(
            f"invalid settings: keymap names {', '.join(map(repr, unknown))}, which no "
            "console binding has",
            (f"did you mean {', '.join(map(repr, guesses))}? " if guesses else "")
            + "correct the id or remove it from keymap (DUVI_KEYMAP or config.toml)",
        )
