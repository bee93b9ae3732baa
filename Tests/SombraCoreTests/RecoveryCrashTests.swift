import SombraTestSupport
import Testing

@testable import SombraCore

/// A second power loss while the first is being recovered. The workload of
/// `CrashSimulationTests` loses power at an operation (every third one is
/// taken); the machine reboots (the reboot model turns with the point), and
/// the read-write open that recovers the database loses power again, at each of
/// its own writes, syncs and directory operations (syncing the adopted frames,
/// committing the session's clean flag, checkpointing the recovered frames,
/// resetting the WAL, creating a missing WAL). After the second reboot (in
/// every model) the database must still be a committed prefix holding every
/// commit acknowledged before the first crash: recovery itself never loses
/// what it was recovering.
@Suite struct RecoveryCrashTests {
  @Test(arguments: [31, 32] as [UInt64])
  func aPowerLossDuringRecoveryLosesNoAcknowledgedCommit(seed: UInt64) throws {
    let workload = Workload(seed: seed)
    let total = CrashSimulationTests.operationCount(workload)
    let checks = CrashSimulationTests()
    var recoveringOpens = 0
    for point in stride(from: 1, through: total, by: 3) {
      let disk = SimulatedDisk()
      disk.inject(.powerLoss, atOperation: point)
      let outcome = workload.run(on: disk)
      let models = CrashSimulationTests.recoveries(point)
      let (firstName, firstModel) = models[point % models.count]
      let firstImage = disk.afterPowerLoss(firstModel)

      // The operations of a recovering open that nothing interrupts.
      let probe = firstImage.afterPowerLoss(.keepAll)
      guard (try? Database.open(Workload.path, options: workload.options, storage: probe)) != nil else {
        Issue.record("the first reopen failed; seed \(seed), point \(point), reboot \(firstName)")
        continue
      }
      let steps = probe.operations
      if steps == 0 { continue }
      recoveringOpens += 1

      for step in 1...steps {
        let second = firstImage.afterPowerLoss(.keepAll)
        second.inject(.powerLoss, atOperation: step)
        #expect(throws: (any Error).self) { try Database.open(Workload.path, options: workload.options, storage: second) }
        for (name, model) in CrashSimulationTests.recoveries(point * 100 + step) {
          let context =
            "seed \(seed), power loss at \(point) of \(total), reboot \(firstName), then at step \(step) of \(steps) of recovery (\(second.log.last?.call ?? "?")), reboot \(name)"
          try checks.checkReopen(
            second.afterPowerLoss(model), workload: workload, outcome: outcome, durable: outcome.returned,
            context: context)
        }
      }
    }
    #expect(recoveringOpens > 10)
  }
}
