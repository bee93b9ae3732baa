// sombra-inspect DB COMMAND: see `SombraInspect` in SombraTools and
// man/sombra-inspect.1.
import Glibc
import SombraTools

let status = SombraInspect.main(Array(CommandLine.arguments.dropFirst()), context: .process())
exit(status.rawValue)
