import SombraCLI

#if canImport(Glibc)
  import Glibc
#endif

let status = Bench.main(
  Array(CommandLine.arguments.dropFirst()), out: FileDescriptorOutput.standardOutput, err: FileDescriptorOutput.standardError)
exit(status.rawValue)
