#!/usr/bin/env bash
# Builds the offline kit: everything a kind cluster with a registry and an Ingress
# controller needs, made from the Go module proxy and Debian's packages alone, for
# machines (CI, air-gapped classrooms) that cannot pull container images.
#
#   offline-kit/build.sh            build what is missing, reuse the rest
#   offline-kit/build.sh --list     print the images the kit provides
#   offline-kit/build.sh --force    rebuild every step
#
# Artefacts live under $KUBELAB_CACHE (default /var/cache/kubelab)/kit, keyed by
# the versions in versions.env and the files each step reads, so a warm rerun only
# checks stamps. Images carry the label kubelab.kit.key=<key> and live in Docker.
set -euo pipefail

kit_dir=$(cd "$(dirname "$0")" && pwd)
repo_dir=$(dirname "$kit_dir")
# shellcheck source=versions.env
source "$kit_dir/versions.env"
# Another repository name for a trial kit beside the one in use (helpers/config.py
# reads the same variable), e.g. KUBELAB_KIT_REPO=kubelab.local/kit-next.
KIT_REPO=${KUBELAB_KIT_REPO:-$KIT_REPO}
cache=${KUBELAB_CACHE:-/var/cache/kubelab}/kit
logs=$cache/logs
force=0
export GOFLAGS=-buildvcs=false CGO_ENABLED=0 DEBIAN_FRONTEND=noninteractive

kit_images=(
  "kube-apiserver:v$K8S_VERSION" "kube-controller-manager:v$K8S_VERSION"
  "kube-scheduler:v$K8S_VERSION" "kube-proxy:v$K8S_VERSION"
  "etcd:$ETCD_IMAGE_TAG" "coredns:v$COREDNS_VERSION" "pause:$PAUSE_VERSION"
  "kube-router:v$KUBE_ROUTER_VERSION" "local-path-provisioner:v$LOCAL_PATH_VERSION"
  "traefik:v$TRAEFIK_VERSION" "metrics-server:v$METRICS_SERVER_VERSION"
  # local-path's helper pod (busybox online): sh, mkdir and rm on the nodes
  "bookworm-iptables:$DEBIAN_SUITE"
)
# Images that stay on the host (the registry runs beside the cluster; the base is
# what sample apps build FROM) rather than inside the node image.
host_images=("registry:$REGISTRY_VERSION" "bookworm-python3:$DEBIAN_SUITE"
  # the Spring Boot sample's bases: JDK 17 and Maven with apps/spring-hello's
  # artefacts (build stage), a JRE that runs the jar (run stage)
  "bookworm-jdk17-maven-m2:$DEBIAN_SUITE" "bookworm-jre17:$DEBIAN_SUITE")
node_image="$KIT_REPO/node:v$K8S_VERSION"

case "${1:-}" in
  --list)
    for i in "${kit_images[@]}" "${host_images[@]}"; do echo "$KIT_REPO/$i"; done
    echo "$node_image"; exit 0 ;;
  --force) force=1 ;;
  "") ;;
  *) echo "usage: $0 [--list|--force]" >&2; exit 2 ;;
esac

mkdir -p "$logs" "$cache/bin" "$cache/stamps" "$cache/ctx"

# --- plumbing ---------------------------------------------------------------
# key_of FILE_OR_DIR...: a short hash of versions.env plus the named inputs.
key_of() {
  {
    cat "$kit_dir/versions.env"
    # Paths relative to each input, so a checkout in another folder reuses the cache.
    for f in "$@"; do
      if [ -d "$f" ]; then (cd "$f" && find . -type f -print0 | sort -z | xargs -0 sha256sum); else sha256sum < "$f"; fi
    done
  } | sha256sum | cut -c1-12
}

image_key() { docker image inspect --format '{{index .Config.Labels "kubelab.kit.key"}}' "$1" 2>/dev/null || true; }

