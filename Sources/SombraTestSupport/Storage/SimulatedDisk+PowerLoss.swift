import SombraCore

/// What a machine finds on its disk after a power loss (model, 6, of `SimulatedDisk`).
///
/// 1. Entries: each directory's synced entries, plus a prefix of its unsynced
///    entry changes in the order they were made: none (`dropUnsynced`), all
///    (`keepAll`), or a random length (`random`, `sectors`).
/// 2. Bytes: each file those entries name, from its durable bytes, with its
///    pending writes and truncations applied in order as the model decides:
///    none, all, each kept, dropped or cut at a byte (`random`), or each write as
///    a random subset of its 512-byte sectors and each truncation kept or
///    dropped (`sectors`). Writes a failed sync dropped are not pending: no
///    model brings them back.
/// 3. Files no entry names are gone. Nothing is pending, locked or faulty on
///    the new disk, and its operation count starts at zero.
/// Choices come from one seeded generator, in sorted order of directories and
/// inodes, so a seed replays the same disk. `crashPoints` lists the operations
/// at which a crash test injects its power loss.
extension SimulatedDisk {
  /// The disk a reboot after power loss now would find.
  package func afterPowerLoss(_ mode: Recovery) -> SimulatedDisk {
    let copy = SimulatedDisk()
    lock.withLock { _ in
      var rng = SplitMix64(seed: mode.seed ?? 0)
      var entries = durableNames
      for directory in unsyncedEntries.keys.sorted() {
        let changes = unsyncedEntries[directory] ?? []
        let kept: Int
        switch mode {
        case .dropUnsynced: kept = 0
        case .keepAll: kept = changes.count
        case .random, .sectors: kept = rng.below(changes.count + 1)
        }
        for change in changes.prefix(kept) {
          for entry in change { entries[entry.name] = entry.inode }
        }
      }
      for inode in Set(entries.values).sorted() {
        guard let state = inodes[inode] else { continue }
        var bytes = state.durable
        for op in state.pending {
          Self.replay(op, onto: &bytes, mode, &rng)
        }
        copy.inodes[inode] = FileState(live: bytes, durable: bytes, pending: [])
      }
      copy.names = entries
      copy.durableNames = entries
      copy.nextInode = nextInode
    }
    return copy
  }

  /// Applies what survives of one pending operation.
  private static func replay(_ op: Pending, onto bytes: inout [UInt8], _ mode: Recovery, _ rng: inout SplitMix64) {
    switch mode {
    case .dropUnsynced:
      return
    case .keepAll:
      apply(op, to: &bytes)
    case .random:
      guard rng.next() % 2 == 0 else { return }
      if case .write(let offset, let data) = op, rng.next() % 3 == 0, data.count > 1 {
        let cut = Int(rng.next() % UInt64(data.count))
        apply(.write(offset: offset, bytes: Array(data[..<cut])), to: &bytes)
      } else {
        apply(op, to: &bytes)
      }
    case .sectors:
      guard case .write(let offset, let data) = op else {
        if rng.next() % 2 == 0 { apply(op, to: &bytes) }
        return
      }
      // Sector k of the file covers bytes k*512 ..< (k+1)*512; each part of
      // the write within one sector lands or not.
      var start = offset
      let end = offset + data.count
      while start < end {
        let sectorEnd = min(end, (start / sectorSize + 1) * sectorSize)
        if rng.next() % 2 == 0 {
          apply(.write(offset: start, bytes: Array(data[(start - offset)..<(sectorEnd - offset)])), to: &bytes)
        }
        start = sectorEnd
      }
    }
  }
}

extension SimulatedDisk.Recovery {
  var seed: UInt64? {
    switch self {
    case .random(let seed), .sectors(let seed): seed
    case .dropUnsynced, .keepAll: nil
    }
  }
}

extension SimulatedDisk {
  /// Where a crash test injects its power loss: every operation after `start`,
  /// except inside a run of more than `stride` writes to one file (a
  /// checkpoint copying hundreds of pages, each write like the next), where it
  /// takes the first, the last and every `stride`th, so tests stay quick.
  package func crashPoints(after start: Int = 0, stride: Int = 8) -> [Int] {
    let entries = log.filter { $0.number > start }
    var points: [Int] = []
    var i = 0
    while i < entries.count {
      var end = i
      while end + 1 < entries.count, entries[i].call == "pwrite", entries[end + 1].call == "pwrite",
        entries[end + 1].path == entries[i].path
      {
        end += 1
      }
      for j in i...end where end - i < stride || j == end || (j - i) % stride == 0 {
        points.append(entries[j].number)
      }
      i = end + 1
    }
    return points
  }
}
