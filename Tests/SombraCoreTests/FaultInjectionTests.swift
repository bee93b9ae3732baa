import SombraTestSupport
import Testing

@testable import SombraCore

#if canImport(Glibc)
  import Glibc
#endif

/// A failing system call at every write, sync and truncate of the workload:
/// EIO, ENOSPC and short writes on writes, failing fdatasync on syncs. Each must
/// surface as a `SombraError`; the handle must be poisoned unless the failure was
/// a full disk while appending commit frames or while a checkpoint copies pages
/// into the main file (then it must stay usable); a full disk while the WAL
/// grows by zeros past a commit's frames only skips the growth (step 2a of the
/// commit protocol: nothing fails), and one in a checkpoint a commit runs on its
/// own only postpones it; and reopening — as is, or after a power loss — must
/// lose no returned commit.
@Suite struct FaultInjectionTests {
  static func faults(for call: String) -> [SimulatedDisk.Fault] {
    switch call {
    case "pwrite": [.eio, .enospc, .shortWrite]
    case "fdatasync": [.syncFailure]
    default: [.eio]
    }
  }

  @Test(arguments: [11, 12] as [UInt64])
  func everyFailedCallGivesACleanErrorAndLosesNoCommittedData(seed: UInt64) throws {
    let workload = Workload(seed: seed)
    let clean = SimulatedDisk()
    #expect(workload.run(on: clean).closed)
    let calls = clean.log
    var poisonedCount = 0
    var survivedCount = 0
    var skippedGrowth = 0
    var checkpointStopped = 0
    for (point, call, path) in calls {
      for fault in Self.faults(for: call) {
        let context = "seed \(seed), \(fault) at operation \(point) (\(call) on \(path))"
        let disk = SimulatedDisk()
        disk.inject(fault, atOperation: point)
        var outcome = workload.run(on: disk)
        guard let error = outcome.error else {
          guard fault == .enospc, outcome.closed else {
            Issue.record("no error surfaced; \(context)")
            continue
          }
          // The growth of the WAL was skipped, or a checkpoint a commit ran
          // on its own stopped (the WAL keeps the pages): every commit stands.
          if path.hasSuffix(".wal") { skippedGrowth += 1 } else { checkpointStopped += 1 }
          let db = try Database.open(Workload.path, options: workload.options, storage: disk)
          #expect(try db.read { try PageStore.read($0) } == outcome.states[outcome.attempted], "\(context)")
          try db.close()
          continue
        }
        #expect(error is SombraError, "not a SombraError: \(error); \(context)")
        disk.clearFaults()

        if let db = outcome.database, outcome.closing {
          // close() failed: the handle is closed all the same and says so.
          #expect {
            try db.read { _ in }
          } throws: {
            ($0 as? SombraError)?.code == .misuse
          }
        } else if let db = outcome.database {
          // A full disk fails a commit (the WAL) or a checkpoint (the main
          // file) and nothing else: the handle goes on.
          let fullDisk = fault == .enospc && (error as? SombraError)?.errno == ENOSPC && !db.isPoisoned
          if fullDisk {
            // The failed commit or checkpoint left nothing behind that counts.
            survivedCount += 1
            #expect(try db.read { try PageStore.read($0) } == outcome.states[outcome.returned], "\(context)")
            try db.write { try PageStore.apply([(47, 4747)], in: $0) }
            try db.close()
            let reopened = try Database.open(Workload.path, options: workload.options, storage: disk)
            #expect(
              try reopened.read { try PageStore.read($0) }
                == PageStore.applied([(47, 4747)], to: outcome.states[outcome.returned]),
              "\(context)")
            try reopened.close()
            continue
          }
          poisonedCount += 1
          #expect(db.isPoisoned, "the handle must be poisoned; \(context)")
          #expect {
            try db.read { _ in }
          } throws: {
            ($0 as? SombraError)?.code == .poisoned
          }
          #expect {
            try db.write { try PageStore.apply([(1, 1)], in: $0) }
          } throws: {
            ($0 as? SombraError)?.code == .poisoned
          }
        }
        outcome.database = nil  // releases the lock, as a process exit would

        for (name, image) in [("as is", disk), ("after power loss", disk.afterPowerLoss(.dropUnsynced))] {
          let db = try Database.open(Workload.path, options: workload.options, storage: image)
          let state = try db.read { try PageStore.read($0) }
          #expect(
            !outcome.matches(state, from: outcome.returned).isEmpty, "reopen \(name) lost a commit or mixed states; \(context)")
          try db.close()
        }
      }
    }
    #expect(poisonedCount > 10)
    #expect(survivedCount > 3)
    #expect(skippedGrowth > 0)
    #expect(checkpointStopped > 0)
  }

  @Test func aReadErrorFailsTheCallButNotTheHandle() throws {
    let disk = SimulatedDisk()
    var options = OpenOptions()
    options.cachePages = 8
    let db = try Database.open("/db/read.sombra", options: options, storage: disk)
    try db.write { try PageStore.apply((0..<20).map { ($0, UInt64($0)) }, in: $0) }
    try db.checkpoint(.truncate)
    disk.injectReadError(atRead: 3)
    #expect {
      try db.read { try PageStore.read($0) }
    } throws: {
      ($0 as? SombraError)?.code == .io
    }
    #expect(!db.isPoisoned)
    #expect(try db.read { try PageStore.read($0) }.count == 20)
    try db.close()
  }
}