# step NAME KEY HINT FUNCTION: runs FUNCTION unless its stamp for KEY exists,
# with output in $logs/NAME.log, and a ✓/✗ line with the time taken.
step() {
  local name=$1 key=$2 hint=$3 fn=$4 stamp="$cache/stamps/$1"
  if [ $force = 0 ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
    printf '✓ %-22s cached (%s)\n' "$name" "$key"; return 0
  fi
  local log="$logs/$name.log" t0=$SECONDS
  printf '… %-22s building (log: %s)\n' "$name" "$log"
  if ( set -euo pipefail; "$fn" "$key" ) >"$log" 2>&1; then
    echo "$key" >"$stamp"
    printf '✓ %-22s built in %ds\n' "$name" $((SECONDS - t0))
  else
    printf '✗ %-22s failed after %ds. Last lines of %s:\n' "$name" $((SECONDS - t0)) "$log" >&2
    tail -n 25 "$log" | sed 's/^/    /' >&2
    printf 'ERROR: offline kit step %s failed.\nHint: %s\n' "$name" "$hint" >&2
    exit 1
  fi
}

go_dir() { # the module cache folder of MODULE@VERSION, downloaded on demand
  go mod download -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'
}

# go_verify: run in the main module's folder before a build. Go checks a module
# against go.sum (and the checksum database) when it downloads it; `go mod verify`
# checks that what sits in the shared module cache is still what was downloaded,
# for every module of the build, not only the wrapper modules.
go_verify() {
  case "$(go env GOSUMDB) $(go env GONOSUMDB) $(go env GOINSECURE) $(go env GOFLAGS)" in
    off*|*-insecure*) echo "ERROR: checksum checks are off (GOSUMDB/GOINSECURE/GOFLAGS)"; exit 1 ;;
  esac
  [ -z "$(go env GONOSUMDB)$(go env GOINSECURE)" ] || { echo "ERROR: GONOSUMDB/GOINSECURE exempt modules from checks"; exit 1; }
  go mod verify
}

bin_k8s=$cache/bin/kubernetes-v$K8S_VERSION
bin_kind=$cache/bin/kind-v$KIND_VERSION
bin_dns=$cache/bin/coredns-v$COREDNS_VERSION
bin_traefik=$cache/bin/traefik-v$TRAEFIK_VERSION
bin_metrics=$cache/bin/metrics-server-v$METRICS_SERVER_VERSION
bin_etcd=$cache/bin/etcd-v$ETCD_VERSION
bin_router=$cache/bin/kube-router-v$KUBE_ROUTER_VERSION
bin_local_path=$cache/bin/local-path-provisioner-v$LOCAL_PATH_VERSION
bin_containerd=$cache/bin/containerd-v$CONTAINERD_VERSION
bin_pause=$cache/bin/pause-$PAUSE_VERSION-k8s-v$K8S_VERSION
bin_deb=$cache/bin/debian-registry-$REGISTRY_VERSION
rootfs=$cache/rootfs
debian_keyring=${DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

# --- Go builds ----------------------------------------------------------------
build_kubernetes() {
  local v=k8s.io/component-base/version
  local ld="-s -w -X $v.gitVersion=v$K8S_VERSION -X $v.gitMajor=${K8S_VERSION%%.*}
    -X $v.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) -X $v.gitTreeState=clean
    -X $v.gitCommit=kubelab-offline-kit -X $v.buildDate=2026-01-01T00:00:00Z
    -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION"
  mkdir -p "$bin_k8s"
  cd "$kit_dir/go/kubernetes"
  go_verify
  # The wrapper module pins the release: fail loudly if versions.env moved on.
  grep -q "k8s.io/kubernetes v$K8S_VERSION" go.mod || { echo "go/kubernetes/go.mod does not require v$K8S_VERSION"; exit 1; }
  go build -trimpath -ldflags "$ld" -o "$bin_k8s/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-proxy \
    k8s.io/kubernetes/cmd/kubeadm k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubectl
  "$bin_k8s/kubeadm" version -o short | grep -qx "v$K8S_VERSION"
  # etcd, CoreDNS and pause must be the versions this kubeadm deploys.
  "$bin_k8s/kubeadm" config images list --kubernetes-version "v$K8S_VERSION" | tee "$bin_k8s/images.txt"
  grep -qx "registry.k8s.io/etcd:$ETCD_IMAGE_TAG" "$bin_k8s/images.txt"
  grep -qx "registry.k8s.io/coredns/coredns:v$COREDNS_VERSION" "$bin_k8s/images.txt"
  grep -qx "registry.k8s.io/pause:$PAUSE_VERSION" "$bin_k8s/images.txt"
}

