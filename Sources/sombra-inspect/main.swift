// sombra-inspect DB COMMAND: see `SombraInspect` in SombraTools and
// man/sombra-inspect.1. Ctrl-C exits 130 (`ToolContext.handleInterrupts`).
import Glibc
import SombraTools

var context = ToolContext.process()
context.handleInterrupts()
let status = SombraInspect.main(Array(CommandLine.arguments.dropFirst()), context: context)
exit(status.rawValue)
