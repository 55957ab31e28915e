"""Fill translations into the zh_Hans catalogue from a plain text file (developer helper).

The file holds pairs of lines, the English msgid then its Chinese translation, pairs separated by a blank
line. Multi-line msgids are written on one line. Usage:

    make makemessages && .venv/bin/python scripts/po_fill.py my-strings.txt
    .venv/bin/python scripts/po_fill.py --missing      # list what is still untranslated
"""

import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def main(argv: list[str]) -> None:
    catalogue = polib.pofile(str(PO))
    if argv[:1] == ["--missing"]:
        for entry in catalogue.untranslated_entries() + catalogue.fuzzy_entries():
            print(entry.msgid.replace("\n", " "))
        return
    pairs: dict[str, str] = {}
    for path in argv:
        blocks = Path(path).read_text(encoding="utf-8").strip().split("\n\n")
        for block in blocks:
            lines = [line for line in block.splitlines() if line.strip()]
            if len(lines) == 2:
                pairs[lines[0].strip()] = lines[1].strip()
    filled = 0
    for entry in catalogue:
        key = " ".join(entry.msgid.split())
        if key in pairs:
            if entry.msgid_plural:
                entry.msgstr_plural = {0: pairs[key]}
            else:
                entry.msgstr = pairs[key]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            filled += 1
    catalogue.save()
    print(f"filled {filled}; untranslated left: {len(catalogue.untranslated_entries())}")


if __name__ == "__main__":
    main(sys.argv[1:])