# pause from Kubernetes' own source (build/pause/linux/pause.c in the module the
# kit builds), compiled as its Makefile does: static, with the version define.
build_pause() {
  local src
  src=$(cd "$kit_dir/go/kubernetes" && go_dir "k8s.io/kubernetes@v$K8S_VERSION")
  mkdir -p "$bin_pause"
  grep -q "^TAG ?= $PAUSE_VERSION\$" "$src/build/pause/Makefile" || { echo "k8s.io/kubernetes@v$K8S_VERSION builds another pause than $PAUSE_VERSION"; exit 1; }
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION-kubelab-k8s-v$K8S_VERSION" \
    -o "$bin_pause/pause" "$src/build/pause/linux/pause.c"
  strip "$bin_pause/pause"
  "$bin_pause/pause" -v
}

build_etcd() {
  mkdir -p "$bin_etcd"
  cd "$kit_dir/go/etcd"
  go_verify
  grep -q "go.etcd.io/etcd/server/v3 v$ETCD_VERSION" go.mod || { echo "go/etcd/go.mod does not require v$ETCD_VERSION"; exit 1; }
  go build -trimpath -ldflags "-s -w" -o "$bin_etcd/etcd" go.etcd.io/etcd/server/v3
  "$bin_etcd/etcd" --version | grep -q "etcd Version: $ETCD_VERSION"
  "$bin_etcd/etcd" --version
}

build_kube_router() {
  local src
  src=$(go_dir "github.com/cloudnativelabs/kube-router/v2@v$KUBE_ROUTER_VERSION")
  mkdir -p "$bin_router"
  cd "$src"
  go_verify
  go build -trimpath -ldflags "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=v$KUBE_ROUTER_VERSION" \
    -o "$bin_router/kube-router" ./cmd/kube-router
  "$bin_router/kube-router" --version
}

build_local_path() {
  local src
  src=$(go_dir "github.com/rancher/local-path-provisioner@v$LOCAL_PATH_VERSION")
  mkdir -p "$bin_local_path"
  cd "$src"
  go_verify
  # A module zip carries no vendored code (only vendor/modules.txt), so the
  # dependencies come from the module cache, checked against its go.sum.
  go build -mod=readonly -trimpath -ldflags "-s -w -X main.VERSION=v$LOCAL_PATH_VERSION" \
    -o "$bin_local_path/local-path-provisioner" .
  "$bin_local_path/local-path-provisioner" --version
}

# containerd, its CRI plugin and the runc shim, as kind's images/base/Dockerfile
# builds them (`make bin/ctr bin/containerd bin/containerd-shim-runc-v2` with
# BUILDTAGS "no_aufs no_zfs no_btrfs no_devmapper"), but static (CGO off): the
# binaries then run on the node's Debian whatever the host's libc. Without cgo
# the btrfs snapshotter is left out, as kind's tags leave it out.
build_containerd() {
  local src pkg=github.com/containerd/containerd/v2
  src=$(go_dir "$pkg@v$CONTAINERD_VERSION")
  mkdir -p "$bin_containerd"
  cd "$src"
  go_verify
  local ld="-s -w -X $pkg/version.Version=v$CONTAINERD_VERSION -X $pkg/version.Revision=kubelab-kit
    -X $pkg/version.Package=github.com/containerd/containerd"
  go build -trimpath -tags "urfave_cli_no_docs no_aufs no_zfs no_btrfs no_devmapper" -ldflags "$ld" \
    -o "$bin_containerd/" ./cmd/containerd ./cmd/ctr
  # The shim as the Makefile builds it: no gRPC, only ttrpc.
  go build -trimpath -tags "urfave_cli_no_docs no_grpc" -ldflags "$ld" \
    -o "$bin_containerd/" ./cmd/containerd-shim-runc-v2
  "$bin_containerd/containerd" --version | grep -q " v$CONTAINERD_VERSION "
  "$bin_containerd/containerd" --version
}

build_kind() {
  mkdir -p "$bin_kind"
  (cd "$(go_dir "sigs.k8s.io/kind@v$KIND_VERSION")" && go_verify)
  GOBIN="$bin_kind" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kind@v$KIND_VERSION"
  "$bin_kind/kind" version
}

