"""Write the portal's web fonts: Fira Sans (KERN UX's typeface) cut down to the characters
German and English text needs, as WOFF2, with a stylesheet that swaps them in when loaded.

The full files carry Greek, Cyrillic and hundreds of symbols (130 KB each); the subsets are
a fraction of that, so a first visit stays small. Run it again after updating @kern-ux/native:
`verbund subset-fonts` (the output is committed under core/static/verbund/fonts/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

# Basic Latin, Latin-1 (ä ö ü ß é …), Œ/œ, the German quotes and dashes, the euro and the
# other punctuation of typeset text, and the arrows and marks the templates use.
UNICODES = (
    "U+0020-007E,U+00A0-00FF,U+0131,U+0152-0153,U+02C6,U+02DA,U+02DC,U+2010-2015,"
    "U+2018-201E,U+2020-2022,U+2026,U+2030,U+2039-203A,U+20AC,U+2122,U+2190-2193,"
    "U+2212,U+2713,U+25B8,U+25BE"
)
# KERN uses 400 (body), 500 (balanced headings, sublines) and 600 (headings, labels).
WEIGHTS = {400: "Regular", 500: "Medium", 600: "SemiBold"}
OUT = Path(__file__).resolve().parents[2] / "static" / "verbund" / "fonts"


class Command(BaseCommand):
    help = "Write subsetted WOFF2 files of Fira Sans and verbund/fonts/fira-sans.css."

    def handle(self, *args: Any, **options: Any) -> None:
        from fontTools import subset

        source = Path(settings.NODE_MODULES_DIR) / "@kern-ux/native/dist/fonts/fira-sans"
        OUT.mkdir(parents=True, exist_ok=True)
        faces = []
        for weight, name in WEIGHTS.items():
            target = OUT / f"FiraSans-{name}-latin.woff2"
            subset.main(
                [
                    str(source / f"FiraSans-{name}.woff2"),
                    f"--unicodes={UNICODES}",
                    "--layout-features=kern,liga,lnum,tnum,case",
                    "--flavor=woff2",
                    "--no-hinting",
                    "--desubroutinize",
                    f"--output-file={target}",
                ]
            )
            faces.append(
                "@font-face {\n"
                '  font-family: "Fira Sans";\n'
                f'  src: url("./{target.name}") format("woff2");\n'
                f"  font-weight: {weight};\n"
                "  font-style: normal;\n"
                "  font-display: swap;\n"
                f"  unicode-range: {UNICODES.replace(',', ', ')};\n"
                "}\n"
            )
            self.stdout.write(f"{target.name}: {target.stat().st_size} Bytes")
        header = "/* Written by `verbund subset-fonts`: Fira Sans (SIL OFL 1.1), subset. */\n"
        (OUT / "fira-sans.css").write_text(header + "\n".join(faces), encoding="utf-8")
