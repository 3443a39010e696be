"""The desk's prompt sets, generated: what a caller and a seat hear, per language.

The names and their wording are the package's table
(``ari_app/asterisk/prompt_sets.py``). Asterisk 22's core sounds have no
Mandarin, so the Mandarin set (``zh``) is generated at build time with
espeak-ng (voice ``cmn``), its tones with sox, converted with sox to 8 kHz
mono 16-bit ``.wav``, which Asterisk plays natively. English
(``en``) is Asterisk's own core sounds under the same names, but for the
few phrases they lack (the callback's greeting), generated alike with an
English voice into the core sounds' directory. Asterisk picks
a file by the channel's language from ``<sounds>/<lang>/<name>.<format>``,
so the capture and the dialplan name a phrase once for every language.

Recorded files win: a file ``<name>.<any format>`` in the language
directory that this step did not write (it keeps a manifest of its own
files) is never overwritten, and the generated file of that name is removed
so Asterisk cannot pick the robot voice over the recording.

``python -m lab.prompts [--dest DIR]``: write the set into the lab tree's
sounds directory, or into DIR (e.g. ``/usr/share/asterisk/sounds`` on a
production PBX: the files go to DIR/zh, and the English phrases the core
sounds lack to DIR/en).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ari_app.asterisk.prompt_sets import EN_GENERATED, PHRASES, TONES, names

__all__ = ["GENERATED", "MANIFEST", "PHRASES", "PromptError", "build", "ensure_prompts",
           "names", "within"]
# language -> espeak-ng voice, index of its wording, the names it generates
# (None: every phrase, and the tones). English is Asterisk's core sounds but
# for the phrases they lack.
GENERATED: dict[str, tuple[str, int, frozenset[str] | None]] = {
    "zh": ("cmn", 1, None),
    "en": ("en-us", 2, EN_GENERATED),
}
MANIFEST = ".datadesk-generated"
FORMAT = "wav"


class PromptError(RuntimeError):
    """A prompt could not be made (espeak-ng or sox missing or failing)."""


def _recorded(lang_dir: Path, name: str, ours: set[str]) -> list[Path]:
    """Files for ``name`` in any format that this step did not write."""
    target = lang_dir / name
    return [p for p in target.parent.glob(target.name + ".*")
            if str(p.relative_to(lang_dir)) not in ours]


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise PromptError(f"{' '.join(cmd[:3])} failed: {done.stderr.strip()}")


def _synthesise(text: str, voice: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        _run(["espeak-ng", "-v", voice, "-w", str(raw), text])
        _run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)])


def _tone(effects: tuple[str, ...], out: Path) -> None:
    _run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(out), *effects])


def within(root: Path, path: Path, hops: int = 8) -> Path:
    """``path`` (under ``root``) with its absolute symlinks read as ``root``
    sees them: the tree's ``sounds/en`` points at ``/etc/alternatives/...``,
    which only exists inside the chroot."""
    for _ in range(hops):
        if not path.is_symlink():
            return path
        target = Path(os.readlink(path))
        path = root / target.relative_to("/") if target.is_absolute() else path.parent / target
    raise PromptError(f"{path}: too many symlinks")


def _makers(voice: str, column: int, only: frozenset[str] | None):
    """(name, how to write its file) of every sound a set generates: the
    phrases (``only`` those, if given) spoken, and with every phrase the tones."""
    for phrase in PHRASES:
        if only is None or phrase[0] in only:
            yield phrase[0], lambda out, text=phrase[column]: _synthesise(text, voice, out)
    if only is None:
        for name, effects in TONES.items():
            yield name, lambda out, effects=effects: _tone(effects, out)


def build(sounds: Path, lang: str = "zh", *, root: Path = Path("/")) -> list[str]:
    """Write the generated set for ``lang`` under ``sounds/<lang>`` (``root``:
    the tree that directory's symlinks are relative to); returns the names
    written now (empty when everything was already there)."""
    voice, column, only = GENERATED[lang]
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise PromptError(f"{tool} is missing: apt-get install -y espeak-ng sox")
    lang_dir = within(root, sounds / lang)
    lang_dir.mkdir(parents=True, exist_ok=True)
    manifest = lang_dir / MANIFEST
    ours = set(manifest.read_text().split()) if manifest.is_file() else set()
    written = []
    for name, make in _makers(voice, column, only):
        mine = f"{name}.{FORMAT}"
        out = lang_dir / mine
        if _recorded(lang_dir, name, ours):
            out.unlink(missing_ok=True)  # a recording is there: it alone is played
            ours.discard(mine)
            continue
        if out.is_file() and mine in ours:
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        make(out)
        ours.add(mine)
        written.append(name)
        manifest.write_text("\n".join(sorted(ours)) + "\n")
    _write_manifest(manifest, ours)
    return written


def _write_manifest(manifest: Path, ours: set[str]) -> None:
    """Write the manifest when it changed, whole or not at all: labs start
    side by side, and one reading a half-written manifest would take the
    generated files for recordings and remove them."""
    text = "\n".join(sorted(ours)) + "\n"
    if manifest.is_file() and manifest.read_text() == text:
        return
    partial = manifest.with_name(f"{manifest.name}.{os.getpid()}")
    partial.write_text(text)
    partial.replace(manifest)


def ensure_prompts(tree: Path) -> Path:
    """The lab tree's sounds directory with every generated set in place."""
    sounds = tree / "usr" / "share" / "asterisk" / "sounds"
    for lang in GENERATED:
        build(sounds, lang, root=tree)
    return sounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, help="sounds directory (default: the lab tree's)")
    args = parser.parse_args()
    if args.dest is None:
        from .tree import ensure_tree
        sounds = ensure_prompts(ensure_tree())
    else:
        sounds = args.dest
        for lang in GENERATED:
            build(sounds, lang)
    print(f"[lab] prompts ready in {sounds} ({', '.join(sorted(GENERATED))})")


if __name__ == "__main__":
    main()
