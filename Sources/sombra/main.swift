// sombra [options] DB: the graph shell. The shell itself is `SombraShell` in
// SombraTools; this file adds the libedit line editor (LineEditor.swift) for
// the interactive loop. See man/sombra.1.
import Glibc
import SombraTools

let status = SombraShell.main(Array(CommandLine.arguments.dropFirst()), context: .process()) { session in
  InteractiveShell.run(session, editor: LineEditor(session: session))
}
exit(status.rawValue)
