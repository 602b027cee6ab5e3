#!/bin/sh
# export-tree.sh TOP DEST: copies the source tree TOP into DEST for a package
# build: the files git knows plus untracked, non-ignored ones (or, outside a
# git checkout, everything but _build/ and debian/). Used by build-deb.sh and
# build-rpm.sh.
set -eu
top=$1 dest=$2
if [ -d "$top/.git" ] && command -v git >/dev/null 2>&1; then
    (cd "$top" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -cf -) | tar -C "$dest" -xf -
else
    (cd "$top" && tar --exclude=./_build --exclude=./debian -cf - .) | tar -C "$dest" -xf -
fi
