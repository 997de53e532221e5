"""The layers of core/ (docs/architecture.md) include only downward. Every #include "..." of every
file resolves to a header of its own layer or of one below it, library headers stay in the layers
that own them (Lua's in rules/lua alone, libcurl's in net alone, libxlsxwriter's in base, libmicrohttpd's in http,
libsodium's in domain, libpq's from store up), header names are unique across the tree, and so no folder includes one
that includes it back.
Usage: test_layers.py CORE_DIR"""
import os
import re
import sys

BELOW = {  # each layer and what it may include, itself first
    "base": ["base"],
    "store": ["store", "base"],
    "rules": ["rules", "base"],
    "rules/lua": ["rules/lua", "rules", "base"],
    "net": ["net", "base"],
    "domain": ["domain", "store", "rules", "net", "base"],
    "http": ["http", "domain", "store", "rules", "net", "base"],
    "serve": ["serve", "http", "domain", "store", "rules", "net", "base"],
    "cli": ["cli", "serve", "http", "domain", "store", "rules", "net", "base"],
}
LIBRARY = {  # a library's headers, and the layers that may include them directly
    "lua.h": ["rules/lua"], "lauxlib.h": ["rules/lua"], "lualib.h": ["rules/lua"],
    "microhttpd.h": ["http"],
    "curl/curl.h": ["net"],
    "sodium.h": ["domain"],
    "xlsxwriter.h": ["base"],
    "libpq-fe.h": ["store", "domain", "http", "serve", "cli"],
}
LIBRARY_DIRS = {  # folders of a library's headers, and the layers that may include from them
    "curl/": ["net"],
    "xlsxwriter/": ["base"],
}


def main(core):
    failures, layer_of = [], {}
    files = []
    for dirpath, _, names in os.walk(core):
        layer = os.path.relpath(dirpath, core)
        for n in names:
            if n.endswith((".c", ".h")):
                if layer not in BELOW:
                    failures.append(f"{layer}/{n}: not in a layer of the table")
                    continue
                files.append((layer, os.path.join(dirpath, n)))
                if n.endswith(".h"):
                    if n in layer_of:
                        failures.append(f"{n}: in both {layer_of[n]} and {layer}")
                    layer_of[n] = layer
    for layer, path in files:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                m = re.match(r'\s*#\s*include\s*([<"])([^>"]+)[>"]', line)
                if not m:
                    continue
                name = m.group(2)
                where = f"{os.path.relpath(path, core)}:{lineno}"
                if m.group(1) == '"':
                    target = layer_of.get(name)
                    if target is None:
                        failures.append(f"{where}: includes {name}, which is no header of core/")
                    elif target not in BELOW[layer]:
                        failures.append(f"{where}: {layer} includes {name} of {target}, a layer above or beside it")
                elif name in LIBRARY and layer not in LIBRARY[name]:
                    failures.append(f"{where}: {layer} includes <{name}>, which only {', '.join(LIBRARY[name])} may")
                else:
                    for folder, owners in LIBRARY_DIRS.items():
                        if name.startswith(folder) and layer not in owners:
                            failures.append(f"{where}: {layer} includes <{name}>, which only {', '.join(owners)} may")
    for f in failures:
        print("FAIL", f)
    print(f"{len(files)} files checked, {len(failures)} failures")
    return 1 if failures or not files else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
