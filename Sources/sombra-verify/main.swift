import SombraTools

// sombra-verify [options] DB: see `SombraVerify` in SombraTools and
// man/sombra-verify.1. Ctrl-C exits 130 (`ToolContext.handleInterrupts`).
#if canImport(Glibc)
  import Glibc
#endif

var context = ToolContext.process()
context.handleInterrupts()
exit(SombraVerify.main(Array(CommandLine.arguments.dropFirst()), context: context).rawValue)