build_coredns() {
  mkdir -p "$bin_dns"
  cd "$kit_dir/go/coredns"
  go_verify
  go build -trimpath -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=kubelab-kit" -o "$bin_dns/coredns" .
  "$bin_dns/coredns" -version
}

build_traefik() {
  # Built as the main module, in its own source folder, so that its go.mod's
  # replace directives apply exactly as in an upstream build.
  local src
  src=$(go_dir "github.com/traefik/traefik/v3@v$TRAEFIK_VERSION")
  mkdir -p "$bin_traefik"
  cd "$src"
  go_verify
  go build -trimpath -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
    -o "$bin_traefik/traefik" ./cmd/traefik
  "$bin_traefik/traefik" version
}

build_metrics_server() {
  local src
  src=$(go_dir "sigs.k8s.io/metrics-server@v$METRICS_SERVER_VERSION")
  mkdir -p "$bin_metrics"
  cd "$src"
  go_verify
  go build -trimpath -ldflags "-s -w" -o "$bin_metrics/metrics-server" ./cmd/metrics-server
  "$bin_metrics/metrics-server" --version
}

# --- Debian -------------------------------------------------------------------
fetch_debian_bins() {
  local debs=$cache/../debs/forky tmp
  "$repo_dir/tools/debian-fetch.sh" forky "$debs" docker-registry
  ls "$debs"/docker-registry_"$REGISTRY_VERSION"+*.deb
  tmp=$(mktemp -d)
  dpkg-deb -x "$debs"/docker-registry_"$REGISTRY_VERSION"+*.deb "$tmp"
  mkdir -p "$bin_deb"
  cp "$tmp/usr/bin/docker-registry" "$bin_deb/"
  rm -rf "$tmp"
  "$bin_deb/docker-registry" --version
}

# debootstrap_image NAME TAG PACKAGES: a minbase Debian rootfs with PACKAGES,
# trimmed of docs and apt lists, imported into Docker as $KIT_REPO/NAME:TAG.
debootstrap_image() {
  local name=$1 tag=$2 pkgs=$3 key=$4 dir="$rootfs/$1"
  mkdir -p "$rootfs/debs"
  rm -rf "$dir"
  # The Release file's signature is checked against Debian's archive keyring and
  # every package against the Release's hashes; without the keyring debootstrap
  # would only warn, so its absence is an error here.
  [ -s "$debian_keyring" ] || { echo "ERROR: $debian_keyring is missing: install debian-archive-keyring"; exit 1; }
  debootstrap --force-check-gpg --keyring="$debian_keyring" --variant=minbase \
    --cache-dir="$rootfs/debs" --include="$pkgs" "$DEBIAN_SUITE" "$dir" http://deb.debian.org/debian
  rm -rf "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/var/log/*.log
  find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
  tar -C "$dir" --numeric-owner -c . | docker import \
    --change "LABEL kubelab.kit.key=$key org.opencontainers.image.title=$name" \
    --change 'CMD ["/bin/bash"]' - "$KIT_REPO/$name:$tag"
  rm -rf "$dir"
}

rootfs_python() { debootstrap_image bookworm-python3 "$DEBIAN_SUITE" python3,ca-certificates "$1"; }
# Java: bookworm's OpenJDK 17 (the online bases are Temurin 17) and Maven.
rootfs_jdk() { debootstrap_image bookworm-jdk17-maven "$DEBIAN_SUITE" openjdk-17-jdk-headless,maven,ca-certificates "$1"; }
rootfs_jre() { debootstrap_image bookworm-jre17 "$DEBIAN_SUITE" openjdk-17-jre-headless,ca-certificates "$1"; }
# kube-proxy and kube-router: iptables, ipset (kube-router's NetworkPolicy), ip.
rootfs_iptables() { debootstrap_image bookworm-iptables "$DEBIAN_SUITE" iptables,ipset,iproute2,conntrack "$1"; }
rootfs_node() {
  debootstrap_image node-rootfs "$DEBIAN_SUITE" \
    systemd,systemd-sysv,dbus,runc,containernetworking-plugins,iptables,nftables,conntrack,iproute2,ethtool,util-linux,mount,kmod,socat,libseccomp2,pigz,ca-certificates,procps,jq,curl,e2fsprogs,bash \
    "$1"
}

