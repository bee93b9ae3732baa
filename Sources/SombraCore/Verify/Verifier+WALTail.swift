/// The WAL past the snapshot: commits that recovery cannot reach.
///
/// Recovery keeps every transaction up to the first invalid frame. When a
/// later commit proves that frame had been synced (`WALDamage`), acknowledged
/// commits are cut off: `WAL_DAMAGED`, an error (or `WAL_FOREIGN` for another
/// database's WAL). When frames of this generation with a commit marker merely
/// follow an invalid frame, nothing proves they had been acknowledged: a crash
/// that tore an unsynced write across sectors leaves the same pattern as a
/// stale or damaged frame in the middle of the log, so the verifier warns
/// (`WAL_STALE_FRAME` or `WAL_FRAME_CHECKSUM` on the first invalid frame). A
/// live writer appending frames can make the log look like this for an
/// instant, so that finding is confirmed by a second look before it is reported.
extension Verifier {
  func checkWALTail() throws {
    // What the open found (`WALDamage`) is the stronger finding: a stray WAL,
    // or damage a later commit proves was acknowledged.
    if let damage = pager.lock.withLock({ $0.walDamage }) {
      let code: VerifyProblem.Code
      let record: String
      switch damage.kind {
      case .foreign:
        code = .walForeign
        record = "WAL header"
      case .header:
        code = .walDamaged
        record = "WAL header"
      case .frame(let frame, _):
        code = .walDamaged
        record = "WAL frame \(frame)"
      }
      problem(code, record: record, "\(damage)", hint: VerifyHint.recover)
      return
    }
    let mark = snapshot.mark
    let (header, wal) = pager.lock.withLock { ($0.walHeader, $0.walFile) }
    guard let header, let wal else { return }
    guard let first = try findLostCommits(after: mark, header: header, wal: wal) else { return }
    usleepSeconds(0.05)
    guard let confirmed = try findLostCommits(after: mark, header: header, wal: wal), confirmed.frame == first.frame else {
      return
    }
    // Nothing proves those commits were acknowledged: a crash that tore an
    // unsynced write across sectors leaves the same pattern. A warning, then.
    let code: VerifyProblem.Code = confirmed.reason == .saltMismatch ? .walStaleFrame : .walFrameChecksum
    problem(
      code, severity: .warning, record: "WAL frame \(confirmed.frame)",
      "\(confirmed.reason); \(confirmed.commits) commit frame(s) of this WAL generation follow it, which recovery cannot reach: lost if they had been acknowledged, though nothing in the WAL says they were synced (a crash before their sync leaves the same)",
      hint: "sombra-inspect DB wal (restore from a backup if those transactions matter)")
  }

  /// The first invalid frame at or after `mark`, when commit frames of the
  /// current generation follow it.
  private func findLostCommits(after mark: Int, header: WALHeader, wal: any StorageFile) throws
    -> (frame: Int, reason: WALInvalid, commits: Int)?
  {
    let pageSize = pager.pageSize
    var seed = header.checksum
    if mark > 0, let offset = WALFormat.frameOffset(mark - 1, pageSize: pageSize) {
      var stored = [UInt8](repeating: 0, count: 4)
      guard try stored.withUnsafeMutableBytes({ try wal.read(into: $0, at: offset + 24) }) == 4 else { return nil }
      seed = stored.withUnsafeBytes { $0.le(0, as: UInt32.self) }
    }
    let scan = try WALScanner.scan(wal, pageSize: pageSize, start: mark, resume: (header, seed))
    guard let stop = scan.stop else { return nil }
    // Count later frames of this generation that end a transaction.
    var commits = 0
    var head = [UInt8](repeating: 0, count: WALFormat.frameHeaderSize)
    var index = stop.frame + 1
    while let offset = WALFormat.frameOffset(index, pageSize: pageSize), offset < scan.fileSize {
      let n = try head.withUnsafeMutableBytes { try wal.read(into: $0, at: offset) }
      guard n == WALFormat.frameHeaderSize else { break }
      let fh = head.withUnsafeBytes { WALFrameHeader.read($0) }
      if fh.salt1 == header.salt1, fh.salt2 == header.salt2, fh.isCommit { commits += 1 }
      index += 1
    }
    return commits > 0 ? (stop.frame, stop.reason, commits) : nil
  }
}
