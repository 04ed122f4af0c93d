#!/usr/bin/env bash
# clang-tidy (the project's .clang-tidy) and clang-format on what a change touches: every
# C++ file the change adds or modifies under src/, tests/ and bench/, judged on the lines
# it adds or modifies (all lines of a new file). Exits non-zero on any clang-tidy warning
# or formatting difference there. Findings on lines the change did not touch are not its
# own, so they do not fail it.
#
# "Changed" is the difference between a base commit and the working tree (committed,
# staged and unstaged changes, and new untracked files). The base is, in order:
#   1. $BKLIT_TIDY_BASE, when set (a commit, e.g. the main head a branch started from);
#   2. the merge base with `main` (or `origin/main`), on a branch that has left main;
#   3. HEAD~1, on main itself: CI runs in a fresh clone of main, where the change under
#      test is the last commit (a merge commit's first parent is the main it was merged
#      into, so a whole merged branch counts).
# With no base at all (a clone holding a single commit) every line of every C++ file is
# checked.
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

cpp_files() { grep -E '^(src|tests|bench)/' | grep -E '\.(cpp|hpp)$' || true; }
untracked=()
if [[ -n "$base" ]]; then
  echo "tidy: lines changed since $(git rev-parse --short "$base")"
  mapfile -t files < <(git diff --name-only --diff-filter=AM "$base" -- | cpp_files | sort -u)
  mapfile -t untracked < <(git ls-files --others --exclude-standard | cpp_files | sort -u)
else
  echo "tidy: no base commit; checking every C++ file"
  mapfile -t untracked < <(git ls-files | cpp_files)
  files=()
fi

# The clang-tidy line filter: [{"name":"<file>","lines":[[first,last],...]},...], from the
# new side of each diff hunk ("@@ -a,b +c,d @@" adds lines c..c+d-1).
filter_entries=()
checked=()
for f in "${files[@]}"; do
  ranges=$(git diff -U0 "$base" -- "$f" | awk '
    /^@@/ {
      split($3, r, ",");
      start = substr(r[1], 2) + 0;
      count = (2 in r) ? r[2] + 0 : 1;
      if (count > 0) printf "%s[%d,%d]", (n++ ? "," : ""), start, start + count - 1;
    }')
  if [[ -n "$ranges" ]]; then
    filter_entries+=("{\"name\":\"$f\",\"lines\":[$ranges]}")
    checked+=("$f")
  fi
done
for f in "${untracked[@]}"; do
  filter_entries+=("{\"name\":\"$f\"}")  # no "lines": the whole file
  checked+=("$f")
done
if ((${#checked[@]} == 0)); then
  echo "tidy: no changed C++ lines"
  exit 0
fi
printf '  %s\n' "${checked[@]}"
line_filter="[$(IFS=,; echo "${filter_entries[*]}")]"

status=0
# Formatting of the changed lines (git clang-format), and of new untracked files whole.
if ((${#files[@]})); then
  if ! out=$(git clang-format --diff --extensions cpp,hpp "$base" -- "${files[@]}" 2>&1); then
    printf '%s\n' "$out"
    echo "tidy: clang-format would change the lines above (git clang-format $base)" >&2
    status=1
  fi
fi
if ((${#untracked[@]})) && ! clang-format --dry-run -Werror "${untracked[@]}"; then
  echo "tidy: clang-format would change the new files above (clang-format -i)" >&2
  status=1
fi

export BUILD_DIR line_filter
tidy_one() {
  local out
  # Headers are checked through the translation unit clang-tidy infers for them. GCC-only
  # warning flags in the compile commands mean nothing to clang; compiler warnings stay
  # with the compiler's -Werror build, so only the .clang-tidy checks decide here.
  if ! out=$(clang-tidy -p "$BUILD_DIR" --quiet --warnings-as-errors='*' --header-filter='.*' \
    --line-filter="$line_filter" --extra-arg=-Wno-unknown-warning-option \
    --extra-arg=-Wno-error "$1" 2>&1); then
    printf '== %s\n%s\n' "$1" "$out"
    return 1
  fi
  printf 'ok %s\n' "$1"
}
export -f tidy_one
if ! printf '%s\n' "${checked[@]}" | xargs -P "$(nproc)" -I{} bash -c 'tidy_one "$@"' _ {}; then
  echo "tidy: clang-tidy found problems on the changed lines above" >&2
  status=1
fi
exit "$status"
