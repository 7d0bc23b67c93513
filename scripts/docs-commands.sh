#!/usr/bin/env bash
# Regenerates the "Commands and flags" section of docs/operations.md (between the commands:begin and commands:end
# markers) from the built binary's --help, so that the reference follows the flags after each change.
# Usage: scripts/docs-commands.sh [kubesharp binary, default out/kubesharp]
# The defaults printed are those of the user running it (run it as root: the data directories then read /var/lib/...).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-${KUBESHARP_BIN:-out/kubesharp}}"
doc=docs/operations.md
commands=("server" "agent" "kubelet" "controller-manager" "scheduler" "dns" "proxy" "explain-placement" "image build"
  "datastore snapshot" "datastore restore" "certificate rotate" "version")

section() {
  local help
  for c in "${commands[@]}"; do
    # shellcheck disable=SC2086 # the command's words are split on purpose
    help="$("$bin" $c --help)"
    printf '### `kubesharp %s`\n\n' "$c"
    awk '/^Description:/{f=1;next} f&&/^$/{exit} f{sub(/^ +/,"");print}' <<<"$help"
    printf '\n```\n'
    awk '/^Usage:/{f=1;next} f&&/^$/{exit} f{sub(/^ +/,"");print}' <<<"$help"
    awk '/^Arguments:/{f=1;next} f&&/^$/{exit} f' <<<"$help"
    awk '/^Options:/{f=1;next} f&&/^$/{exit} f&&!/Show help and usage information/' <<<"$help"
    printf '```\n\n'
  done
}

generated="$(section)"
awk -v text="$generated" '
  /<!-- commands:begin -->/ { print; print ""; print text; skip=1; next }
  /<!-- commands:end -->/ { skip=0 }
  !skip' "$doc" >"$doc.tmp"
mv "$doc.tmp" "$doc"
echo "updated the commands of $doc from $bin"
