#!/usr/bin/env bash
# Runs every fuzz target for a fixed number of executions (not a duration).
#
#   bash scripts/fuzz.sh                 the CI budget (about half a minute in all on 2 cores)
#   FUZZ_SCALE=20 bash scripts/fuzz.sh   twenty times the CI budget
#   bash scripts/fuzz.sh FuzzQuote       only the targets named
#
# Why a count: with a duration (-fuzztime 6s) Go 1.26's fuzz coordinator can
# report a bare "context deadline exceeded" when the deadline fires while a
# worker is mid-call (golang/go#75804, fixed in Go 1.27). A count budget
# (-fuzztime Nx) sets no deadline, so there is nothing to race: a failure here
# is always real (a written reproducer, a panic, a test error or a hang caught
# by -timeout).
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"

scale=${FUZZ_SCALE:-1}
[[ "$scale" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: FUZZ_SCALE must be a positive integer, got '$scale'" >&2; exit 2; }

# package:target:executions. Executions are sized from measured rates on the
# CI machine (2 cores) so each target takes about 4 seconds.
targets=(
	orm/schema:FuzzParseTag:80000
	orm/schema:FuzzRegisterTag:30000
	orm/dialect:FuzzQuote:40000
	orm/dialect:FuzzClassifyMySQL:50000
	orm/dialect:FuzzClassifyPostgres:20000
	orm/query:FuzzColumnNames:15000
	orm:FuzzIdentifierRoundTrip:2000
)

want=("$@")
selected() {
	local name=$1 w
	[[ ${#want[@]} -eq 0 ]] && return 0
	for w in "${want[@]}"; do [[ "$w" == "$name" ]] && return 0; done
	return 1
}

ran=0
for spec in "${targets[@]}"; do
	IFS=: read -r pkg name execs <<<"$spec"
	selected "$name" || continue
	n=$((execs * scale))
	corpus="$pkg/testdata/fuzz/$name"
	before=$(find "$corpus" -type f 2>/dev/null | sort || true)
	echo "-- $name ($pkg): ${n} executions"
	start=$SECONDS
	rc=0
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "${n}x" -timeout 10m "./$pkg" || rc=$?
	after=$(find "$corpus" -type f 2>/dev/null | sort || true)
	if [[ $rc -ne 0 ]]; then
		new=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed '/^$/d')
		if [[ -n "$new" ]]; then
			printf 'fuzz: %s failed; reproducer written:\n%s\n' "$name" "$new" >&2
			printf 'fuzz: replay with: go test -run "^%s$" ./%s\n' "$name" "$pkg" >&2
		else
			printf 'fuzz: %s failed without writing a reproducer (see the output above)\n' "$name" >&2
		fi
		exit 1
	fi
	printf -- '-- %s: ok in %ds\n' "$name" $((SECONDS - start))
	ran=$((ran + 1))
done
[[ $ran -gt 0 ]] || { echo "fuzz: no target matched: $*" >&2; exit 2; }
echo "fuzz: $ran target(s) passed"
