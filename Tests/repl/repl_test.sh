#!/usr/bin/env bash
# Drives the real optlab REPL in a real terminal (tmux) and checks the screen.
# Usage: Tests/repl/repl_test.sh path/to/optlab
set -u
OPTLAB=$(realpath "${1:?usage: repl_test.sh path/to/optlab}")
WORK=$(mktemp -d)
SOCK="$WORK/tmux.sock"
passed=0; failed=0
trap 'tmux -S "$SOCK" kill-server 2>/dev/null; rm -rf "$WORK"' EXIT

start() {   # start [OPTIONS]: a fresh session with its own HOME (history) and working folder
  tmux -S "$SOCK" kill-server 2>/dev/null
  while tmux -S "$SOCK" has-session 2>/dev/null; do sleep 0.1; done
  tmux -S "$SOCK" new-session -d -x 120 -y 50 -c "$WORK" "env HOME=$WORK TERM=xterm $OPTLAB $*"
  wait_for '> ' 5
}
type_line() { tmux -S "$SOCK" send-keys -t 0 -l -- "$1"; tmux -S "$SOCK" send-keys -t 0 Enter; }
type_text() { tmux -S "$SOCK" send-keys -t 0 -l -- "$1"; }
key() { tmux -S "$SOCK" send-keys -t 0 "$@"; }
screen() { tmux -S "$SOCK" capture-pane -t 0 -p 2>/dev/null; }
wait_for() {  # wait_for TEXT SECONDS: until TEXT is on screen
  local deadline=$((SECONDS + ${2:-5}))
  while [ $SECONDS -lt $deadline ]; do
    screen | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  return 1
}
check() {  # check NAME TEXT: TEXT appears on screen (waiting up to 5 s)
  if wait_for "$2" 5; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $1: expected to see: $2"; screen | sed 's/^/    | /'
  fi
}
check_absent() {  # check_absent NAME TEXT: TEXT is not on screen
  sleep 0.5
  if screen | grep -qF -- "$2"; then failed=$((failed + 1)); echo "FAIL $1: did not expect: $2"; screen | sed 's/^/    | /'
  else passed=$((passed + 1)); fi
}

# auto-print, multi-line input, ';' suppressing the value
start
type_line 'x = tensor.from{{1, 2}, {3, 4}}'
type_line 'x:sum():item() * 100'
check "auto-print of an expression" '1000.0'
type_line 'for i = 1, 3 do'
check "continuation prompt" '>>'
type_line 'io.write("line", i, " ")'
type_line 'end'
check "multi-line entry ran" 'line1 line2 line3'
type_line '777 + 1\;'    # tmux needs the ; escaped
check_absent "a trailing ; suppresses printing" '778'

# an error, then a working next line with state intact
type_line 'x:matmul(nil)'
check "error message" "stdin:1: bad argument #1 to 'Tensor:matmul' (tensor expected, got nil)"
type_line 'x[2][2] + 0.5'
check "session goes on after an error" '4.5'

# completion through metatables, of module fields, and of file names
type_text 'x:re'; key Tab
check "methods listed through __index" 'requires_grad('
check "methods listed through __index (2)" 'reshape('
key C-u
type_text 'tensor.ze'; key Tab; type_line '{3}'
check "module field completed" '[f32 tensor, shape 3]'
touch "$WORK/weights_for_completion.npy"
type_text 'f = "weights_for'; key Tab; type_line '"'
type_line 'f'
check "file name completed inside a string" '"weights_for_completion.npy"'
# the option keys of the call being written, and a Lua module's own fields
key C-l
type_text 'o = train.fit{mode'; key Tab
check "an option key completed inside the call's table" 'o = train.fit{model'
key C-u
type_text 'o = optim.SGD(m, {lr = 1, mo'; key Tab
check "an option key after others, in a call's second argument" 'o = optim.SGD(m, {lr = 1, momentum'
key C-u
type_line 'R = nn.Module:extend("R"); function R:init() self.encoder = nn.Linear(2, 2); self.gain = nn.Parameter(tensor.ones{1}) end'
type_line 'r = R()'
type_text 'r.enc'; key Tab
check "a Lua module's own field completed" 'r.encoder'
key C-u
type_text 'r.ga'; key Tab
check "a Lua module's parameter completed" 'r.gain'
key C-u
# a long history prints as numpy prints a long array; a tensor in a table keeps its indentation
key C-l
type_line 'h = {loss = {}}; for i = 1, 5000 do h.loss[i] = i end'
type_line 'h'
check "a long array summarised" '1, 2, 3, … 4994 more …, 4998, 4999, 5000'
type_line '{w = tensor.ones{2, 2}, n = 1}'
check "a tensor in a table keeps the table's indentation" '  w = 1 1'

