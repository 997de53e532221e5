"""Every message of the core has its Chinese: the template is extracted afresh from core/ (as
po/update.sh makes it, with the keywords of the functions that translate), and each of its
messages must be in po/zh_CN.po, translated, not fuzzy, with the same conversions (msgfmt
--check), and in Chinese where the English has words. A new English message without its
translation fails here.
Usage: test_catalogue.py SOURCE_DIR"""
import os
import re
import subprocess
import sys
import tempfile


def entries(path):
    """{msgid: (msgstr, fuzzy)} of a PO file; the header left out."""
    out, cur, field, fuzzy = {}, None, None, False
    def flush():
        if cur is not None and cur["id"]:
            out[cur["id"]] = (cur["str"], cur["fuzzy"])
    for line in open(path, encoding="utf-8").read().splitlines() + [""]:
        if line.startswith("#~"):  # obsolete: not a message of the sources any more
            continue
        if line.startswith("#,"):
            fuzzy = "fuzzy" in line
        elif line.startswith("msgid "):
            flush()
            cur, field = {"id": "", "str": "", "fuzzy": fuzzy}, "id"
            fuzzy = False
            cur["id"] = unquote(line[6:])
        elif line.startswith("msgstr "):
            field = "str"
            cur["str"] = unquote(line[7:])
        elif line.startswith('"') and cur is not None:
            cur[field] += unquote(line)
    flush()
    return out


def unquote(s):
    s = s.strip()
    assert s.startswith('"') and s.endswith('"'), s
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s[1:-1])


def main(src):
    failures = []
    po = os.path.join(src, "po", "zh_CN.po")
    with tempfile.TemporaryDirectory(prefix="sereg-pot.") as tmp:
        pot = os.path.join(tmp, "sereg.pot")
        r = subprocess.run([os.path.join(src, "po", "update.sh"), "--pot", pot], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"po/update.sh --pot failed: {r.stderr}")
        template = entries(pot)
        r = subprocess.run(["msgfmt", "--check", "-o", os.devnull, po], capture_output=True, text=True)
        if r.returncode != 0:
            failures.append(f"msgfmt --check po/zh_CN.po: {r.stderr.strip()}")
    translated = entries(po)
    if len(template) < 200:
        failures.append(f"only {len(template)} messages extracted: are the keywords right?")
    for msgid in template:
        if msgid not in translated:
            failures.append(f"not in po/zh_CN.po (run po/update.sh and translate it): {msgid!r}")
            continue
        msgstr, fuzzy = translated[msgid]
        if not msgstr:
            failures.append(f"untranslated: {msgid!r}")
        elif fuzzy:
            failures.append(f"fuzzy (check the translation, then drop the flag): {msgid!r}")
        elif re.search(r"[A-Za-z]{2}", re.sub(r"%[-#0-9.$lz]*[a-zA-Z]", "", msgid)) and \
                not re.search(r"[\u4e00-\u9fff]", msgstr):
            failures.append(f"not Chinese: {msgid!r} -> {msgstr!r}")
    for f in failures:
        print("FAIL", f)
    print(f"{len(template)} messages, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
