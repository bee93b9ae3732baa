// sombra-repair DB COMMAND: see `SombraRepair` in SombraTools and
// man/sombra-repair.1. Ctrl-C exits 130 (`ToolContext.handleInterrupts`).
import Glibc
import SombraTools

var context = ToolContext.process()
context.handleInterrupts()
let status = SombraRepair.main(Array(CommandLine.arguments.dropFirst()), context: context)
exit(status.rawValue)
