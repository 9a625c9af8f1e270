#!/usr/bin/env bash
# Publish the repository's routes/ and guidelines/ as ConfigMaps and roll the proxy.
# Usage: deploy/k8s/sync-data.sh [namespace]   (run from the repository root)
set -euo pipefail
ns="${1:-primeguard}"
for d in routes guidelines; do
  kubectl -n "$ns" create configmap "primeguard-$d" --from-file="$d/" \
    --dry-run=client -o yaml | kubectl -n "$ns" apply -f -
done
# ConfigMap volumes update in place, but routes and guidelines are loaded at
# start-up: restart the pods (a normal surge rollout, honouring maxUnavailable: 0).
kubectl -n "$ns" rollout restart deployment/primeguard-proxy
kubectl -n "$ns" rollout status deployment/primeguard-proxy --timeout=10m