# --- images -------------------------------------------------------------------
# docker_build IMAGE DIR KEY [FILE...]: stage DIR's Dockerfile and FILEs into a
# build context and build IMAGE, labelled with KEY.
docker_build() {
  local image=$1 dir=$2 key=$3 ctx
  shift 3
  ctx="$cache/ctx/$(basename "$dir")"
  rm -rf "$ctx"; mkdir -p "$ctx"
  cp -r "$dir"/. "$ctx"/
  for f in "$@"; do cp -r "$f" "$ctx"/; done
  docker build -q --label "kubelab.kit.key=$key" --build-arg "KIT_REPO=$KIT_REPO" \
    --build-arg "DEBIAN_SUITE=$DEBIAN_SUITE" -t "$image" "$ctx"
  rm -rf "$ctx"
}

build_component_images() {
  local key=$1 img=$kit_dir/images
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    docker_build "$KIT_REPO/$c:v$K8S_VERSION" "$img/static-binary" "$key" "$bin_k8s/$c"
    # One Dockerfile serves the three: the binary's name is the entrypoint.
    docker image inspect "$KIT_REPO/$c:v$K8S_VERSION" >/dev/null
  done
  docker_build "$KIT_REPO/kube-proxy:v$K8S_VERSION" "$img/kube-proxy" "$key" "$bin_k8s/kube-proxy"
  docker_build "$KIT_REPO/kube-router:v$KUBE_ROUTER_VERSION" "$img/kube-router" "$key" "$bin_router/kube-router"
  docker_build "$KIT_REPO/local-path-provisioner:v$LOCAL_PATH_VERSION" "$img/static-binary" "$key" \
    "$bin_local_path/local-path-provisioner"
  docker_build "$KIT_REPO/coredns:v$COREDNS_VERSION" "$img/coredns" "$key" "$bin_dns/coredns"
  docker_build "$KIT_REPO/traefik:v$TRAEFIK_VERSION" "$img/traefik" "$key" "$bin_traefik/traefik"
  docker_build "$KIT_REPO/metrics-server:v$METRICS_SERVER_VERSION" "$img/metrics-server" "$key" "$bin_metrics/metrics-server"
  docker_build "$KIT_REPO/etcd:$ETCD_IMAGE_TAG" "$img/static-binary" "$key" "$bin_etcd/etcd"
  docker_build "$KIT_REPO/registry:$REGISTRY_VERSION" "$img/registry" "$key" "$bin_deb/docker-registry"
  docker_build "$KIT_REPO/pause:$PAUSE_VERSION" "$img/pause" "$key" "$bin_pause/pause"
}

build_node_image() {
  local key=$1 kind_src ctx="$cache/ctx/node" builder="kubelab-kit-node-build"
  kind_src=$(go_dir "sigs.k8s.io/kind@v$KIND_VERSION")
  rm -rf "$ctx"; mkdir -p "$ctx/bin"
  cp -r "$kit_dir/images/node/." "$ctx/"
  cp -r "$kind_src/images/base/files" "$ctx/kind-base"
  chmod -R u+w "$ctx"
  cp "$bin_k8s/kubeadm" "$bin_k8s/kubelet" "$bin_k8s/kubectl" "$ctx/bin/"
  mkdir -p "$ctx/containerd"
  cp "$bin_containerd/containerd" "$bin_containerd/ctr" "$bin_containerd/containerd-shim-runc-v2" "$ctx/containerd/"
  docker build -q --label "kubelab.kit.key=$key" \
    --build-arg "NODE_ROOTFS=$KIT_REPO/node-rootfs:$DEBIAN_SUITE" \
    --build-arg "K8S_VERSION=v$K8S_VERSION" --build-arg "CONTAINERD_VERSION=$CONTAINERD_VERSION" \
    --build-arg "PAUSE_IMAGE=$KIT_REPO/pause:$PAUSE_VERSION" \
    -t "$node_image-pre" "$ctx"
  rm -rf "$ctx"
  # Pre-load the cluster's images into the node's containerd, as kind's own
  # node-image build does: run the node with sleep, start containerd inside,
  # import each image without unpacking, then commit the container.
  docker rm -f "$builder" >/dev/null 2>&1 || true
  docker run -d --name "$builder" --entrypoint=sleep --security-opt seccomp=unconfined \
    "$node_image-pre" infinity
  docker exec "$builder" bash -c 'nohup containerd >/var/log/containerd-build.log 2>&1 &'
  for _ in $(seq 1 30); do docker exec "$builder" ctr version >/dev/null 2>&1 && break; sleep 1; done
  for i in "${kit_images[@]}"; do
    echo "importing $KIT_REPO/$i"
    docker save "$KIT_REPO/$i" | docker exec -i "$builder" \
      ctr --namespace=k8s.io images import --all-platforms --no-unpack --digests -
  done
  docker exec "$builder" ctr --namespace=k8s.io images ls -q
  docker exec "$builder" bash -c 'pkill containerd; sleep 2; rm -f /var/log/containerd-build.log'
  docker commit \
    --change 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]' \
    --change "LABEL kubelab.kit.key=$key" \
    "$builder" "$node_image"
  docker rm -f "$builder"
  docker rmi "$node_image-pre"
}

