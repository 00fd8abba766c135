#!/bin/sh
# Scratch build script for the stack images (temporary; the image factory role
# is the real builder). Builds one recipe at a time the way the factory does:
# legacy builder, build context = recipe dir, BASE_IMAGE build-arg.
# Usage: tests/contract/build_stack_images.sh NAME:TAG [NAME:TAG ...]
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
base=${BASE_IMAGE:-appstack/base:trixie}
mkdir -p /tmp/stack-build-logs
for spec in "$@"; do
    name=${spec%%:*}; tag=${spec#*:}
    ctx="$here/roles/image_factory/files/recipes/$name"
    start=$(date +%s)
    DOCKER_BUILDKIT=0 docker build --cpu-shares 512 ${NO_CACHE:+--no-cache} \
        --build-arg BASE_IMAGE="$base" -t "appstack/$name:$tag" "$ctx" \
        >"/tmp/stack-build-logs/$name.log" 2>&1 || {
        echo "BUILD FAILED: $name (see /tmp/stack-build-logs/$name.log)"; tail -30 "/tmp/stack-build-logs/$name.log"; exit 1; }
    end=$(date +%s)
    echo "built appstack/$name:$tag in $((end - start))s"
    docker image ls "appstack/$name:$tag" --format '{{.Repository}}:{{.Tag}} {{.Size}}'
done
