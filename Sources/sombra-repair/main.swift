// sombra-repair DB COMMAND: see `SombraRepair` in SombraTools and
// man/sombra-repair.1.
import Glibc
import SombraTools

let status = SombraRepair.main(Array(CommandLine.arguments.dropFirst()), context: .process())
exit(status.rawValue)