# The offline Maven build image: bookworm-jdk17-maven plus a local repository
# holding every artefact apps/spring-hello's Dockerfile asks Maven for, with Maven
# set offline. The artefacts are resolved on this host by the two commands that
# Dockerfile runs: a build container has no network offline, and even where the
# host reaches Maven Central (through its proxy, or a TLS-inspecting gateway whose
# CA only the host trusts) the container does not. The image is then proven by
# building the app inside it with the network cut.
spring_app=$repo_dir/apps/spring-hello
build_maven_m2() {
  local key=$1 work="$cache/ctx/maven-m2" image="$KIT_REPO/bookworm-jdk17-maven-m2:$DEBIAN_SUITE"
  local mvn_args=(-B -ntp -Dmaven.repo.local="$work/repository")
  if ! command -v mvn >/dev/null || ! command -v javac >/dev/null; then  # as debootstrap above
    apt-get update -qq && apt-get install -y -qq maven openjdk-17-jdk-headless || {
      echo "ERROR: mvn and javac (17 or newer) are needed on this host: apt-get install maven openjdk-17-jdk-headless"; exit 1; }
  fi
  rm -rf "$work"; mkdir -p "$work/app"
  cp "$spring_app/pom.xml" "$work/app/"
  (cd "$work/app" && mvn "${mvn_args[@]}" dependency:go-offline)
  cp -r "$spring_app/VERSION" "$spring_app/src" "$work/app/"
  (cd "$work/app" && mvn "${mvn_args[@]}" package -DskipTests)
  rm -rf "$work/app"
  # Artefacts as if installed locally: Maven then serves them whatever the
  # repository ids (a host mirror's id is not the build's `central`).
  find "$work/repository" \( -name _remote.repositories -o -name '*.lastUpdated' \
    -o -name resolver-status.properties \) -delete
  printf '%s\n' '<settings>' '  <!-- the kit build image: every artefact is in the local repository -->' \
    '  <offline>true</offline>' '</settings>' >"$work/settings.xml"
  printf '%s\n' 'ARG BASE' 'FROM ${BASE}' 'COPY repository /root/.m2/repository' \
    'COPY settings.xml /root/.m2/settings.xml' >"$work/Dockerfile"
  docker build -q --label "kubelab.kit.key=$key" --build-arg "BASE=$KIT_REPO/bookworm-jdk17-maven:$DEBIAN_SUITE" \
    -t "$image" "$work"
  rm -rf "$work"
  # The proof: the app's own build steps, in the image, with no network at all.
  docker run --rm --network none -v "$spring_app:/src:ro" "$image" bash -c \
    'cp -r /src /tmp/app && cd /tmp/app && rm -rf target && mvn -B -ntp -q dependency:go-offline && mvn -B -ntp -q package -DskipTests && ls -l target/*.jar'
}

