#!/usr/bin/env bash
# Builds the image of every service (services/*/Dockerfile) with whichever
# container engine is here and answers: docker (its daemon running), podman
# or buildah, in that order of preference. The build context is the repository root (the services need the
# workspace's crates and proto/); .dockerignore keeps target/ and the like out.
#
# Each image is tagged <registry>/<service>:<tag>, what the charts and
# manifests pull by default: ghcr.io/weigrid/grid-registry:0.1.0 and so on.
#
# Usage: scripts/images.sh [--dry-run] [--push]   (make images IMAGES_FLAGS=…)
#   --dry-run  prints the commands instead of running them
#   --push     pushes each image after building it
# Environment:
#   WEIGRID_IMAGE_ENGINE  docker, podman or buildah, instead of the first found
#   IMAGE_REGISTRY        default ghcr.io/weigrid
#   IMAGE_TAG             default each chart's appVersion (charts/<service>/Chart.yaml)
#
# Exit status 0 when every image was built (or printed), 1 when a build
# failed, 2 when no engine is here or an argument is wrong: then nothing is
# built, and the message says what to install.
#
# Only shell builtins are used, so that the check of the "no engine" case can
# run it with an empty PATH.
set -euo pipefail

case ${BASH_SOURCE[0]} in
    */*) cd "${BASH_SOURCE[0]%/*}/.." ;;
    *) cd .. ;;
esac

dry_run=false
push=false
for argument in "$@"; do
    case $argument in
        --dry-run) dry_run=true ;;
        --push) push=true ;;
        *)
            echo "usage: scripts/images.sh [--dry-run] [--push]" >&2
            exit 2
            ;;
    esac
done

readonly ENGINES=(docker podman buildah)

# answers ENGINE: ENGINE is installed and can build here; else prints why not.
answers() {
    local probe output
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "$1 is not installed (not on PATH)"
        return 1
    fi
    case $1 in
        # The client alone builds nothing: its daemon must answer.
        docker) probe=(docker info --format '{{.ServerVersion}}') ;;
        podman) probe=(podman info --format '{{.Version.Version}}') ;;
        buildah) probe=(buildah version) ;;
    esac
    if ! output=$("${probe[@]}" 2>&1); then
        # The first line that says what is wrong.
        while IFS= read -r line; do
            case $line in
                *[Cc]annot* | *[Ee]rror* | *denied* | *refused*)
                    echo "$1 is installed but does not answer: $line"
                    return 1
                    ;;
            esac
        done <<< "$output"
        echo "$1 is installed but does not answer (${probe[*]} failed)"
        return 1
    fi
}

engine=${WEIGRID_IMAGE_ENGINE:-}
if [[ -n "$engine" ]]; then
    case " ${ENGINES[*]} " in
        *" $engine "*) ;;
        *)
            echo "images: WEIGRID_IMAGE_ENGINE is \"$engine\"; it must be one of ${ENGINES[*]}" >&2
            exit 2
            ;;
    esac
    # A dry run only prints: the engine need not be here.
    if ! $dry_run && ! why=$(answers "$engine"); then
        echo "images: WEIGRID_IMAGE_ENGINE is $engine, but $why; nothing was built" >&2
        exit 2
    fi
else
    reasons=()
    for candidate in "${ENGINES[@]}"; do
        if why=$(answers "$candidate"); then
            engine=$candidate
            break
        fi
        reasons+=("$why")
    done
    if [[ -z "$engine" ]]; then
        echo "images: no container engine here, so no image was built:" >&2
        printf 'images:   %s\n' "${reasons[@]}" >&2
        echo "images: install one (Docker 23 or later, whose default builder is BuildKit, with its daemon running;" >&2
        echo "images: Podman; Buildah), or build elsewhere from the repository root:" >&2
        echo "images:   docker build -f services/<service>/Dockerfile -t ghcr.io/weigrid/<service>:<tag> ." >&2
        exit 2
    fi
fi

# app_version CHART: the appVersion in CHART/Chart.yaml; a service without a
# chart yet takes the workspace's version (Cargo.toml), the release it is of.
app_version() {
    local line pattern='^appVersion:[[:space:]]*"?([^"[:space:]]+)"?'
    if [[ ! -f "$1/Chart.yaml" ]]; then
        pattern='^version[[:space:]]*=[[:space:]]*"([^"]+)"'
        while IFS= read -r line; do
            if [[ $line =~ $pattern ]]; then
                echo "${BASH_REMATCH[1]}"
                return 0
            fi
        done < Cargo.toml
        return 1
    fi
    while IFS= read -r line; do
        if [[ $line =~ $pattern ]]; then
            echo "${BASH_REMATCH[1]}"
            return 0
        fi
    done < "$1/Chart.yaml"
    echo "images: no appVersion in $1/Chart.yaml; set IMAGE_TAG" >&2
    return 1
}

# build_command SERVICE REFERENCE: the engine's build command, one word a line.
build_command() {
    local dockerfile="services/$1/Dockerfile"
    case $engine in
        # BuildKit for the cache mounts (the default builder since Docker 23).
        docker) printf '%s\n' env DOCKER_BUILDKIT=1 docker build --file "$dockerfile" --tag "$2" . ;;
        podman) printf '%s\n' podman build --file "$dockerfile" --tag "$2" . ;;
        buildah) printf '%s\n' buildah build --file "$dockerfile" --tag "$2" . ;;
    esac
}

push_command() {
    case $engine in
        docker) printf '%s\n' docker push "$1" ;;
        podman) printf '%s\n' podman push "$1" ;;
        buildah) printf '%s\n' buildah push "$1" ;;
    esac
}

# run WORD…: prints the command, and runs it unless this is a dry run.
run() {
    echo "+ $*"
    $dry_run || "$@"
}

registry=${IMAGE_REGISTRY:-ghcr.io/weigrid}
echo "images: building with $engine$($dry_run && echo ' (dry run: printing the commands only)')"
built=()
for dockerfile in services/*/Dockerfile; do
    service=${dockerfile#services/}
    service=${service%/Dockerfile}
    tag=${IMAGE_TAG:-}
    if [[ -z "$tag" ]]; then
        tag=$(app_version "charts/$service") || exit 2
    fi
    reference="$registry/$service:$tag"
    mapfile -t command < <(build_command "$service" "$reference")
    if ! run "${command[@]}"; then
        echo "images: building $reference failed" >&2
        exit 1
    fi
    if $push; then
        mapfile -t command < <(push_command "$reference")
        if ! run "${command[@]}"; then
            echo "images: pushing $reference failed" >&2
            exit 1
        fi
    fi
    built+=("$reference")
done
if $dry_run; then
    echo "images: would build ${built[*]}"
else
    echo "images: built ${built[*]}"
fi
