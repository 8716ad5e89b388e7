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
# Package lists older than a day are refreshed, and only when something is to be
# downloaded: a warm, verified cache needs no network.
lists() {
  if [ -z "$(find "$state/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
    apt-get "${opts[@]}" update
  fi
}
cd "$dest"
# apt-get download checks a package against the suite's signed Packages index; a
# copy reused from the cache is checked against the SHA256 that index gave when it
# was downloaded (kept beside it), so a changed or truncated file is fetched again.
for pkg in "$@"; do
  reused=""
  for deb in "${pkg}"_*.deb; do
    [ -f "$deb" ] || continue
    if [ -s "$deb.sha256" ] && [ "$(sha256sum < "$deb" | cut -d' ' -f1)" = "$(cat "$deb.sha256")" ]; then
      reused=$deb
    else
      echo "debian-fetch: $dest/$deb does not match the hash recorded at download: fetching it again" >&2
      rm -f "$deb" "$deb.sha256"
    fi
  done
  [ -n "$reused" ] && continue
  lists
  apt-get "${opts[@]}" download "$pkg"
  # the file apt just fetched (and verified) and its hash from the index
  info=$(apt-cache "${opts[@]}" show --no-all-versions "$pkg")
  file=$(basename "$(printf '%s\n' "$info" | sed -n 's/^Filename: //p' | head -1)")
  sha=$(printf '%s\n' "$info" | sed -n 's/^SHA256: //p' | head -1)
  # apt names the file with an escaped epoch (%3a); the index uses the plain name
  deb=$(ls "${pkg}"_*.deb | head -1)
  [ -n "$sha" ] && [ "$(sha256sum < "$deb" | cut -d' ' -f1)" = "$sha" ] || {
    echo "debian-fetch: $deb ($file) does not match the index's SHA256 $sha" >&2; rm -f "$deb"; exit 1; }
  echo "$sha" > "$deb.sha256"
done
