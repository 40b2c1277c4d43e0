#!/usr/bin/env bash
# The rule of DESIGN.md's "Numbers from outside": on every path from a file, a
# message or a Lua argument, a Double becomes a size only through
# Int(checked:) (Swift traps on Int(1e300)), NSNumber's intValue is not used
# on a file's numbers, and suffix/prefix take no count that was not
# validated (suffix(-1) traps). This finds the lines that look like those
# conversions in the code that reads input, and fails on any not in the
# reviewed list (conversions.allow: file, the line's code, and why it is
# safe), or any reviewed line that is gone (so the list stays true).
# Usage: Tests/hardening/conversions_test.sh
set -u
cd "$(dirname "$0")/../.."
ALLOW=Tests/hardening/conversions.allow
READERS="Sources/OptLabReport Sources/OptLabRuntime/IO Sources/OptLabRuntime/Search Sources/OptLabRuntime/Train/ResumeState.swift
  Sources/OptLabRuntime/Train/RunFolder.swift Sources/OptLabRuntime/NN/ModuleSpec.swift Sources/OptLabRuntime/NN/Checkpoint.swift
  Sources/OptLabRuntime/Data Sources/optlab/Kernel Sources/optlab/Commands Sources/OptLabLua/Libraries Sources/OptLabLua/Bridge"
found=$(grep -rnE '\b(U?Int(8|16|32|64)?)\(([^()]|\([^()]*\))*(number|[dD]ouble|rounded|floor|ceil|/)|\.intValue\b|\.(suffix|prefix)\([^)]' $READERS \
  | grep -vE 'exactly:|truncatingIfNeeded|clamping:|checked:|prefix\(while|suffix\(from|\.(suffix|prefix)\([0-9]+\)' \
  | sed -E 's/^([^:]*):[0-9]+:[[:space:]]*/\1\t/' | sort -u)
reviewed=$(grep -v '^#' "$ALLOW" | grep . | cut -f1,2 | sort -u)
unreviewed=$(comm -23 <(echo "$found") <(echo "$reviewed"))
stale=$(comm -13 <(echo "$found") <(echo "$reviewed"))
n=$(echo "$found" | grep -c .)
[ -z "$unreviewed" ] || { echo "conversions: these lines convert or count with a number that may come from outside;"
  echo "use Int(checked:) (or validate the count), or review them into $ALLOW:"; echo "$unreviewed" | sed 's/^/  /'; }
[ -z "$stale" ] || { echo "conversions: reviewed lines that are gone (drop them from $ALLOW):"; echo "$stale" | sed 's/^/  /'; }
echo "conversions: $n reviewed lines in the code that reads files, messages and Lua arguments"
[ -z "$unreviewed" ] && [ -z "$stale" ]
