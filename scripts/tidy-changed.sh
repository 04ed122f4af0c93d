#!/usr/bin/env bash
# clang-tidy (the project's .clang-tidy) and clang-format on the C++ files a change touches;
# exits non-zero on any warning or formatting difference.
#
# "Changed" is the difference between a base commit and the working tree (committed,
# staged, unstaged and new files alike). The base is, in order:
#   1. $BKLIT_TIDY_BASE, when set (a commit, e.g. the main head a branch started from);
#   2. the merge base with `main` (or `origin/main`), on a branch that has left main;
#   3. HEAD~1, on main itself: CI runs in a fresh clone of main, where the change under
#      test is the last commit (a merge commit's first parent is the main it was merged
#      into, so the whole merged branch counts).
# With no base at all (a clone with a single commit) every C++ file is checked.
#
# Usage: scripts/tidy-changed.sh [BUILD_DIR]   (default build; needs compile_commands.json)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
if [[ ! -f "$BUILD_DIR/compile_commands.json" ]]; then
  echo "tidy: $BUILD_DIR/compile_commands.json is missing; configure the build first" >&2
  exit 2
fi

base=${BKLIT_TIDY_BASE:-}
if [[ -z "$base" ]]; then
  for ref in main origin/main; do
    if git rev-parse -q --verify "$ref^{commit}" >/dev/null; then
      base=$(git merge-base HEAD "$ref" || true)
      break
    fi
  done
  if [[ -z "$base" || "$base" == "$(git rev-parse HEAD)" ]]; then
    base=$(git rev-parse -q --verify 'HEAD~1^{commit}' || true)
  fi
fi

is_cpp='\.(cpp|hpp)$'
in_tree='^(src|tests|bench)/'
if [[ -n "$base" ]]; then
  echo "tidy: files changed since $(git rev-parse --short "$base")"
  mapfile -t files < <({
    git diff --name-only --diff-filter=ACMR "$base" --
    git ls-files --others --exclude-standard
  } | grep -E "$in_tree" | grep -E "$is_cpp" | sort -u)
else
  echo "tidy: no base commit; checking every C++ file"
  mapfile -t files < <(git ls-files | grep -E "$in_tree" | grep -E "$is_cpp")
fi
if ((${#files[@]} == 0)); then
  echo "tidy: no changed C++ files"
  exit 0
fi
printf '  %s\n' "${files[@]}"

status=0
if ! clang-format --dry-run -Werror "${files[@]}"; then
  echo "tidy: clang-format would change the files above (run clang-format -i on them)" >&2
  status=1
fi

# Warnings are reported in the changed files only: a changed .cpp that includes an
# unchanged header is not blamed for that header.
header_filter=$(printf '%s\n' "${files[@]}" | grep -E '\.hpp$' | sed 's/[.]/\\./g' |
  paste -sd '|' - || true)
[[ -n "$header_filter" ]] || header_filter='^$'
export BUILD_DIR header_filter
tidy_one() {
  local out
  # GCC-only flags in the compile commands mean nothing to clang; the checks are those of
  # .clang-tidy, and clang's own -Werror diagnostics stay with the compiler's build.
  if ! out=$(clang-tidy -p "$BUILD_DIR" --quiet --warnings-as-errors='*' \
    --header-filter="($header_filter)" --extra-arg=-Wno-unknown-warning-option \
    --extra-arg=-Wno-error "$1" 2>&1); then
    printf '== %s\n%s\n' "$1" "$out"
    return 1
  fi
  # Header-only changes are checked through whatever translation unit clang-tidy infers.
  printf 'ok %s\n' "$1"
}
export -f tidy_one
if ! printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -I{} bash -c 'tidy_one "$@"' _ {}; then
  echo "tidy: clang-tidy found problems in the files above" >&2
  status=1
fi
exit "$status"
