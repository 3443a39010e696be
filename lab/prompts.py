"""The desk's prompt sets: what a caller and a seat hear, per language.

Asterisk 22's core sounds have no Mandarin, so the Mandarin set (``zh``) is
generated at build time with espeak-ng (voice ``cmn``) and converted with
sox to 8 kHz mono 16-bit ``.wav``, which Asterisk plays natively. English
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

# name (Asterisk's sound name), Mandarin wording, English wording (the core
# sound's). The names are those the capture (ari_app/asterisk/capture.py),
# the spool (dialplan/35-spool.conf) and the seat's whisper
# (dialplan/30-desk.conf) play.
PHRASES: tuple[tuple[str, str, str], ...] = (
    ("tt-allbusy", "您好，数据专席的坐席现在全忙。", "All representatives are busy"),
    ("im-sorry", "很抱歉，", "I'm sorry"),
    ("vm-nobodyavail", "数据专席现在不在服务时间。", "Nobody is available to take your call"),
    ("your", "您的", "your"),
    ("telephone-number", "电话号码", "telephone number"),
    ("is", "是", "is"),
    ("you-entered", "您输入的号码是", "you entered"),
    ("if-correct-press", "如果正确，请按", "if this is correct, press"),
    ("vm-press", "，按", "press"),
    ("vm-toenternumber", "重新输入号码。", "to enter a number"),
    ("vm-enter-num-to-call", "请输入回电号码，以井号键结束。",
     "please enter the number you wish to call"),
    ("invalid", "号码无效，", "that is not valid"),
    ("please-try-again", "请重新输入。", "please try again"),
    ("num-was-successfully", "您的回电号码已经", "number was successfully"),
    ("added", "登记成功。", "added"),
    ("queue-less-than", "我们将在", "less than"),
    ("queue-minutes", "分钟内给您回电。", "minutes"),
    ("please-try-call-later", "很抱歉，请稍后再拨。", "please try your call later"),
    ("goodbye", "再见。", "goodbye"),
    ("calling", "正在回拨", "calling"),
    # What a customer called back hears on answering; no core sound says it,
    # so English is generated too (EN_GENERATED).
    ("desk-greeting", "您好，这里是数据业务专席，为您回电。",
     "Hello, this is the data service desk returning your call."),
    # When the call comes (ari_app/asterisk/prompts.py promise): "tomorrow
    # 9 o'clock 30 minutes before" in Mandarin word order; English says
    # "tomorrow, nine thirty a.m." with the core sounds (no desk-before).
    ("digits/today", "今天", "today"), ("digits/tomorrow", "明天", "tomorrow"),
    ("digits/oclock", "点", "o'clock"), ("minutes", "分", "minutes"),
    ("desk-before", "之前给您回电。", "(zh only)"),
    *((f"digits/day-{n}", "星期" + "日一二三四五六"[n], "Sunday Monday Tuesday Wednesday "
       "Thursday Friday Saturday".split()[n]) for n in range(7)),
    ("digits/0", "零", "zero"), ("digits/1", "一", "one"), ("digits/2", "二", "two"),
    ("digits/3", "三", "three"), ("digits/4", "四", "four"), ("digits/5", "五", "five"),
    ("digits/6", "六", "six"), ("digits/7", "七", "seven"), ("digits/8", "八", "eight"),
    ("digits/9", "九", "nine"), ("digits/10", "十", "ten"),
    # Asterisk says "less than N minutes" (SayNumber) with these: 11-19, the
    # tens, hundred, thousand. Without them a zh call falls back to English
    # files silently (checked on the lab PBX: digits/60 came from en).
    *((f"digits/{n}", "十" + "一二三四五六七八九"[n - 11], str(n)) for n in range(11, 20)),
    *((f"digits/{n}", "二三四五六七八九"[n // 10 - 2] + "十", str(n)) for n in range(20, 100, 10)),
    ("digits/hundred", "百", "hundred"), ("digits/thousand", "千", "thousand"),
)
# language -> espeak-ng voice, index of its wording, the names it generates
# (None: every phrase). English is Asterisk's core sounds but for the
# phrases they lack.
GENERATED: dict[str, tuple[str, int, frozenset[str] | None]] = {
    "zh": ("cmn", 1, None),
    "en": ("en-us", 2, frozenset({"desk-greeting"})),
}
MANIFEST = ".datadesk-generated"
FORMAT = "wav"


class PromptError(RuntimeError):
    """A prompt could not be made (espeak-ng or sox missing or failing)."""


def names() -> list[str]:
    return [name for name, _, _ in PHRASES]


def _recorded(lang_dir: Path, name: str, ours: set[str]) -> list[Path]:
    """Files for ``name`` in any format that this step did not write."""
    target = lang_dir / name
    return [p for p in target.parent.glob(target.name + ".*")
            if str(p.relative_to(lang_dir)) not in ours]


def _synthesise(text: str, voice: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        for cmd in (["espeak-ng", "-v", voice, "-w", str(raw), text],
                    ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)]):
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                raise PromptError(f"{' '.join(cmd[:3])} failed: {done.stderr.strip()}")


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
    for phrase in PHRASES:
        if only is not None and phrase[0] not in only:
            continue
        name, mine = phrase[0], f"{phrase[0]}.{FORMAT}"
        out = lang_dir / mine
        if _recorded(lang_dir, name, ours):
            out.unlink(missing_ok=True)  # a recording is there: it alone is played
            ours.discard(mine)
            continue
        if out.is_file() and mine in ours:
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        _synthesise(phrase[column], voice, out)
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
