#if canImport(Glibc)
  import Glibc
#endif
import SombraCLI

let status = Bench.main(
  Array(CommandLine.arguments.dropFirst()), out: FileDescriptorOutput.standardOutput, err: FileDescriptorOutput.standardError)
exit(status.rawValue)
