#!/usr/bin/env bash
# Downloads Debian packages of another suite (forky by default) without adding that
# suite to the machine's apt sources: a private apt state under the cache keeps the
# host's own package set untouched, so nothing on the host is ever upgraded by it.
#
#   tools/debian-fetch.sh SUITE DEST_DIR PACKAGE...
set -euo pipefail
suite=$1; dest=$2; shift 2
state=${KUBELAB_CACHE:-/var/cache/kubelab}/apt/$suite
mkdir -p "$state/lists/partial" "$state/archives/partial" "$dest"
cat > "$state/$suite.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
opts=(-o "Dir::Etc::SourceList=$state/$suite.sources" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state" -o Dir::State::status=/dev/null
      -o APT::Sandbox::User=root -qq)
# Package lists older than a day are refreshed; a warm cache needs no network.
if [ -z "$(find "$state/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
  apt-get "${opts[@]}" update
fi
cd "$dest"
for pkg in "$@"; do
  ls "${pkg}"_*.deb >/dev/null 2>&1 || apt-get "${opts[@]}" download "$pkg"
done
