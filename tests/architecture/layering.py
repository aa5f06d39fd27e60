#!/usr/bin/env python3
"""The dependency rule of docs/architecture.md, checked on every build.

Every source folder under federation/, node/ and client/ is one library
(lmx_library in CMakeLists.txt) that declares the libraries it uses. This
script reads the table CMake writes (name, folder, direct dependencies) and
fails when
  - a file includes a header of a library its own does not depend on,
    directly or through others (an include against the data flow);
  - a library of federation/ or client/ depends on anything in node/;
  - federation/ reaches for RocksDB or a gRPC server;
  - two libraries depend on each other, directly or in a longer cycle;
  - two units (a header and its source) include each other, even within
    one folder;
  - a folder holds code but no library.

usage: layering.py TABLE SOURCE_ROOT [STAMP]
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
CODE = ('.h', '.cc', '.in')
CHECKED_ROOTS = ('federation', 'node', 'client')
# Generated headers whose folder is not their library's source folder.
GENERATED = {'lmx': 'lmx_proto', 'google/rpc': 'lmx_proto'}


def read_table(path):
    libs = {}
    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if not line:
            continue
        name, folder, deps = line.split('\t')
        libs[name] = {'folder': folder, 'deps': [d for d in deps.split(';') if d]}
    return libs


def closure(libs, name):
    seen, stack = set(), list(libs[name]['deps'])
    while stack:
        dep = stack.pop()
        if dep in libs and dep not in seen:
            seen.add(dep)
            stack.extend(libs[dep]['deps'])
    return seen


def find_cycle(libs):
    state = {}

    def visit(name, path):
        state[name] = 'open'
        for dep in libs[name]['deps']:
            if dep not in libs:
                continue
            if state.get(dep) == 'open':
                return path[path.index(dep):] + [dep] if dep in path else [name, dep]
            if dep not in state:
                found = visit(dep, path + [dep])
                if found:
                    return found
        state[name] = 'done'
        return None

    for name in sorted(libs):
        if name not in state:
            found = visit(name, [name])
            if found:
                return found
    return None


def owner_of(include, by_folder):
    folder = os.path.dirname(include)
    while folder:
        if folder in by_folder:
            return by_folder[folder]
        if folder in GENERATED:
            return GENERATED[folder]
        folder = os.path.dirname(folder)
    return None


def main():
    table, root = sys.argv[1], sys.argv[2]
    libs = read_table(table)
    # A folder's library owns its headers; an executable beside it (listed
    # after the libraries) owns a folder only when there is none.
    by_folder = {}
    for name, lib in libs.items():
        by_folder.setdefault(lib['folder'], name)
    errors = []

    for name, lib in sorted(libs.items()):
        reach = closure(libs, name)
        folder = lib['folder']
        top = folder.split('/')[0]
        if top in ('federation', 'client'):
            for dep in sorted(reach):
                if libs[dep]['folder'].startswith('node'):
                    errors.append(f'{name} ({folder}) depends on {dep} ({libs[dep]["folder"]}): '
                                  f'{top}/ may not depend on node/')
        if top == 'federation':
            for dep in lib['deps']:
                if 'rocksdb' in dep.lower():
                    errors.append(f'{name} ({folder}) links {dep}: federation/ has no RocksDB')
        path = os.path.join(root, folder)
        for file in sorted(os.listdir(path)):
            if not file.endswith(CODE):
                continue
            rel = os.path.join(folder, file)
            for number, text in enumerate(open(os.path.join(path, file), encoding='utf-8'), 1):
                match = INCLUDE.match(text)
                if not match:
                    continue
                include = match.group(1)
                if top == 'federation' and include.startswith(('grpcpp/', 'rocksdb/')):
                    errors.append(f'{rel}:{number}: includes {include}: '
                                  'federation/ has no gRPC server and no RocksDB')
                owner = owner_of(include, by_folder)
                if owner is None or owner == name or owner in reach:
                    continue
                errors.append(f'{rel}:{number}: includes {include} of {owner} '
                              f'({libs[owner]["folder"]}), which {name} does not depend on '
                              f'(declare it in {folder}/CMakeLists.txt if the data flow allows)')

    cycle = find_cycle(libs)
    if cycle:
        errors.append('the libraries depend on each other: ' + ' -> '.join(cycle))

    # Units: foo.h and foo.cc are one unit; a unit uses the units whose
    # headers it includes.
    units = {}
    for lib in libs.values():
        path = os.path.join(root, lib['folder'])
        for file in os.listdir(path):
            if not file.endswith(('.h', '.cc')):
                continue
            unit = os.path.join(lib['folder'], os.path.splitext(file)[0])
            uses = units.setdefault(unit, {'deps': []})['deps']
            for text in open(os.path.join(path, file), encoding='utf-8'):
                match = INCLUDE.match(text)
                if match and match.group(1).endswith('.h'):
                    used = os.path.splitext(match.group(1))[0]
                    if used != unit and os.path.exists(os.path.join(root, used + '.h')):
                        uses.append(used)
    cycle = find_cycle(units)
    if cycle:
        errors.append('these files include each other: ' + ' -> '.join(cycle))

    for top in CHECKED_ROOTS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = [d for d in dirnames if d not in ('python', 'node_modules')]
            rel = os.path.relpath(dirpath, root)
            if any(f.endswith(('.h', '.cc')) for f in filenames) and rel not in by_folder:
                errors.append(f'{rel}/ holds code but no library (add an lmx_library)')

    for error in errors:
        print(f'layering: {error}', file=sys.stderr)
    if errors:
        print(f'layering: {len(errors)} violation(s) of the dependency rule '
              '(docs/architecture.md)', file=sys.stderr)
        return 1
    if len(sys.argv) > 3:
        open(sys.argv[3], 'w').write('ok\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