# --- the steps, in order --------------------------------------------------------
command -v go >/dev/null || { echo "ERROR: go is not installed.
Hint: install Go 1.24 or newer (Debian: golang-go from bookworm-backports, or go.dev/dl)." >&2; exit 1; }
docker version >/dev/null 2>&1 || { echo "ERROR: the Docker engine does not answer.
Hint: run tools/install-docker.sh (or start Docker Desktop), then run this again." >&2; exit 1; }
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq >/dev/null && apt-get install -y -qq debootstrap >/dev/null
fi

t_start=$SECONDS
net_hint="the Go module proxy or Debian could not be reached, or a version in versions.env does not exist: read the log"
step go-kubernetes "$(key_of "$kit_dir/go/kubernetes")" "$net_hint" build_kubernetes
step go-kind "$(key_of /dev/null)" "$net_hint" build_kind
step go-coredns "$(key_of "$kit_dir/go/coredns")" "$net_hint" build_coredns
step go-etcd "$(key_of "$kit_dir/go/etcd")" "$net_hint" build_etcd
step go-kube-router "$(key_of /dev/null)" "$net_hint" build_kube_router
step go-local-path "$(key_of /dev/null)" "$net_hint" build_local_path
step go-containerd "$(key_of /dev/null)" "$net_hint" build_containerd
step pause "$(key_of /dev/null)" "gcc could not build Kubernetes' pause.c: install gcc and libc6-dev (static glibc)" build_pause
step go-traefik "$(key_of /dev/null)" "$net_hint" build_traefik
step go-metrics-server "$(key_of /dev/null)" "$net_hint" build_metrics_server
step debian-bins "$(key_of "$repo_dir/tools/debian-fetch.sh")" "$net_hint" fetch_debian_bins

# Image steps check Docker itself, not only the stamp: a pruned image store
# must trigger a rebuild even where the stamps survived.
image_step() { # NAME IMAGE KEY HINT FUNCTION
  if [ "$(image_key "$2")" != "$3" ]; then rm -f "$cache/stamps/$1"; fi
  step "$1" "$3" "$4" "$5"
}
deb_hint="debootstrap failed: check that deb.debian.org answers (apt-get update) and that $rootfs has free space"
image_step rootfs-python "$KIT_REPO/bookworm-python3:$DEBIAN_SUITE" "$(key_of /dev/null)" "$deb_hint" rootfs_python
image_step rootfs-iptables "$KIT_REPO/bookworm-iptables:$DEBIAN_SUITE" "$(key_of /dev/null)" "$deb_hint" rootfs_iptables
image_step rootfs-node "$KIT_REPO/node-rootfs:$DEBIAN_SUITE" "$(key_of /dev/null)" "$deb_hint" rootfs_node
image_step rootfs-jdk "$KIT_REPO/bookworm-jdk17-maven:$DEBIAN_SUITE" "$(key_of /dev/null)" "$deb_hint" rootfs_jdk
image_step rootfs-jre "$KIT_REPO/bookworm-jre17:$DEBIAN_SUITE" "$(key_of /dev/null)" "$deb_hint" rootfs_jre
# Keyed by what Maven resolves from (the app's pom.xml) and by this recipe; the
# JDK base is in the key through versions.env, as it is in its own step's key.
image_step maven-m2 "$KIT_REPO/bookworm-jdk17-maven-m2:$DEBIAN_SUITE" \
  "$(key_of "$spring_app/pom.xml" <(declare -f build_maven_m2))" \
  "Maven could not resolve apps/spring-hello's artefacts on this host (Maven Central, ~/.m2/settings.xml), or its offline build in the image failed: read the log" \
  build_maven_m2
images_key=$(key_of "$kit_dir/images" "$kit_dir/go")
image_step images "$KIT_REPO/pause:$PAUSE_VERSION" "$images_key" \
  "a kit image failed to build: the log names the Dockerfile under offline-kit/images" build_component_images
# Keyed by the node's own recipe (its function and the images it pre-loads), not the
# whole script: a new host image elsewhere in this file does not rebuild the node.
image_step node-image "$node_image" \
  "$(key_of "$kit_dir/images" "$kit_dir/go" <(declare -f build_node_image; printf '%s\n' "$node_image" "${kit_images[@]}"))" \
  "the node image failed: the log shows the docker build or the image import; 'docker rm -f kubelab-kit-node-build' and rerun" \
  build_node_image

mkdir -p "$cache/bin/current"
ln -sf "$bin_kind/kind" "$cache/bin/current/kind"
ln -sf "$bin_k8s/kubectl" "$cache/bin/current/kubectl"
printf '✓ offline kit ready in %ds: node image %s; kind and kubectl in %s\n' \
  $((SECONDS - t_start)) "$node_image" "$cache/bin/current"
