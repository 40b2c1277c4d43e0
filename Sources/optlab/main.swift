import Glibc
import OptLabRuntime

// OpenBLAS reads its kernel family and its threads' spin time, and glibc its
// malloc cache size, only as the process starts: start again, once, with
// better ones when they apply (see StartupEnvironment).
StartupEnvironment.restartIfNeeded()
exit(Command.run(CommandLine.arguments))