# Ctrl-C out of an infinite loop keeps every variable
type_line 'kept = 41'
type_line 'while true do end'
sleep 1; key C-c
check "interrupted" 'interrupted!'
type_line 'kept + 1'
check "variables survive Ctrl-C" '42'
# Ctrl-C in the middle of train.fit keeps the history so far, and says where
type_line 'm = nn.Sequential{nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 3)}; d = data.spiral{classes = 3, per_class = 2000}'
type_line 'h = train.fit{model = m, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m, {lr = 0.1}), train = d, epochs = 100000, batch = 4}'
sleep 2; key C-c
check "train.fit interrupted, and where its history is" 'is in train.last'
type_line '#train.last.loss > 0'
check "the history so far is kept" 'true'
# tiny epochs do not flood the terminal: their lines are skipped and counted
type_line 'm2 = nn.Sequential{nn.Linear(2, 3)}; d2 = data.spiral{classes = 3, per_class = 10}'
type_line 'h2 = train.fit{model = m2, loss = nn.SoftmaxCrossEntropy(), optimizer = optim.SGD(m2, {lr = 0.1}), train = d2, epochs = 3000, batch = 30}'
check "epoch lines are rate-limited" 'epoch lines skipped)'
# Ctrl-C at the prompt clears the line
type_text 'this line is abandoned'; key C-c
type_line '"after clear"'
check "Ctrl-C clears the line" '"after clear"'

# history survives a restart; Ctrl-D exits
type_line 'remembered_entry = 123'
key C-d
sleep 0.5
start
key Up
check "history restored after restart" 'remembered_entry = 123'
key C-u

# Ctrl-C in the middle of a search: the session survives, and running the
# search again resumes (finished trials are not redone; the interrupted one
# carries on from its last epoch)
cat > "$WORK/search.lua" <<'LUA'
local d = data.spiral{classes = 3, per_class = 40}
local ce = nn.SoftmaxCrossEntropy()
ran = ran or 0
return hp.search{name = "s", dir = "runs", space = {lr = hp.loguniform(0.01, 1)}, stages = {{trials = 4, epochs = 6}},
  trial = function(cfg, budget)
    ran = ran + 1
    tensor.seed(cfg.trial)
    local m = nn.Sequential{nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3)}
    local slow = function(s, y) local t = os.clock() while os.clock() - t < 0.03 do end return ce(s, y) end
    local h = train.fit{model = m, loss = slow, optimizer = optim.SGD(m, {lr = cfg.lr, momentum = 0.9}),
      train = d, val = d, batch = 20, log = cfg.dir, budget = budget}
    return {val_acc = h.best.val_acc, resumed = h.resumed_from}
  end}
LUA
key C-l
type_line 'r = dofile("search.lua")'
wait_for '2/4 done' 30
sleep 0.6   # trial 3 is a few epochs in
key C-c
check "Ctrl-C stops the search with a message" 'interrupted'
type_line 'print("runs before", ran)'
check "the session goes on after an interrupted search" 'runs before'
key C-l
type_line 'ran = 0; r = dofile("search.lua"); print(string.format("resumed runs=%d trials=%d", ran, #r.trials))'
check "the search resumes: only unfinished trials run again" 'resumed runs=2 trials=4'
type_line 'for _, t in ipairs(r.trials) do if t.resumed then print("trial " .. t.trial .. " resumed from epoch " .. t.resumed) end end'
check "the interrupted trial carried on from its last epoch" 'trial 3 resumed from epoch '

