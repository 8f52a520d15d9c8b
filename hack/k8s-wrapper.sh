# k8s-wrapper.sh is sourced by build-k8s.sh and build-node.sh. It writes a
# throw-away wrapper module that requires k8s.io/kubernetes and repeats its
# ./staging replaces as versioned requirements (go install refuses modules
# with replace directives; a wrapper module does not), then builds each
# command into an output directory with the version stamped in.

# K8S_VERSION is the Kubernetes release both scripts build (the control
# plane and the node must match); keep it the Makefile's.
K8S_VERSION="${K8S_VERSION:-1.37.2}"

# Builds the commands of k8s.io/kubernetes at a version:
#
#   k8s_build_commands WORKDIR OUTDIR K8S_VERSION CMD...   (CMD: kube-apiserver, kubelet, ...)
k8s_build_commands() {
	local work="$1" out="$2" version="$3"; shift 3
	local minor="${version#*.}"; minor="${minor%%.*}"
	mkdir -p "$work" "$out"
	(
		cd "$work"
		cat > go.mod <<MOD
module tollgate.dev/build/k8s

go 1.26.0

require k8s.io/kubernetes v$version
MOD
		{
			printf '//go:build tools\n\npackage tools\n\nimport (\n'
			for c in "$@"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$c"; done
			printf ')\n'
		} > tools.go
		go mod download k8s.io/kubernetes@"v$version"
		local kmod
		kmod="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/v$version.mod"
		{
			echo "replace ("
			sed -n '/^replace (/,/^)/p' "$kmod" | grep -o 'k8s.io/[a-z0-9-]* => ./staging' | awk -v v="v0.$minor.${version##*.}" '{print "\t" $1 " => " $1 " " v}'
			echo ")"
		} >> go.mod
		GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
		local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
		for c in "$@"; do
			CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$out/$c" "k8s.io/kubernetes/cmd/$c"
		done
	)
}

# A plain wrapper module (no replace directives) that builds one command of
# another module (etcd, CoreDNS) into OUTDIR/NAME.
#
#   go_build_command WORKDIR OUTDIR NAME MODULE VERSION PACKAGE
go_build_command() {
	local work="$1" out="$2" name="$3" module="$4" version="$5" pkg="$6"
	mkdir -p "$work" "$out"
	(
		cd "$work"
		printf 'module tollgate.dev/build/%s\n\ngo 1.26.0\n\nrequire %s v%s\n' "$name" "$module" "$version" > go.mod
		printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" > tools.go
		GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
		CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$out/$name" "$pkg"
	)
}

# Moves the built binaries of BUILT into DEST in one step (so DEST holds
# all of them or none), says so with the caller's log and prints DEST.
#
#   install_built BUILT DEST
install_built() {
	local built="$1" dest="$2"
	mkdir -p "$dest.tmp.$$"
	mv "$built/"* "$dest.tmp.$$/"
	rm -rf "$dest"
	mv "$dest.tmp.$$" "$dest"
	log "ready in $dest"
	echo "$dest"
}

# Starts a build in DIR, unless the caller's have() finds the binaries
# built (before or after waiting for the lock): then it prints OUT and
# exits. Otherwise it takes the build lock of DIR, so one build runs at a
# time, and makes the scratch directory $work, removed on exit.
#
#   build_start DIR OUT
build_start() {
	if have; then echo "$2"; exit 0; fi
	mkdir -p "$1"
	exec 9>"$1/.lock"
	flock 9
	if have; then echo "$2"; exit 0; fi
	work="$(mktemp -d "$1/build.XXXXXX")"
	trap 'rm -rf "$work"' EXIT
}

# log says what the build does on stderr, named after the script.
log() { echo "$(basename "$0" .sh): $*" >&2; }
