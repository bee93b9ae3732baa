#if canImport(Glibc)
  import Glibc
#endif
import SombraTools

exit(SombraVerify.main(Array(CommandLine.arguments.dropFirst()), context: .process()).rawValue)