# help
type_line 'help(tensor.zeros)'
check "help text" 'tensor.zeros(shape [, dtype])'

# trepl's habits: who(), _LAST and _RESULTS, $ shell commands, timing (optlab -t, :timer)
start
type_line 'w = tensor.zeros{3, 4}'
type_line 'net = nn.Linear(4, 2)'
type_line 'count = 7'
type_line 'who()'
check "who() lists a tensor by shape and bytes" 'w      tensor f32 [3 x 4], 48 bytes'
check "who() lists a model by parameters" 'net    model Linear(4 -> 2), 10 parameters, 40 bytes'
check "who() lists a number" 'count  number 7'
check_absent "who() lists none of optlab's own globals" 'tensor  table'
type_line '6 * 7'
type_line '_LAST + 0.5'
check "_LAST holds the last value" '42.5'
type_line '#_RESULTS .. " " .. _RESULTS[#_RESULTS - 1]'
check "_RESULTS holds the recent values, the newest last" '"2 42"'
type_line '$ echo shell says $((40 + 2))'
check "a $ line runs in the shell" 'shell says 42'
type_line '$ exit 3'
check "a failed shell command's status" 'exit 3'
type_line ':timer 0'
check ":timer sets the threshold" 'timing entries that take 0 s or more'
type_line 'os.execute("sleep 0.3")'
check "an entry's time printed after it" 'time: 3'
type_line ':timer 5'
type_line 'print("fast" .. "entry")'
wait_for 'fastentry' 5
sleep 0.5
[ "$(screen | grep -c '^time: ')" = 1 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL an entry under the threshold shows no time"; screen | sed 's/^/    | /'; }
type_line ':timer soon'
check "a bad :timer argument is refused" ":timer: expected seconds (a number ≥ 0) or off, got 'soon'"
start -t
type_line 'os.execute("sleep 0.2")'
check "optlab -t times an entry of 0.1 s or more" 'time: 2'

# not a terminal: the same binary reads Lua from stdin, without prompts
out=$(echo 'print(1+1)' | "$OPTLAB")
if [ "$out" = "2" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL piped stdin: got '$out'"; fi
out=$(printf 'x = 2\nprint(x * 21)\n' | "$OPTLAB" -)
if [ "$out" = "42" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL stdin with -: got '$out'"; fi

# the command line: --help and -h print the usage; a command's word is the command even when a file has
# that name (the file runs as ./report)
expect_out() {  # expect_out NAME TEXT COMMAND...: COMMAND's output (and success) has TEXT
  local name=$1 text=$2; shift 2
  local got
  if got=$("$@" 2>&1) && grep -qF -- "$text" <<<"$got"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $name: expected '$text' in:"; sed 's/^/    | /' <<<"$got"
  fi
}
expect_out "optlab --help" "usage: optlab [options] [script [args]]" "$OPTLAB" --help
expect_out "optlab -h" "Commands (a script named like one runs as ./name)" "$OPTLAB" -h
expect_out "optlab report --help" "--watch      rewrite the page" "$OPTLAB" report --help
expect_out "optlab sweep --help" "usage: optlab sweep script.lua" "$OPTLAB" sweep --help
(
  cd "$WORK" && echo 'print("the script named report")' > report
  expect_out "a file named report does not hijack the command" "usage: optlab report" "$OPTLAB" report --help
  expect_out "./report runs the file" "the script named report" "$OPTLAB" ./report
  echo "$passed $failed" > "$WORK/counts"
)
read passed failed < "$WORK/counts"; rm -f "$WORK/report"

echo "repl: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
