"""verbund settings-docs: write docs/configuration.md from the settings registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from verbund.settings.env import REGISTRY


def render_configuration() -> str:
    lines = [
        "# Configuration",
        "",
        "Every setting is read from the environment when the process starts. This page is",
        "generated from the settings code by `verbund settings-docs`; a test keeps it current.",
        "",
    ]
    groups: dict[str, list[Any]] = {}
    for item in REGISTRY.values():
        groups.setdefault(item.group, []).append(item)
    for group, items in groups.items():
        lines += [f"## {group}", "", "| Variable | Default | Meaning |", "| --- | --- | --- |"]
        for item in items:
            default = f"`{item.default}`" if item.default else "(unset)"
            lines.append(f"| `{item.name}` | {default} | {item.help} |")
        lines.append("")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Schreibt docs/configuration.md aus den Einstellungen."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", type=Path, default=Path(settings.BASE_DIR) / "docs" / "configuration.md"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        options["output"].write_text(render_configuration())
        self.stdout.write(f"{options['output']} geschrieben ({len(REGISTRY)} Einstellungen).")
